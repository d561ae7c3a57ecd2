package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// RerunReport says whether a past run came out the same again.
type RerunReport struct {
	RunID     int64
	Kind      string
	NewRunID  int64    // the export run that wrote the files again
	Checked   int      // amounts or files compared
	Different []string // what differs, empty when everything is identical
	OutDir    string
}

// Rerun re-creates a past run and compares. A score run: scored again in a scratch copy from the
// submission versions and the stored rulebook texts it used, every item score compared. An export run: its allocation run's outputs are
// written again into dir and each file's SHA-256 compared with the recorded one. An allocation
// run: the allocation is computed again from the recorded score run and parameters in a scratch
// copy of the database and every amount compared with the stored one; then its outputs are written
// into dir (and compared with the newest export of that run, if any).
func (r *Runner) Rerun(ctx context.Context, runID int64, dir string) (*RerunReport, error) {
	run, err := r.Store.GetRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	if run.Status != store.RunSucceeded {
		return nil, fmt.Errorf("run %d did not succeed (%s): nothing to re-create", runID, run.Status)
	}
	rep := &RerunReport{RunID: runID, Kind: run.Kind, OutDir: dir}
	switch run.Kind {
	case store.KindExport:
		var man ExportManifest
		if err := json.Unmarshal([]byte(run.Manifest), &man); err != nil {
			return nil, fmt.Errorf("read manifest of run %d: %w", runID, err)
		}
		alloc, err := r.Store.GetRun(ctx, man.AllocateRunID)
		if err != nil {
			return nil, err
		}
		return rep, r.reexport(ctx, alloc, dir, man.Files, rep)
	case store.KindAllocate:
		var man AllocateManifest
		if err := json.Unmarshal([]byte(run.Manifest), &man); err != nil {
			return nil, fmt.Errorf("read manifest of run %d: %w", runID, err)
		}
		scoreRun, err := r.Store.GetRun(ctx, man.ScoreRunID)
		if err != nil {
			return nil, err
		}
		sc, done, err := r.Store.Scratch(ctx)
		if err != nil {
			return nil, err
		}
		defer done()
		tmp := &Runner{Store: sc, Rulebooks: r.Rulebooks, Logger: r.Logger, Workers: r.Workers}
		again, err := tmp.AllocateWith(ctx, run.FiscalYear, scoreRun, man.Params)
		if err != nil {
			return nil, fmt.Errorf("allocate again: %w", err)
		}
		old, err := r.Store.Amounts(ctx, runID)
		if err != nil {
			return nil, err
		}
		now, err := sc.Amounts(ctx, again.RunID)
		if err != nil {
			return nil, err
		}
		rep.Checked = len(old)
		if len(old) != len(now) {
			rep.Different = append(rep.Different, fmt.Sprintf("%d amounts recorded, %d computed again", len(old), len(now)))
		}
		for i := 0; i < len(old) && i < len(now); i++ {
			a, b := old[i], now[i]
			if a.EntityCode != b.EntityCode || a.PoolID != b.PoolID || a.AmountYen != b.AmountYen || a.ProposalYen != b.ProposalYen || a.Weight != b.Weight || a.Score != b.Score {
				rep.Different = append(rep.Different, fmt.Sprintf("%s %s: recorded %d yen, computed %d yen", a.EntityCode, a.PoolID, a.AmountYen, b.AmountYen))
			}
		}
		var recorded map[string]string
		if runs, err := r.Store.Runs(ctx); err == nil {
			for _, x := range runs { // newest first
				var em ExportManifest
				if x.Kind == store.KindExport && x.Status == store.RunSucceeded && json.Unmarshal([]byte(x.Manifest), &em) == nil && em.AllocateRunID == runID {
					recorded = em.Files
					break
				}
			}
		}
		return rep, r.reexport(ctx, run, dir, recorded, rep)
	case store.KindScore:
		return rep, r.rescore(ctx, run, rep)
	}
	return nil, fmt.Errorf("run %d is a %s run: rerun re-creates score, allocation and export runs", runID, run.Kind)
}

// rescore scores a past run again in a scratch copy: the submission versions it read made current
// again, its rulebooks taken from their stored text (not from the files now), then every item
// score compared with the recorded one.
func (r *Runner) rescore(ctx context.Context, run *store.Run, rep *RerunReport) error {
	var man ScoreManifest
	if err := json.Unmarshal([]byte(run.Manifest), &man); err != nil {
		return fmt.Errorf("read manifest of run %d: %w", run.ID, err)
	}
	var books []*indicators.Rulebook
	for _, ref := range man.Rulebooks {
		file, content, err := r.Store.RulebookContent(ctx, ref.Hash)
		if err != nil {
			return err
		}
		rb, err := indicators.Parse(file, content)
		if err != nil {
			return fmt.Errorf("stored rulebook %s: %w", file, err)
		}
		books = append(books, rb)
	}
	sc, done, err := r.Store.Scratch(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := sc.RestoreInputs(ctx, run.ID, run.FiscalYear); err != nil {
		return err
	}
	again, err := sc.StartRun(ctx, store.KindScore, run.FiscalYear, map[string]any{"rerun_of": run.ID})
	if err != nil {
		return err
	}
	if _, err := sc.Score(ctx, again, run.FiscalYear, books); err != nil {
		return err
	}
	old, err := r.Store.ItemScoreLines(ctx, run.ID)
	if err != nil {
		return err
	}
	now, err := sc.ItemScoreLines(ctx, again)
	if err != nil {
		return err
	}
	rep.Checked = len(old)
	if len(old) != len(now) {
		rep.Different = append(rep.Different, fmt.Sprintf("%d item scores recorded, %d computed again", len(old), len(now)))
	}
	for i := 0; i < len(old) && i < len(now); i++ {
		if old[i] != now[i] {
			rep.Different = append(rep.Different, "recorded "+old[i]+" / now "+now[i])
			if len(rep.Different) >= 20 {
				break
			}
		}
	}
	return nil
}

func (r *Runner) reexport(ctx context.Context, alloc *store.Run, dir string, recorded map[string]string, rep *RerunReport) error {
	res, err := r.ExportRun(ctx, alloc, dir)
	if err != nil {
		return err
	}
	rep.NewRunID = res.RunID
	if recorded == nil {
		return nil
	}
	names := make([]string, 0, len(recorded))
	for n := range recorded {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		rep.Checked++
		if got, ok := res.SHA256[n]; !ok {
			rep.Different = append(rep.Different, n+": not written again")
		} else if got != recorded[n] {
			rep.Different = append(rep.Different, fmt.Sprintf("%s: sha256 %s, recorded %s", n, got[:12], recorded[n][:12]))
		}
	}
	return nil
}
