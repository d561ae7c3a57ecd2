package exporters

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// A write that fails is not dropped: the book keeps the first error with its place, later writes
// do nothing, and save returns the error without writing a byte.
func TestBookKeepsFirstError(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(f *book)
		want  []string // in the error
	}{
		{"no such sheet", func(f *book) { f.SetCellStr("無い", "B2", "x") }, []string{"write 無い!B2", "無い"}},
		{"invalid sheet name", func(f *book) { f.SetCellValue("a[b]", "A1", 1) }, []string{"write a[b]!A1"}},
		{"cell out of range", func(f *book) { f.SetCellStr("Sheet1", "XFE1", "x") }, []string{"write Sheet1!XFE1"}},
		{"style on no sheet", func(f *book) { f.SetCellStyle("無い", "A1", "C3", 0) }, []string{"style 無い!A1:C3"}},
		{"column width", func(f *book) { f.SetColWidth("Sheet1", "A", "B", 500) }, []string{"set the width of Sheet1!A:B"}},
		{"cell name", func(f *book) { f.SetCellStr("Sheet1", f.cellName(16385, 1), "x") }, []string{"name the cell of column 16385, row 1"}},
		{"column name", func(f *book) { f.SetColWidth("Sheet1", f.colName(0), "A", 5) }, []string{"name column 0"}},
		{"style", func(f *book) {
			f.NewStyle(&excelize.Style{CustomNumFmt: ptr("")})
			f.NewStyle(&excelize.Style{Font: &excelize.Font{Size: 500}})
		}, []string{"add a style"}},
		{"active sheet", func(f *book) { f.activate("無い") }, []string{"activate 無い", "no sheet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newBook()
			defer f.Close()
			f.SetCellStr("Sheet1", "A1", "before")
			tc.write(f)
			if f.err == nil {
				t.Fatal("no error recorded")
			}
			first := f.err
			f.SetCellStr("Sheet1", "A2", "after")
			f.SetCellStr("無い", "Z9", "after")
			if f.err != first {
				t.Errorf("error replaced: %v, then %v", first, f.err)
			}
			if v, err := f.GetCellValue("Sheet1", "A2"); err != nil || v != "" {
				t.Errorf("a write after the error was made: %q, %v", v, err)
			}
			var out bytes.Buffer
			err := save(&out, f)
			if err == nil {
				t.Fatal("save: no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("save: %q does not say %q", err, w)
				}
			}
			if out.Len() > 0 {
				t.Errorf("save wrote %d bytes after an error", out.Len())
			}
		})
	}
}

// A sheet writer that writes through the book returns the book's first error, naming the place.
func TestWriterReturnsBookError(t *testing.T) {
	f := newBook()
	defer f.Close()
	m := Ministry{Prefectures: []PrefectureLine{{Code: "310000", Name: "鳥取県"}}}
	err := writePrefectures(f, m, newStyles(f)) // the sheet 都道府県 was never made
	if err == nil || !strings.Contains(err.Error(), "write "+SheetPrefectures+"!A1") {
		t.Fatalf("writePrefectures on a missing sheet: %v", err)
	}

}
