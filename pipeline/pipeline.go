// Package pipeline runs one grant cycle end to end — reference data, ingest, score, allocate,
// export — over the store, and records every run with what went into it.
package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// Runner runs pipeline stages over one store.
type Runner struct {
	Store     *store.Store
	Rulebooks *indicators.Library
	Logger    *slog.Logger
	// Workers is how many files are parsed at once (0: GOMAXPROCS).
	Workers int
	// Progress, when set, is told how far long work has come (the CLI prints it); it is called
	// from the goroutine doing the work.
	Progress func(Progress)

	// Trials, when set, computes in the background the 試算 of every survey version accepted
	// through Submit (see trial.go); the service sets it, the command line does not.
	Trials bool

	// incremental: Score amends the latest score run in place when it may (incrementalBase,
	// store.Scores.Amend) — a rehearsal's runner (rehearsing) only; a real run is always full.
	incremental bool
	// resultsOnly: an amended score run's summary is not read back (store.Scores.AmendResults), so
	// Score's result has no Levels or Inputs, and an allocation is computed but not recorded (no
	// run, no amounts stored: AllocateWith) — a what-if's runner, which reads the totals it
	// compares itself and the amounts from the AllocateResult.
	resultsOnly bool
	// reviewsOf, when set (tests only: ReviewsOnlyOfForTest), limits the review and feedback workbooks an
	// export writes to these prefectures (two-digit codes); an export always writes all of them.
	reviewsOf map[string]bool

	mu         sync.Mutex
	registered map[string]bool // rulebook hashes already stored
	jobs       jobs            // the console's background cycles (jobs.go)
	trials     trialQueue      // the 試算 waiting and being computed (trial.go)
}

// Progress is how far one stage of long work has come.
type Progress struct {
	Stage    string // ingest, score, allocate, export …
	Done     int    // units done so far
	Total    int    // units in all (0: not known in advance)
	Unit     string // what is counted ("files"), or "" for a stage reported only as begun and ended
	Finished bool   // the stage has ended
}

func (r *Runner) progress(p Progress) {
	if r.Progress != nil {
		r.Progress(p)
	}
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

func (r *Runner) workers() int {
	if r.Workers > 0 {
		return r.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// CodeVersion is the module version and VCS revision of the running binary, as recorded in run
// manifests.
func CodeVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += " (modified)"
			}
		}
	}
	return v
}

// EnsureReference loads the shipped municipalities and prefectures into the store on first use,
// and their population as the figures of fiscal year fy when fy has none.
func (r *Runner) EnsureReference(ctx context.Context, fy int) error {
	// Each file is loaded in its own transaction and is skipped once its level has the year's
	// population: a process killed between the two files loads the second one the next time.
	for _, f := range []struct {
		name  string
		level kofukin.Level
	}{
		{fixtures.PrefecturesFile, kofukin.Prefecture},
		{fixtures.MunicipalitiesFile, kofukin.Municipality},
	} {
		have, err := r.Store.Reference().HasPopulation(ctx, fy, f.level)
		if err != nil {
			return err
		}
		if have {
			continue
		}
		data, err := fixtures.ReferenceFile(f.name)
		if err != nil {
			return err
		}
		ref, err := readReference(f.name, data, f.level)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ents, pops, err := r.Store.Reference().Load(ctx, fy, store.FirstGrantYear,
			store.ReferenceFile{Name: f.name, SHA256: hex.EncodeToString(sum[:])}, ref, fixtures.ReferenceSource)
		if err != nil {
			return err
		}
		r.logger().Info("reference loaded", "file", f.name, "fiscal_year", fy, "entities_added", ents, "population_rows", pops)
	}
	return nil
}

func readReference(name string, data []byte, level kofukin.Level) (*loaders.Reference, error) {
	ref, err := loaders.ReadReference(name, bytesReader(data), level)
	if err != nil {
		return nil, fmt.Errorf("read reference: %w", err)
	}
	return ref, nil
}

// failRun records run id as failed with runErr and returns runErr. The record is written even when
// ctx was cancelled (often the very cause of the failure); a failure to write it is joined to the
// error returned.
func (r *Runner) failRun(ctx context.Context, id int64, runErr error) error {
	if err := r.Store.Runs().Finish(context.WithoutCancel(ctx), id, nil, "", runErr); err != nil {
		return errors.Join(runErr, fmt.Errorf("record run %d as failed: %w", id, err))
	}
	return runErr
}

// rulebook returns the rulebook of fy and level and makes sure the store has it.
func (r *Runner) rulebook(ctx context.Context, fy int, level indicators.Level) (*indicators.Rulebook, error) {
	rb, err := r.Rulebooks.Get(fy, level)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.registered[rb.Hash] {
		return rb, nil
	}
	if err := r.Store.Scores().RegisterRulebook(ctx, rb, rb.Content); err != nil {
		return nil, fmt.Errorf("register rulebook %s: %w", rb.File, err)
	}
	if r.registered == nil {
		r.registered = map[string]bool{}
	}
	r.registered[rb.Hash] = true
	return rb, nil
}
