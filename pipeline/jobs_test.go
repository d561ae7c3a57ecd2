package pipeline

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// TestCycleJobs: a console cycle runs in the background with its own progress (never the shared
// Runner's Progress), readers may follow it while it runs (run with -race), a second start while
// it runs gets the same job, only the right to run may start one and only the console's see one,
// and StopJobs waits for it and refuses new ones.
func TestCycleJobs(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "k.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	var shared atomic.Int64
	r := &Runner{Store: st, Rulebooks: lib, Progress: func(Progress) { shared.Add(1) }}
	defer r.StopJobs()
	ministry := kofukin.Operator("test")
	pref := kofukin.Principal{Role: kofukin.RolePrefecture, EntityCode: "310000"}
	var denied *kofukin.Denied
	if _, _, err := r.StartCycle(ctx, pref, 2026, true, ""); !errors.As(err, &denied) {
		t.Fatalf("a prefecture starts a cycle: %v", err)
	}
	reqCtx, cancel := context.WithCancel(ctx)
	job, started, err := r.StartCycle(reqCtx, ministry, 2026, true, "")
	cancel() // the request ends: the job goes on
	if err != nil || !started || job.ID == 0 {
		t.Fatalf("start: %+v %v %v", job, started, err)
	}
	again, started2, err := r.StartCycle(ctx, ministry, 2026, true, "")
	if err != nil {
		t.Fatal(err)
	}
	if first, err := r.CycleJob(ctx, ministry, job.ID); err != nil {
		t.Fatal(err)
	} else if first.Running() && (started2 || again.ID != job.ID) {
		t.Errorf("a second start while the first runs: job %d (started %v), want %d", again.ID, started2, job.ID)
	} else if !first.Running() {
		t.Log("the first job ended before the second start: doubling not checked")
	}
	if _, err := r.CycleJob(ctx, pref, job.ID); !errors.As(err, &denied) {
		t.Errorf("a prefecture reads the job: %v", err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, err := r.CycleJob(ctx, ministry, job.ID)
				if err != nil {
					t.Error(err)
					return
				}
				_ = j.Stage()
				if !j.Running() {
					return
				}
			}
		}()
	}
	wg.Wait()
	j, err := r.CycleJob(ctx, ministry, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Running() || len(j.Stages) == 0 || j.Stages[0].Name != "score" || (j.Result == nil) == (j.Err == "") {
		t.Errorf("the finished job: %+v", j)
	}
	if j.Err == "" && (!j.Result.DryRun || j.Result.Export != nil || len(j.Stages) != 2 || j.Stages[1].Name != "allocate") {
		t.Errorf("a dry run's result: %+v stages %+v", j.Result, j.Stages)
	}
	t.Logf("job: err %q, stages %+v", j.Err, j.Stages)
	if n := shared.Load(); n != 0 {
		t.Errorf("the shared Runner's Progress got %d of the job's reports", n)
	}
	if _, err := r.CycleJob(ctx, ministry, 999); err == nil {
		t.Errorf("an unknown job is found")
	}
	r.StopJobs()
	if _, _, err := r.StartCycle(ctx, ministry, 2026, true, ""); err == nil {
		t.Errorf("a cycle starts after StopJobs")
	}
}
