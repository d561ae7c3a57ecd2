package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// ScoreResult is what a score run produced.
type ScoreResult struct {
	RunID    int64
	Rulebook *indicators.Rulebook
	store.ScoreSummary
	Elapsed time.Duration
}

// ScoreManifest records what went into a score run.
type ScoreManifest struct {
	RulebookHash    string `json:"rulebook_hash"`
	RulebookFile    string `json:"rulebook_file"`
	RulebookVersion string `json:"rulebook_version"`
	Inputs          int    `json:"inputs"`
	// InputsDigest is the SHA-256 of the lines "id sha256" of every input submission, by id; the
	// inputs themselves are in the run_inputs table.
	InputsDigest  string `json:"inputs_digest"`
	CodeVersion   string `json:"code_version"`
	DuckDBVersion string `json:"duckdb_version"`
}

// Score computes the scores of fiscal year fy's municipalities as a recorded run.
func (r *Runner) Score(ctx context.Context, fy int) (*ScoreResult, error) {
	start := time.Now()
	if err := r.EnsureReference(ctx, fy); err != nil {
		return nil, err
	}
	rb, err := r.rulebook(ctx, fy, indicators.Municipality)
	if err != nil {
		return nil, err
	}
	runID, err := r.Store.StartRun(ctx, store.KindScore, fy, map[string]any{"fiscal_year": fy, "level": rb.Level, "rulebook_hash": rb.Hash})
	if err != nil {
		return nil, err
	}
	sum, err := r.Store.Score(ctx, runID, rb)
	if err != nil {
		r.Store.FinishRun(ctx, runID, nil, "", err)
		return nil, err
	}
	h := sha256.New()
	for _, in := range sum.Inputs {
		fmt.Fprintf(h, "%d %s\n", in.SubmissionID, in.SHA256)
	}
	ddb, _ := r.Store.DuckDBVersion(ctx)
	man := ScoreManifest{RulebookHash: rb.Hash, RulebookFile: rb.File, RulebookVersion: rb.Version, Inputs: len(sum.Inputs),
		InputsDigest: hex.EncodeToString(h.Sum(nil)), CodeVersion: CodeVersion(), DuckDBVersion: ddb}
	summary := fmt.Sprintf("%d entities (%d submitted), mean total %.2f / %g (%.1f%%)", sum.Entities, sum.Submitted, sum.MeanTotal, sum.MaxTotal, 100*sum.MeanRate)
	if err := r.Store.FinishRun(ctx, runID, man, summary, nil); err != nil {
		return nil, err
	}
	r.logger().Info("score", "run", runID, "fiscal_year", fy, "summary", summary)
	return &ScoreResult{RunID: runID, Rulebook: rb, ScoreSummary: sum, Elapsed: time.Since(start)}, nil
}
