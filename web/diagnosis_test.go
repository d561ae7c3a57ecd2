package web

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kofukin/kofukin/pipeline"
)

// TestDiagnosisPageScope: 鳥取市's 地域診断 is shown to 鳥取市 and to 鳥取県, and nothing of it to
// 米子市 or to 島根県; 鳥取市's page holds nothing of another municipality. Checked by what each page
// contains, not by its status alone.
func TestDiagnosisPageScope(t *testing.T) {
	w := newWorld(t)
	path := "/entity/312011/diagnosis"
	muni, _ := w.client("muni")
	code, page := w.do(muni, "GET", path, nil)
	if code != http.StatusOK {
		t.Fatalf("鳥取市: %d %.300s", code, page)
	}
	for _, want := range []string{"鳥取県鳥取市の地域診断", `<svg class="chart radar"`, `id="peer-items"`, `id="outcomes"`, `<svg class="chart box"`,
		"65歳以上1人あたり交付額", "2026年度のみ", "O-1-a"} {
		if !strings.Contains(page, want) {
			t.Errorf("鳥取市's page lacks %q", want)
		}
	}
	// Its own figures, to look for elsewhere: the yen per person as printed.
	own := between(page, "自団体 <strong>", " 円</strong>")
	if own == "" {
		t.Fatalf("no yen per person on the page")
	}
	for _, other := range []string{"米子市", "312029", "境港市", "312037", "島根"} {
		if strings.Contains(page, other) {
			t.Errorf("鳥取市's page names %q", other)
		}
	}
	if _, entity := w.do(muni, "GET", "/entity/312011", nil); !strings.Contains(entity, `href="/entity/312011/diagnosis"`) {
		t.Errorf("the entity page does not link the diagnosis")
	}
	// An earlier year (?fy=): the same page of that year — here FY2025 has no score run, which it
	// says; a year that is not one, or after the service's, is refused in Japanese; and the year
	// does not widen whose page it is (米子市's FY2025 is still refused to 鳥取市).
	if code, body := w.do(muni, "GET", path+"?fy=2025", nil); code != http.StatusOK || !strings.Contains(body, "の地域診断（2025年度）") || !strings.Contains(body, `id="missing"`) {
		t.Errorf("鳥取市 FY2025: %d %.300s", code, body)
	}
	for _, bad := range []string{"abc", "2027", "1999"} {
		if code, body := w.do(muni, "GET", path+"?fy="+bad, nil); code != http.StatusBadRequest || !strings.Contains(body, "年度") || strings.Contains(body, own) {
			t.Errorf("?fy=%s: %d", bad, code)
		}
	}
	if code, body := w.do(muni, "GET", "/entity/312029/diagnosis?fy=2025", nil); code != http.StatusForbidden || strings.Contains(body, "米子市の地域診断") {
		t.Errorf("米子市 FY2025 to 鳥取市: %d", code)
	}
	pref, _ := w.client("pref")
	if code, body := w.do(pref, "GET", path, nil); code != http.StatusOK || !strings.Contains(body, own+" 円") {
		t.Errorf("鳥取県: %d, its municipality's figure %q shown: %v", code, own, strings.Contains(body, own))
	}
	for _, name := range []string{"othermuni", "otherpref", "centre"} {
		c, _ := w.client(name)
		code, body := w.do(c, "GET", path, nil)
		if code == http.StatusOK || strings.Contains(body, "地域診断（") || strings.Contains(body, own) || strings.Contains(body, "chart radar") {
			t.Errorf("%s: %d and the page shows 鳥取市's diagnosis: %.300s", name, code, body)
		}
	}
	// A care centre or a prefecture has no 地域診断.
	ministry, _ := w.client("ministry")
	if code, _ := w.do(ministry, "GET", "/entity/310000/diagnosis", nil); code != http.StatusNotFound {
		t.Errorf("a prefecture's diagnosis: %d, want 404", code)
	}
}

// TestBrowserDiagnosis renders 鳥取市's 地域診断 in a real headless Chromium: the radar has its four
// series, the page fits a 1,280 px screen, and it prints on A4 (a PDF of at most three pages).
// With KOFUKIN_SCREENSHOTS set, the screenshot and the PDF are written there to be looked at.
func TestBrowserDiagnosis(t *testing.T) {
	exe := chromium(t)
	w := newWorld(t)
	ctx, cancel := browser(t, exe)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(w.srv.URL+"/")); err != nil { // starts the browser: no timeout of its own
		t.Fatal(err)
	}
	for i, step := range []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(`#token`),
		chromedp.SendKeys(`#token`, w.tokens["muni"]), chromedp.Click(`#login`), chromedp.WaitVisible(`#file`),
		chromedp.Navigate(w.srv.URL + "/entity/312011/diagnosis"), chromedp.WaitVisible(`#goals`)} {
		sctx, stop := context.WithTimeout(ctx, 20*time.Second)
		err := chromedp.Do(sctx, step)
		stop()
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	// 4 rings + 4 series.
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelectorAll("svg.radar polygon").length`)); err != nil || n != 8 {
		t.Errorf("radar polygons: %v %v, want 8", n, err)
	}
	if sw, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); err != nil || sw > 1280 {
		t.Errorf("page width %v at 1,280 px: %v", sw, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPrintBackground(), chromedp.PDFPreferCSSPageSize()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("not a PDF: %.20q", pdf)
	}
	// The page count, by poppler's pdfinfo when it is installed.
	if exe, err := exec.LookPath("pdfinfo"); err == nil {
		f := filepath.Join(t.TempDir(), "d.pdf")
		if err := os.WriteFile(f, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(exe, f).Output()
		if err != nil {
			t.Fatal(err)
		}
		var pages int
		for _, l := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(l, "Pages:"); ok {
				pages, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if pages < 1 || pages > 3 {
			t.Errorf("the diagnosis prints on %d A4 pages, want 1–3", pages)
		}
	}
	if dir := os.Getenv("KOFUKIN_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "diagnosis.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "diagnosis.pdf"), pdf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A year not comparable with the one before is marked by a break and not joined to it: FY2024 and
// FY2025 joined (one polyline of the points, one of the means), then a break, then FY2026 alone.
func TestTrendSVGBreak(t *testing.T) {
	s := pipeline.TrendSeries{ID: "X", No: "1", Name: "x", Years: []pipeline.TrendYear{
		{FiscalYear: 2024, ID: "X", Points: 2, Max: 4, Mean: 1}, {FiscalYear: 2025, ID: "X", Points: 3, Max: 4, Mean: 2},
		{FiscalYear: 2026, ID: "X", Points: 1, Max: 4, Mean: 2, Break: true}}}
	svg := string(trendSVG(s, []int{2024, 2025, 2026}))
	if strings.Count(svg, `class="break"`) != 1 || strings.Count(svg, "<polyline") != 2 || strings.Count(svg, "<circle") != 3 || !strings.Contains(svg, "比較不可") {
		t.Errorf("trend with a break:\n%s", svg)
	}
	s.Years[2].Break = false
	if svg := string(trendSVG(s, []int{2024, 2025, 2026})); strings.Contains(svg, `class="break"`) || strings.Count(svg, "<polyline") != 2 {
		t.Errorf("trend without a break:\n%s", svg)
	}
}
