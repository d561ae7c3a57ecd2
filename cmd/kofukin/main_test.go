package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
)

func runCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, env, &out, &errb)
	return out.String() + errb.String(), err
}

func TestDemoOnePrefecture(t *testing.T) {
	dir := t.TempDir()
	out, err := runCmd(t, map[string]string{"KOFUKIN_LOG_LEVEL": "warn"}, "demo", "--out", dir, "--prefectures", "31")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"55 accepted, 0 rejected", "市町村 1741 (19 submitted)", "地域包括支援センター 32 (32 submitted)", "都道府県 47 (1 submitted)", "保険者機能強化推進交付金（市町村分）: pool 8,595,000,000 yen → 8,595,000,000 yen to 1,741 市町村, surplus 0 (pool − allocated − surplus = 0)",
		"成果指向型配分枠: pool 1,000,000,000 yen → 1,000,000,000 yen to 19 市町村", "FY2026_交付額算定表.xlsx"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// Runs are recorded and listed.
	out, err = runCmd(t, nil, "runs", "--db", filepath.Join(dir, "demo.duckdb"))
	if err != nil || !strings.Contains(out, "allocate") || !strings.Contains(out, "succeeded") {
		t.Errorf("runs: %v\n%s", err, out)
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
	sv, err := loaders.ReadSurvey(f, data, lib, loaders.Expect{FiscalYear: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if sv.EntityCode != "131016" {
		t.Errorf("template stamped for %s", sv.EntityCode)
	}
	// An empty template is accepted (every item 未回答); a text file is rejected with exit 1.
	bad := filepath.Join(dir, "bad.xlsx")
	os.WriteFile(bad, []byte("not a workbook"), 0o644)
	env := map[string]string{"KOFUKIN_DB": filepath.Join(dir, "k.duckdb"), "KOFUKIN_LOG_LEVEL": "warn",
		"KOFUKIN_OUT": filepath.Join(dir, "out"), "KOFUKIN_QUARANTINE": filepath.Join(dir, "q")}
	out, err := runCmd(t, env, "ingest", f, bad)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("ingest with a bad file: %v\n%s", err, out)
	}
	if !strings.Contains(out, "bad.xlsx") || !strings.Contains(out, "E001") || !strings.Contains(out, "1 accepted, 1 rejected, 0 unchanged") {
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

// TestAnalystAddsFY2027 is the analyst's path: a new year's rulebook file in KOFUKIN_RULEBOOK_DIR,
// checked, then fixtures, ingest and score for that year, with no Go change.
func TestAnalystAddsFY2027(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../indicators/rulebooks/municipality_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	var rb map[string]any
	if err := json.Unmarshal(data, &rb); err != nil {
		t.Fatal(err)
	}
	rb["fiscal_year"], rb["action_year"], rb["version"], rb["era_label"] = 2027, 2026, "2027.1", "令和9年度"
	for _, x := range rb["indicators"].([]any) {
		ind := x.(map[string]any)
		ind["predecessors"] = []string{ind["id"].(string)}
		delete(ind, "not_comparable")
	}
	out, _ := json.MarshalIndent(rb, "", "  ")
	books := filepath.Join(dir, "rulebooks")
	os.MkdirAll(books, 0o755)
	draft := filepath.Join(books, "municipality_2027.json")
	os.WriteFile(draft, out, 0o644)

	if out, err := runCmd(t, nil, "rulebook", "check", draft); err != nil || !strings.Contains(out, "ok: "+draft+" — FY2027 municipality") {
		t.Fatalf("check the draft: %v\n%s", err, out)
	}
	env := map[string]string{"KOFUKIN_RULEBOOK_DIR": books, "KOFUKIN_DB": filepath.Join(dir, "k.duckdb"), "KOFUKIN_LOG_LEVEL": "warn",
		"KOFUKIN_OUT": filepath.Join(dir, "out"), "KOFUKIN_QUARANTINE": filepath.Join(dir, "q")}
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
	if out, err := runCmd(t, env, "rulebook", "diff", "--from", "2026", "--to", "2027", "--out", filepath.Join(dir, "d.xlsx")); err != nil || !strings.Contains(out, "変更なし 48") {
		t.Errorf("diff 2026 → 2027: %v\n%s", err, out)
	}
	// A broken draft names the file and the rule.
	os.WriteFile(draft, bytes.Replace(out, []byte(`"points": 16`), []byte(`"points": 17`), 1), 0o644)
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
