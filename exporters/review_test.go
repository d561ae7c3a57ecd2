package exporters_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/exporters"
)

// sampleReview is a small review workbook's data: 鳥取県 with two municipalities, one flagged on
// two items, one without a survey, and the explanation chain of one amount.
func sampleReview() exporters.Review {
	prev := "いいえ"
	z := 4.2
	return exporters.Review{
		FiscalYear: 2026, EraLabel: "令和8年度", PrefCode: "310000", PrefName: "鳥取県", ScoreRunID: 1, AllocateRunID: 2,
		Municipalities: []exporters.ReviewMunicipality{
			{Code: "312011", Name: "鳥取市", Submitted: true, Insured65: 56000, Total: 456, Max: 800, Rate: 0.57, NationalRank: 12, Of: 1741, PrefRank: 1, YenTotal: 12345678,
				Items: []exporters.ReviewItem{
					{ItemID: "O-4-a", Answer: "いいえ", Points: 0, Max: 5, Status: "not_done", PrefRate: 0.9, NationalRate: 0.8},
					{ItemID: "P2-2-b", Answer: "はい", PrevAnswer: &prev, Points: 5, Max: 5, Status: "met", PrefRate: 0.5, NationalRate: 0.4},
					{ItemID: "P1-7", Answer: "87.5", Points: 3, Max: 5, Status: "partial", Z: &z},
				},
				Chain: []exporters.ChainLine{{Pool: "保険者機能強化推進交付金（市町村分）", Score: 200, Weight: 56000, WeightedScore: 11200000, Sum: 653600000000, PoolYen: 8595000000, ProposalYen: 147284, AmountYen: 147284}}},
			{Code: "312029", Name: "米子市", Submitted: false, NationalRank: 900, Of: 1741, PrefRank: 2},
		},
		Labels: map[string]exporters.ItemLabel{
			"O-4-a":  {Goal: "推進 目標Ⅳ", No: "4", Indicator: "4 介護予防の成果", Branch: "a", Question: "要介護認定率の変化", Points: 5},
			"P2-2-b": {Goal: "推進 目標Ⅱ", No: "2", Indicator: "2 地域ケア会議", Branch: "b", Question: "個別事例の検討を行っているか", Points: 5},
			"P1-7":   {Goal: "推進 目標Ⅰ", No: "7", Indicator: "7 調査の回収率", Question: "回収率（%）", Points: 5},
		},
		ChartBins: []string{"0～", "400～"}, NationBins: []float64{0.5, 0.5}, PrefBins: []float64{0.5, 0.5},
	}
}

// TestReviewWorkbookForPeople: 持分 is a number shown as a percentage (not 1.71352E-05), 全国順位
// and numeric answers are numbers, the sheet tells prefectures to return the workbook through the
// web service (not to run the CLI), and 確認すべき点 names goal, indicator and question.
func TestReviewWorkbookForPeople(t *testing.T) {
	rv := sampleReview()
	rv.Municipalities[0].Flags = exporters.ReviewFlagsNamed(rv.Municipalities[0].Items, true, rv.Labels)
	var out bytes.Buffer
	if err := exporters.WriteReview(&out, rv); err != nil {
		t.Fatal(err)
	}
	f := openResult(t, out.Bytes())
	number := func(sheet, cell string) {
		t.Helper()
		if typ, err := f.GetCellType(sheet, cell); err != nil || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
			t.Errorf("%s!%s is stored as %v, want a number", sheet, cell, typ)
		}
	}
	// 配分の説明 row 3: 持分 in H.
	number(exporters.SheetReviewChain, "H3")
	if v, _ := f.GetCellValue(exporters.SheetReviewChain, "H3"); v != "0.001714%" {
		t.Errorf("持分 shows %q, want 0.001714%%", v)
	}
	number(exporters.SheetReview, "G5")
	if v, _ := f.GetCellValue(exporters.SheetReview, "G4"); v != "全国順位（1,741団体中）" {
		t.Errorf("全国順位 header %q", v)
	}
	// 回答と得点 row 4: P1-7's numeric answer 87.5.
	number(exporters.SheetReviewItems, "H4")
	if v, _ := f.GetCellValue(exporters.SheetReviewItems, "H2"); v != "いいえ" {
		t.Errorf("a text answer became %q", v)
	}
	a2, _ := f.GetCellValue(exporters.SheetReview, "A2")
	if strings.Contains(a2, "kofukin review import") || !strings.Contains(a2, "ウェブサービス") {
		t.Errorf("審査!A2 says %q: want the web service, not the CLI", a2)
	}
	flags, _ := f.GetCellValue(exporters.SheetReview, "K5")
	for _, want := range []string{"推進 目標Ⅳ 指標4 設問a：要介護認定率の変化", "目標Ⅱ 指標2 設問b：個別事例の検討を行っているか", "目標Ⅰ 指標7：回収率（%）"} {
		if !strings.Contains(flags, want) {
			t.Errorf("確認すべき点 %q lacks %q", flags, want)
		}
	}
	for _, id := range []string{"O-4-a", "P2-2-b", "P1-7"} {
		if strings.Contains(flags, id) {
			t.Errorf("確認すべき点 %q names the item id %s", flags, id)
		}
	}
}
