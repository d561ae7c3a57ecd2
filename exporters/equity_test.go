package exporters_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kofukin/kofukin/exporters"
)

// 「公平性」: written only when the view is given, its tables in order with the numbers as numbers,
// a blank cell for an unknown one, the support list's marks, and the curve as a native chart.
func TestMinistryEquitySheet(t *testing.T) {
	m := sampleMinistry()
	var plain bytes.Buffer
	if err := exporters.WriteMinistry(&plain, m); err != nil {
		t.Fatal(err)
	}
	if f := openResult(t, plain.Bytes()); strings.Contains(strings.Join(f.GetSheetList(), ","), exporters.SheetEquity) {
		t.Fatal("「公平性」 written without a view")
	}
	rate, pooled := 0.35, 43.333333
	m.Equity = &exporters.Equity{Years: []int{2026}, Notes: []string{"=注記"},
		Groups: []exporters.EquityGroupLine{{FiscalYear: 2026, Dimension: "規模区分", Label: "3千人未満", N: 2, MeanRate: &rate, PooledYenPer65: &pooled}},
		Support: []exporters.EquitySupportLine{{FiscalYear: 2026, PrefectureName: "鳥取県", Code: "313254", Name: "若桜町", Rate: 0.217, PrevKnown: true},
			{FiscalYear: 2026, PrefectureName: "鳥取県", Code: "313289", Name: "智頭町", Rate: 0.2, Persistent: true, PrevKnown: true}},
		CurveYear: 2026, Curve: []exporters.EquityCurvePoint{{Code: "312011", X: 0.5, Y: 0.4}, {Code: "312029", X: 1, Y: 1}}}
	var out bytes.Buffer
	if err := exporters.WriteMinistry(&out, m); err != nil {
		t.Fatal(err)
	}
	f := openResult(t, out.Bytes())
	rows, err := f.GetRows(exporters.SheetEquity)
	if err != nil {
		t.Fatal(err)
	}
	text := func(r []string) string { return strings.Join(r, "|") }
	var all []string
	for _, r := range rows {
		all = append(all, text(r))
	}
	joined := strings.Join(all, "\n")
	// The note starting with = is text, not a formula; the band row's 得点率 a percentage and the
	// unknown weighted rate blank; the marks 単年 and 継続.
	for _, want := range []string{"'=注記", "2026|規模区分|3千人未満|2|35.0%|", "鳥取県|313254|若桜町|21.7%|単年", "313289|智頭町|20.0%|継続", "0|0||43.33"} {
		if !strings.Contains(joined, want) {
			t.Errorf("「公平性」 lacks %q:\n%s", want, joined)
		}
	}
	charts := 0
	f.Pkg.Range(func(k, _ any) bool {
		if strings.HasPrefix(k.(string), "xl/charts/chart") {
			charts++
		}
		return true
	})
	if charts != 1 {
		t.Errorf("%d charts, want the concentration curve", charts)
	}
	checkDimensions(t, "ministry", out.Bytes())
}

// 「公平性」 with 地域の指標: their table (labelled as data users brought), a blank cell for a group
// without a value, the source and reference dates; the curve's section after it.
func TestMinistryEquitySheetLocal(t *testing.T) {
	m := sampleMinistry()
	mean, rate, yen, r := 25.375, 0.35, 43.333333, -0.8455
	m.Equity = &exporters.Equity{Years: []int{2026},
		Local: []exporters.EquityLocalLine{
			{FiscalYear: 2026, Indicator: "独居率", Unit: "%", Dimension: "全国", Label: "全国", N: 5, NValue: 4, MeanRate: &rate, Corr: &r, Sources: "A町調査、B県統計", AsOf: "2025-10-01～2026-01-01"},
			{FiscalYear: 2026, Indicator: "独居率", Unit: "%", Dimension: "規模区分", Label: "3千人未満", N: 2, NValue: 2, MeanValue: &mean, MeanRate: &rate, PooledYenPer65: &yen, Sources: "A町調査", AsOf: "2025-10-01"},
			{FiscalYear: 2026, Indicator: "独居率", Unit: "%", Dimension: "規模区分", Label: "5万～10万人", N: 1, MeanRate: &rate}},
		CurveYear: 2026, Curve: []exporters.EquityCurvePoint{{Code: "312011", X: 0.5, Y: 0.4}, {Code: "312029", X: 1, Y: 1}}}
	var out bytes.Buffer
	if err := exporters.WriteMinistry(&out, m); err != nil {
		t.Fatal(err)
	}
	rows, err := openResult(t, out.Bytes()).GetRows(exporters.SheetEquity)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, r := range rows {
		all = append(all, strings.Join(r, "|"))
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{"5. 地域の指標（利用者が持ち込んだデータ。採点・交付額には使用していません）",
		"2026|独居率|%|全国|全国|5|4||35.0%||-0.8455|A町調査、B県統計|2025-10-01～2026-01-01",
		"2026|独居率|%|規模区分|3千人未満|2|2|25.3750|35.0%|43.33||A町調査|2025-10-01",
		"2026|独居率|%|規模区分|5万～10万人|1|0||35.0%", "6. 集中曲線（2026年度"} {
		if !strings.Contains(joined, want) {
			t.Errorf("「公平性」 lacks %q:\n%s", want, joined)
		}
	}
	checkDimensions(t, "ministry", out.Bytes())
}
