package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// crashPrefectures is the nation the crash test ingests: 東京都 and 神奈川県 (95 municipalities, 2
// prefectures, some 750 care centres: several transactions of 256 files). KFTEST_CRASH_NATION=1
// takes the whole nation (7,101 files) instead, for a run by hand.
var crashPrefectures = []string{"13", "14"}

// TestIngestSurvivesSIGKILL starts `kofukin ingest` on a fixture nation as a real process and
// kills it with SIGKILL at random moments (at least ten times, during start-up, migrations,
// parsing and writing). After every kill the database opens and holds every version with all its
// answers, one current version per slot with versions 1..n, no orphan answers, and — since the
// same files are sent every time — never a second version of anything; the next command's opening
// (store.Open: WAL replay, the migrations a kill interrupted) succeeds. A last run completes and
// stores exactly what a run that was never interrupted stores.
func TestIngestSurvivesSIGKILL(t *testing.T) {
	t.Parallel() // the package's three longest tests (each its own folder and database) share the cores
	ctx := context.Background()
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fix := filepath.Join(dir, "fix")
	opts := fixtures.NationOptions{Seed: 1, Prefectures: crashPrefectures}
	if os.Getenv("KFTEST_CRASH_NATION") == "1" {
		opts.Prefectures = nil
	}
	sum, err := fixtures.WriteNation(ctx, fix, lib, 2026, opts)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KOFUKIN_LOG_LEVEL": "error", "KOFUKIN_OUT": filepath.Join(dir, "out")}
	ingest := func(db string) *exec.Cmd {
		return kofukinProcess(env, "ingest", "--db", db, "--fy", "2026", "--quarantine=", "--report", filepath.Join(dir, "report.json"), fix)
	}

	// A run that is never interrupted: what the database must hold in the end, and how long a run
	// takes here (the kills are spread over it).
	ref := filepath.Join(dir, "ref.duckdb")
	began := time.Now()
	if out, err := ingest(ref).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted ingest: %v\n%s", err, out)
	}
	full := time.Since(began)
	want := currentInputs(t, ref)
	t.Logf("%d files (%v), uninterrupted ingest %v, %d current submissions", sum.Total(), sum.Workbooks, full.Round(time.Millisecond), len(want))

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 9))
	t.Logf("kill times drawn with seed %d", seed)
	db := filepath.Join(dir, "crash.duckdb")
	kills := 0
	for attempt := 0; kills < 10 && attempt < 40; attempt++ {
		cmd := ingest(db)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		after := time.Duration(rng.Int64N(int64(full)))
		time.Sleep(after)
		killed := cmd.Process.Signal(syscall.SIGKILL) == nil
		err := cmd.Wait()
		if killed && cmd.ProcessState.Sys().(syscall.WaitStatus).Signaled() {
			kills++
			t.Logf("kill %d after %v", kills, after.Round(time.Millisecond))
		} else if err != nil && cmd.ProcessState.ExitCode() != 1 {
			t.Fatalf("ingest ended with %v before the kill", err)
		}
		checkInvariants(t, db)
		if t.Failed() {
			t.Fatalf("the database is inconsistent after kill %d (after %v)", kills, after)
		}
	}
	if kills < 10 {
		t.Fatalf("only %d of the runs were killed while running", kills)
	}
	if out, err := ingest(db).CombinedOutput(); err != nil {
		t.Fatalf("the ingest after the kills: %v\n%s", err, out)
	}
	checkInvariants(t, db)
	got := currentInputs(t, db)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after the kills the database holds %d current submissions, the uninterrupted run %d (first difference: %s)", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + " vs " + b[i]
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(a), len(b))
}

// currentInputs lists the current submissions as entity, level, kind, version and hash.
func currentInputs(t *testing.T, path string) []string {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []string
	for _, fy := range []int{2026} {
		subs, err := st.Submissions().Current(ctx, fy)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subs {
			out = append(out, fmt.Sprintf("%s %s %s v%d %s %d", s.EntityCode, s.Level, s.Kind, s.Version, s.SHA256, s.AnswerCount))
		}
	}
	sort.Strings(out)
	return out
}

// checkInvariants opens the database (as the next command would) and checks what a crash must
// never leave behind.
func checkInvariants(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return // killed before the database was created
	}
	// Open it as the next command would (replaying its WAL and applying the migrations a kill
	// interrupted), then look read-only.
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("the database does not open after a kill: %v", err)
	}
	st.Close()
	ro, err := store.OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	for _, c := range []struct{ what, query string }{
		{"slots with other than one current version, or versions not 1..n, or more than one version of the same files",
			`SELECT entity_code || ' ' || level || ' ' || kind || ': ' || count(*) FILTER (WHERE status = 'current') || ' current, ' || count(*) || ' versions'
			 FROM submissions GROUP BY fiscal_year, level, entity_code, kind
			 HAVING count(*) FILTER (WHERE status = 'current') <> 1 OR min(version) <> 1 OR max(version) <> count(*) OR count(DISTINCT version) <> count(*) OR count(*) <> 1`},
		{"versions without all their answers",
			`SELECT s.entity_code || ' v' || s.version || ': ' || coalesce(a.n, 0) || ' of ' || s.answer_count || ' answers'
			 FROM submissions s LEFT JOIN (SELECT submission_id, count(*) AS n FROM answers GROUP BY submission_id) a ON a.submission_id = s.id
			 WHERE coalesce(a.n, 0) <> s.answer_count`},
		{"orphan answers", `SELECT DISTINCT CAST(submission_id AS VARCHAR) FROM answers WHERE submission_id NOT IN (SELECT id FROM submissions)`},
	} {
		var bad []string
		err := ro.Query(context.Background(), c.query, func(_ []store.Column, vals []any) error {
			if vals != nil {
				bad = append(bad, fmt.Sprint(vals[0]))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if len(bad) > 0 {
			t.Errorf("%s: %d, e.g. %v", c.what, len(bad), bad[:min(len(bad), 5)])
		}
	}
}
