package exporters_test

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
)

// Text that could be taken for a formula, as municipalities, reviewers and uploads might supply it.
const (
	hyperlink = `=HYPERLINK("http://x","y")`
	plusOne   = "+1+1"
	atSum     = "@SUM(A1)"
	negative  = "-5" // a number written as text: left as it is
)

// cellsRead opens a written workbook and returns a getter of cell values that fails the test on
// an error.
func cellsRead(t *testing.T, b []byte) (*excelize.File, func(sheet, cell string) string) {
	t.Helper()
	f := openResult(t, b)
	return f, func(sheet, cell string) string {
		t.Helper()
		v, err := f.GetCellValue(sheet, cell)
		if err != nil {
			t.Fatalf("%s!%s: %v", sheet, cell, err)
		}
		return v
	}
}

func wantCells(t *testing.T, get func(sheet, cell string) string, want map[[2]string]string) {
	t.Helper()
	for at, w := range want {
		if got := get(at[0], at[1]); got != w {
			t.Errorf("%s!%s = %q, want %q", at[0], at[1], got, w)
		}
	}
}

func TestMinistryNeutralisesFormulas(t *testing.T) {
	grants := []exporters.GrantLine{{ID: "g1", Name: "保険者機能強化推進交付金", Short: "推進", BudgetYen: 1000, MunicipalYen: 1000, AllocatedYen: 1000}}
	m := exporters.Ministry{
		Title: "令和8年度 交付額算定表", FiscalYear: 2026, EraLabel: "令和8年度", Grants: grants,
		Pools: []exporters.PoolLine{{ID: "p", Name: "市町村分", Grant: "推進", Level: "municipality", PoolYen: 1000, AmountYen: 1000, Note: atSum}},
		Municipal: []exporters.MunicipalRow{{PrefectureName: "鳥取県", Code: "312011", Name: hyperlink, Insured65: 100,
			Grants: map[string]float64{"g1": -5}, Total: -5, Rank: 1, Yen: map[string]int64{"g1": 1000}}},
		Columns:     []exporters.Column{{Key: "total", Grant: "推進", Name: "総合計", Points: 100}},
		National:    []exporters.NationalRow{{PrefectureName: plusOne, Code: "312011", Name: hyperlink, Population: 1, Insured65: 1, Values: []float64{-5}, Rank: 1}},
		Prefectures: []exporters.PrefectureLine{{Code: "310000", Name: atSum, Grants: map[string]float64{}, Yen: map[string]int64{}}},
		Amounts:     []exporters.AmountLine{{PrefectureName: "鳥取県", Code: "312011", Name: hyperlink, Level: "municipality", Pool: plusOne, Score: -5, AmountYen: 1000}},
		Summary:     []exporters.SummaryLine{{Label: "前提", Value: plusOne}, {Label: "差", Value: negative}},
	}
	var out bytes.Buffer
	if err := exporters.WriteMinistry(&out, m); err != nil {
		t.Fatal(err)
	}
	f, get := cellsRead(t, out.Bytes())
	wantCells(t, get, map[[2]string]string{
		{exporters.SheetMunicipal, "A2"}:   "鳥取県",
		{exporters.SheetMunicipal, "B2"}:   "312011",
		{exporters.SheetMunicipal, "C2"}:   "'" + hyperlink,
		{exporters.SheetNational, "A17"}:   "'" + plusOne,
		{exporters.SheetNational, "C17"}:   "'" + hyperlink,
		{exporters.SheetNational, "F17"}:   "－", // kofukin's placeholder for no previous score
		{exporters.SheetPrefectures, "B2"}: "'" + atSum,
		{exporters.SheetAmounts, "C2"}:     "'" + hyperlink,
		{exporters.SheetAmounts, "E2"}:     "'" + plusOne,
	})
	// 概要: the pool's note and the summary lines.
	rows, err := f.GetRows(exporters.SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, r := range rows {
		for _, v := range r {
			found[v] = true
		}
	}
	for _, v := range []string{"'" + atSum, "'" + plusOne, negative} {
		if !found[v] {
			t.Errorf("概要 has no cell %q", v)
		}
	}
	for _, v := range []string{atSum, plusOne} {
		if found[v] {
			t.Errorf("概要 has the unquoted %q", v)
		}
	}
	// Numbers stay numbers.
	if typ, _ := f.GetCellType(exporters.SheetMunicipal, "E2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("市町村!E2 (a score) is a string")
	}
}

func TestReviewNeutralisesFormulas(t *testing.T) {
	neg := negative
	rv := exporters.Review{
		FiscalYear: 2026, EraLabel: "令和8年度", PrefCode: "31", PrefName: "鳥取県", ScoreRunID: 1, AllocateRunID: 2,
		Municipalities: []exporters.ReviewMunicipality{{
			Code: "312011", Name: hyperlink, Submitted: true, Status: "差戻し", Comment: atSum,
			Items: []exporters.ReviewItem{
				{ItemID: "A-1", Answer: plusOne, Status: "met", Reason: atSum},
				{ItemID: "A-2", Answer: negative, PrevAnswer: &neg, Status: "met", Reason: "回答 -5 → 0点"},
			},
		}},
		Labels: map[string]exporters.ItemLabel{"A-1": {Goal: "目標Ⅰ", Question: "＝設問"}},
	}
	var out bytes.Buffer
	if err := exporters.WriteReview(&out, rv); err != nil {
		t.Fatal(err)
	}
	_, get := cellsRead(t, out.Bytes())
	wantCells(t, get, map[[2]string]string{
		{exporters.SheetReview, "A5"}:      "312011",
		{exporters.SheetReview, "B5"}:      "'" + hyperlink,
		{exporters.SheetReview, "L5"}:      "差戻し",
		{exporters.SheetReview, "M5"}:      "'" + atSum,
		{exporters.SheetReviewItems, "B2"}: "'" + hyperlink,
		{exporters.SheetReviewItems, "G2"}: "'＝設問",
		{exporters.SheetReviewItems, "H2"}: "'" + plusOne,
		{exporters.SheetReviewItems, "M2"}: "'" + atSum,
		{exporters.SheetReviewItems, "H3"}: negative,
		{exporters.SheetReviewItems, "I3"}: negative,
		{exporters.SheetReviewItems, "M3"}: "回答 -5 → 0点",
		{exporters.SheetReviewStamp, "B3"}: "31",
	})
}

func TestFeedbackNeutralisesFormulas(t *testing.T) {
	fb := exporters.Feedback{FiscalYear: 2026, EraLabel: "令和8年度", PrefCode: "31", PrefName: "鳥取県",
		Municipalities: []exporters.FeedbackMunicipality{{Code: "312011", Name: hyperlink, Band: atSum,
			Goals: []exporters.FeedbackGoal{{Label: plusOne, Points: -5}, {Label: negative}},
			Worth: []exporters.PointWorth{{Grant: "推進", Yen: 10}}}}}
	var out bytes.Buffer
	if err := exporters.WriteFeedback(&out, fb); err != nil {
		t.Fatal(err)
	}
	f, get := cellsRead(t, out.Bytes())
	s := f.GetSheetList()[0]
	wantCells(t, get, map[[2]string]string{
		{s, "A1"}: "令和8年度 評価指標の結果（鳥取県" + hyperlink + "）", // not at the start: harmless
		{s, "B4"}: "'" + atSum,
		{s, "A8"}: "'" + plusOne,
		{s, "A9"}: negative,
	})
}

func TestSurveyNeutralisesFormulas(t *testing.T) {
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := lib.Get(2026, indicators.Municipality)
	if err != nil {
		t.Fatal(err)
	}
	first := rb.SelfItems()[0].ID
	var out bytes.Buffer
	if err := exporters.WriteSurvey(&out, rb, exporters.SurveyEntity{Code: "312011", PrefectureName: hyperlink, Name: "鳥取市"}, map[string]string{first: plusOne}); err != nil {
		t.Fatal(err)
	}
	_, get := cellsRead(t, out.Bytes())
	wantCells(t, get, map[[2]string]string{
		{"回答", "B2"}: "312011",
		{"回答", "B3"}: "'" + hyperlink + "鳥取市",
		{"回答", "F7"}: "'" + plusOne,
	})
}

// The list of an annotated copy quotes what the submitter typed.
func TestAnnotateNeutralisesFormulas(t *testing.T) {
	ps := []loaders.Problem{
		{Code: loaders.ErrAnswerInvalid, Sheet: "回答", Cell: "F7", Found: hyperlink, MessageJA: "はい／いいえ", MessageEN: "yes/no"},
		{Code: loaders.ErrAnswerRange, Sheet: "回答", Cell: "F8", Found: negative, Expected: "0以上", MessageJA: "範囲外", MessageEN: "out of range"},
		{Code: loaders.ErrItemUnknown, Sheet: "回答", Cell: "A9", Item: atSum, MessageJA: plusOne, MessageEN: "unknown item"},
	}
	var out bytes.Buffer
	if err := exporters.Annotate(&out, smallWorkbook(t), ps); err != nil {
		t.Fatal(err)
	}
	_, get := cellsRead(t, out.Bytes())
	s := exporters.SheetProblems
	wantCells(t, get, map[[2]string]string{
		{s, "G3"}: "'" + hyperlink,
		{s, "G4"}: negative,
		{s, "D5"}: "'" + atSum,
		{s, "E5"}: "'" + plusOne,
	})
}
