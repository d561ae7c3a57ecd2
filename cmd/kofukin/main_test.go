package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

func runCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, env, &out, &errb)
	return out.String() + errb.String(), err
}

func TestDemoOnePrefecture(t *testing.T) {
	t.Parallel() // the package's three longest tests (each its own folder and database) share the cores
	dir := t.TempDir()
	out, err := runCmd(t, map[string]string{"KOFUKIN_LOG_LEVEL": "warn"}, "demo", "--out", dir, "--prefectures", "31", "--years", "2026")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"55 accepted, 0 rejected", "市町村 1741 (19 submitted)", "地域包括支援センター 32 (32 submitted)", "都道府県 47 (1 submitted)", "保険者機能強化推進交付金（市町村分）: pool 8,595,000,000 yen → 8,595,000,000 yen to 1,741 市町村, surplus 0 (pool − allocated − surplus = 0)",
		"成果指向型配分枠: pool 1,000,000,000 yen → 1,000,000,000 yen to 19 市町村", "FY2026_交付額算定表.xlsx",
		"kofukin: 架空データ作成 fixtures 完了 done in ", "kofukin: 取込 ingest 完了 done in ", "kofukin: 出力 export 完了 done in "} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// The time line gives the processor time and the least the demo could take on the cores:
	// processor time ÷ cores (each printed to a tenth of a second).
	if m := regexp.MustCompile(`; CPU ([0-9.]+)s on ([0-9]+) cores \(at least ([0-9.]+)s, ([0-9.]+)× ingest\)`).FindStringSubmatch(out); m == nil {
		t.Errorf("demo's time line lacks its CPU time:\n%s", out)
	} else {
		cpu, _ := strconv.ParseFloat(m[1], 64)
		cores, _ := strconv.Atoi(m[2])
		least, _ := strconv.ParseFloat(m[3], 64)
		if cpu <= 0 || cores < 1 || math.Abs(least-cpu/float64(cores)) > 0.1 {
			t.Errorf("CPU %gs on %d cores: at least %gs, want %.2fs", cpu, cores, least, cpu/float64(cores))
		}
	}
	// Runs are recorded and listed.
	db := filepath.Join(dir, "demo.duckdb")
	out, err = runCmd(t, nil, "runs", "--db", db)
	if err != nil || !strings.Contains(out, "allocate") || !strings.Contains(out, "succeeded") {
		t.Errorf("runs: %v\n%s", err, out)
	}

	// A negative control through the command: one amount changed in the store and the ministry
	// workbook changed where the demo wrote it; kofukin rerun of the export run says both and exits 1.
	out, err = runCmd(t, nil, "sql", "--db", db, "--format", "csv", "SELECT max(id) FILTER (WHERE kind = 'export') AS export, max(id) FILTER (WHERE kind = 'allocate') AS alloc FROM runs")
	var export, alloc int64
	if _, serr := fmt.Sscanf(out, "export,alloc\n%d,%d\n", &export, &alloc); err != nil || serr != nil {
		t.Fatalf("runs by sql: %v %v\n%s", err, serr, out)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	amounts, err := st.Allocations().Amounts(context.Background(), alloc)
	if err != nil {
		t.Fatal(err)
	}
	var yen int64
	for _, a := range amounts {
		if a.EntityCode == "312011" && a.PoolID == "suishin" {
			yen = a.AmountYen
		}
	}
	if err := st.Allocations().AdjustAmountForTest(context.Background(), alloc, "312011", "suishin", -1000); err != nil {
		t.Fatalf("change an amount: %v", err)
	}
	st.Close()
	ministry := filepath.Join(dir, "FY2026_交付額算定表.xlsx")
	wb, err := os.ReadFile(ministry)
	if err != nil {
		t.Fatal(err)
	}
	wb[len(wb)/2] ^= 0xff
	os.WriteFile(ministry, wb, 0o644)
	out, err = runCmd(t, map[string]string{"KOFUKIN_LOG_LEVEL": "warn"}, "rerun", fmt.Sprint(export), "--db", db, "--out", t.TempDir()) // the README's form
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("rerun of a changed export: %v\n%s", err, out)
	}
	for _, want := range []string{
		"  differs: " + ministry + ": changed since export run " + fmt.Sprint(export) + " wrote it",
		fmt.Sprintf("  differs: recorded 312011 suishin: %d yen ", yen-1000),
		fmt.Sprintf(" / computed 312011 suishin: %d yen ", yen),
		"  differs: FY2026_交付額算定表.xlsx: sha256 ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rerun output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "identical") {
		t.Errorf("rerun says identical:\n%s", out)
	}
	// Nothing else differs: the files written again from the changed amount are the ministry
	// workbook, 鳥取県's review and feedback workbooks, the allocations' Parquet and Arrow files and
	// the equity view's Parquet file (its yen per municipality);
	// every other file — the 46 + 46 workbooks of the prefectures without a submission among them —
	// is the same bytes as the demo wrote (the package tests of pipeline write 鳥取県's only).
	var differs []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "  differs: ") {
			differs = append(differs, l)
		}
	}
	if len(differs) != 8 {
		t.Errorf("rerun reports %d differences, want 8 (the file changed in place, the amount, and the 6 files written from it):\n%s", len(differs), strings.Join(differs, "\n"))
	}
}

func TestTemplateThenIngestRejects(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "t.xlsx")
	if out, err := runCmd(t, nil, "template", "--fy", "2026", "--level", "municipality", "--entity", "131016", "--out", f); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	data, _ := os.ReadFile(f)
	lib, _ := indicators.Shipped()
	_, err := loaders.ReadSurvey(f, data, lib, loaders.Expect{FiscalYear: 2026})
	var rj *loaders.Rejection
	if !errors.As(err, &rj) || len(rj.Problems) != 1 || rj.Problems[0].Code != loaders.ErrNoAnswer {
		t.Fatalf("a blank template should hold only E025 (no answer): %v", err)
	}
	if code := loaders.PeekEntity(data); code != "131016" {
		t.Errorf("template stamped for %s", code)
	}
	// An empty template is rejected (E025: no answer at all), as is a text file: exit 1.
	bad := filepath.Join(dir, "bad.xlsx")
	os.WriteFile(bad, []byte("not a workbook"), 0o644)
	env := map[string]string{"KOFUKIN_DB": filepath.Join(dir, "k.duckdb"), "KOFUKIN_LOG_LEVEL": "warn",
		"KOFUKIN_OUT": filepath.Join(dir, "out"), "KOFUKIN_QUARANTINE": filepath.Join(dir, "q")}
	out, err := runCmd(t, env, "ingest", f, bad)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("ingest with a bad file: %v\n%s", err, out)
	}
	if !strings.Contains(out, "bad.xlsx") || !strings.Contains(out, "E001") || !strings.Contains(out, "E025") || !strings.Contains(out, "0 accepted, 2 rejected, 0 unchanged") {
		t.Errorf("ingest output:\n%s", out)
	}
	// The bad file went to the quarantine folder with its report; the JSON report was written.
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("the rejected file is still in place: %v", err)
	}
	for _, want := range []string{"bad.xlsx", "bad.xlsx.report.txt", "bad.xlsx.report.json"} {
		if _, err := os.Stat(filepath.Join(dir, "q", want)); err != nil {
			t.Errorf("quarantine lacks %s: %v", want, err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "out", "ingest_*.json")); len(m) != 1 {
		t.Errorf("JSON reports written: %v", m)
	}
}

func TestUnknownCommandAndBadConfig(t *testing.T) {
	if _, err := runCmd(t, nil, "frobnicate"); err == nil || !strings.Contains(err.Error(), "known: ") {
		t.Errorf("unknown command: %v", err)
	}
	if _, err := runCmd(t, map[string]string{"KOFUKIN_WORKERS": "many"}, "runs"); err == nil || !strings.Contains(err.Error(), "KOFUKIN_WORKERS") {
		t.Errorf("bad config: %v", err)
	}
}

// TestAnalystAddsFY2027 follows the README's recipe "Adding FY2027" to the letter: the recipe's
// edits are checked to be the README's words, then made to a byte copy of the shipped FY2026 file
// as an analyst would make them in an editor; the copy is checked, diffed and used for a template,
// fixtures, ingest and score, with no Go change. It fails when the recipe no longer works.
func TestAnalystAddsFY2027(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	recipe := string(readme)
	if i := strings.Index(recipe, "### Adding FY2027"); i < 0 {
		t.Fatal("the README has no recipe \"Adding FY2027\"")
	} else {
		recipe = recipe[i:]
		recipe = recipe[:strings.Index(recipe[4:], "\n### ")+4]
	}
	recipe = strings.Join(strings.Fields(recipe), " ") // the README's lines wrap anywhere
	// Each edit the recipe names, and the same edit in the file's own text.
	edits := []struct{ says, old, new string }{
		{"Copy `municipality_2026.json` to a folder of your own as `municipality_2027.json`; set `fiscal_year` 2027, `action_year` 2026, `era_label` 令和9年度, `version` 2027.1, and in `title` change 令和8年度 to 令和9年度",
			`"fiscal_year": 2026,`, `"fiscal_year": 2027,`},
		{"`action_year` 2026", `"action_year": 2025,`, `"action_year": 2026,`},
		{"`era_label` 令和9年度", `"era_label": "令和8年度",`, `"era_label": "令和9年度",`},
		{"`version` 2027.1", `"version": "2026.1",`, `"version": "2027.1",`},
		{"in `title` change 令和8年度 to 令和9年度", `"title": "令和8年度 `, `"title": "令和9年度 `},
		{"S2-12, which replaced FY2025's S2-2, now continues itself: set its `\"predecessors\": [\"S2-12\"]`.",
			"\"predecessors\": [\n        \"S2-2\"\n      ]", "\"predecessors\": [\n        \"S2-12\"\n      ]"},
		{"S1-17, not comparable with FY2025, is comparable with FY2026: delete its `\"not_comparable\": true`.",
			"      \"not_comparable\": true,\n", ""},
	}
	shipped, err := os.ReadFile("../../indicators/rulebooks/municipality_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	draftText := string(shipped)
	dir := t.TempDir()
	books := filepath.Join(dir, "rulebooks")
	os.MkdirAll(books, 0o755)
	draft := filepath.Join(books, "municipality_2027.json")
	for i, e := range edits {
		if !strings.Contains(recipe, e.says) {
			t.Fatalf("the README's recipe no longer says %q:\n%s", e.says, recipe)
		}
		if n := strings.Count(draftText, e.old); n != 1 {
			t.Fatalf("edit %q: %q is in the FY2026 file %d times, want once", e.says, e.old, n)
		}
		draftText = strings.Replace(draftText, e.old, e.new, 1)
		if i == 4 {
			// The year's fields alone leave links that speak of FY2025: the check says where.
			os.WriteFile(draft, []byte(draftText), 0o644)
			out, err := runCmd(t, nil, "rulebook", "check", draft)
			if err == nil || !strings.Contains(out, `indicators[33] "S2-12": predecessor "S2-2" is not an indicator of`) || !strings.Contains(out, "municipality_2026.json") {
				t.Errorf("check of the copy before its links are updated: %v\n%s", err, out)
			}
		}
	}
	os.WriteFile(draft, []byte(draftText), 0o644)

	// 3. check
	if out, err := runCmd(t, nil, "rulebook", "check", draft); err != nil || !strings.Contains(out, "ok: "+draft+" — FY2027 municipality") {
		t.Fatalf("check the draft: %v\n%s", err, out)
	}
	env := map[string]string{"KOFUKIN_RULEBOOK_DIR": books, "KOFUKIN_DB": filepath.Join(dir, "k.duckdb"), "KOFUKIN_LOG_LEVEL": "warn",
		"KOFUKIN_OUT": filepath.Join(dir, "out"), "KOFUKIN_QUARANTINE": filepath.Join(dir, "q")}
	// 4. diff: nothing changed, every indicator continues its FY2026 self.
	if out, err := runCmd(t, env, "rulebook", "diff", "--from", "2026", "--to", "2027", "--out", filepath.Join(dir, "d.xlsx")); err != nil || !strings.Contains(out, "変更なし 48") {
		t.Errorf("diff 2026 → 2027: %v\n%s", err, out)
	}
	// 5. template, fixtures, ingest, score for 2027.
	tpl := filepath.Join(dir, "FY2027_312011.xlsx")
	if out, err := runCmd(t, env, "template", "--fy", "2027", "--level", "municipality", "--entity", "312011", "--out", tpl); err != nil {
		t.Fatalf("template: %v\n%s", err, out)
	}
	if f, err := excelize.OpenFile(tpl); err != nil {
		t.Fatal(err)
	} else {
		var titles []string
		for _, sh := range f.GetSheetList() {
			v, _ := f.GetCellValue(sh, "A1")
			titles = append(titles, v)
		}
		f.Close()
		if all := strings.Join(titles, " / "); !strings.Contains(all, "令和9年度") || strings.Contains(all, "令和8年度") {
			t.Errorf("the FY2027 template's titles: %s", all)
		}
	}
	if out, err := runCmd(t, env, "fixtures", "--fy", "2027", "--out", filepath.Join(dir, "fx"), "--prefectures", "31", "--broken=false"); err != nil {
		t.Fatalf("fixtures: %v\n%s", err, out)
	}
	if out, err := runCmd(t, env, "ingest", "--fy", "2027", filepath.Join(dir, "fx")); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	out2, err := runCmd(t, env, "score", "--fy", "2027")
	if err != nil || !strings.Contains(out2, "市町村 1741 (19 submitted)") {
		t.Fatalf("score: %v\n%s", err, out2)
	}
	// The shipped FY2026 file is untouched (its hash is stamped in templates and recorded in runs).
	if now, _ := os.ReadFile("../../indicators/rulebooks/municipality_2026.json"); !bytes.Equal(now, shipped) {
		t.Error("the shipped FY2026 rulebook changed")
	}
	// A broken draft names the file and the rule.
	os.WriteFile(draft, bytes.Replace([]byte(draftText), []byte(`"points": 16`), []byte(`"points": 17`), 1), 0o644)
	out3, err := runCmd(t, nil, "rulebook", "check", draft)
	if err == nil || !strings.Contains(out3, draft) || !strings.Contains(out3, `indicators[0] "P1-1": items add up to 16 points, indicator declares 17`) {
		t.Errorf("broken draft: %v\n%s", err, out3)
	}
}

// TestServeShutsDownGracefully starts the real service on a free port, checks it answers, then
// stops it as SIGTERM would (the context ends) and expects a clean return.
func TestServeShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KOFUKIN_DB": filepath.Join(dir, "k.duckdb"), "KOFUKIN_LOG_LEVEL": "warn", "KOFUKIN_OUT": filepath.Join(dir, "out")}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0"}, env, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	addr := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	resp, err := http.Get(addr + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", err, resp)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestGCPercent: the one-job commands whose Go side allocates in bursts collect at 400 %, every
// other command (score among them) at Go's default, the bench's what-if, dry run and score stages
// at the default too, and GOGC in the environment always wins.
func TestGCPercent(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	gogc := func(k string) (string, bool) { return "100", k == "GOGC" }
	batch := map[string]bool{"demo": true, "bench": true, "fixtures": true, "ingest": true,
		"allocate": true, "export": true, "whatif": true, "impact": true, "rerun": true}
	cmds := commands()
	for name := range batch {
		if _, ok := cmds[name]; !ok {
			t.Errorf("%s: not a command", name)
		}
	}
	for name := range cmds {
		got, ok := gcPercent([]string{name}, none)
		if want := batch[name]; ok != want || (ok && got != 400) {
			t.Errorf("gcPercent(%s) = %d, %v; want 400: %v", name, got, ok, want)
		}
		if _, ok := gcPercent([]string{name}, gogc); ok {
			t.Errorf("gcPercent(%s) with GOGC set: changed", name)
		}
	}
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"bench", "--stage", "ingest", "--rounds", "3"}, true},
		{[]string{"bench", "--stage", "whatif", "--rounds", "3"}, false},
		{[]string{"bench", "--stage=dryrun"}, false},
		{[]string{"bench", "-stage", "dryrun"}, false},
		{[]string{"bench", "--stage", "score", "--scale", "100"}, false},
		{[]string{"bench", "--stage", "export"}, true},
		{[]string{"bench", "--rounds", "3"}, true},
		{[]string{"whatif", "--fy", "2026"}, true},
		{nil, false},
	} {
		if _, ok := gcPercent(c.args, none); ok != c.ok {
			t.Errorf("gcPercent(%q): %v, want %v", c.args, ok, c.ok)
		}
	}
}
