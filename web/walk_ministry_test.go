package web

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWalkMinistry walks a ministry analyst's day in a real headless Chromium: sign in, start a
// dry run and watch its page until it ends, confirm and start a real run, read the Japanese run
// page of its allocation, and compare it with the allocation before (a municipality sent a new
// version meanwhile, so amounts differ). Screenshots go to KOFUKIN_SCREENSHOTS when set.
func TestWalkMinistry(t *testing.T) {
	exe := chromium(t)
	w := newWorld(t).withTrials()
	muni, mcsrf := w.client("muni")
	if code, _ := w.upload(muni, "312011", mcsrf, "鳥取市.xlsx", edited(t, w.workbook("312011"), "F7", "はい")); code != 303 {
		t.Fatalf("upload: %d", code)
	}
	ctx, cancel := ministryBrowser(t, exe, 4*time.Minute)
	defer cancel()
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	step("sign in", chromedp.Navigate(w.srv.URL+"/login"), chromedp.WaitVisible(`#token`),
		chromedp.SendKeys(`#token`, w.tokens["ministry"]), chromedp.Click(`#login`), chromedp.WaitVisible(`#runs`))
	ministryShot(t, ctx, "ministry_console")
	console := text(`main`)
	for _, want := range []string{"採点", "算定", "出力", "完了", "国（算定結果）", "都道府県 審査用", "分析用"} {
		if !strings.Contains(console, want) {
			t.Errorf("the console lacks %q", want)
		}
	}
	for _, raw := range []string{"succeeded", "allocate", "score run", "upload accepted", " of "} {
		if strings.Contains(console, raw) {
			t.Errorf("the console shows the raw English %q", raw)
		}
	}

	step("open the national status", chromedp.Navigate(w.srv.URL+"/ministry/status"), chromedp.WaitVisible(`#national`))
	ministryShot(t, ctx, "ministry_national_status")
	if s := text(`#p310000`); !strings.Contains(s, "鳥取県") || !strings.Contains(s, "提出済") {
		t.Errorf("鳥取県's status: %q", s)
	}
	step("open the tokens", chromedp.Navigate(w.srv.URL+"/ministry/tokens"), chromedp.WaitVisible(`#tokenlist`))
	ministryShot(t, ctx, "ministry_tokens")
	step("back to the console", chromedp.Navigate(w.srv.URL+"/ministry"), chromedp.WaitVisible(`#dry`))

	// A dry run: the page answers at once and follows the job.
	start := time.Now()
	step("start a dry run", chromedp.Click(`#dry`), chromedp.WaitVisible(`#stages`))
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the dry run held the browser %v", d)
	}
	if !strings.Contains(text(`#stages`), "採点") {
		t.Errorf("the job page lacks its stages: %q", text(`#stages`))
	}
	waitMinistryJob(t, ctx, "ministry_job_running")
	ministryShot(t, ctx, "ministry_job_dry_done")
	if r := text(`#result`); !strings.Contains(r, "試算が終わりました") || !strings.Contains(r, "保険者機能強化推進交付金（市町村分）") {
		t.Errorf("the dry run's result: %.300q", r)
	}

	// A real run: the confirmation first, then the job.
	step("open the confirmation", chromedp.Navigate(w.srv.URL+"/ministry"), chromedp.WaitVisible(`#run`), chromedp.Click(`#run`), chromedp.WaitVisible(`#confirm`))
	ministryShot(t, ctx, "ministry_confirm")
	if c := text(`#confirm`); !strings.Contains(c, "1 件") || !strings.Contains(c, "置き換えられる出力") {
		t.Errorf("the confirmation: %q", c)
	}
	step("confirm", chromedp.Click(`#confirm-run`), chromedp.WaitVisible(`#stages`))
	waitMinistryJob(t, ctx, "")
	ministryShot(t, ctx, "ministry_job_done")
	result, err := chromedp.Run(ctx, chromedp.InnerHTML(`#result`))
	if err != nil {
		t.Fatal(err)
	}
	alloc := regexp.MustCompile(`href="(/ministry/runs/\d+)">算定 \d+</a>`).FindStringSubmatch(result)
	if alloc == nil {
		t.Fatalf("the real run's page has no allocation run link: %.500s", result)
	}

	// The allocation's run page: tables, Japanese, the raw record folded away.
	step("open the allocation run", chromedp.Navigate(w.srv.URL+alloc[1]), chromedp.WaitVisible(`#pools`))
	ministryShot(t, ctx, "ministry_run_allocate")
	page := text(`main`)
	for _, want := range []string{"算定", "完了", "交付金ごとの枠", "配分枠ごとの結果", "採点基準（ルールブック）", "記録の原文（JSON）", "保険者機能強化推進交付金"} {
		if !strings.Contains(page, want) {
			t.Errorf("the run page lacks %q", want)
		}
	}
	if strings.Contains(page, "succeeded") || strings.Contains(page, `"results"`) {
		t.Errorf("the run page shows raw English or unfolded JSON")
	}
	var width float64
	if width, err = chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); err != nil || width > 1300 {
		t.Errorf("the run page is %v px wide (err %v)", width, err)
	}

	// Compare the allocation before with the new one.
	step("compare", chromedp.Navigate(w.srv.URL+"/ministry"), chromedp.WaitVisible(`#compare-go`), chromedp.Click(`#compare-go`), chromedp.WaitVisible(`#pooldiff`))
	ministryShot(t, ctx, "ministry_compare")
	cmp := text(`main`)
	if !strings.Contains(cmp, "配分枠ごとの確定額の合計") || !strings.Contains(cmp, "交付額が変わった団体") || !strings.Contains(cmp, "鳥取市") {
		t.Errorf("the comparison: %.500q", cmp)
	}
}

// waitMinistryJob waits until the job page the browser shows no longer says 実行中 (it reloads itself);
// the first time it sees it running it takes the screenshot named running (if any).
func waitMinistryJob(t *testing.T, ctx context.Context, running string) {
	t.Helper()
	for end := time.Now().Add(3 * time.Minute); ; time.Sleep(300 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the job did not end in 3 minutes")
		}
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("state")||{}).innerText||""`))
		if err != nil || s == "" { // between two reloads
			continue
		}
		if strings.Contains(s, "実行中") {
			if running != "" {
				ministryShot(t, ctx, running)
				running = ""
			}
			continue
		}
		if strings.Contains(s, "失敗") {
			e, _ := chromedp.Run(ctx, chromedp.Text(`main`))
			t.Fatalf("the job failed: %.500s", e)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("result") !== null`)); err == nil {
			return
		}
	}
}

// ministryShot saves a full-page screenshot as name.png in KOFUKIN_SCREENSHOTS, when set.
func ministryShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("KOFUKIN_SCREENSHOTS")
	if dir == "" || name == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Errorf("save screenshot %s: %v", name, err)
	}
}

// ministryBrowser is browser with a longer limit: the walk waits for two cycles.
func ministryBrowser(t *testing.T, exe string, limit time.Duration) (context.Context, context.CancelFunc) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, limit)
	return ctx, func() { cancelT(); cancelC(); cancelA() }
}
