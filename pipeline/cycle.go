package pipeline

import (
	"context"
	"fmt"
	"time"
)

// CycleResult is what one national cycle produced, with the time each stage took.
type CycleResult struct {
	Ingest   *IngestReport
	Score    *ScoreResult
	Allocate *AllocateResult
	Export   *ExportResult
	Stages   []Stage
}

// Stage is one timed stage.
type Stage struct {
	Name    string
	Elapsed time.Duration
}

// Cycle runs one grant cycle of fiscal year fy: ingest paths, score, allocate, export into outDir.
// Rejected files do not stop the cycle; they are in the ingest report.
func (r *Runner) Cycle(ctx context.Context, fy int, paths []string, outDir string) (*CycleResult, error) {
	res := &CycleResult{}
	t := time.Now()
	r.progress(Progress{Stage: "reference"})
	lap := func(name, next string) {
		res.Stages = append(res.Stages, Stage{name, time.Since(t)})
		r.progress(Progress{Stage: name, Finished: true})
		if next != "" {
			r.progress(Progress{Stage: next})
		}
		t = time.Now()
	}
	if err := r.EnsureReference(ctx, fy); err != nil {
		return res, err
	}
	lap("reference", "ingest")
	var err error
	if res.Ingest, err = r.Ingest(ctx, paths, IngestOptions{FiscalYear: fy}); err != nil {
		return res, fmt.Errorf("ingest: %w", err)
	}
	lap("ingest", "score")
	if res.Score, err = r.Score(ctx, fy); err != nil {
		return res, err
	}
	lap("score", "allocate")
	if res.Allocate, err = r.Allocate(ctx, fy); err != nil {
		return res, err
	}
	lap("allocate", "export")
	if res.Export, err = r.Export(ctx, fy, outDir); err != nil {
		return res, err
	}
	lap("export", "")
	return res, nil
}
