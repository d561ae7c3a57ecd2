package exporters_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/exporters"
)

// TestMinistryMarksNonSubmitters: a municipality that submitted no survey is marked 未提出 — a
// grey row in 「市町村」 (whose columns stay exactly the documented ones), 「未提出」 in the last
// column of 「交付額」 — and 「概要」 says how many and how they are shown, beside each pool's note
// (the admission rule of a top-percent pool).
func TestMinistryMarksNonSubmitters(t *testing.T) {
	m := sampleMinistry()
	rule := m.Pools[1].Note
	var out bytes.Buffer
	if err := exporters.WriteMinistry(&out, m); err != nil {
		t.Fatal(err)
	}
	f := openResult(t, out.Bytes())
	muni, err := f.GetRows(exporters.SheetMunicipal)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(muni[0], ","), "都道府県,団体コード,市町村名,第1号被保険者数,推進合計,支援合計,総合計,順位,推進交付額,支援交付額"; got != want {
		t.Errorf("市町村 header %s, want exactly %s", got, want)
	}
	fill := func(sheet, cell string) string {
		id, err := f.GetCellStyle(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(st.Fill.Color, "")
	}
	for _, cell := range []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"} {
		if got := fill(exporters.SheetMunicipal, cell+"3"); got != "D9D9D9" {
			t.Errorf("市町村!%s3 (米子市, 未提出) fill %q, want grey D9D9D9", cell, got)
		}
		if got := fill(exporters.SheetMunicipal, cell+"2"); got != "" {
			t.Errorf("市町村!%s2 (鳥取市, submitted) fill %q, want none", cell, got)
		}
	}
	// The values of the grey row are untouched.
	if muni[2][1] != "312029" || muni[2][8] != "200" {
		t.Errorf("米子市 row %v", muni[2])
	}
	amounts, err := f.GetRows(exporters.SheetAmounts)
	if err != nil {
		t.Fatal(err)
	}
	if h := amounts[0]; h[len(h)-1] != exporters.ColSubmission || len(h) != 13 {
		t.Errorf("交付額 header %v: want 提出状況 added as the 13th, last column", h)
	}
	for i, want := range []string{"", "未提出", ""} {
		got := ""
		if len(amounts[i+1]) == 13 {
			got = amounts[i+1][12]
		}
		if got != want {
			t.Errorf("交付額 row %d (%s): 提出状況 %q, want %q", i+2, amounts[i+1][1], got, want)
		}
	}
	summary, err := f.GetRows(exporters.SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	var legend, note bool
	for _, r := range summary {
		if len(r) >= 2 && r[0] == "調査票未提出の市町村" && r[1] == "1団体（「市町村」シートでは行を灰色で、「交付額」シートでは「提出状況」欄に「未提出」と表示）" {
			legend = true
		}
		if len(r) >= 10 && r[0] == "成果指向型配分枠" && r[9] == rule {
			note = true
		}
	}
	if !legend || !note {
		t.Errorf("概要: legend %v, admission rule %v:\n%v", legend, note, summary)
	}
	// Everyone submitted: no legend.
	for i := range m.Municipal {
		m.Municipal[i].Submitted = true
	}
	out.Reset()
	if err := exporters.WriteMinistry(&out, m); err != nil {
		t.Fatal(err)
	}
	f = openResult(t, out.Bytes())
	summary, _ = f.GetRows(exporters.SheetSummary)
	for _, r := range summary {
		if len(r) > 0 && r[0] == "調査票未提出の市町村" {
			t.Errorf("概要 has a 未提出 legend when everyone submitted: %v", r)
		}
	}
}

// sampleMinistry is a small ministry workbook's data: two grants, an extra pool with its admission
// rule, two municipalities of 鳥取県 (米子市 without a survey) and the prefecture.
func sampleMinistry() exporters.Ministry {
	grants := []exporters.GrantLine{
		{ID: "suishin", Name: "保険者機能強化推進交付金", Short: "推進", BudgetYen: 1000, MunicipalYen: 700, ExtraYen: 300, AllocatedYen: 700},
		{ID: "shien", Name: "介護保険保険者努力支援交付金", Short: "支援", BudgetYen: 500, MunicipalYen: 500, AllocatedYen: 500},
	}
	rule := "上位30%（同点は含める）: 1団体（2団体の50.0%）"
	return exporters.Ministry{
		Title: "令和8年度 交付額算定表", FiscalYear: 2026, EraLabel: "令和8年度", Grants: grants,
		Pools: []exporters.PoolLine{
			{ID: "suishin", Name: "保険者機能強化推進交付金（市町村分）", Grant: "suishin", Level: "市町村", PoolYen: 700, AmountYen: 700, Entities: 2},
			{ID: "outcome", Name: "成果指向型配分枠", Grant: "suishin", Level: "市町村", PoolYen: 300, AmountYen: 300, Entities: 1, Note: rule},
		},
		Municipal: []exporters.MunicipalRow{
			{PrefectureName: "鳥取県", Code: "312011", Name: "鳥取市", Insured65: 100, Grants: map[string]float64{"suishin": 200, "shien": 150}, Total: 350, Rank: 1, Submitted: true,
				Yen: map[string]int64{"suishin": 800, "shien": 400}},
			{PrefectureName: "鳥取県", Code: "312029", Name: "米子市", Insured65: 100, Grants: map[string]float64{"suishin": 50, "shien": 25}, Total: 75, Rank: 2, Submitted: false,
				Yen: map[string]int64{"suishin": 200, "shien": 100}},
		},
		Columns:  []exporters.Column{{Key: "total", Name: "総合計", Points: 800}},
		National: []exporters.NationalRow{{PrefectureName: "鳥取県", Code: "312011", Name: "鳥取市", Values: []float64{350}, Rank: 1}},
		Amounts: []exporters.AmountLine{
			{PrefectureName: "鳥取県", Code: "312011", Name: "鳥取市", Level: "市町村", Pool: "成果指向型配分枠", Score: 30, Weight: 100, ProposalYen: 300, AmountYen: 300},
			{PrefectureName: "鳥取県", Code: "312029", Name: "米子市", Level: "市町村", Pool: "保険者機能強化推進交付金（市町村分）", Score: 50, Weight: 100, ProposalYen: 200, AmountYen: 200},
			{PrefectureName: "", Code: "310000", Name: "鳥取県", Level: "都道府県", Pool: "保険者機能強化推進交付金（都道府県分）", Score: 400, Weight: 1000, ProposalYen: 50, AmountYen: 50},
		},
	}
}

// TestWorkbookDimensions: every sheet of every workbook declares in <dimension> a range that holds
// all its values, so a reader that trusts it (openpyxl read-only) sees every cell. The stream
// writer declared "A1" whatever it wrote.
func TestWorkbookDimensions(t *testing.T) {
	var out bytes.Buffer
	if err := exporters.WriteMinistry(&out, sampleMinistry()); err != nil {
		t.Fatal(err)
	}
	checkDimensions(t, "ministry", out.Bytes())
	out.Reset()
	if err := exporters.WriteReview(&out, sampleReview()); err != nil {
		t.Fatal(err)
	}
	checkDimensions(t, "review", out.Bytes())
}

// checkDimensions compares each sheet's declared dimension with the cells that hold a value: the
// range must hold them all and end on the last row that has one.
func checkDimensions(t *testing.T, book string, data []byte) {
	t.Helper()
	f := openResult(t, data)
	for _, sheet := range f.GetSheetList() {
		dim, err := f.GetSheetDimension(sheet)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		lastRow, lastCol := 0, 0
		for i, r := range rows {
			for j, v := range r {
				if v != "" {
					lastRow, lastCol = i+1, max(lastCol, j+1)
				}
			}
		}
		if lastRow == 0 {
			continue
		}
		ref := strings.Split(dim, ":")
		col, row, err := excelize.CellNameToCoordinates(ref[len(ref)-1])
		if err != nil {
			t.Fatalf("%s!%s: dimension %q: %v", book, sheet, dim, err)
		}
		if want, _ := excelize.CoordinatesToCellName(lastCol, lastRow); row != lastRow || col < lastCol {
			t.Errorf("%s!%s: <dimension ref=%q>, but values reach row %d and column %d (%s)", book, sheet, dim, lastRow, lastCol, want)
		}
	}
}
