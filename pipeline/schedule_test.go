package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// TestSchedulerInboxAndNightly runs the jobs on a one-second schedule: a workbook dropped into the
// inbox is ingested and removed, a bad one quarantined, and the nightly dry run records itself
// without storing scores.
func TestSchedulerInboxAndNightly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fix, _ := tottori(t)
	r := newRunner(t, filepath.Join(t.TempDir(), "k.duckdb"))
	if _, err := r.Ingest(ctx, []string{filepath.Join(fix, fixtures.CentresFileName(2026)), filepath.Join(fix, fixtures.OutcomesFileName(2026))}, pipeline.IngestOptions{FiscalYear: 2026}); err != nil {
		t.Fatal(err)
	}
	inbox, quarantine, out := t.TempDir(), t.TempDir(), t.TempDir()
	good := filepath.Join(fix, fixtures.SurveyFileName(2026, indicators.Municipality, "312011"))
	data, _ := os.ReadFile(good)
	os.WriteFile(filepath.Join(inbox, "good.xlsx"), data, 0o644)
	os.WriteFile(filepath.Join(inbox, "bad.xlsx"), []byte("not a workbook"), 0o644)
	s := &pipeline.Scheduler{Runner: r, FiscalYear: 2026, Inbox: inbox, Quarantine: quarantine, Out: out, Inboxspec: "@every 1s", Nightly: "@every 1s"}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// A safety net, not a timing: a nightly cycle takes seconds alone, longer beside parallel tests.
	deadline := time.Now().Add(3 * time.Minute)
	var kinds map[string]bool
	for time.Now().Before(deadline) {
		runs, _ := r.Store.Runs().List(ctx)
		kinds = map[string]bool{}
		for _, run := range runs {
			if run.Status == store.RunSucceeded {
				kinds[run.Kind] = true
			}
		}
		if kinds[store.KindIngest] && kinds[store.KindNightly] {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.Stop() // waits for a running job
	if !kinds[store.KindIngest] || !kinds[store.KindNightly] {
		t.Fatalf("recorded runs: %v", kinds)
	}
	if _, err := os.Stat(filepath.Join(inbox, "good.xlsx")); !os.IsNotExist(err) {
		t.Error("the ingested file is still in the inbox")
	}
	if _, err := os.Stat(filepath.Join(quarantine, "bad.xlsx.report.txt")); err != nil {
		t.Errorf("the bad file was not quarantined: %v", err)
	}
	hist, _ := r.Store.Submissions().History(ctx, 2026, "312011")
	if len(hist) != 1 {
		t.Errorf("312011 has %d versions, want 1", len(hist))
	}
	// The nightly job is a dry run: no score run is stored, its outputs are in out/nightly.
	for _, run := range mustRuns(t, r) {
		if run.Kind == store.KindScore {
			t.Errorf("the nightly dry run stored score run %d", run.ID)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "nightly", "FY2026_交付額算定表.xlsx")); err != nil {
		t.Errorf("nightly outputs: %v", err)
	}
}

func mustRuns(t *testing.T, r *pipeline.Runner) []store.Run {
	runs, err := r.Store.Runs().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return runs
}
