package exporters_test

import (
	"archive/zip"
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/kofukin/kofukin/exporters"
	"github.com/xuri/excelize/v2"
)

func f64(v float64) *float64 { return &v }

func sampleImpact() exporters.ImpactSheet {
	return exporters.ImpactSheet{
		Action: "S1-8-a 通いの場", Outcome: "O-1-a 維持・改善", Rule: "10 以上", Years: "2024–2026年度", Unit: "%", ChangeUnit: "ポイント",
		Rows: []exporters.ImpactSheetYear{{Label: "2025", Treated: 2, Controls: 3, MeanTreated: f64(4.5), MeanControls: f64(1), Raw: f64(3.5), Band: f64(3.75)},
			{Label: "全体", Treated: 3, Controls: 5, Raw: f64(9.5 / 3), Band: f64(3.5), PreTreated: 1, PreControls: 2, PreBand: f64(-1)}},
		Estimates: []exporters.ImpactSheetEstimate{{Label: "推定（規模区分調整）", Estimate: f64(3.5), Lo: f64(2.5), Hi: f64(5), Reading: "r"}, {Label: "事前", Reading: "推定できません"}},
		Trends: []exporters.ImpactSheetTrend{{FY: 2024, Group: "途中から実施", N: 3, Mean: f64(60)}, {FY: 2024, Group: "実施なし", N: 3, Mean: f64(30)},
			{FY: 2025, Group: "途中から実施", N: 3, Mean: f64(63)}, {FY: 2025, Group: "実施なし", N: 3}},
		Relations: []exporters.ImpactSheetRelation{{FY: 2025, ID: "K", No: "1", Name: "=HYPERLINK(\"x\")", N: 7, MeanPoints: 4.29, Slope: f64(-0.325)}},
		Caveats:   []string{"これは観察データによる推定です。"},
	}
}

// 「効果検証」 alone and in the ministry workbook: the estimate, the years, the groups' means under
// a native line chart, an indicator's name kept as text (not a formula), the cautions.
func TestImpactSheet(t *testing.T) {
	var alone, ministry bytes.Buffer
	if err := exporters.WriteImpact(&alone, sampleImpact()); err != nil {
		t.Fatal(err)
	}
	m := sampleMinistry()
	s := sampleImpact()
	m.Impact = &s
	if err := exporters.WriteMinistry(&ministry, m); err != nil {
		t.Fatal(err)
	}
	for name, buf := range map[string][]byte{"alone": alone.Bytes(), "ministry": ministry.Bytes()} {
		f, err := excelize.OpenReader(bytes.NewReader(buf))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(exporters.SheetImpact)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var text strings.Builder
		for _, r := range rows {
			text.WriteString(strings.Join(r, "|") + "\n")
		}
		for _, want := range []string{"推定（規模区分調整）|+3.50|+2.50|+5.00|r", "2025|2|3|+4.50|+1.00|+3.50|+3.75|0|0|—", "全体|3|5|—|—|+3.17|+3.50|1|2|-1.00",
			"2024|60.00|30.00", "2025|63.00|—", "事前|—|—|—|推定できません", "・これは観察データによる推定です。"} {
			if !strings.Contains(text.String(), want) {
				t.Errorf("%s: 効果検証 lacks %q:\n%s", name, want, text.String())
			}
		}
		if v, err := f.GetCellFormula(exporters.SheetImpact, "D"+rowOf(rows, "2025→2026")); err != nil || v != "" {
			t.Errorf("%s: an indicator name became a formula %q (%v)", name, v, err)
		}
		charts := 0
		z, err := zip.NewReader(bytes.NewReader(buf), int64(len(buf)))
		if err != nil {
			t.Fatal(err)
		}
		for _, zf := range z.File {
			if strings.HasPrefix(zf.Name, "xl/charts/chart") {
				charts++
			}
		}
		if charts != 1 {
			t.Errorf("%s: %d charts, want the one line chart", name, charts)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Without an assessment the ministry workbook has no such sheet.
	var plain bytes.Buffer
	if err := exporters.WriteMinistry(&plain, sampleMinistry()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&plain)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if i, _ := f.GetSheetIndex(exporters.SheetImpact); i >= 0 {
		t.Errorf("a ministry workbook without an assessment has 「効果検証」")
	}
}

// rowOf is the row number (as text) of the first row starting with first.
func rowOf(rows [][]string, first string) string {
	for i, r := range rows {
		if len(r) > 0 && r[0] == first {
			return strconv.Itoa(i + 1)
		}
	}
	return "0"
}
