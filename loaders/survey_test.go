package loaders_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/survey"
)

func library(t testing.TB) (*indicators.Library, *indicators.Rulebook) {
	t.Helper()
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := lib.Get(2026, indicators.Municipality)
	if err != nil {
		t.Fatal(err)
	}
	return lib, rb
}

// filled writes a template for 千代田区 with every self item answered.
func filled(t testing.TB, rb *indicators.Rulebook, answers map[string]string) []byte {
	t.Helper()
	all := map[string]string{}
	for _, it := range rb.SelfItems() {
		switch it.Rule.Type {
		case indicators.RuleYesNo:
			all[it.ID] = "はい"
		case indicators.RuleChoice:
			all[it.ID] = it.Rule.Options[0].Value
		default:
			all[it.ID] = "50"
		}
	}
	for k, v := range answers {
		all[k] = v
	}
	var buf bytes.Buffer
	if err := exporters.WriteSurvey(&buf, rb, exporters.SurveyEntity{Code: "131016", PrefectureName: "東京都", Name: "千代田区"}, all); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// edit opens a workbook, applies fn and returns the new bytes.
func edit(t testing.TB, data []byte, fn func(f *excelize.File)) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fn(f)
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rowOf returns the row number of an item in the template's answer sheet.
func rowOf(rb *indicators.Rulebook, id string) int {
	for i, it := range rb.SelfItems() {
		if it.ID == id {
			return survey.HeaderRow + 1 + i
		}
	}
	return -1
}

func TestReadSurveyAcceptsTemplate(t *testing.T) {
	lib, rb := library(t)
	data := filled(t, rb, map[string]string{"P1-1-a": "○", "P1-1-b": "×", "P1-1-c": "", "P1-5-a": "１，２３４"})
	sv, err := loaders.ReadSurvey("ok.xlsx", data, lib, loaders.Expect{FiscalYear: 2026, Level: indicators.Municipality})
	if err != nil {
		t.Fatal(err)
	}
	if sv.EntityCode != "131016" || sv.FiscalYear != 2026 || sv.RulebookHash != rb.Hash {
		t.Errorf("survey %+v", sv)
	}
	if len(sv.Answers) != len(rb.SelfItems()) {
		t.Errorf("%d answers, want %d", len(sv.Answers), len(rb.SelfItems()))
	}
	got := map[string]loaders.Answer{}
	for _, a := range sv.Answers {
		got[a.ItemID] = a
	}
	if a := got["P1-1-a"]; a.Num != 1 || a.Text != "はい" {
		t.Errorf("○ read as %+v", a)
	}
	if a := got["P1-1-b"]; a.Num != 0 || a.Text != "いいえ" {
		t.Errorf("× read as %+v", a)
	}
	if a := got["P1-1-c"]; !a.Blank {
		t.Errorf("blank read as %+v", a)
	}
	if a := got["P1-5-a"]; a.Num != 1234 {
		t.Errorf("full-width 1,234 read as %+v", a)
	}
	if a := got["P1-5-a"]; a.Cell != "回答!F"+itoa(rowOf(rb, "P1-5-a")) {
		t.Errorf("cell %q", a.Cell)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func problems(t testing.TB, err error) []loaders.Problem {
	t.Helper()
	var rj *loaders.Rejection
	if !errors.As(err, &rj) {
		t.Fatalf("want a rejection, got %v", err)
	}
	return rj.Problems
}

func TestReadSurveyRejectsTamperedWorkbook(t *testing.T) {
	lib, rb := library(t)
	row := rowOf(rb, "P2-1-b")
	data := edit(t, filled(t, rb, map[string]string{"P1-1-a": "たぶん", "P1-7-a": "120"}), func(f *excelize.File) {
		f.SetCellStr(survey.SheetAnswers, "A"+itoa(row), "P2-1-z")             // item id changed
		f.SetCellStr(survey.SheetAnswers, "E"+itoa(rowOf(rb, "P3-1-a")), "改変") // question changed
	})
	_, err := loaders.ReadSurvey("bad.xlsx", data, lib, loaders.Expect{FiscalYear: 2026, Level: indicators.Municipality})
	ps := problems(t, err)
	want := map[string]string{ // code → cell
		loaders.ErrItemUnknown:     "A" + itoa(row),
		loaders.ErrAnswerInvalid:   "F" + itoa(rowOf(rb, "P1-1-a")),
		loaders.ErrAnswerRange:     "F" + itoa(rowOf(rb, "P1-7-a")),
		loaders.ErrTemplateChanged: "E" + itoa(rowOf(rb, "P3-1-a")),
		loaders.ErrItemMissing:     "",
	}
	found := map[string]bool{}
	for _, p := range ps {
		if cell, ok := want[p.Code]; ok {
			found[p.Code] = true
			if p.Sheet != survey.SheetAnswers || p.Cell != cell || p.File != "bad.xlsx" {
				t.Errorf("%s at %s!%s in %s, want %s!%s", p.Code, p.Sheet, p.Cell, p.File, survey.SheetAnswers, cell)
			}
			if p.MessageJA == "" || p.MessageEN == "" {
				t.Errorf("%s without a message", p.Code)
			}
		}
	}
	for code := range want {
		if !found[code] {
			t.Errorf("no %s problem in %v", code, ps)
		}
	}
	if len(ps) != len(want) {
		t.Errorf("%d problems, want %d: %v", len(ps), len(want), ps)
	}
	if !strings.Contains(err.Error(), "bad.xlsx: 回答!A") {
		t.Errorf("error text does not name the file, sheet and cell: %v", err)
	}
}

// A template of another year or level is explained as the official sees the workbook: at the
// answer sheet's 年度 cell or title, the year in the Japanese era, what to do, and never the hidden
// stamp sheet.
func TestWrongTemplateNamesNoHiddenSheet(t *testing.T) {
	lib, rb := library(t)
	data := filled(t, rb, nil)
	for _, c := range []struct {
		name   string
		data   []byte
		want   loaders.Expect
		code   string
		cell   string
		saysJA string
	}{
		{"last year's", edit(t, data, func(f *excelize.File) { f.SetCellStr(survey.SheetStamp, "B2", "2025") }), loaders.Expect{FiscalYear: 2026}, loaders.ErrFiscalYear, "B4",
			"この調査票は令和7年度用です。令和8年度の調査票をダウンロードして記入してください。"},
		{"next year's", data, loaders.Expect{FiscalYear: 2027}, loaders.ErrFiscalYear, "B4",
			"この調査票は令和8年度用です。令和9年度の調査票をダウンロードして記入してください。"},
		{"another level's", data, loaders.Expect{Level: indicators.Prefecture}, loaders.ErrLevel, "A1",
			"この調査票は市町村用です。都道府県用の調査票をダウンロードして記入してください。"},
		{"a year without a rulebook", edit(t, data, func(f *excelize.File) { f.SetCellStr(survey.SheetStamp, "B2", "2019") }), loaders.Expect{}, loaders.ErrRulebook, "B4",
			"令和元年度・市町村用の評価指標が登録されていない"},
		{"no stamp", edit(t, data, func(f *excelize.File) { f.DeleteSheet(survey.SheetStamp) }), loaders.Expect{}, loaders.ErrStamp, "",
			"配布された調査票の様式ではありません"},
	} {
		_, err := loaders.ReadSurvey("y.xlsx", c.data, lib, c.want)
		ps := problems(t, err)
		p := ps[0]
		if p.Code != c.code || p.Cell != c.cell || !strings.Contains(p.MessageJA, c.saysJA) {
			t.Errorf("%s: %+v, want %s at %q saying %q", c.name, p, c.code, c.cell, c.saysJA)
		}
		if c.cell != "" && p.Sheet != survey.SheetAnswers {
			t.Errorf("%s: located on sheet %q, want %s", c.name, p.Sheet, survey.SheetAnswers)
		}
		for _, p := range ps {
			if strings.Contains(p.Sheet+p.MessageJA+p.Expected+p.Found, survey.SheetStamp) {
				t.Errorf("%s: names the hidden sheet: %+v", c.name, p)
			}
		}
	}
}

func TestReadSurveyRejectsWrongYearLevelEntity(t *testing.T) {
	lib, rb := library(t)
	data := filled(t, rb, nil)
	_, err := loaders.ReadSurvey("y.xlsx", data, lib, loaders.Expect{FiscalYear: 2027, Level: indicators.Municipality})
	if ps := problems(t, err); ps[0].Code != loaders.ErrFiscalYear || !strings.Contains(ps[0].MessageEN, "this is the FY2026 template; use FY2027") {
		t.Errorf("wrong year: %v", ps)
	}
	_, err = loaders.ReadSurvey("l.xlsx", data, lib, loaders.Expect{Level: indicators.Prefecture})
	if ps := problems(t, err); ps[0].Code != loaders.ErrLevel {
		t.Errorf("wrong level: %v", ps)
	}
	other := edit(t, data, func(f *excelize.File) { f.SetCellStr(survey.SheetAnswers, "B2", "011002") })
	_, err = loaders.ReadSurvey("e.xlsx", other, lib, loaders.Expect{})
	if ps := problems(t, err); ps[0].Code != loaders.ErrEntity || ps[0].Cell != "B2" {
		t.Errorf("other entity: %v", ps)
	}
	unknown := func(int, indicators.Level, string) bool { return false }
	_, err = loaders.ReadSurvey("u.xlsx", data, lib, loaders.Expect{Entity: unknown})
	if ps := problems(t, err); ps[0].Code != loaders.ErrEntity {
		t.Errorf("unknown entity: %v", ps)
	}
	nostamp := edit(t, data, func(f *excelize.File) { f.DeleteSheet(survey.SheetStamp) })
	_, err = loaders.ReadSurvey("n.xlsx", nostamp, lib, loaders.Expect{})
	if ps := problems(t, err); ps[0].Code != loaders.ErrStamp {
		t.Errorf("no stamp: %v", ps)
	}
	_, err = loaders.ReadSurvey("x.xlsx", []byte("not a zip"), lib, loaders.Expect{})
	if ps := problems(t, err); ps[0].Code != loaders.ErrNotWorkbook {
		t.Errorf("not xlsx: %v", ps)
	}
}

func TestNormalisation(t *testing.T) {
	for in, want := range map[string]bool{"はい": true, "○": true, "〇": true, "１": true, "有": true, "実施": true, " YES ": true,
		"いいえ": false, "×": false, "0": false, "無": false, "未実施": false} {
		got, ok := loaders.ParseYesNo(in)
		if !ok || got != want {
			t.Errorf("ParseYesNo(%q) = %v, %v", in, got, ok)
		}
	}
	if _, ok := loaders.ParseYesNo("たぶん"); ok {
		t.Error("たぶん accepted as yes/no")
	}
	for in, want := range map[string]float64{"45%": 45, "１，２３４": 1234, " 12.5 ": 12.5, "−3": -3, "1,234.5": 1234.5} {
		got, ok := loaders.ParseNumber(in)
		if !ok || got != want {
			t.Errorf("ParseNumber(%q) = %v, %v", in, got, ok)
		}
	}
}

func filledB(b *testing.B, rb *indicators.Rulebook) []byte { return filled(b, rb, nil) }

// TestErrorClasses covers the rejection codes the other tests do not reach.
func TestErrorClasses(t *testing.T) {
	lib, rb := library(t)
	good := filled(t, rb, nil)
	cases := map[string]struct {
		data []byte
		code string
		cell string
	}{
		"answer sheet renamed": {edit(t, good, func(f *excelize.File) { f.SetSheetName(survey.SheetAnswers, "回答（修正）") }), loaders.ErrSheetMissing, ""},
		"header changed":       {edit(t, good, func(f *excelize.File) { f.SetCellStr(survey.SheetAnswers, "E6", "質問") }), loaders.ErrHeader, "A6"},
		"item twice": {edit(t, good, func(f *excelize.File) {
			f.SetCellStr(survey.SheetAnswers, "A8", rb.SelfItems()[0].ID)
		}), loaders.ErrItemDuplicate, "A8"},
		"date unreadable": {edit(t, good, func(f *excelize.File) { f.SetCellStr(survey.SheetAnswers, "B5", "令和7年13月1日") }), loaders.ErrDate, "B5"},
		"too large":       {append(append([]byte{}, good...), make([]byte, loaders.MaxFileSize)...), loaders.ErrFileTooLarge, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := loaders.ReadSurvey(name+".xlsx", c.data, lib, loaders.Expect{FiscalYear: 2026})
			var found bool
			for _, p := range problems(t, err) {
				if p.Code == c.code {
					found = true
					if p.Cell != c.cell {
						t.Errorf("%s at %q, want %q", p.Code, p.Cell, c.cell)
					}
					if p.MessageJA == "" || p.MessageEN == "" {
						t.Errorf("%s without messages", p.Code)
					}
				}
			}
			if !found {
				t.Errorf("no %s in %v", c.code, err)
			}
		})
	}
	// Another level's rulebook year that does not exist: E013.
	other := edit(t, good, func(f *excelize.File) { f.SetCellStr(survey.SheetStamp, "B2", "2019") })
	if _, err := loaders.ReadSurvey("old.xlsx", other, lib, loaders.Expect{}); err == nil || problems(t, err)[0].Code != loaders.ErrRulebook {
		t.Errorf("a year without a rulebook: %v", err)
	}
}

// A number is read as the decimal typed; one that the store's DECIMAL(18,6) cannot hold (10¹² or
// more) is out of range, even for an item without min or max.
func TestParseAnswerNumbers(t *testing.T) {
	it := &indicators.Item{ID: "N-a", Rule: indicators.Rule{Type: indicators.RuleThreshold}}
	for raw, want := range map[string]string{"32.3": "32.3", "３１．８": "31.8", "1,234.5": "1234.5", "999999999999.99": "999999999999.99", "-0.5": "-0.5"} {
		a, p := loaders.ParseAnswer(it, raw)
		if p != nil || a.Text != want {
			t.Errorf("%q → %q %v, want %q", raw, a.Text, p, want)
		}
	}
	for _, raw := range []string{"1000000000000", "-1e12", "1.5E+13"} {
		if _, p := loaders.ParseAnswer(it, raw); p == nil || p.Code != loaders.ErrAnswerRange {
			t.Errorf("%q: problem %v, want %s", raw, p, loaders.ErrAnswerRange)
		}
	}
}

// A warning found across answers (W001) names the sheet and the cell apart, as every other problem
// does, so that the annotated copy marks it and the report's セル column holds a cell.
func TestPrerequisiteWarningNamesSheetAndCell(t *testing.T) {
	lib, rb := library(t)
	sv, err := loaders.ReadSurvey("w.xlsx", filled(t, rb, map[string]string{"P1-3-a": "いいえ", "P1-3-b": "はい", "P1-3-c": "いいえ", "P1-3-d": "いいえ"}), lib, loaders.Expect{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sv.Warnings) != 1 {
		t.Fatalf("warnings %+v, want one W001", sv.Warnings)
	}
	if w := sv.Warnings[0]; w.Code != loaders.WarnPrerequisite || w.Sheet != survey.SheetAnswers || w.Cell != "F"+itoa(rowOf(rb, "P1-3-b")) || w.Item != "P1-3-b" {
		t.Errorf("W001 at %q!%q: %+v", w.Sheet, w.Cell, w)
	}
}
