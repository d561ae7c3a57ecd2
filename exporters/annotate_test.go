package exporters_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
)

// allocBudget is what one Annotate call may allocate in these tests, whatever the upload.
const allocBudget = 200 << 20

// allocated returns the bytes fn allocated (runtime TotalAlloc; the tests of this file are not
// parallel).
func allocated(fn func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// smallWorkbook is a valid workbook with a sheet 「回答」 of 30 rows × 6 columns.
func smallWorkbook(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "回答"); err != nil {
		t.Fatal(err)
	}
	for r := 1; r <= 30; r++ {
		for c := 1; c <= 6; c++ {
			cell, _ := excelize.CoordinatesToCellName(c, r)
			f.SetCellValue("回答", cell, fmt.Sprintf("v%d-%d", r, c))
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// workbookWithSheet is smallWorkbook plus sheets 「追加」 and 「追加2」 (xl/worksheets/sheet2.xml and
// sheet3.xml).
func workbookWithSheet(t testing.TB) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(smallWorkbook(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, s := range []string{"追加", "追加2"} {
		if _, err := f.NewSheet(s); err != nil {
			t.Fatal(err)
		}
		f.SetCellStr(s, "A1", "x")
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawPart is a zip entry given as deflated bytes with the header to declare.
type rawPart struct {
	name       string
	deflated   []byte
	crc        uint32
	size       uint64 // declared inflated size
	actualSize uint64
}

// deflatePart deflates what write writes, streaming, and returns it with its CRC and size: a
// 300 MB part never exists in memory, only its compressed form.
func deflatePart(t testing.TB, name string, write func(io.Writer) error) rawPart {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	crc := crc32.NewIEEE()
	cw := &countWriter{w: io.MultiWriter(fw, crc)}
	if err := write(cw); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return rawPart{name: name, deflated: buf.Bytes(), crc: crc.Sum32(), size: uint64(cw.n), actualSize: uint64(cw.n)}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// withParts rewrites the zip data: entries named by parts are replaced (or added), the others
// copied as they are.
func withParts(t testing.TB, data []byte, parts ...rawPart) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]rawPart{}
	for _, p := range parts {
		byName[p.name] = p
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	put := func(p rawPart) {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: p.name, Method: zip.Deflate, CRC32: p.crc,
			CompressedSize64: uint64(len(p.deflated)), UncompressedSize64: p.size})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.deflated)
	}
	for _, f := range zr.File {
		if p, ok := byName[f.Name]; ok {
			put(p)
			delete(byName, f.Name)
			continue
		}
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range parts {
		if _, ok := byName[p.name]; ok {
			put(p)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
	`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>`
const sheetTail = `</sheetData></worksheet>`

// sheetPart makes a worksheet part whose rows body writes.
func sheetPart(t testing.TB, name string, body func(io.Writer) error) rawPart {
	return deflatePart(t, name, func(w io.Writer) error {
		io.WriteString(w, sheetHead)
		if err := body(w); err != nil {
			return err
		}
		_, err := io.WriteString(w, sheetTail)
		return err
	})
}

// spaces writes n spaces in 1 MiB chunks.
func spaces(n int64) func(io.Writer) error {
	return func(w io.Writer) error {
		chunk := bytes.Repeat([]byte(" "), 1<<20)
		for n > 0 {
			k := min(n, int64(len(chunk)))
			if _, err := w.Write(chunk[:k]); err != nil {
				return err
			}
			n -= k
		}
		return nil
	}
}

func problemsAt(cells ...string) []loaders.Problem {
	var ps []loaders.Problem
	for i, c := range cells {
		ps = append(ps, loaders.Problem{Code: loaders.ErrAnswerInvalid, File: "x.xlsx", Sheet: "回答", Cell: c, Item: fmt.Sprintf("item-%d", i),
			Expected: "はい／いいえ", Found: "たぶん", MessageJA: "「はい」又は「いいえ」を選んでください。", MessageEN: "answer yes or no"})
	}
	return ps
}

func openResult(t testing.TB, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func comments(t testing.TB, f *excelize.File, sheet string) map[string]string {
	t.Helper()
	cs, err := f.GetComments(sheet)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cs {
		var text string
		for _, p := range c.Paragraph {
			text += p.Text
		}
		out[c.Cell] = text
	}
	return out
}

// A valid workbook with three problems: three red cells with a comment each, 「エラー一覧」 with a
// header and three rows, and it is the active sheet.
func TestAnnotateMarksCells(t *testing.T) {
	orig := smallWorkbook(t)
	keep := bytes.Clone(orig)
	ps := problemsAt("F7", "b9", "A12")
	var out bytes.Buffer
	if err := exporters.Annotate(&out, orig, ps); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, keep) {
		t.Error("Annotate changed the original bytes")
	}
	f := openResult(t, out.Bytes())
	cs := comments(t, f, "回答")
	if len(cs) != 3 {
		t.Errorf("%d comments, want 3: %v", len(cs), cs)
	}
	for _, cell := range []string{"F7", "B9", "A12"} {
		if !strings.Contains(cs[cell], "[E011] 「はい」又は「いいえ」を選んでください。") || strings.Contains(cs[cell], "answer yes or no") {
			t.Errorf("%s: comment %q, want the Japanese message only", cell, cs[cell])
		}
		id, err := f.GetCellStyle("回答", cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Fill.Color) == 0 || !strings.EqualFold(st.Fill.Color[0], "FFC7CE") {
			t.Errorf("%s: fill %v, want FFC7CE", cell, st.Fill.Color)
		}
	}
	if id, _ := f.GetCellStyle("回答", "C3"); id != 0 {
		if st, _ := f.GetStyle(id); st != nil && len(st.Fill.Color) > 0 {
			t.Errorf("C3 has no problem but fill %v", st.Fill.Color)
		}
	}
	rows, err := f.GetRows(exporters.SheetProblems)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[0][0] != "この調査票は受付できませんでした。次のエラー 3 件を修正して、もう一度提出してください。" ||
		rows[1][0] != "コード" || rows[1][4] != "内容" || rows[2][2] != "F7" || rows[4][3] != "item-2" {
		t.Errorf("エラー一覧: %q", rows)
	}
	if idx, _ := f.GetSheetIndex(exporters.SheetProblems); f.GetActiveSheetIndex() != idx {
		t.Errorf("active sheet %d, want エラー一覧 (%d)", f.GetActiveSheetIndex(), idx)
	}
}

// The survey template kofukin ships, as a submitter returns it, is well within every limit.
func TestAnnotateTemplate(t *testing.T) {
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := lib.Get(2026, indicators.Municipality)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl bytes.Buffer
	if err := exporters.WriteSurvey(&tmpl, rb, exporters.SurveyEntity{Code: "312011", PrefectureName: "鳥取県", Name: "鳥取市"}, nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := exporters.Annotate(&out, tmpl.Bytes(), problemsAt("F7", "F8")); err != nil {
		t.Fatal(err)
	}
	if cs := comments(t, openResult(t, out.Bytes()), "回答"); len(cs) != 2 {
		t.Errorf("%d comments on the template, want 2", len(cs))
	}
}

// Uploads beyond a limit get no annotated copy, a typed error naming the limit, and cost little.
func TestAnnotateRefusesUnboundedUploads(t *testing.T) {
	base := workbookWithSheet(t)
	const sheet2, sheet3 = "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"
	var bombPart *rawPart
	bomb := func(t *testing.T) rawPart { // built once: 300 MB to deflate
		if bombPart == nil {
			p := sheetPart(t, sheet2, spaces(300<<20))
			bombPart = &p
		}
		return *bombPart
	}
	cases := []struct {
		name string
		data func(t *testing.T) []byte
		code string
	}{
		{"zip bomb: a 300 MB worksheet of spaces", func(t *testing.T) []byte {
			return withParts(t, base, bomb(t))
		}, exporters.NotAnnotatedPartSize},
		{"zip bomb declaring 1 KiB", func(t *testing.T) []byte {
			p := bomb(t)
			p.size = 1 << 10
			return withParts(t, base, p)
		}, exporters.NotAnnotatedCorrupt},
		{"zip bomb declaring 1 KiB more than it holds", func(t *testing.T) []byte {
			p := bigText(t, sheet2, 1<<20)
			p.size += 1 << 10
			return withParts(t, base, p)
		}, exporters.NotAnnotatedCorrupt},
		{"three worksheets of 3 MiB", func(t *testing.T) []byte {
			return withParts(t, base, bigText(t, sheet2, 3<<20), bigText(t, sheet3, 3<<20), bigText(t, "xl/worksheets/sheet1.xml", 3<<20))
		}, exporters.NotAnnotatedSheetBytes},
		{"a sheet of 1,000,000 rows", func(t *testing.T) []byte {
			return withParts(t, base, sheetPart(t, sheet2, func(w io.Writer) error {
				bw := make([]byte, 0, 1<<16)
				for r := 1; r <= 1_000_000; r++ {
					bw = fmt.Appendf(bw, `<row r="%d"/>`, r)
					if len(bw) > 1<<15 {
						w.Write(bw)
						bw = bw[:0]
					}
				}
				_, err := w.Write(bw)
				return err
			}))
		}, exporters.NotAnnotatedPartSize},
		{"a tiny sheet with row 1,048,576", func(t *testing.T) []byte {
			return withParts(t, base, sheetPart(t, sheet2, func(w io.Writer) error {
				_, err := io.WriteString(w, `<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>`)
				return err
			}))
		}, exporters.NotAnnotatedRows},
		{"rows reaching column XFD", func(t *testing.T) []byte {
			return withParts(t, base, sheetPart(t, sheet2, func(w io.Writer) error {
				for r := 1; r <= 2000; r++ {
					fmt.Fprintf(w, `<row r="%d"><c r="XFD%d"/></row>`, r, r)
				}
				return nil
			}))
		}, exporters.NotAnnotatedCells},
		{"cells without references, each row 60 wide", func(t *testing.T) []byte {
			return withParts(t, base, sheetPart(t, sheet2, func(w io.Writer) error {
				for r := 0; r < 1000; r++ {
					io.WriteString(w, "<row>"+strings.Repeat("<c/>", 60)+"</row>")
				}
				return nil
			}))
		}, exporters.NotAnnotatedCells},
		{"a worksheet in UTF-16", func(t *testing.T) []byte {
			return withParts(t, base, deflatePart(t, sheet2, func(w io.Writer) error {
				io.WriteString(w, `<?xml version="1.0" encoding="utf-16le"?>`)
				for _, c := range `<worksheet><sheetData><row r="1048576"/></sheetData></worksheet>` {
					w.Write([]byte{byte(c), 0})
				}
				return nil
			}))
		}, exporters.NotAnnotatedEncoding},
		{"400 zip entries", func(t *testing.T) []byte {
			var ps []rawPart
			for i := range 400 {
				ps = append(ps, deflatePart(t, fmt.Sprintf("xl/extra/%d.bin", i), func(w io.Writer) error { _, err := w.Write([]byte{1}); return err }))
			}
			return withParts(t, base, ps...)
		}, exporters.NotAnnotatedEntries},
		{"40 MiB of images", func(t *testing.T) []byte {
			var ps []rawPart
			for i := range 10 {
				ps = append(ps, deflatePart(t, fmt.Sprintf("xl/media/image%d.png", i), spaces(4<<20)))
			}
			return withParts(t, base, ps...)
		}, exporters.NotAnnotatedTotalSize},
		{"150 sheets", func(t *testing.T) []byte {
			f, err := excelize.OpenReader(bytes.NewReader(base))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for i := range 150 {
				f.NewSheet(fmt.Sprintf("S%d", i))
			}
			b, err := f.WriteToBuffer()
			if err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}, exporters.NotAnnotatedSheets},
		{"not a zip", func(t *testing.T) []byte { return []byte("PK\x03\x04 not really") }, exporters.NotAnnotatedNotXLSX},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.data(t)
			var out bytes.Buffer
			var err error
			n := allocated(func() { err = exporters.Annotate(&out, data, problemsAt("F7")) })
			t.Logf("upload %d bytes; Annotate allocated %.1f MiB: %v", len(data), float64(n)/(1<<20), err)
			if n > allocBudget {
				t.Errorf("Annotate allocated %d MiB, more than %d", n>>20, allocBudget>>20)
			}
			var na *exporters.NotAnnotatedError
			if !errors.As(err, &na) {
				t.Fatalf("error %v, want a *NotAnnotatedError", err)
			}
			if na.Code != c.code {
				t.Errorf("code %q (%s), want %q", na.Code, na.ReasonEN, c.code)
			}
			if !errors.Is(err, exporters.ErrNotAnnotated) || na.ReasonJA == "" ||
				!strings.HasPrefix(na.MessageJA(), "エラー箇所付きの写しは作成しませんでした（") {
				t.Errorf("error %v: ReasonJA %q, MessageJA %q", err, na.ReasonJA, na.MessageJA())
			}
			if out.Len() != 0 {
				t.Errorf("%d bytes written", out.Len())
			}
		})
	}
}

// 208,000 problems on a small valid workbook: the first 200 cells are marked, the first 1,000
// problems listed under the title and a line saying so, quickly and within the allocation budget.
func TestAnnotateManyProblems(t *testing.T) {
	orig := smallWorkbook(t)
	ps := make([]loaders.Problem, 0, 208_000)
	for i := range 208_000 {
		cell, _ := excelize.CoordinatesToCellName(1+i%6, 1+(i/6)%30)
		if i%1000 == 999 {
			cell = "XFD1048576" // far away: listed, never marked
		}
		ps = append(ps, problemsAt(cell)[0])
	}
	var out bytes.Buffer
	var err error
	n := allocated(func() { err = exporters.Annotate(&out, orig, ps) })
	t.Logf("Annotate allocated %.1f MiB", float64(n)/(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if n > allocBudget {
		t.Errorf("Annotate allocated %d MiB, more than %d", n>>20, allocBudget>>20)
	}
	f := openResult(t, out.Bytes())
	cs := comments(t, f, "回答")
	if len(cs) != 180 { // 30 rows × 6 columns: every cell, each once
		t.Errorf("%d comments, want 180", len(cs))
	}
	if c := cs["A1"]; strings.Count(c, "[E011]") != 10 || !strings.Contains(c, "ほか") {
		t.Errorf("A1's comment holds %d problems: %q", strings.Count(c, "[E011]"), c)
	}
	rows, _ := f.GetRows(exporters.SheetProblems)
	if len(rows) != 3+exporters.MaxListedProblems {
		t.Errorf("エラー一覧 has %d rows, want %d", len(rows), 3+exporters.MaxListedProblems)
	}
	if title := rows[0][0]; !strings.Contains(title, "次のエラー 208,000 件を修正して") {
		t.Errorf("first line %q", title)
	}
	if note := rows[1][0]; !strings.Contains(note, "問題が 208,000 件あります。ここには最初の 1,000 件を表示しています。すべての問題は報告書（JSON）にあります。") {
		t.Errorf("second line %q", note)
	}
	if rows[2][0] != "コード" {
		t.Errorf("header %q", rows[2])
	}
}

// More cells than MaxAnnotatedCells: only the first are marked, and the first line says so.
func TestAnnotateMarksAtMost200Cells(t *testing.T) {
	f0 := excelize.NewFile()
	f0.SetSheetName("Sheet1", "回答")
	f0.SetCellStr("回答", "A400", "x")
	b, _ := f0.WriteToBuffer()
	f0.Close()
	var cells []string
	for r := 1; r <= 300; r++ {
		cells = append(cells, fmt.Sprintf("C%d", r))
	}
	var out bytes.Buffer
	if err := exporters.Annotate(&out, b.Bytes(), problemsAt(cells...)); err != nil {
		t.Fatal(err)
	}
	f := openResult(t, out.Bytes())
	cs := comments(t, f, "回答")
	if len(cs) != exporters.MaxAnnotatedCells || cs["C200"] == "" || cs["C201"] != "" {
		t.Errorf("%d comments (C200 %q, C201 %q)", len(cs), cs["C200"], cs["C201"])
	}
	rows, _ := f.GetRows(exporters.SheetProblems)
	if len(rows) != 303 || !strings.Contains(rows[1][0], "最初の 200 か所") {
		t.Errorf("%d rows, second %q", len(rows), rows[1])
	}
}

// Uploads just inside every limit are annotated, within the same allocation budget: the limits
// are consistent with it.
func TestAnnotateAtTheLimits(t *testing.T) {
	base := workbookWithSheet(t)
	const sheet2 = "xl/worksheets/sheet2.xml"
	const sheet3 = "xl/worksheets/sheet3.xml"
	cases := []struct {
		name  string
		parts []rawPart
	}{
		{"830 rows × 60 numbers", parts(sheetPart(t, sheet2, func(w io.Writer) error {
			for r := 1; r <= 830; r++ {
				fmt.Fprintf(w, `<row r="%d">`, r)
				for c := 1; c <= 60; c++ {
					cell, _ := excelize.CoordinatesToCellName(c, r)
					fmt.Fprintf(w, `<c r="%s"><v>%d</v></c>`, cell, r*c)
				}
				io.WriteString(w, "</row>")
			}
			return nil
		}))},
		{"19,900 rows × 2 texts", parts(sheetPart(t, sheet2, func(w io.Writer) error {
			for r := 1; r <= 19_900; r++ {
				fmt.Fprintf(w, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>回答%d</t></is></c><c r="B%d" t="inlineStr"><is><t>はい</t></is></c></row>`, r, r, r, r)
			}
			return nil
		}))},
		{"two sheets of one 3.9 MiB text each", parts(bigText(t, sheet2, 3_900_000), bigText(t, sheet3, 3_900_000))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := withParts(t, base, c.parts...)
			var out bytes.Buffer
			var err error
			n := allocated(func() { err = exporters.Annotate(&out, data, problemsAt("F7")) })
			t.Logf("upload %d bytes; Annotate allocated %.1f MiB", len(data), float64(n)/(1<<20))
			if err != nil {
				t.Fatal(err)
			}
			if n > allocBudget {
				t.Errorf("Annotate allocated %d MiB, more than %d", n>>20, allocBudget>>20)
			}
			if cs := comments(t, openResult(t, out.Bytes()), "回答"); cs["F7"] == "" {
				t.Error("F7 not annotated")
			}
		})
	}
}

func parts(ps ...rawPart) []rawPart { return ps }

// bigText is a worksheet part of one cell holding n spaces.
func bigText(t testing.TB, name string, n int64) rawPart {
	return sheetPart(t, name, func(w io.Writer) error {
		io.WriteString(w, `<row r="1"><c r="A1" t="inlineStr"><is><t>`)
		spaces(n)(w)
		_, err := io.WriteString(w, `</t></is></c></row>`)
		return err
	})
}

// Errors and warnings are two tables of 「エラー一覧」, each under its count: the count of what must be
// fixed is the errors' alone. Japanese comes first; the English messages are a hidden last column,
// and no comment carries them.
func TestAnnotateSeparatesErrorsFromWarnings(t *testing.T) {
	ps := problemsAt("F7", "F9")
	ps = append(ps[:1], loaders.Problem{Code: loaders.WarnPrerequisite, Sheet: "回答", Cell: "F8", Item: "I-1-b",
		MessageJA: "前提の設問が「いいえ」のため、0点になります。", MessageEN: "prerequisite not met: scores 0"}, ps[1])
	var out bytes.Buffer
	if err := exporters.Annotate(&out, smallWorkbook(t), ps); err != nil {
		t.Fatal(err)
	}
	f := openResult(t, out.Bytes())
	rows, err := f.GetRows(exporters.SheetProblems)
	if err != nil {
		t.Fatal(err)
	}
	first := func(r int) string {
		if r < len(rows) && len(rows[r]) > 0 {
			return rows[r][0]
		}
		return ""
	}
	want := []string{"この調査票は受付できませんでした。次のエラー 2 件を修正して、もう一度提出してください。", "コード", "E011", "E011", "",
		"注意 1 件（受付には影響しません。内容を確認してください）", "コード", "W001"}
	for r, w := range want {
		if first(r) != w {
			t.Errorf("row %d starts %q, want %q (rows %q)", r+1, first(r), w, rows)
		}
	}
	if len(rows) != len(want) {
		t.Errorf("%d rows, want %d", len(rows), len(want))
	}
	for _, r := range []int{3, 4, 8} {
		if v, _ := f.GetCellValue(exporters.SheetProblems, fmt.Sprintf("H%d", r)); v == "" {
			t.Errorf("H%d: no English message kept", r)
		}
	}
	if visible, err := f.GetColVisible(exporters.SheetProblems, "H"); err != nil || visible {
		t.Errorf("the English column H is shown (%v)", err)
	}
	for _, col := range []string{"A", "E"} {
		if visible, _ := f.GetColVisible(exporters.SheetProblems, col); !visible {
			t.Errorf("column %s hidden", col)
		}
	}
	cs := comments(t, f, "回答")
	if !strings.HasPrefix(cs["F8"], "注意 [W001] 前提の設問") || !strings.HasPrefix(cs["F7"], "エラー [E011]") {
		t.Errorf("comments %q", cs)
	}
	for cell, c := range cs {
		if strings.ContainsFunc(c, func(r rune) bool { return r >= 'a' && r <= 'z' }) {
			t.Errorf("%s's comment carries English: %q", cell, c)
		}
	}
}
