package web

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWalkMunicipal walks a municipal official's day in a real headless Chromium: sign in, send a
// workbook with an error and see the cell, download the marked copy, send the fix, see the 試算 of
// the new version (computed in the background) and the points of what changed, open the
// item-by-item page, download what was sent; then the same pages on a 390 px phone. Every page
// fits its screen without a horizontal page scroll.
func TestWalkMunicipal(t *testing.T) {
	exe := chromium(t)
	w := newWorld(t).withTrials()
	dir := t.TempDir()
	good := w.workbook("312011")
	answer := "はい"
	if cellOf(t, good, "F7") == "はい" {
		answer = "いいえ"
	}
	fix := edited(t, good, "F7", answer)
	badPath, fixPath := filepath.Join(dir, "鳥取市_誤り.xlsx"), filepath.Join(dir, "鳥取市_修正.xlsx")
	os.WriteFile(badPath, edited(t, good, "F7", "たぶん"), 0o644)
	os.WriteFile(fixPath, fix, 0o644)
	shots := os.Getenv("KOFUKIN_SCREENSHOTS")
	ctx, cancel := browser(t, exe)
	defer cancel()
	shot := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, "municipal-"+name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		// The first screen as well: a long page's full screenshot is too tall to read.
		if png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			err = os.WriteFile(filepath.Join(shots, "municipal-"+name+"-screen.png"), png, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	eval := func(js string) float64 {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	href := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+"`"+sel+"`"+`).getAttribute("href")`))
		if err != nil {
			t.Fatalf("href of %s: %v", sel, err)
		}
		return s
	}
	fits := func(page string, width float64) {
		t.Helper()
		if sw := eval(`document.documentElement.scrollWidth`); sw > width {
			t.Errorf("%s is %v px wide at %v px (a horizontal page scroll)", page, sw, width)
		}
	}
	muni, _ := w.client("muni") // the same official's session, for HTTP checks of the downloads
	download := func(path string) []byte {
		t.Helper()
		u, err := url.Parse(w.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := muni.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte("PK")) {
			t.Errorf("%s: %d, %d bytes, not a workbook", path, resp.StatusCode, len(b))
		}
		return b
	}

	// 1. The workbook with an error: the cell, and the marked copy.
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.srv.URL+"/"), chromedp.WaitVisible(`#token`),
		chromedp.SendKeys(`#token`, w.tokens["muni"]), chromedp.Click(`#login`),
		chromedp.WaitVisible(`#file`),
	)
	if err != nil {
		t.Fatal(err)
	}
	shot("1-entity-before")
	fits("the entity page", 1280)
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(`#file`, []string{badPath}), chromedp.Click(`#submit`), chromedp.WaitVisible(`#problems`)); err != nil {
		t.Fatal(err)
	}
	shot("2-error")
	fits("the error report", 1280)
	if cells := text(`#problems`); !strings.Contains(cells, "F7") || !strings.Contains(cells, "「はい」又は「いいえ」") {
		t.Errorf("the error report does not show the cell and the message: %q", cells)
	}
	download(href(`#annotated`))

	// 2. The fix: accepted, 試算中… then the 試算 of version 2 with the points of the change.
	err = chromedp.Do(ctx,
		chromedp.Navigate(w.srv.URL+"/entity/312011"), chromedp.WaitVisible(`#file`),
		chromedp.SetUploadFiles(`#file`, []string{fixPath}), chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#result`),
		chromedp.WaitVisible(`#trial`), // the page reloads itself while 試算中…
	)
	if err != nil {
		t.Fatal(err)
	}
	shot("3-trial")
	fits("the upload result", 1280)
	uploadPath, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	if r := text(`#result`); !strings.Contains(r, "受け付けました（第2版）") {
		t.Errorf("result %q", r)
	}
	if n := text(`#trial-note`); !strings.Contains(n, "試算（第2版、") || !strings.Contains(n, "正式な採点ではありません") {
		t.Errorf("the 試算 is not marked: %q", n)
	}
	changes := text(`#changes`)
	want := "4\t0\t−4"
	if answer == "はい" {
		want = "0\t4\t+4"
	}
	if !strings.Contains(changes, "P1-1-a") || !strings.Contains(changes, want) {
		t.Errorf("the change list lacks P1-1-a's points %q: %q", want, changes)
	}
	if d := text(`#total-delta`); !strings.Contains(d, "差 "+strings.Split(want, "\t")[2]+" 点") {
		t.Errorf("total difference %q", d)
	}

	// 3. The entity page: the 試算 beside the official score; the item page; what it sent.
	if err := chromedp.Do(ctx, chromedp.Navigate(w.srv.URL+"/entity/312011"), chromedp.WaitVisible(`#trial`)); err != nil {
		t.Fatal(err)
	}
	shot("4-entity-after")
	fits("the entity page", 1280)
	if p := text(`#preview`); !strings.Contains(p, "総合計") {
		t.Errorf("the official score is gone: %q", p)
	}
	if got := download(href(`a.sent`)); !bytes.Equal(got, fix) {
		t.Errorf("the file sent differs from what was uploaded (%d bytes, sent %d)", len(got), len(fix))
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#items-link`), chromedp.WaitVisible(`#item-P1-1-a`)); err != nil {
		t.Fatal(err)
	}
	shot("5-items")
	fits("the item page", 1280)
	if s := text(`#source`); !strings.Contains(s, "試算（第2版、") {
		t.Errorf("the item page does not say its points are the 試算 of version 2: %q", s)
	}
	if row := text(`#item-P1-1-a`); !strings.Contains(row, answer) || !strings.Contains(row, map[string]string{"はい": "4 / 4", "いいえ": "0 / 4"}[answer]) {
		t.Errorf("P1-1-a: %q", row)
	}

	// 4. A phone: 390 × 844.
	for _, p := range []struct{ name, path, wait string }{
		{"6-phone-entity", "/entity/312011", `#trial`},
		{"7-phone-items", "/entity/312011/items", `#item-P1-1-a`},
		{"8-phone-upload", uploadPath, `#trial`},
	} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(w.srv.URL+p.path), chromedp.WaitVisible(p.wait)); err != nil {
			t.Fatal(err)
		}
		shot(p.name)
		fits(p.path+" on a phone", 390)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(w.srv.URL+"/entity/312011"), chromedp.WaitVisible(`#submit`)); err != nil {
		t.Fatal(err)
	}
	for _, sel := range []string{"#submit", "#file", "#items-link", "header a", "header button"} {
		if h := eval(`document.querySelector("` + sel + `").getBoundingClientRect().height`); h < 40 {
			t.Errorf("%s is %v px high on a phone, want ≥ 40 to tap", sel, h)
		}
	}
}
