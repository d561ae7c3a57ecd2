package exporters_test

import (
	"bytes"
	"strconv"
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
	marks := map[string]string{}
	for _, r := range amounts[1:] {
		if len(r) > 1 && r[1] != "" {
			marks[r[1]] = ""
			if len(r) == 13 {
				marks[r[1]] = r[12]
			}
		}
	}
	for code, want := range map[string]string{"312011": "", "312029": "未提出", "310000": ""} {
		if got, ok := marks[code]; !ok || got != want {
			t.Errorf("交付額 row of %s: 提出状況 %q (listed %v), want %q", code, got, ok, want)
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

// TestMinistryThousandsRule: 「交付額」's 確定額（千円） is each amount truncated to 千円, and what
// that costs each pool is stated: Σ of a pool's 千円 column = its 確定額合計 in 千円 + the 差 that
// 「概要」 states and that the row under the pool's 合計 repeats. The sheet is in grant order (the
// 推進 pools, its extra pool among them, before 支援), with a 小計 per prefecture in a municipal
// pool, a 合計 per pool and a 総計.
func TestMinistryThousandsRule(t *testing.T) {
	m := sampleMinistry()
	m.Pools = append(m.Pools, exporters.PoolLine{ID: "shien", Name: "介護保険保険者努力支援交付金（市町村分）", Grant: "shien", Level: "市町村", PoolYen: 500, AmountYen: 500, Entities: 2},
		exporters.PoolLine{ID: "suishin_pref", Name: "保険者機能強化推進交付金（都道府県分）", Grant: "suishin", Level: "都道府県", PoolYen: 50, AmountYen: 50, Entities: 1})
	m.Amounts = []exporters.AmountLine{
		{PrefectureName: "鳥取県", Code: "310000", Name: "鳥取県", Level: "都道府県", Pool: "保険者機能強化推進交付金（都道府県分）", AmountYen: 11615773, ProposalYen: 11615773},
		{PrefectureName: "島根県", Code: "322016", Name: "松江市", Level: "市町村", Pool: "介護保険保険者努力支援交付金（市町村分）", AmountYen: 2999, ProposalYen: 2999},
		{PrefectureName: "鳥取県", Code: "312029", Name: "米子市", Level: "市町村", Pool: "介護保険保険者努力支援交付金（市町村分）", AmountYen: 1999, ProposalYen: 1999},
		{PrefectureName: "鳥取県", Code: "312011", Name: "鳥取市", Level: "市町村", Pool: "介護保険保険者努力支援交付金（市町村分）", AmountYen: 5002, ProposalYen: 5002},
		{PrefectureName: "鳥取県", Code: "312029", Name: "米子市", Level: "市町村", Pool: "成果指向型配分枠", AmountYen: 300700, ProposalYen: 300700},
		{PrefectureName: "鳥取県", Code: "312011", Name: "鳥取市", Level: "市町村", Pool: "保険者機能強化推進交付金（市町村分）", AmountYen: 2716562681, ProposalYen: 2716562681},
		{PrefectureName: "鳥取県", Code: "312029", Name: "米子市", Level: "市町村", Pool: "保険者機能強化推進交付金（市町村分）", AmountYen: 2546049857, ProposalYen: 2546049857},
	}
	var out bytes.Buffer
	if err := exporters.WriteMinistry(&out, m); err != nil {
		t.Fatal(err)
	}
	f := openResult(t, out.Bytes())
	rows, err := f.GetRows(exporters.SheetAmounts, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("%q is not a whole number", s)
		}
		return n
	}
	type poolSums struct{ yen, thousands, total, totalThousands, diff int64 }
	got := map[string]*poolSums{}
	var order, kinds []string
	for _, r := range rows[1:] {
		kind, pool := r[3], r[4]
		kinds = append(kinds, kind)
		if got[pool] == nil && pool != "" {
			got[pool] = &poolSums{}
			order = append(order, pool)
		}
		switch kind {
		case "市町村", "都道府県":
			got[pool].yen += num(r[9])
			got[pool].thousands += num(r[10])
			if want := num(r[9]) / 1000; num(r[10]) != want {
				t.Errorf("%s %s: 千円 %s, want %d (truncated)", pool, r[1], r[10], want)
			}
		case exporters.AmountTotal:
			got[pool].total, got[pool].totalThousands = num(r[9]), num(r[10])
		case exporters.AmountDifference:
			got[pool].diff = num(r[10])
		}
	}
	wantOrder := []string{"保険者機能強化推進交付金（市町村分）", "成果指向型配分枠", "保険者機能強化推進交付金（都道府県分）", "介護保険保険者努力支援交付金（市町村分）"}
	if strings.Join(order, ",") != strings.Join(wantOrder, ",") {
		t.Errorf("交付額 in pool order %v, want grant order %v", order, wantOrder)
	}
	wantKinds := "市町村,市町村,小計,合計,千円端数,市町村,小計,合計,千円端数,都道府県,合計,千円端数,市町村,市町村,小計,市町村,小計,合計,千円端数,総計"
	if g := strings.Join(kinds, ","); g != wantKinds {
		t.Errorf("交付額 rows by kind:\n got %s\nwant %s", g, wantKinds)
	}
	// 「概要」 states each pool's difference; the sheet's 合計 and 差 rows agree with it and with the sums.
	summary, _ := f.GetRows(exporters.SheetSummary, excelize.Options{RawCellValue: true})
	stated := map[string][4]int64{}
	in := false
	for _, r := range summary {
		if len(r) > 0 && r[0] == "配分枠" && len(r) > 1 && r[1] == "確定額合計（円）" {
			in = true
			continue
		}
		if in && len(r) < 5 {
			break
		}
		if in {
			stated[r[0]] = [4]int64{num(r[1]), num(r[2]), num(r[3]), num(r[4])}
		}
	}
	if len(stated) != len(wantOrder) {
		t.Fatalf("概要 states the 千円 difference of %d pools, want %d:\n%v", len(stated), len(wantOrder), summary)
	}
	for pool, s := range got {
		st := stated[pool]
		if s.thousands != s.yen/1000+s.diff || s.total != s.yen || s.totalThousands != s.thousands || s.diff > 0 {
			t.Errorf("%s: Σ千円 %d, Σ円 %d (合計 %d, 合計千円 %d), 差 %d", pool, s.thousands, s.yen, s.total, s.totalThousands, s.diff)
		}
		if st != [4]int64{s.yen, s.yen / 1000, s.thousands, s.diff} {
			t.Errorf("%s: 概要 states %v, the sheet sums to %d円, %d千円, 差 %d", pool, st, s.yen, s.thousands, s.diff)
		}
	}
	if d := got["保険者機能強化推進交付金（市町村分）"].diff; d != -1 {
		t.Errorf("推進 市町村分: 差 %d千円, want -1 (2,716,562.681 + 2,546,049.857 = 5,262,612.538 → 5,262,611 in the column)", d)
	}
}

// TestMinistryFormats: counts are whole numbers, shares percentages, manifest numbers numbers;
// every sheet prints landscape with its header rows repeated; 市町村 and 交付額 have filters.
func TestMinistryFormats(t *testing.T) {
	m := sampleMinistry()
	m.Columns[0].Stats = exporters.ColumnStats{Count: 1200, N: 1741}
	m.Summary = []exporters.SummaryLine{{Label: "対象市町村数", Value: 1741}, {Label: "都道府県分の割合", Value: exporters.Percent(0.05)}, {Label: "プログラム版", Value: "開発版"}}
	var out bytes.Buffer
	if err := exporters.WriteMinistry(&out, m); err != nil {
		t.Fatal(err)
	}
	f := openResult(t, out.Bytes())
	// The national sheet's statistics start on row 9 with 配点; 該当市町村数 is the 7th.
	if v, _ := f.GetCellValue(exporters.SheetNational, "H15"); v != "1,200" {
		t.Errorf("該当市町村数 shows %q, want 1,200", v)
	}
	summary, _ := f.GetRows(exporters.SheetSummary)
	vals := map[string]string{}
	for i, r := range summary {
		if len(r) > 1 {
			vals[r[0]] = r[1]
			if r[0] == "対象市町村数" {
				if typ, _ := f.GetCellType(exporters.SheetSummary, "B"+strconv.Itoa(i+1)); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
					t.Errorf("対象市町村数 is stored as %v, want a number", typ)
				}
			}
		}
	}
	if vals["対象市町村数"] != "1,741" || vals["都道府県分の割合"] != "5%" {
		t.Errorf("概要 shows 対象市町村数 %q, 都道府県分の割合 %q; want 1,741 and 5%%", vals["対象市町村数"], vals["都道府県分の割合"])
	}
	for _, r := range summary {
		for _, c := range r {
			for _, english := range []string{"allocation run", "score run", "(devel)", "centre "} {
				if strings.Contains(c, english) {
					t.Errorf("概要 shows %q", c)
				}
			}
		}
	}
	titles := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.Scope] = dn.RefersTo
		}
	}
	for _, sheet := range f.GetSheetList() {
		lo, err := f.GetPageLayout(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if lo.Orientation == nil || *lo.Orientation != "landscape" || lo.Size == nil || (*lo.Size != 8 && *lo.Size != 9) {
			t.Errorf("%s prints %v on paper %v, want landscape A4 or A3", sheet, lo.Orientation, lo.Size)
		}
		if props, err := f.GetSheetProps(sheet); sheet != exporters.SheetNational && (err != nil || props.FitToPage == nil || !*props.FitToPage) {
			t.Errorf("%s is not fitted to the page's width (%v)", sheet, err)
		}
		if sheet != exporters.SheetSummary && titles[sheet] == "" {
			t.Errorf("%s repeats no header rows on each page", sheet)
		}
	}
	for _, sheet := range []string{exporters.SheetMunicipal, exporters.SheetAmounts} {
		if !hasAutoFilter(t, out.Bytes(), sheet) {
			t.Errorf("%s has no autofilter", sheet)
		}
	}
}

// hasAutoFilter says whether the sheet's XML has an <autoFilter> on its header row.
func hasAutoFilter(t *testing.T, data []byte, sheet string) bool {
	t.Helper()
	f := openResult(t, data)
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" && dn.Scope == sheet && strings.Contains(dn.RefersTo, "$A$1:") {
			return true
		}
	}
	return false
}
