package loaders_test

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/fixtures/hostile"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/survey"
)

// The parts of a template written by exporters.WriteSurvey that the hostile cases change.
const (
	partAnswers  = hostile.PartAnswers
	partStamp    = hostile.PartStamp
	partWorkbook = hostile.PartWorkbook
	partShared   = hostile.PartShared
	partWbRels   = hostile.PartWbRels
)

// maxAlloc is what reading one hostile file may allocate in all (runtime TotalAlloc).
const maxAlloc = 256 << 20

// The zip surgery of package hostile, failing the test on an error.
type zipPart = hostile.Part

func must[T any](tb testing.TB, v T, err error) T {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func parts(tb testing.TB, data []byte) []zipPart {
	ps, err := hostile.Parts(data)
	return must(tb, ps, err)
}

func build(tb testing.TB, ps []zipPart, stored bool) []byte {
	b, err := hostile.Build(ps, stored)
	return must(tb, b, err)
}

func rework(tb testing.TB, data []byte, fn func(name string, body []byte) []byte) []byte {
	b, err := hostile.Rework(data, fn)
	return must(tb, b, err)
}

func withRows(tb testing.TB, data []byte, rows string) []byte {
	b, err := hostile.WithAnswerRows(data, rows)
	return must(tb, b, err)
}

func bigDeflate(tb testing.TB, prefix []byte, fill byte, n int, suffix []byte) *hostile.Raw {
	r, err := hostile.BigDeflate(prefix, fill, n, suffix)
	return must(tb, r, err)
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileFiles reads a file of every hostile kind: each must be refused with its code at its
// place, within bounded memory, never with a panic.
func TestHostileFiles(t *testing.T) {
	lib, rb := library(t)
	good := filled(t, rb, nil)
	n := len(rb.SelfItems())
	area := survey.HeaderRow + n + 50 // the last row of the answer sheet read
	expect := loaders.Expect{FiscalYear: 2026}
	workbook := func(data []byte) func() ([]loaders.Problem, error) {
		return func() ([]loaders.Problem, error) {
			_, err := loaders.ReadSurvey("hostile.xlsx", data, lib, expect)
			return rejected(err)
		}
	}
	csvSurvey := func(data []byte) func() ([]loaders.Problem, error) {
		return func() ([]loaders.Problem, error) {
			_, err := loaders.ReadSurveyCSV("hostile.csv", data, lib, expect)
			return rejected(err)
		}
	}
	population := func(data []byte) func() ([]loaders.Problem, error) {
		return func() ([]loaders.Problem, error) {
			_, err := loaders.ReadPopulation("hostile.csv", data, nil, nil)
			return rejected(err)
		}
	}
	csvHeader := "年度,団体コード,項目ID,回答\n"
	answerRow := func(i int) string { return fmt.Sprintf("2026,131016,%s,はい\n", rb.SelfItems()[i%n].ID) }
	sjis := func(s string) string {
		b, err := japanese.ShiftJIS.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	cases := []struct {
		name  string
		read  func() ([]loaders.Problem, error)
		code  string
		sheet string
		cell  string // the place of the first problem of that code
		most  int    // at most this many problems (0: no bound checked beyond MaxProblems)
	}{
		{"column overflow", workbook(withRows(t, good, `<row r="7">`+hostile.Inline("AAAAAAAAAAAAAAA7", "x")+`</row>`)), loaders.ErrOutOfBounds, "回答", "AAAAAAAAAAAAAAA7", 0},
		{"negative row number", workbook(withRows(t, good, `<row r="-5">`+`<c t="inlineStr"><is><t>x</t></is></c></row>`)), loaders.ErrOutOfBounds, "回答", "行-5", 0},
		{"row number overflow", workbook(withRows(t, good, `<row r="99999999999999999999"><c><v>1</v></c></row>`)), loaders.ErrOutOfBounds, "回答", "行99999999999999999999", 0},
		{"far column", workbook(withRows(t, good, `<row r="200">`+hostile.Inline("ZZZZZZ200", "x")+`</row>`)), loaders.ErrOutOfBounds, "回答", "ZZZZZZ200", 0},
		{"cell at XFD", workbook(withRows(t, good, `<row r="7">`+hostile.Inline("XFD7", "メモ")+`</row>`)), loaders.ErrOutOfBounds, "回答", "XFD7", 0},
		{"XFD × 2000 cells", workbook(withRows(t, good, func() string {
			var b strings.Builder
			for r := 7; r < 2007; r++ {
				fmt.Fprintf(&b, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
			}
			return b.String()
		}())), loaders.ErrOutOfBounds, "回答", "XFD7", 101},
		{"1,000,000 rows", workbook(withRows(t, good, strings.Repeat(`<row/><row><c><v>1</v></c></row>`, 500_000))), loaders.ErrOutOfBounds, "回答", "A" + strconv.Itoa(survey.HeaderRow+n+52), 101},
		{"200,000 unknown item rows", workbook(withRows(t, good, func() string {
			var b strings.Builder
			for r := survey.HeaderRow + n + 1; r <= survey.HeaderRow+n+200_000; r++ {
				fmt.Fprintf(&b, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>Z-%d</t></is></c></row>`, r, r, r)
			}
			return b.String()
		}())), loaders.ErrOutOfBounds, "回答", "A" + strconv.Itoa(area+1), 101},
		{"zip bomb", workbook(func() []byte {
			ps := parts(t, good)
			for i := range ps {
				if ps[i].Name == partAnswers {
					ps[i].Raw = bigDeflate(t, ps[i].Body, ' ', 200<<20, nil)
				}
			}
			return build(t, ps, false)
		}()), loaders.ErrFileTooLarge, "回答", "", 1},
		{"lying zip header", workbook(func() []byte {
			ps := parts(t, good)
			for i := range ps {
				if ps[i].Name == partAnswers {
					ps[i].Raw = bigDeflate(t, ps[i].Body, ' ', 50<<20, nil)
					ps[i].Raw.Size = uint64(len(ps[i].Body)) // the directory says it inflates to its XML only
				}
			}
			return build(t, ps, false)
		}()), loaders.ErrNotWorkbook, "回答", "", 1},
		{"parts inflating beyond the total together", workbook(func() []byte {
			ps := parts(t, good)
			for i := range ps {
				switch ps[i].Name {
				case partWorkbook, partShared, partWbRels, partStamp, partAnswers:
					end := bytes.LastIndexByte(ps[i].Body, '<')
					ps[i].Raw = bigDeflate(t, ps[i].Body[:end], ' ', 15<<20, ps[i].Body[end:])
				}
			}
			return build(t, ps, false)
		}()), loaders.ErrFileTooLarge, "回答", "", 1},
		{"100,000 zip entries", workbook(func() []byte {
			ps := parts(t, good)
			for i := 0; i < 100_000; i++ {
				ps = append(ps, zipPart{Name: "x/" + strconv.Itoa(i)})
			}
			return build(t, ps, true)
		}()), loaders.ErrNotWorkbook, "", "", 1},
		{"billion laughs", workbook(func() []byte {
			b, err := hostile.BillionLaughs(good)
			return must(t, b, err)
		}()), loaders.ErrNotWorkbook, "", "", 1},

		{"CSV beyond MaxCSVSize", csvSurvey(bytes.Repeat([]byte("2026,131016,P1-1-a,はい\n"), loaders.MaxCSVSize/20)), loaders.ErrFileTooLarge, "", "", 1},
		{"CSV field opening a quote never closed", csvSurvey([]byte(csvHeader + "\"abc\n" + answerRow(0))), loaders.ErrCSV, "", "2行目", 1},
		{"CSV bare quote", csvSurvey([]byte(csvHeader + answerRow(0) + "2026,13\"1016,P1-1-b,はい\n")), loaders.ErrCSV, "", "3行目", 1},
		{"CSV quote in the header", csvSurvey([]byte("\"年度,団体コード,項目ID,回答\n" + answerRow(0))), loaders.ErrCSV, "", "1行目", 1},
		{"CSV neither UTF-8 nor Shift_JIS", csvSurvey([]byte(sjis(csvHeader) + answerRow(0)[:20] + "\xff\xfe\n")), loaders.ErrCSV, "", "2行目", 1},
		{"CSV mixing UTF-8 and Shift_JIS", csvSurvey([]byte(csvHeader + answerRow(0) + sjis(answerRow(1)))), loaders.ErrCSV, "", "3行目", 1},
		{"CSV in EUC-JP", csvSurvey(func() []byte {
			b, _ := japanese.EUCJP.NewEncoder().Bytes([]byte(csvHeader + answerRow(0)))
			return b
		}()), loaders.ErrCSV, "", "1行目", 1},
		{"CSV whose header is no column in a file that is not UTF-8", csvSurvey([]byte("\x82\xa0,\x82\xa2,\x82\xa4,\x82\xa6\n" + sjis(answerRow(0)))), loaders.ErrCSV, "", "1行目", 1},
		{"CSV of a million commas", csvSurvey([]byte(csvHeader + strings.Repeat(",", 1_000_000) + "\n")), loaders.ErrOutOfBounds, "", "2行目", 1},
		{"CSV of 1,000,000 rows", population([]byte("年度,団体コード,基準日,第1号被保険者数\n" + strings.Repeat("2026,131016,2025-01-01,1\n", 1_000_000))), loaders.ErrOutOfBounds, "", strconv.Itoa(loaders.MaxCSVRows+2) + "行目", 1},
		{"CSV of 200,000 unknown item rows", csvSurvey([]byte(csvHeader + strings.Repeat("2026,131016,Z-9,はい\n", 200_000))), loaders.ErrOutOfBounds, "", strconv.Itoa(n+50+2) + "行目", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ps []loaders.Problem
			var err error
			alloc := allocated(func() { ps, err = c.read() })
			if err != nil {
				t.Fatal(err)
			}
			if alloc > maxAlloc {
				t.Errorf("allocated %d MiB, more than %d MiB", alloc>>20, maxAlloc>>20)
			}
			if len(ps) > loaders.MaxProblems+1 || (c.most > 0 && len(ps) > c.most) {
				t.Errorf("%d problems, want at most %d", len(ps), max(c.most, loaders.MaxProblems+1))
			}
			var first *loaders.Problem
			for i := range ps {
				if ps[i].Code == c.code {
					first = &ps[i]
					break
				}
			}
			if first == nil {
				t.Fatalf("no %s among %d problems: %v", c.code, len(ps), head(ps))
			}
			if first.Sheet != c.sheet || first.Cell != c.cell {
				t.Errorf("%s at %q!%q, want %q!%q: %v", c.code, first.Sheet, first.Cell, c.sheet, c.cell, first)
			}
			for _, p := range ps {
				if p.File == "" || p.MessageJA == "" || p.MessageEN == "" || len(p.MessageJA)+len(p.MessageEN)+len(p.Found) > 2000 {
					t.Errorf("problem without a file or message, or too long: %.300v", p)
				}
			}
			t.Logf("%d problem(s), %d KiB allocated; %s", len(ps), alloc>>10, first)
		})
	}
}

func head(ps []loaders.Problem) []loaders.Problem { return ps[:min(len(ps), 5)] }

// rejected returns the problems of a rejection; any other error is a failure.
func rejected(err error) ([]loaders.Problem, error) {
	var rj *loaders.Rejection
	if errors.As(err, &rj) {
		return rj.Problems, nil
	}
	if err == nil {
		return nil, errors.New("the hostile file was accepted")
	}
	return nil, fmt.Errorf("not a rejection: %w", err)
}

// TestEmptyCellsAnywhereAreIgnored: style-only and empty cells outside the template's area (Excel
// and LibreOffice write them when a column or row is formatted) are no problem.
func TestEmptyCellsAnywhereAreIgnored(t *testing.T) {
	lib, rb := library(t)
	data := withRows(t, filled(t, rb, nil), `<row r="7"><c r="XFD7" s="1"/><c r="XFE7"></c></row><row r="1048576"><c r="XFD1048576" s="2"></c></row>`)
	// XFE7 is outside Excel's grid even when empty: a malformed reference.
	_, err := loaders.ReadSurvey("empty.xlsx", data, lib, loaders.Expect{FiscalYear: 2026})
	ps := problems(t, err)
	if len(ps) != 1 || ps[0].Cell != "XFE7" || ps[0].Code != loaders.ErrOutOfBounds {
		t.Errorf("want one problem at XFE7: %v", ps)
	}
	data = withRows(t, filled(t, rb, nil), `<row r="7"><c r="XFD7" s="1"/><c r="XFC7"></c><c r="Z300"><v></v></c></row><row r="1048576" s="2" customFormat="1"><c r="XFD1048576" s="2"/></row>`)
	if _, err := loaders.ReadSurvey("empty.xlsx", data, lib, loaders.Expect{FiscalYear: 2026}); err != nil {
		t.Errorf("empty cells outside the area rejected: %v", err)
	}
}

// TestStaleTemplate: a template stamped with another version of the year's rulebook is refused
// (E022); one without a hash (made before the stamp carried it) is read.
func TestStaleTemplate(t *testing.T) {
	lib, rb := library(t)
	good := filled(t, rb, nil)
	stale := rework(t, good, func(name string, body []byte) []byte {
		if name != partShared {
			return body
		}
		if !bytes.Contains(body, []byte(rb.Hash)) {
			t.Fatal("the rulebook hash is not among the shared strings")
		}
		return bytes.Replace(body, []byte(rb.Hash), []byte(strings.Repeat("0", 64)), 1)
	})
	_, err := loaders.ReadSurvey("stale.xlsx", stale, lib, loaders.Expect{FiscalYear: 2026})
	ps := problems(t, err)
	if len(ps) != 1 || ps[0].Code != loaders.ErrStaleTemplate || !strings.Contains(ps[0].MessageJA, "古い様式") || ps[0].MessageEN == "" {
		t.Errorf("stale template: %v", ps)
	}
	nohash := rework(t, good, func(name string, body []byte) []byte {
		if name != partShared {
			return body
		}
		return bytes.Replace(body, []byte(rb.Hash), nil, 1)
	})
	if sv, err := loaders.ReadSurvey("nohash.xlsx", nohash, lib, loaders.Expect{FiscalYear: 2026}); err != nil || sv.StampedHash != "" {
		t.Errorf("a template without a hash: %v", err)
	}
	for _, f := range []string{"typed.xlsx", "prefecture.xlsx", "centre.xlsx"} {
		if _, err := loaders.ReadSurvey(f, readLO(t, f), lib, loaders.Expect{FiscalYear: 2026}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestCSVReadersLocateBrokenQuotes: every CSV reader reports a broken quote with its line, and
// none panics (csv.Reader.FieldPos panics after such an error).
func TestCSVReadersLocateBrokenQuotes(t *testing.T) {
	_, rb := library(t)
	for name, read := range map[string]func([]byte) error{
		"outcomes": func(b []byte) error {
			_, err := loaders.ReadOutcomes("q.csv", b, rb, nil)
			return err
		},
		"population": func(b []byte) error { _, err := loaders.ReadPopulation("q.csv", b, nil, nil); return err },
		"unions":     func(b []byte) error { _, err := loaders.ReadUnions("q.csv", b, nil); return err },
		"needs":      func(b []byte) error { _, err := loaders.ReadNeeds("q.csv", b, nil, nil); return err },
		"entities":   func(b []byte) error { _, err := loaders.ReadEntityList("q.csv", b); return err },
		"centres":    func(b []byte) error { _, err := loaders.ReadCentres("q.csv", b, nil); return err },
	} {
		for _, body := range []string{"\"abc\n", "1,2\"3\n", "\"a\"b,c\n"} {
			data := []byte("年度,団体コード,項目ID,値,基準日,第1号被保険者数,広域連合コード,広域連合名,構成市町村コード,交付金,所要見込額,区分,名称,都道府県コード,有効開始年度,有効終了年度,センターコード,市町村コード,センター名\n" + body)
			err := read(data)
			ps := problems(t, err)
			if ps[0].Code != loaders.ErrCSV || ps[0].Cell != "2行目" {
				t.Errorf("%s %q: %v", name, body, ps)
			}
		}
	}
	if _, err := loaders.ReadReference("q.csv", strings.NewReader("code\n\"abc\n"), kofukin.Prefecture); err == nil {
		t.Error("ReadReference accepted a broken quote")
	}
}

// TestCSVEncodingProblems: encoding trouble is called an encoding problem, with its line.
func TestCSVEncodingProblems(t *testing.T) {
	lib, _ := library(t)
	for name, c := range map[string]struct {
		data []byte
		cell string
	}{
		"BOM then Shift_JIS": {append([]byte("\ufeff年度,団体コード,項目ID,回答\n2026,131016,P1-1-a,"), 0x82, 0xcd, 0x82, 0xa2, '\n'), "2行目"},
		"U+FFFD":             {[]byte("年度,団体コード,項目ID,回答\n2026,131016,P1-1-a,は\ufffd\n"), "2行目"},
	} {
		_, err := loaders.ReadSurveyCSV(name, c.data, lib, loaders.Expect{})
		ps := problems(t, err)
		if len(ps) != 1 || ps[0].Code != loaders.ErrCSV || ps[0].Cell != c.cell || !strings.Contains(ps[0].MessageJA, "文字") {
			t.Errorf("%s: %v", name, ps)
		}
	}
	// A header of the wrong columns in a Shift_JIS file is a header problem, not an encoding one.
	sj, _ := japanese.ShiftJIS.NewEncoder().String("年度,団体コード,項目,回答\n2026,131016,P1-1-a,はい\n")
	_, err := loaders.ReadSurveyCSV("h.csv", []byte(sj), lib, loaders.Expect{})
	if ps := problems(t, err); len(ps) != 1 || ps[0].Code != loaders.ErrHeader {
		t.Errorf("Shift_JIS file lacking one column: %v", ps)
	}
	if _, enc, err := loaders.DecodeText([]byte(sj)); err != nil || enc != "Shift_JIS" {
		t.Errorf("Shift_JIS not decoded: %v %s", err, enc)
	}
}

// TestReviewHostile: a review workbook gets the same bounds.
func TestReviewHostile(t *testing.T) {
	data := reviewWorkbook(t)
	inPref := func(pref, code string) bool { return len(pref) >= 2 && strings.HasPrefix(code, pref[:2]) }
	if _, err := loaders.ReadReview("r.xlsx", data, inPref); err != nil {
		t.Fatal(err)
	}
	far := rework(t, data, func(name string, body []byte) []byte {
		if name != "xl/worksheets/sheet1.xml" {
			return body
		}
		return bytes.Replace(body, []byte("</sheetData>"), []byte(`<row r="9000">`+hostile.Inline("ZZZZZZ9000", "x")+hostile.Inline("A9000", "y")+`</row></sheetData>`), 1)
	})
	var err error
	alloc := allocated(func() { _, err = loaders.ReadReview("far.xlsx", far, inPref) })
	ps := problems(t, err)
	if len(ps) != 2 || ps[0].Cell != "ZZZZZZ9000" || ps[1].Cell != "A9000" || ps[0].Code != loaders.ErrOutOfBounds || alloc > maxAlloc {
		t.Errorf("far cells of a review: %v (%d bytes)", ps, alloc)
	}
}
