package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kofukin/kofukin/pipeline"
)

// kofukinRun runs a real kofukin process and returns its stdout, stderr and exit status.
func kofukinRun(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	cmd := kofukinProcess(env, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	}
	t.Fatalf("kofukin %v: %v", args, err)
	return "", "", -1
}

// TestExitStatusesAndHelp: 0 done, 1 failed, 2 usage; -h/--help on every command and
// subcommand prints its use on stdout, Japanese first; an unknown flag is said once.
func TestExitStatusesAndHelp(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KOFUKIN_DB": filepath.Join(dir, "none.duckdb"), "KOFUKIN_OUT": filepath.Join(dir, "out")}
	t.Run("bare", func(t *testing.T) {
		out, errs, code := kofukinRun(t, env)
		if code != 2 || !strings.Contains(errs, "使い方 Usage: kofukin COMMAND") || out != "" {
			t.Errorf("bare kofukin: exit %d\nstdout %q\nstderr %s", code, out, errs)
		}
	})
	t.Run("unknown command", func(t *testing.T) {
		_, errs, code := kofukinRun(t, env, "frobnicate")
		if code != 2 || strings.Count(errs, `"frobnicate"`) != 2 { // 不明なコマンド "x" / unknown command "x", once
			t.Errorf("unknown command: exit %d\n%s", code, errs)
		}
	})
	t.Run("unknown flag", func(t *testing.T) {
		out, errs, code := kofukinRun(t, env, "score", "--fy", "2026", "--bogus")
		if code != 2 || strings.Count(out+errs, "flag provided but not defined: -bogus") != 1 {
			t.Errorf("unknown flag: exit %d\nstdout %s\nstderr %s", code, out, errs)
		}
	})
	t.Run("unknown subcommand", func(t *testing.T) {
		_, errs, code := kofukinRun(t, env, "token", "frob")
		if code != 2 || !strings.Contains(errs, "unknown subcommand") {
			t.Errorf("token frob: exit %d\n%s", code, errs)
		}
	})
	var names []string
	for n := range commands() {
		names = append(names, n)
	}
	names = append(names, "token issue", "token list", "token revoke", "rulebook check", "rulebook diff", "rulebook list", "rulebook sql", "review import")
	for _, name := range names {
		for _, h := range []string{"-h", "--help"} {
			args := append(strings.Fields(name), h)
			out, errs, code := kofukinRun(t, env, args...)
			head, _, _ := strings.Cut(out, "\n")
			if code != 0 || !strings.HasPrefix(head, "kofukin "+name+" — ") || !regexp.MustCompile(`\p{Han}|\p{Hiragana}|\p{Katakana}`).MatchString(head) {
				t.Errorf("kofukin %s: exit %d, first line %q\nstderr %s", strings.Join(args, " "), code, head, errs)
			}
		}
	}
	if out, _, code := kofukinRun(t, env, "help", "rerun"); code != 0 || !strings.Contains(out, "kofukin rerun — ") {
		t.Errorf("kofukin help rerun: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(env["KOFUKIN_DB"]); !os.IsNotExist(err) {
		t.Errorf("help created the database: %v", err)
	}
}

// TestReadingCommandsNeedADatabase: a command that reads the store says the file is missing, in
// Japanese and English, exits 1 and creates nothing; flags come after the arguments too.
func TestReadingCommandsNeedADatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "missing.duckdb")
	for _, args := range [][]string{
		{"score", "--fy", "2026", "--db", db},
		{"allocate", "--db", db, "--fy", "2026"},
		{"export", "--fy", "2026", "--db", db},
		{"runs", "--db", db},
		{"rerun", "3", "--out", dir, "--db", db}, // the README's form: the run, then the flags
		{"whatif", "--fy", "2026", "--set", "312011:P1-1-a=はい", "--db", db},
		{"impact", "--item", "S1-2-b", "--outcome", "O-1-a", "--years", "2024-2026", "--db", db},
		{"token", "list", "--db", db},
		{"sql", "SELECT 1", "--db", db},
		{"review", "import", filepath.Join(dir, "r.xlsx"), "--db", db},
	} {
		out, errs, code := kofukinRun(t, map[string]string{"KOFUKIN_OUT": dir}, args...)
		if code != 1 || !strings.Contains(errs, "データベース "+db+" がありません") || !strings.Contains(errs, "no database at "+db) {
			t.Errorf("kofukin %v: exit %d\nstdout %s\nstderr %s", args, code, out, errs)
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Fatalf("kofukin %v created the database: %v", args, err)
		}
	}
}

func TestFlagsAnywhere(t *testing.T) {
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	for _, tc := range []struct {
		args []string
		out  string
		pos  []string
	}{
		{[]string{"3", "--out", "D"}, "D", []string{"3"}},
		{[]string{"--out", "D", "3"}, "D", []string{"3"}},
		{[]string{"a", "-out=D", "b"}, "D", []string{"a", "b"}},
		{[]string{"a", "--", "--out", "b"}, "", []string{"a", "--out", "b"}},
		{nil, "", nil},
	} {
		fs := a.flags("rerun")
		out := fs.String("out", "", "")
		if err := fs.Parse(tc.args); err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if *out != tc.out || strings.Join(fs.Args(), "|") != strings.Join(tc.pos, "|") || fs.NArg() != len(tc.pos) {
			t.Errorf("%q: --out %q, args %q", tc.args, *out, fs.Args())
		}
	}
}

// TestReportNamesAreUnique: two reports of the same second get two files.
func TestReportNamesAreUnique(t *testing.T) {
	dir := t.TempDir()
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		p, err := reserve(filepath.Join(dir, "out"), "ingest_20261121-093000", ".json")
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("%s given twice", p)
		}
		seen[p] = true
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "out", "ingest_20261121-093000*.json")); len(m) != 3 {
		t.Errorf("reports: %v", m)
	}
}

// TestServeHoldsTheDatabase: while kofukin serve runs, another command says the service is using
// the database, in Japanese and English, rather than DuckDB's raw lock error.
func TestServeHoldsTheDatabase(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KOFUKIN_DB": filepath.Join(dir, "k.duckdb"), "KOFUKIN_LOG_LEVEL": "warn", "KOFUKIN_OUT": filepath.Join(dir, "out")}
	serve := kofukinProcess(env, "serve", "--listen", "127.0.0.1:0", "--no-schedule")
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- serve.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			serve.Process.Kill()
		}
	}()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || !strings.Contains(line, "listening") {
		t.Fatalf("serve: %q %v", line, err)
	}
	for _, args := range [][]string{{"runs"}, {"sql", "SELECT 1"}, {"token", "issue", "--role", "ministry"}, {"ingest", dir}} {
		out, errs, code := kofukinRun(t, env, args...)
		if code != 1 || !strings.Contains(errs, "kofukin serve") || !strings.Contains(errs, "使用中") || !strings.Contains(errs, "is in use by another process") || strings.Count(errs, "Could not set lock") > 1 {
			t.Errorf("kofukin %v while serve runs: exit %d\nstdout %s\nstderr %s", args, code, out, errs)
		}
	}
}

// TestTokensInTheCLI: role and entity must match and exist; token list shows role, entity,
// label, expiry and state, never the token.
func TestTokensInTheCLI(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KOFUKIN_DB": filepath.Join(dir, "k.duckdb"), "KOFUKIN_LOG_LEVEL": "warn", "KOFUKIN_FY": "2026"}
	for _, bad := range [][]string{
		{"--role", "municipality", "--entity", "310000"},
		{"--role", "prefecture", "--entity", "312011"},
		{"--role", "municipality", "--entity", "99999"},
		{"--role", "ministry", "--entity", "312011"},
		{"--role", "mayor", "--entity", "312011"},
	} {
		if out, err := runCmd(t, env, append([]string{"token", "issue"}, bad...)...); err == nil {
			t.Errorf("token issue %v accepted:\n%s", bad, out)
		}
	}
	out, err := runCmd(t, env, "token", "issue", "--role", "municipality", "--entity", "312011", "--label", "米子市 介護保険課", "--expires", "2027-03-31")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	out, err = runCmd(t, env, "token", "list")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(out, secret) || !strings.Contains(out, "\tmunicipality\t312011\t米子市 介護保険課\t") || !strings.Contains(out, "\t2027-03-31\t有効 active") {
		t.Errorf("token list:\n%s", out)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	if out, err := runCmd(t, env, "token", "revoke", id); err != nil {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	if out, _ := runCmd(t, env, "token", "list"); !strings.Contains(out, "失効 revoked") {
		t.Errorf("after revoke:\n%s", out)
	}
}

// TestFolderIngestCountsWarnings: a folder's many warnings are counted by code (each is in the
// JSON report); a dry run's preview names the grants in Japanese.
func TestFolderIngestCountsWarnings(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KOFUKIN_DB": filepath.Join(dir, "k.duckdb"), "KOFUKIN_LOG_LEVEL": "warn", "KOFUKIN_OUT": filepath.Join(dir, "out")}
	fx := filepath.Join(dir, "fx")
	if out, err := runCmd(t, env, "fixtures", "--out", fx, "--prefectures", "31", "--broken=false"); err != nil {
		t.Fatalf("fixtures: %v\n%s", err, out)
	}
	out, err := runCmd(t, env, "ingest", fx, "--fy", "2026") // flags after the folder
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	if n := strings.Count(out, "[W001]"); n != 0 || !regexp.MustCompile(`\n  W001 [0-9,]+件（前提条件を満たさない「はい」）、[0-9]+ファイル\n`).MatchString(out) || strings.Count(out, "\n") > 10 {
		t.Errorf("ingest of a folder prints %d W001 warnings one by one:\n%s", n, out)
	}
	if !regexp.MustCompile(`kofukin: 取込 ingest 55 files in [0-9.]+s \([0-9.]+ files/s\)\n`).MatchString(out) {
		t.Errorf("ingest prints no summary line with its rate:\n%s", out)
	}
	reports, _ := filepath.Glob(filepath.Join(dir, "out", "ingest_*.json"))
	if len(reports) != 1 {
		t.Fatalf("reports: %v", reports)
	}
	if data, _ := os.ReadFile(reports[0]); !bytes.Contains(data, []byte(`"code": "W001"`)) {
		t.Errorf("the JSON report lacks the warnings")
	}
	// A second ingest (unchanged) in the same second or not keeps the first report.
	if out, err := runCmd(t, env, "ingest", fx); err != nil {
		t.Fatalf("ingest again: %v\n%s", err, out)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "out", "ingest_*.json")); len(m) != 2 {
		t.Errorf("reports after two ingests: %v", m)
	}
	one, _ := filepath.Glob(filepath.Join(fx, "municipalities", "*312011*.xlsx"))
	if len(one) != 1 {
		t.Fatalf("fixture of 312011: %v", one)
	}
	fresh := map[string]string{"KOFUKIN_DB": filepath.Join(dir, "fresh.duckdb"), "KOFUKIN_LOG_LEVEL": "warn", "KOFUKIN_OUT": filepath.Join(dir, "out")}
	out, err = runCmd(t, fresh, "ingest", "--dry-run", one[0])
	if err != nil || !strings.Contains(out, "試算 preview: ") || !strings.Contains(out, "、保険者機能強化推進交付金 ") || !strings.Contains(out, "、介護保険保険者努力支援交付金 ") || strings.Contains(out, "suishin") {
		t.Errorf("dry run: %v\n%s", err, out)
	}
}

// TestProgress: on a terminal, counts and rates at most once a second and at the end; elsewhere
// only the line of each finished stage.
func TestProgress(t *testing.T) {
	for _, tty := range []bool{true, false} {
		var buf bytes.Buffer
		clock := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		p := &progress{w: &buf, tty: tty, now: func() time.Time { return clock }, every: time.Second, start: map[string]time.Time{}}
		p.report(pipeline.Progress{Stage: "ingest"})
		for i := 1; i <= 1788; i++ {
			clock = clock.Add(10 * time.Millisecond)
			p.report(pipeline.Progress{Stage: "ingest", Done: i, Total: 1788, Unit: "files"})
		}
		p.report(pipeline.Progress{Stage: "ingest", Finished: true})
		out := buf.String()
		lines := strings.Count(out, "\n")
		switch {
		case tty && (lines < 15 || lines > 22 || !strings.Contains(out, "kofukin: 取込 ingest 1,788 / 1,788 files (100.0 files/s)\n") || !strings.Contains(out, "kofukin: 取込 ingest 101 / 1,788 files (100.0 files/s)\n")):
			t.Errorf("on a terminal (%d lines):\n%s", lines, out)
		case !tty && out != "kofukin: 取込 ingest 完了 done in 17.9s\n":
			t.Errorf("not on a terminal:\n%s", out)
		case !strings.HasSuffix(out, "kofukin: 取込 ingest 完了 done in 17.9s\n"):
			t.Errorf("no summary line:\n%s", out)
		}
	}
	if f, err := os.CreateTemp(t.TempDir(), "x"); err != nil || isTerminal(f) || isTerminal(&bytes.Buffer{}) {
		t.Errorf("a file or a buffer taken for a terminal (%v)", err)
	}
}
