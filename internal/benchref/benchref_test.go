package benchref_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/internal/benchref"
)

// books writes n small workbooks (two sheets, a few values) to a temp folder and returns their
// paths and total size.
func books(t *testing.T, n int) ([]string, int64) {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	var size int64
	for i := range n {
		f := excelize.NewFile()
		if _, err := f.NewSheet("二"); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			sheet, cell string
			v           any
		}{{"Sheet1", "A1", "市町村"}, {"Sheet1", "B2", i}, {"二", "C3", 1.5}} {
			if err := f.SetCellValue(c.sheet, c.cell, c.v); err != nil {
				t.Fatal(err)
			}
		}
		p := filepath.Join(dir, "b"+string(rune('a'+i))+".xlsx")
		if err := f.SaveAs(p); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		paths, size = append(paths, p), size+st.Size()
	}
	return paths, size
}

type reader struct {
	name string
	read func(context.Context, []string, int) (benchref.Result, error)
}

var readers = []reader{{"XMLScan", benchref.XMLScan}, {"Inflate", benchref.Inflate}, {"Openpyxl", benchref.Openpyxl}}

// TestReadersReadEveryFile: each reader reads all the workbooks, with one worker and with more
// workers than files, counting each file and its size once; a truncated workbook is an error that
// names it.
func TestReadersReadEveryFile(t *testing.T) {
	paths, size := books(t, 3)
	ctx := context.Background()
	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			for _, workers := range []int{1, 8, 0} {
				res, err := r.read(ctx, paths, workers)
				if errors.Is(err, benchref.ErrNoPython) {
					t.Skip(err)
				}
				if err != nil {
					t.Fatalf("%d workers: %v", workers, err)
				}
				if res.Files != 3 || res.Bytes != size || res.Elapsed <= 0 || res.PerSecond() <= 0 {
					t.Errorf("%d workers: %+v (%.1f/s), want 3 files of %d bytes", workers, res, res.PerSecond(), size)
				}
			}
			data, err := os.ReadFile(paths[1])
			if err != nil {
				t.Fatal(err)
			}
			cut := filepath.Join(t.TempDir(), "truncated.xlsx")
			if err := os.WriteFile(cut, data[:len(data)/2], 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = r.read(ctx, []string{paths[0], cut, paths[2]}, 2)
			if err == nil || !strings.Contains(err.Error(), cut) {
				t.Errorf("a truncated workbook: %v, want an error naming %s", err, cut)
			}
		})
	}
}

// TestXMLScanReadsTheXML: a workbook whose sheet is not well-formed XML inflates fine but fails the
// XML scan, which names the part: the scan really reads the tokens.
func TestXMLScanReadsTheXML(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.xlsx")
	// A zip of two parts, the sheet holding an element that is never closed.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"[Content_Types].xml":      `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"xl/worksheets/sheet1.xml": `<worksheet><sheetData><row r="1"><c r="A1"></row></sheetData></worksheet>`,
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := benchref.Inflate(ctx, []string{p}, 1); err != nil {
		t.Fatalf("inflate: %v", err)
	}
	_, err := benchref.XMLScan(ctx, []string{p}, 1)
	if err == nil || !strings.Contains(err.Error(), "xl/worksheets/sheet1.xml") || !strings.Contains(err.Error(), p) {
		t.Errorf("XML scan of a broken sheet: %v, want an error naming the file and the part", err)
	}
}

// TestCancelled: a cancelled context stops the readers with its error.
func TestCancelled(t *testing.T) {
	paths, _ := books(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, r := range readers {
		if _, err := r.read(ctx, paths, 1); !errors.Is(err, context.Canceled) && !errors.Is(err, benchref.ErrNoPython) {
			t.Errorf("%s: %v, want context.Canceled", r.name, err)
		}
	}
}

func TestWorkbooks(t *testing.T) {
	paths, _ := books(t, 2)
	dir := filepath.Dir(paths[0])
	if err := os.WriteFile(filepath.Join(dir, "x.csv"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := benchref.Workbooks(dir)
	if err != nil || len(got) != 2 || got[0] != paths[0] || got[1] != paths[1] {
		t.Errorf("Workbooks = %v, %v; want %v", got, err, paths)
	}
}
