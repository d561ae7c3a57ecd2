package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
)

// TestDemoThreeYears: the default demo on 鳥取県 builds FY2024–FY2026, ingests and scores each
// earlier year (municipal submissions only) and runs FY2026's cycle, whose S1-17-a (通いの場への
// 参加率の伸び) now finds FY2025's answers: its points are the bands of the README's rule applied
// by hand to the panel's answers. A bad row of an earlier year's archive is rejected with its
// place, in Japanese, and nothing of it is stored.
func TestDemoThreeYears(t *testing.T) {
	t.Parallel() // the package's three longest tests (each its own folder and database) share the cores
	dir := t.TempDir()
	out, err := runCmd(t, map[string]string{"KOFUKIN_LOG_LEVEL": "warn"}, "demo", "--out", dir, "--prefectures", "31")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"FY2024:    19 municipal survey CSVs, outcome CSV (114 values)", "FY2025:    19 municipal survey CSVs",
		"    ingest:  20 file(s): 20 accepted, 0 rejected", "55 accepted, 0 rejected", "    score:  run 1: 市町村 1741 (19 submitted)", "    score:  run 2: 市町村 1741 (19 submitted)",
		"score:     run 3: 市町村 1741 (19 submitted)", "成果指向型配分枠: pool 1,000,000,000 yen → 1,000,000,000 yen to 19 市町村"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	db := filepath.Join(dir, "demo.duckdb")
	query := func(q string) [][]string {
		t.Helper()
		got, err := runCmd(t, nil, "sql", "--db", db, "--format", "csv", q)
		if err != nil {
			t.Fatalf("%v\n%s", err, got)
		}
		rows, err := csv.NewReader(strings.NewReader(got)).ReadAll()
		if err != nil {
			t.Fatalf("%v\n%s", err, got)
		}
		return rows[1:]
	}
	runs := query("SELECT kind, fiscal_year, status FROM runs ORDER BY id")
	want := [][]string{{"score", "2024", "succeeded"}, {"score", "2025", "succeeded"}, {"score", "2026", "succeeded"}, {"allocate", "2026", "succeeded"}, {"export", "2026", "succeeded"}}
	if !equalRows(runs, want) {
		t.Errorf("runs %v, want %v", runs, want)
	}
	// S1-17-a by hand: FY2026's S1-8-a minus FY2025's; < 0 → 0, [0, 0.5) → 2, ≥ 0.5 → 4; no
	// answer in either year → 0. Differences are taken in tenths, as the answers are.
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	p, err := fixtures.BuildPanel(lib, fixtures.PanelOptions{Seed: 1, Years: []int{2024, 2025, 2026}, Prefectures: []string{"31"}, Effect: fixtures.PlantedEffect})
	if err != nil {
		t.Fatal(err)
	}
	tenths := func(s string) (int, bool) {
		f, err := strconv.ParseFloat(s, 64)
		return int(f*10 + 0.5), err == nil
	}
	got := map[string]string{}
	for _, r := range query("SELECT entity_code, points FROM item_scores WHERE item_id = 'S1-17-a' AND run_id = 3 AND entity_code LIKE '31%'") {
		got[r[0]] = r[1]
	}
	positive := 0
	for _, m := range p.Municipalities {
		now, ok1 := tenths(m.Answers[2026]["S1-8-a"])
		before, ok2 := tenths(m.Answers[2025]["S1-8-a"])
		pts := "0.00"
		switch d := now - before; {
		case !ok1 || !ok2 || d < 0:
		case d < 5:
			pts = "2.00"
		default:
			pts = "4.00"
		}
		if pts != "0.00" {
			positive++
		}
		if got[m.Code] != pts {
			t.Errorf("%s: S1-17-a %s points, by hand %s (S1-8-a %s → %s)", m.Code, got[m.Code], pts, m.Answers[2025]["S1-8-a"], m.Answers[2026]["S1-8-a"])
		}
	}
	if positive == 0 {
		t.Error("no municipality scores on S1-17-a: FY2025 was not read")
	}

	// A bad answer in an earlier year's archive: rejected at its row, nothing stored.
	src := filepath.Join(dir, "fixtures", "FY2025", fixtures.SurveyCSVFileName(2025, "312011"))
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(data, []byte("\n"))
	lines[4] = []byte("2025,312011,P1-1-d,たぶん")
	bad := filepath.Join(t.TempDir(), "FY2025_312011.csv")
	if err := os.WriteFile(bad, bytes.Join(lines, []byte("\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	before := query("SELECT count(*) FROM submissions")
	out, err = runCmd(t, map[string]string{"KOFUKIN_LOG_LEVEL": "warn"}, "ingest", "--db", db, "--fy", "2025", "--quarantine", "", "--report", filepath.Join(t.TempDir(), "r.json"), bad)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out, "5行目 回答列 [E011] 「はい」又は「いいえ」で回答してください（入力値：「たぶん」）") {
		t.Errorf("bad archive row: %v\n%s", err, out)
	}
	if after := query("SELECT count(*) FROM submissions"); !equalRows(after, before) {
		t.Errorf("submissions %v after a rejected file, %v before", after, before)
	}
}

func equalRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") {
			return false
		}
	}
	return true
}

// TestParseYears: a year, a range, the default, and what is refused (exit status 2).
func TestParseYears(t *testing.T) {
	for in, want := range map[string]string{"": "[2024 2025 2026]", "2026": "[2026]", "2024-2026": "[2024 2025 2026]", " 2025 - 2026 ": "[2025 2026]"} {
		got, err := parseYears(in, yearsEndingAt(2026, 3))
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("parseYears(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"2026-2024", "x", "2024-", "2000-2030", "2024,2026"} {
		var ee *exitError
		if _, err := parseYears(in, nil); !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("parseYears(%q): %v, want a usage error", in, err)
		}
	}
}
