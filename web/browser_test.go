package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds Debian's headless browser; CI installs it (.ci/run), so there a missing browser
// fails the test instead of skipping it.
func chromium(t *testing.T) string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (.ci/run installs Debian's chromium)")
	}
	t.Skip("chromium is not installed; apt-get install chromium to run the browser test")
	return ""
}

func browser(t *testing.T, exe string) (context.Context, context.CancelFunc) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	return ctx, func() { cancelT(); cancelC(); cancelA() }
}

// TestBrowserUploadFixConfirm drives a real headless Chromium: a municipal user signs in, uploads a
// workbook with an error and sees the cell reference, uploads the fix; a prefectural user confirms it.
func TestBrowserUploadFixConfirm(t *testing.T) {
	exe := chromium(t)
	w := newWorld(t)
	dir := t.TempDir()
	good := w.workbook("312011")
	badPath, fixPath := filepath.Join(dir, "鳥取市_誤り.xlsx"), filepath.Join(dir, "鳥取市_修正.xlsx")
	os.WriteFile(badPath, edited(t, good, "F7", "たぶん"), 0o644)
	os.WriteFile(fixPath, edited(t, good, "F7", "いいえ"), 0o644)

	ctx, cancel := browser(t, exe)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.srv.URL+"/"),
		chromedp.WaitVisible(`#token`),
		chromedp.SendKeys(`#token`, w.tokens["muni"]),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(`#file`),
		chromedp.SetUploadFiles(`#file`, []string{badPath}),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#problems`),
	)
	if err != nil {
		t.Fatal(err)
	}
	cells, err := chromedp.Run(ctx, chromedp.Text(`#problems`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(w.srv.URL+"/home"),
		chromedp.WaitVisible(`#file`),
		chromedp.SetUploadFiles(`#file`, []string{fixPath}),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#result`),
	)
	if err != nil {
		t.Fatal(err)
	}
	result, err := chromedp.Run(ctx, chromedp.Text(`#result`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cells, "F7") || !strings.Contains(cells, "「はい」又は「いいえ」") {
		t.Errorf("the error report does not show the cell and the message: %q", cells)
	}
	if !strings.Contains(result, "受け付けました") {
		t.Errorf("the fixed workbook was not accepted: %q", result)
	}

	pctx, pcancel := browser(t, exe)
	defer pcancel()
	err = chromedp.Do(pctx,
		chromedp.Navigate(w.srv.URL+"/login"),
		chromedp.WaitVisible(`#token`),
		chromedp.SendKeys(`#token`, w.tokens["pref"]),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(`#m312011`),
		chromedp.SetValue(`#m312011 select[name=status]`, "確認済"),
		chromedp.Click(`#m312011 button`),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The form posts and the page reloads with the new status: wait for it.
	var status string
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if status, err = chromedp.Run(pctx, chromedp.Text(`#m312011 .status`)); err == nil && strings.Contains(status, "確認済") {
			break
		}
	}
	if dir := os.Getenv("KOFUKIN_SCREENSHOTS"); dir != "" {
		if png, err := chromedp.Run(pctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(dir, "prefecture.png"), png, 0o644)
		}
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(dir, "upload.png"), png, 0o644)
		}
	}
	if !strings.Contains(status, "確認済") {
		t.Errorf("the prefecture's confirmation does not show: %q", status)
	}
	reviews, _ := w.s.Runner.Store.Submissions().Reviews(context.Background(), 2026)
	if reviews["312011"].Status != "確認済" {
		t.Errorf("stored verdict %+v", reviews["312011"])
	}
}

// TestBrowserEquityMap renders a prefecture's equity page in headless Chromium: the tile map's 47
// tiles and the concentration curve are laid out (non-empty boxes, the tiles on distinct squares),
// and each tile carries its name and value for hovering. With KOFUKIN_SCREENSHOTS set, the page is
// saved as equity.png to look at.
func TestBrowserEquityMap(t *testing.T) {
	exe := chromium(t)
	w := newWorld(t)
	ctx, cancel := browser(t, exe)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.srv.URL+"/login"),
		chromedp.WaitVisible(`#token`),
		chromedp.SendKeys(`#token`, w.tokens["pref"]),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(`#equity`),
		chromedp.Navigate(w.srv.URL+"/prefecture/310000/equity?m=ypp"),
		chromedp.WaitVisible(`#map svg`),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Distinct tile positions with a real size, the curve's polyline drawn, and the hover text.
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const tiles = [...document.querySelectorAll('#map g.tile rect')];
		const pos = new Set(tiles.map(r => { const b = r.getBoundingClientRect(); return b.width > 20 && b.height > 20 ? Math.round(b.x) + ',' + Math.round(b.y) : 'empty'; }));
		const line = document.querySelector('#curve polyline');
		const lb = line ? line.getBoundingClientRect() : {width: 0, height: 0};
		const tip = document.querySelector('#map g.tile[data-pref="31"] title');
		return tiles.length + ' ' + pos.size + ' ' + (pos.has('empty') ? 'empty' : 'sized') + ' ' + (lb.width > 100 && lb.height > 100 ? 'curve' : 'nocurve') + ' ' + (tip ? tip.textContent : '');
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "47 47 sized curve 鳥取県：") {
		t.Errorf("the map and curve as laid out: %q", got)
	}
	if dir := os.Getenv("KOFUKIN_SCREENSHOTS"); dir != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(dir, "equity.png"), png, 0o644)
		}
	}
}
