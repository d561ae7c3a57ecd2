package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// ScoreResult is what a score run produced.
type ScoreResult struct {
	RunID     int64
	Rulebooks []*indicators.Rulebook
	store.ScoreSummary
	Elapsed time.Duration
	// Amended: in a rehearsal, run RunID (the latest real one) was amended in place for the inputs
	// as they are now (store.Scores.Amend) rather than a new run recorded. A what-if's runner
	// (resultsOnly) amends with store.Scores.AmendResults: its ScoreSummary is then empty (no
	// Levels, no Inputs), and the totals are to be read from run RunID.
	Amended bool
}

// Municipal is the summary of the municipal level.
func (r *ScoreResult) Municipal() store.LevelSummary { return r.Level(indicators.Municipality) }

// ScoreManifest records what went into a score run.
type ScoreManifest struct {
	// Rulebooks lists the rulebooks scored, children first.
	Rulebooks []RulebookRef `json:"rulebooks"`
	Inputs    int           `json:"inputs"`
	// InputsDigest is the SHA-256 of the lines "id sha256" of every input submission, by id; the
	// inputs themselves are in the run_inputs table.
	InputsDigest  string `json:"inputs_digest"`
	CodeVersion   string `json:"code_version"`
	DuckDBVersion string `json:"duckdb_version"`
}

// RulebookRef identifies a rulebook in a manifest.
type RulebookRef struct {
	Level   indicators.Level `json:"level"`
	Hash    string           `json:"hash"`
	File    string           `json:"file"`
	Version string           `json:"version"`
}

// Ref returns the manifest reference of the rulebook of a level, if the run scored it.
func (m ScoreManifest) Ref(l indicators.Level) RulebookRef {
	for _, r := range m.Rulebooks {
		if r.Level == l {
			return r
		}
	}
	return RulebookRef{Level: l}
}

// Score computes the scores of fiscal year fy as a recorded run: every level with a rulebook,
// children first (care centres, municipalities, prefectures), so that roll-ups see their
// children's results.
func (r *Runner) Score(ctx context.Context, fy int) (*ScoreResult, error) {
	start := time.Now()
	books, refs, err := r.scoreBooks(ctx, fy)
	if err != nil {
		return nil, err
	}
	if len(books) == 0 {
		_, err := r.Rulebooks.Get(fy, indicators.Municipality)
		return nil, err
	}
	if r.incremental {
		// In a rehearsal: the latest run amended in place, when it may be.
		base, err := r.incrementalBase(ctx, fy, refs)
		if err != nil {
			return nil, err
		}
		var sum store.ScoreSummary
		amended := false
		if r.resultsOnly {
			amended, err = r.Store.Scores().AmendResults(ctx, base, fy, books)
		} else {
			sum, amended, err = r.Store.Scores().Amend(ctx, base, fy, books)
		}
		if err != nil {
			return nil, err
		}
		if amended {
			return &ScoreResult{RunID: base, Rulebooks: books, ScoreSummary: sum, Elapsed: time.Since(start), Amended: true}, nil
		}
	}
	runID, err := r.Store.Runs().Start(ctx, store.KindScore, fy, map[string]any{"fiscal_year": fy, "rulebooks": refs})
	if err != nil {
		return nil, err
	}
	sum, err := r.Store.Scores().Compute(ctx, runID, fy, books)
	if err != nil {
		return nil, r.failRun(ctx, runID, err)
	}
	h := sha256.New()
	for _, in := range sum.Inputs {
		fmt.Fprintf(h, "%d %s\n", in.SubmissionID, in.SHA256)
	}
	ddb, err := r.Store.DuckDBVersion(ctx)
	if err != nil {
		return nil, r.failRun(ctx, runID, fmt.Errorf("duckdb version: %w", err))
	}
	man := ScoreManifest{Rulebooks: refs, Inputs: len(sum.Inputs),
		InputsDigest: hex.EncodeToString(h.Sum(nil)), CodeVersion: CodeVersion(), DuckDBVersion: ddb}
	summary := ""
	for _, l := range sum.Levels {
		summary += fmt.Sprintf("%s: %d entities (%d submitted), mean %s / %g (%s); ", l.Level, l.Entities, l.Submitted,
			indicators.FormatDecimal(l.MeanTotal, 2), l.MaxTotal, indicators.FormatPercent(l.MeanRate, 1))
	}
	if err := r.Store.Runs().Finish(ctx, runID, man, summary, nil); err != nil {
		return nil, err
	}
	r.logger().Info("score", "run", runID, "fiscal_year", fy, "summary", summary)
	return &ScoreResult{RunID: runID, Rulebooks: books, ScoreSummary: sum, Elapsed: time.Since(start)}, nil
}

// rehearsing is the runner of a rehearsal (store.Rehearse) on behalf of r: the same rulebooks,
// logger and workers on the rehearsal's view sc; its Score amends the latest run in place.
func (r *Runner) rehearsing(sc *store.Store) *Runner {
	return &Runner{Store: sc, Rulebooks: r.Rulebooks, Logger: r.Logger, Workers: r.Workers, incremental: true, reviewsOf: r.reviewsOf}
}

// incrementalBase returns the score run of fy a rehearsal may amend: the latest succeeded one, if
// it scored the same rulebooks (refs) with this code and this DuckDB; else 0 (a full run). The
// store checks the rest (Scores.Amend: no reference data loaded since).
func (r *Runner) incrementalBase(ctx context.Context, fy int, refs []RulebookRef) (int64, error) {
	run, err := r.Store.Runs().Latest(ctx, store.KindScore, fy)
	var none *store.NoRunError
	if errors.As(err, &none) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var man ScoreManifest
	if err := json.Unmarshal([]byte(run.Manifest), &man); err != nil {
		return 0, nil // a manifest this code cannot read: score in full
	}
	ddb, err := r.Store.DuckDBVersion(ctx)
	if err != nil {
		return 0, err
	}
	if man.CodeVersion != CodeVersion() || man.DuckDBVersion != ddb || len(man.Rulebooks) != len(refs) {
		return 0, nil
	}
	for i, ref := range refs {
		if man.Rulebooks[i].Level != ref.Level || man.Rulebooks[i].Hash != ref.Hash {
			return 0, nil
		}
	}
	return run.ID, nil
}
