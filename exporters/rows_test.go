package exporters

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	kflate "github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"
)

// sheetRows writes the same bytes as excelize's stream writer for the same values (the reference:
// excelize itself): awkward texts (spaces at the ends, newlines, XML's special characters,
// control characters, invalid UTF-8, _xHHHH_ sequences, a text over Excel's 32,767 characters
// that ends inside a surrogate pair, formula-like text), numbers, NaN and infinities, styled
// and not.
func TestSheetRowsAsTheStreamWriter(t *testing.T) {
	long := strings.Repeat("あ", excelize.TotalCellChars-1) + "😀end"
	texts := []string{"", " lead", "trail ", "trail\t", "\tTab", "a\nb", "a\r\nb", "a&b<c>\"d'e", "_x0041_", "_x005F_x0041_", "_x005F_", "_xD800_", "x_x12G4_",
		"\x01ctl", "bad\xffutf8", "\uFFFEnon", "\uFFFDok", "=SUM(A1)", "＝全角", "-5", "+1", "@x", "日本語の設問：はい（実施）→ 3点", long}
	numbers := []float64{0, -1.5, 1e21, 0.1 + 0.2, 1e-7, 123456789.125, math.NaN(), math.Inf(1), math.Inf(-1)}
	var rows [][]any // one row of texts and numbers per style
	for _, style := range []int{0, 3} {
		var row []any
		for _, s := range texts {
			row = append(row, excelize.Cell{Value: s, StyleID: style})
		}
		for _, x := range numbers {
			row = append(row, excelize.Cell{Value: x, StyleID: style})
		}
		row = append(row, excelize.Cell{Value: answerValue("007"), StyleID: style}, excelize.Cell{Value: answerValue("7.50"), StyleID: style})
		rows = append(rows, row)
	}

	// The reference: the stream writer, from row 3 (the rows a header would come before).
	ref := excelize.NewFile()
	defer ref.Close()
	sw, err := ref.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		if err := sw.SetRow(cell, safeRow(append([]any(nil), row...))); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ref.Write(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var sheet []byte
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			sheet, err = io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	start, end := bytes.Index(sheet, []byte("<sheetData>")), bytes.Index(sheet, sheetDataEnd)
	if start < 0 || end < 0 {
		t.Fatalf("no sheetData in %.200s", sheet)
	}
	want := string(sheet[start+len("<sheetData>") : end])

	w := &sheetRows{}
	for i, row := range rows {
		if err := w.startRow(i + 3); err != nil {
			t.Fatal(err)
		}
		for _, v := range row {
			c := v.(excelize.Cell)
			switch x := c.Value.(type) {
			case string:
				w.str(c.StyleID, x)
			case float64:
				w.number(c.StyleID, x)
			default:
				t.Fatalf("value %T", x)
			}
		}
		w.endRow()
	}
	if got := w.buf.String(); got != want {
		for i := 0; i < min(len(got), len(want)); i++ {
			if got[i] != want[i] {
				t.Fatalf("differs at byte %d:\n got …%.300s\nwant …%.300s", i, got[max(0, i-100):], want[max(0, i-100):])
			}
		}
		t.Fatalf("lengths %d, want %d", len(got), len(want))
	}
	if w.firstRow != 3 || w.lastRow != 4 || w.lastCol != len(rows[0]) {
		t.Errorf("rows %d–%d, last column %d", w.firstRow, w.lastRow, w.lastCol)
	}
	if err := w.startRow(4); err == nil {
		t.Error("a row written twice")
	}
}

// A workbook's rows written as XML are spliced into their sheet after the rows excelize wrote,
// and the sheet's dimension spans both.
func TestSpliceRows(t *testing.T) {
	f := newBook()
	defer f.Close()
	if _, err := f.NewSheet("rows"); err != nil {
		t.Fatal(err)
	}
	f.SetCellStr("Sheet1", "B2", "other sheet")
	sw, err := f.NewStreamWriter("rows")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("B1", []any{"head", "er"}); err != nil {
		t.Fatal(err)
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	w := &sheetRows{}
	for r := 2; r <= 4; r++ {
		if err := w.startRow(r); err != nil {
			t.Fatal(err)
		}
		w.str(0, "row")
		w.number(0, float64(r))
		w.endRow()
	}
	f.spliceRows("rows", w)
	var buf bytes.Buffer
	if err := save(&buf, f); err != nil {
		t.Fatal(err)
	}
	// The rows are inside <sheetData>, after excelize's row, and the part still ends the worksheet.
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name != "xl/worksheets/sheet2.xml" {
			continue
		}
		part, err := readEntry(zf)
		if err != nil {
			t.Fatal(err)
		}
		head, last, end := bytes.Index(part, []byte(`<row r="1">`)), bytes.Index(part, []byte(`<row r="4">`)), bytes.Index(part, sheetDataEnd)
		if head < 0 || last < head || end < last || !bytes.HasSuffix(part, []byte(`</worksheet>`)) {
			t.Errorf("rows not inside the sheet's data: %s", part)
		}
	}
	g, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	got, err := g.GetRows("rows")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"", "head", "er"}, {"row", "2"}, {"row", "3"}, {"row", "4"}}
	if len(got) != len(want) {
		t.Fatalf("rows %q", got)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i+1, got[i], want[i])
		}
	}
	if d, err := g.GetSheetDimension("rows"); err != nil || d != "A1:C4" {
		t.Errorf("dimension %q (%v), want A1:C4", d, err)
	}
	if d, err := g.GetSheetDimension("Sheet1"); err != nil || d != "B2" {
		t.Errorf("other sheet's dimension %q (%v), want B2", d, err)
	}
	// Rows for a sheet the workbook does not have are an error, not a silent loss.
	h := newBook()
	defer h.Close()
	h.spliceRows("none", w)
	if err := save(io.Discard, h); err == nil {
		t.Error("rows for a missing sheet were dropped without an error")
	}
}

// A pooled deflate writer, reset after other parts, compresses a part into the bytes a new writer
// does: which writer a part gets cannot change a workbook.
func TestCompressPartReused(t *testing.T) {
	var parts [][]byte
	for i := range 4 {
		var b bytes.Buffer
		for r := range 20000 * (i + 1) {
			b.WriteString(`<row r="` + strings.Repeat("x", r%7) + `"><c t="inlineStr"><is><t>設問` + string(rune('ア'+r%40)) + `</t></is></c></row>`)
		}
		parts = append(parts, b.Bytes())
	}
	for _, level := range []int{partLevel, largePartLevel} {
		fresh := func(body []byte) []byte {
			w, err := kflate.NewWriter(io.Discard, level)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			w.Reset(&out)
			w.Write(body)
			w.Close()
			return out.Bytes()
		}
		for round := range 2 {
			for i, p := range parts {
				var hdr zip.FileHeader
				got, err := compressPart(&hdr, p, level)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, fresh(p)) {
					t.Errorf("level %d, round %d, part %d: a reused writer gave other bytes", level, round, i)
				}
				if hdr.UncompressedSize64 != uint64(len(p)) || hdr.CompressedSize64 != uint64(len(got)) || hdr.Method != zip.Deflate {
					t.Errorf("header %+v", hdr)
				}
			}
		}
	}
	if _, err := compressPart(&zip.FileHeader{}, nil, 9); err == nil {
		t.Error("a level without writers was accepted")
	}
}

// TestSharedRowsReadAsWritten: texts written by sheetRows into the workbook's shared string
// table — awkward ones, repeated, on two sheets, beside cells excelize wrote into its own table
// before and after — read back (by excelize) as the same texts as inline strings do, and the
// table lists each distinct text once with its counts.
func TestSharedRowsReadAsWritten(t *testing.T) {
	texts := []string{"はい", " lead", "trail ", "a\nb", "a&b<c>\"d'e", "_x0041_", "\x01ctl", "bad\xffutf8", "=SUM(A1)", "-5", "はい", "達成", "", "a&b<c>\"d'e"}
	f := newExportBook()
	defer f.Close()
	if _, err := f.NewSheet("二"); err != nil {
		t.Fatal(err)
	}
	f.SetCellStr("Sheet1", "A1", "excelize 1")
	f.SetCellStr("二", "A1", "はい") // the same text in excelize's table too
	var shared, inline [2]*sheetRows
	for k, sheet := range []string{"Sheet1", "二"} {
		shared[k], inline[k] = f.sharedRows(), &sheetRows{}
		for _, w := range []*sheetRows{shared[k], inline[k]} {
			for i, s := range texts {
				if err := w.cells(2+i, 0, []int{0, 3}, s, s+"!", float64(i)); err != nil {
					t.Fatal(err)
				}
			}
		}
		f.spliceRows(sheet, shared[k])
	}
	f.SetCellStr("Sheet1", "Z1", "excelize 2") // after the rows were written
	var buf bytes.Buffer
	if err := save(&buf, f); err != nil {
		t.Fatal(err)
	}
	got, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	// The reference: the same cells as inline strings.
	ref := newExportBook()
	defer ref.Close()
	if _, err := ref.NewSheet("二"); err != nil {
		t.Fatal(err)
	}
	ref.SetCellStr("Sheet1", "A1", "excelize 1")
	ref.SetCellStr("二", "A1", "はい")
	ref.SetCellStr("Sheet1", "Z1", "excelize 2")
	ref.spliceRows("Sheet1", inline[0])
	ref.spliceRows("二", inline[1])
	var rbuf bytes.Buffer
	if err := save(&rbuf, ref); err != nil {
		t.Fatal(err)
	}
	want, err := excelize.OpenReader(bytes.NewReader(rbuf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	for _, sheet := range []string{"Sheet1", "二"} {
		g, err := got.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		w, err := want.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(g) != len(texts)+1 || strings.Join(g[5], "|") != strings.Join(w[5], "|") {
			t.Errorf("%s: %d rows, row 6 %q", sheet, len(g), g[min(5, len(g)-1)])
		}
		for r := range w {
			if r >= len(g) || strings.Join(g[r], "\x00") != strings.Join(w[r], "\x00") {
				t.Errorf("%s row %d: shared %q, inline %q", sheet, r+1, g[min(r, len(g)-1)], w[r])
			}
		}
	}
	sst := string(unzipParts(t, buf.Bytes())["xl/sharedStrings.xml"])
	distinct := map[string]bool{}
	for _, s := range texts {
		distinct[s], distinct[s+"!"] = true, true
	}
	// excelize's three texts, then each distinct text of the rows once.
	if n := strings.Count(sst, "<si>"); n != 3+len(distinct) {
		t.Errorf("%d texts in the table, want %d", n, 3+len(distinct))
	}
	if !strings.Contains(sst, `uniqueCount="`+fmt.Sprint(3+len(distinct))+`"`) || !strings.Contains(sst, `count="`+fmt.Sprint(3+4*len(texts))+`"`) {
		t.Errorf("table counts: %.200s", sst)
	}
	for name, b := range unzipParts(t, buf.Bytes()) {
		if bytes.IndexByte(b, sharedMark) >= 0 {
			t.Errorf("a shared string's mark left in %s", name)
		}
	}
}

// TestWriteRenumbered: each index behind the mark moves by the offset; a mark without an index
// is an error, not a cell pointing anywhere.
func TestWriteRenumbered(t *testing.T) {
	var out bytes.Buffer
	if err := writeRenumbered(&out, []byte("<c t=\"s\"><v>\x010</v></c><c t=\"s\"><v>\x0112</v></c><c><v>7</v></c>"), 5); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != `<c t="s"><v>5</v></c><c t="s"><v>17</v></c><c><v>7</v></c>` {
		t.Errorf("renumbered: %s", got)
	}
	for _, bad := range []string{"<v>\x01</v>", "<v>\x01x</v>", "<v>\x0112"} {
		if err := writeRenumbered(&out, []byte(bad), 1); err == nil {
			t.Errorf("%q renumbered without an error", bad)
		}
	}
}
