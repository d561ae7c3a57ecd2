package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// Issue 14's walk-through as its users: what the pages must contain so that each can go on from
// where they are.

// A prefecture's equity page links each of its municipalities to its 地域診断, and the link opens
// it; no link leads to another prefecture's municipality.
func TestEquityLinksToDiagnosis(t *testing.T) {
	w := newWorld(t)
	pref, _ := w.client("pref")
	code, body := w.do(pref, "GET", "/prefecture/310000/equity", nil)
	if code != http.StatusOK {
		t.Fatalf("prefecture equity page: %d", code)
	}
	links := regexp.MustCompile(`href="/entity/(\d{6})/diagnosis"`).FindAllStringSubmatch(body, -1)
	seen := map[string]bool{}
	for _, l := range links {
		if !strings.HasPrefix(l[1], "31") {
			t.Errorf("a link to another prefecture's diagnosis: %s", l[1])
		}
		seen[l[1]] = true
	}
	if len(seen) != 19 || !seen["312011"] {
		t.Fatalf("links to %d of 鳥取県's 19 municipalities' diagnoses (鳥取市 %v)", len(seen), seen["312011"])
	}
	if code, body := w.do(pref, "GET", "/entity/312011/diagnosis", nil); code != http.StatusOK || !strings.Contains(body, "鳥取市の地域診断") {
		t.Errorf("the link does not open 鳥取市's diagnosis: %d", code)
	}
	min, _ := w.client("ministry")
	if _, body := w.do(min, "GET", "/ministry/equity", nil); !strings.Contains(body, `<table id="support">`) {
		t.Error("the national page has no support list")
	}
}

// A year scored but not allocated (the multi-year demo's FY2024 and FY2025): the equity page says
// why its yen columns are empty instead of printing 「—円」, and says in Japanese what the figures
// cannot say (not a pointer to the English README).
func TestEquityYearWithoutAllocation(t *testing.T) {
	w := newWorld(t)
	v := &pipeline.EquityView{National: true, Years: []int{2024}, Latest: 2024, Groups: []store.EquityGroup{
		{FiscalYear: 2024, Dim: "nation", Key: "", Label: "全国", N: 3, MeanRate: "0.43", WeightedRate: "0.44", Low: 0, Allocated: 0},
	}}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/ministry/equity?fy=2024", nil)
	w.s.renderEquity(rec, req, request{p: kofukin.Principal{Role: kofukin.RoleMinistry}}, v)
	body := rec.Body.String()
	if !strings.Contains(body, "2024年度は採点のみで、交付額の算定がありません") || strings.Contains(body, "—円") {
		t.Errorf("the page does not say FY2024 has no allocation (or prints —円): %d", rec.Code)
	}
	if strings.Contains(body, "README") || !strings.Contains(body, "原因を示すものではありません") {
		t.Error("the page points to the README instead of saying what the figures cannot say")
	}
	min, _ := w.client("ministry")
	if _, body := w.do(min, "GET", "/ministry/equity", nil); strings.Contains(body, `id="no-yen"`) {
		t.Error("an allocated year is said to have no allocation")
	}
}

// A municipality's 地域診断 tells it how to read the radar in Japanese (not a pointer to the
// English README), and its 地域の指標 print the medians as its own value is printed: the same
// unit, no trailing zeros (the median of 25, 28.1 and 31.3 is 28.1 %, not 「28.10」).
func TestDiagnosisReadingAndLocalIndicators(t *testing.T) {
	w := newWorld(t)
	csv := filepath.Join(t.TempDir(), "local.csv")
	if err := os.WriteFile(csv, []byte("年度,市町村コード,基準日,出典,高齢者の独居率（%）\n"+
		"2026,312011,2025-03-31,ニーズ調査,25.0\n2026,312029,2025-03-31,ニーズ調査,28.1\n2026,312037,2025-03-31,ニーズ調査,31.3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rep, err := w.s.Runner.Ingest(context.Background(), []string{csv}, pipeline.IngestOptions{FiscalYear: 2026}); err != nil || rep.Accepted != 1 {
		t.Fatalf("local indicators: %v", err)
	}
	muni, _ := w.client("muni")
	code, page := w.do(muni, "GET", "/entity/312011/diagnosis", nil)
	if code != http.StatusOK {
		t.Fatalf("diagnosis: %d", code)
	}
	if strings.Contains(page, "README") || !strings.Contains(page, `id="radar-reading"`) || !strings.Contains(page, "同じくらいの規模の市町村と比べて得点率が低い目標") {
		t.Error("the diagnosis does not say in Japanese how to read the radar")
	}
	row := between(page, "<td>高齢者の独居率</td>", "</tr>")
	if !strings.Contains(row, "25 %") || !strings.Contains(row, "28.1 %（3団体）") || strings.Contains(row, "28.10") {
		t.Errorf("the local indicator's row: %q", row)
	}
}

// The impact page in the words its reader knows: a one-year range is 「2026年度」 (not
// 「2026–2026年度」), a year without a score run is said to have no 採点実行, and the 全体 row
// of the years' table says why its two changes do not subtract to the estimate.
func TestImpactPageWording(t *testing.T) {
	w := impactWorld(t)
	min, _ := w.client("ministry")
	_, page := w.do(min, "GET", "/ministry/impact", nil)
	if !strings.Contains(page, `id="impact-pooled-note"`) || !strings.Contains(page, "この行の二つの変化の差とは一致しません") {
		t.Error("the years' table does not explain its 全体 row")
	}
	code, page := w.do(min, "GET", "/ministry/impact?years=2026", nil)
	if code != http.StatusOK || strings.Contains(page, "2026–2026") || !strings.Contains(page, "<dd>2026年度、") {
		t.Errorf("one year: %d, or printed as a range", code)
	}
	code, page = w.do(min, "GET", "/ministry/impact?years=2023-2026", nil)
	if code != http.StatusOK || !strings.Contains(page, "2023年度の採点実行がないため") || strings.Contains(page, "得点の実行") {
		t.Errorf("2023-2026: %d, or the missing run is not said in the console's words", code)
	}
}

// The radar's scale (25 % … 100 %) is drawn over the series, so that the means' lines do not hide
// it: every scale label comes after the last polygon of the chart.
func TestRadarScaleOnTop(t *testing.T) {
	svg := string(radarSVG([]exporters.FeedbackGoal{{Label: "推進 目標Ⅰ", Rate: 0.5, National: 0.5, Pref: 0.5, SizeBand: 0.5},
		{Label: "推進 目標Ⅱ", Rate: 0.5, National: 0.5, Pref: 0.5, SizeBand: 0.5}, {Label: "支援 目標Ⅰ", Rate: 0.5, National: 0.5, Pref: 0.5, SizeBand: 0.5}}))
	last := strings.LastIndex(svg, "<polygon")
	for _, l := range []string{">25%</text>", ">50%</text>", ">75%</text>", ">100%</text>"} {
		if i := strings.Index(svg, l); i < last {
			t.Errorf("the scale label %s is drawn under the series (at %d, last polygon at %d)", l, i, last)
		}
	}
}

// Each goal's label sits outside the radar's rim (the rim is 140 from the centre at 260,200; the
// labels were clamped onto it, over the 100 % ring and its scale).
func TestRadarLabelsOutsideRim(t *testing.T) {
	svg := string(radarSVG([]exporters.FeedbackGoal{{Label: "推進 目標Ⅰ", Rate: 0.5}, {Label: "推進 目標Ⅱ", Rate: 0.5}, {Label: "支援 目標Ⅰ", Rate: 0.5}, {Label: "支援 目標Ⅱ", Rate: 0.5}}))
	// Four goals: the first axis points up, so its label's y is above the rim's top (200 − 140 = 60).
	if !strings.Contains(svg, `<text x="260" y="41.8" text-anchor="middle" dominant-baseline="middle">推進 目標Ⅰ</text>`) {
		t.Errorf("the top goal's label is not at 1.13 × the rim (y 41.8): %s", svg)
	}
	// The second points right: x = 260 + 1.13 × 140 = 418.2.
	if !strings.Contains(svg, `<text x="418.2" y="200" text-anchor="start" dominant-baseline="middle">推進 目標Ⅱ</text>`) {
		t.Errorf("the right goal's label is not outside the rim (x 418.2)")
	}
}

// The box charts of the outcomes and of yen per person are drawn at the size they are shown
// (300 px wide on the screen, 280 on A4) with 12-unit text, every label inside: drawn 420 wide with
// 10-unit text and shrunk, their labels printed about 5 pt high.
func TestBoxChartReadableSize(t *testing.T) {
	svg := string(boxSVG(spread{83, 724.55, 816.55, 928.06, 395, 1126}, 755.46, []mark{{"都道府県", 746.53}, {"全国", 796.77}}, yenWhole))
	if !strings.Contains(svg, `viewBox="0 0 300 72" width="300"`) || !strings.Contains(svg, `font-size="12"`) {
		t.Errorf("the box chart is not drawn at its shown size with 12-unit text: %.200s", svg)
	}
	for _, m := range regexp.MustCompile(`<text x="([0-9.]+)"`).FindAllStringSubmatch(svg, -1) {
		if x, err := strconv.ParseFloat(m[1], 64); err != nil || x < 0 || x > 300 {
			t.Errorf("a label at x %s, outside the chart", m[1])
		}
	}
	for _, want := range []string{"● 自団体 755", "都道府県 747", "全国 797"} {
		if !strings.Contains(svg, want) {
			t.Errorf("no %q", want)
		}
	}
}
