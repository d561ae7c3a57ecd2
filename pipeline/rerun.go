package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// RerunReport says whether a past run came out the same again.
type RerunReport struct {
	RunID     int64
	Kind      string
	NewRunID  int64    // the export run that wrote the files again
	Checked   int      // score lines, amounts and files compared
	Different []string // what differs, empty when everything is identical
	// Notes say what could not be compared and why (an export's folder moved or deleted); they
	// are not differences.
	Notes  []string
	OutDir string
}

// Rerun re-creates a past run and compares. A score run: scored again in a rehearsal (store.Rehearse) from the
// submission versions and the stored rulebook texts it used, every score it stored compared. An
// allocation run: the allocation computed again from the recorded score run and parameters in a
// rehearsal (store.Rehearse), every amount compared with the stored one; then its outputs are
// written into dir and each file's SHA-256 compared with the newest export of that run (not itself
// written by a rerun), if any. An export run: the same for its allocation run, the hashes compared
// with the export's own. For the export compared with, the files it wrote are first checked where
// it wrote them: a file there whose bytes are not the recorded ones (changed after the export) is a
// difference; a file no longer there is a note.
func (r *Runner) Rerun(ctx context.Context, runID int64, dir string) (*RerunReport, error) {
	run, err := r.Store.Runs().Get(ctx, runID)
	if err != nil {
		return nil, err
	}
	if run.Status != kofukin.RunSucceeded {
		return nil, fmt.Errorf("run %d did not succeed (%s): nothing to re-create", runID, run.Status)
	}
	rep := &RerunReport{RunID: runID, Kind: run.Kind, OutDir: dir}
	switch run.Kind {
	case store.KindExport:
		var man ExportManifest
		if err := json.Unmarshal([]byte(run.Manifest), &man); err != nil {
			return nil, fmt.Errorf("read manifest of run %d: %w", runID, err)
		}
		alloc, err := r.Store.Runs().Get(ctx, man.AllocateRunID)
		if err != nil {
			return nil, err
		}
		checkInPlace(run, man.Files, rep)
		if err := r.reallocate(ctx, alloc, rep); err != nil {
			return nil, err
		}
		return rep, r.reexport(ctx, alloc, dir, man.Files, rep)
	case store.KindAllocate:
		if err := r.reallocate(ctx, run, rep); err != nil {
			return nil, err
		}
		var recorded map[string]string
		runs, err := r.Store.Runs().List(ctx)
		if err != nil {
			return nil, err
		}
		for _, x := range runs { // newest first
			if x.Kind != store.KindExport || x.Status != kofukin.RunSucceeded {
				continue
			}
			var em ExportManifest
			var params struct {
				RerunOf int64 `json:"rerun_of"`
			}
			if err := errors.Join(json.Unmarshal([]byte(x.Parameters), &params), json.Unmarshal([]byte(x.Manifest), &em)); err != nil {
				rep.Notes = append(rep.Notes, fmt.Sprintf("export run %d has an unreadable record (%v): not compared", x.ID, err))
				continue
			}
			if params.RerunOf == 0 && em.AllocateRunID == runID {
				recorded = em.Files
				checkInPlace(&x, em.Files, rep)
				break
			}
		}
		if recorded == nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("allocation run %d was never exported: the files written again were not compared", runID))
		}
		return rep, r.reexport(ctx, run, dir, recorded, rep)
	case store.KindScore:
		return rep, r.rescore(ctx, run, rep)
	}
	return nil, fmt.Errorf("run %d is a %s run: rerun re-creates score, allocation and export runs", runID, run.Kind)
}

// reallocate computes an allocation run again in a rehearsal (store.Rehearse), from its recorded score run and
// parameters, and compares every amount with the stored one.
func (r *Runner) reallocate(ctx context.Context, run *store.Run, rep *RerunReport) error {
	var man AllocateManifest
	if err := json.Unmarshal([]byte(run.Manifest), &man); err != nil {
		return fmt.Errorf("read manifest of run %d: %w", run.ID, err)
	}
	scoreRun, err := r.Store.Runs().Get(ctx, man.ScoreRunID)
	if err != nil {
		return err
	}
	return r.Store.Rehearse(ctx, func(sc *store.Store) error {
		tmp := &Runner{Store: sc, Rulebooks: r.Rulebooks, Logger: r.Logger, Workers: r.Workers}
		again, err := tmp.AllocateWith(ctx, run.FiscalYear, scoreRun, man.Params)
		if err != nil {
			return fmt.Errorf("allocate again: %w", err)
		}
		return compareAmounts(ctx, r.Store.Allocations(), run.ID, sc.Allocations(), again.RunID, rep)
	})
}

// amountLister is what an allocation rerun compares: the amounts of a run, read from the store
// and from the rehearsal that allocated again.
type amountLister interface {
	Amounts(ctx context.Context, run int64) ([]store.AmountRow, error)
}

// compareAmounts reports every amount of run (as recorded) that differs from the same amount of
// againRun (as computed again).
func compareAmounts(ctx context.Context, recorded amountLister, run int64, computed amountLister, againRun int64, rep *RerunReport) error {
	old, err := recorded.Amounts(ctx, run)
	if err != nil {
		return err
	}
	now, err := computed.Amounts(ctx, againRun)
	if err != nil {
		return err
	}
	rep.Checked += len(old)
	if len(old) != len(now) {
		rep.Different = append(rep.Different, fmt.Sprintf("%d amounts recorded, %d computed again", len(old), len(now)))
	}
	var diffs []string
	for i := 0; i < len(old) && i < len(now); i++ {
		if a, b := amountLine(old[i]), amountLine(now[i]); a != b {
			diffs = append(diffs, "recorded "+a+" / computed "+b)
		}
	}
	rep.Different = append(rep.Different, firstOf(diffs, "amounts")...)
	return nil
}

// maxListed bounds the differences of one kind listed; the rest are counted.
const maxListed = 20

func firstOf(diffs []string, what string) []string {
	if len(diffs) <= maxListed {
		return diffs
	}
	return append(diffs[:maxListed:maxListed], fmt.Sprintf("… and %d more %s differ", len(diffs)-maxListed, what))
}

// amountLine is one stored amount as rerun compares and reports it.
func amountLine(a store.AmountRow) string {
	capYen := "なし"
	if a.CapYen != nil {
		capYen = fmt.Sprint(*a.CapYen)
	}
	return fmt.Sprintf("%s %s: %d yen (score %v, weight %d, proposal %d, cap %s)", a.EntityCode, a.PoolID, a.AmountYen, a.Score, a.Weight, a.ProposalYen, capYen)
}

// checkInPlace compares the files an export run wrote, where it wrote them, with the hashes it
// recorded.
func checkInPlace(export *store.Run, recorded map[string]string, rep *RerunReport) {
	var params struct {
		Dir string `json:"dir"`
	}
	if err := json.Unmarshal([]byte(export.Parameters), &params); err != nil || params.Dir == "" {
		rep.Notes = append(rep.Notes, fmt.Sprintf("export run %d recorded no folder: its files were not checked in place", export.ID))
		return
	}
	var missing []string
	for _, n := range sortedKeys(recorded) {
		path := filepath.Join(params.Dir, filepath.FromSlash(n))
		data, err := os.ReadFile(path)
		if err != nil {
			missing = append(missing, n)
			continue
		}
		rep.Checked++
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != recorded[n] {
			rep.Different = append(rep.Different, fmt.Sprintf("%s: changed since export run %d wrote it (sha256 %s, recorded %s)", path, export.ID, got[:12], recorded[n][:12]))
		}
	}
	if len(missing) > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d of the %d files export run %d wrote are no longer in %s (e.g. %s): not checked in place", len(missing), len(recorded), export.ID, params.Dir, missing[0]))
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// rescore scores a past run again in a rehearsal (store.Rehearse): the submission versions it read made current
// again, its rulebooks taken from their stored text (not from the files now), then every score it
// stored — item, indicator, goal, grant, 総合計, 得点率 and rank — compared with the recorded one.
func (r *Runner) rescore(ctx context.Context, run *store.Run, rep *RerunReport) error {
	var man ScoreManifest
	if err := json.Unmarshal([]byte(run.Manifest), &man); err != nil {
		return fmt.Errorf("read manifest of run %d: %w", run.ID, err)
	}
	var books []*indicators.Rulebook
	for _, ref := range man.Rulebooks {
		file, content, err := r.Store.Runs().RulebookContent(ctx, ref.Hash)
		if err != nil {
			return err
		}
		rb, err := indicators.Parse(file, content)
		if err != nil {
			return fmt.Errorf("stored rulebook %s: %w", file, err)
		}
		books = append(books, rb)
	}
	return r.Store.Rehearse(ctx, func(sc *store.Store) error {
		if err := sc.Runs().RestoreInputs(ctx, run.ID, run.FiscalYear); err != nil {
			return err
		}
		again, err := sc.Runs().Start(ctx, store.KindScore, run.FiscalYear, map[string]any{"rerun_of": run.ID})
		if err != nil {
			return err
		}
		if _, err := sc.Scores().Compute(ctx, again, run.FiscalYear, books); err != nil {
			return err
		}
		return compareScoreLines(ctx, r.Store.Runs(), run.ID, sc.Runs(), again, rep)
	})
}

// scoreLiner is what a score rerun compares: everything a run stored, line by line, read from the
// store and from the rehearsal that scored again.
type scoreLiner interface {
	ScoreLines(ctx context.Context, runID int64) ([]string, error)
}

// compareScoreLines reports every line of run (as recorded) that differs from the same line of
// againRun (as scored again).
func compareScoreLines(ctx context.Context, recorded scoreLiner, run int64, computed scoreLiner, againRun int64, rep *RerunReport) error {
	old, err := recorded.ScoreLines(ctx, run)
	if err != nil {
		return err
	}
	now, err := computed.ScoreLines(ctx, againRun)
	if err != nil {
		return err
	}
	rep.Checked = len(old)
	if len(old) != len(now) {
		rep.Different = append(rep.Different, fmt.Sprintf("%d score lines recorded, %d computed again", len(old), len(now)))
	}
	var diffs []string
	for i := 0; i < len(old) && i < len(now); i++ {
		if old[i] != now[i] {
			diffs = append(diffs, "recorded "+old[i]+" / now "+now[i])
		}
	}
	rep.Different = append(rep.Different, firstOf(diffs, "scores")...)
	return nil
}

// reexport writes an allocation run's outputs again into dir, as an export run recorded with
// rerun_of (so that it never becomes the export a later rerun compares with), and compares each
// file's SHA-256 with recorded.
func (r *Runner) reexport(ctx context.Context, alloc *store.Run, dir string, recorded map[string]string, rep *RerunReport) error {
	fy := alloc.FiscalYear
	absDir := dir
	if abs, err := filepath.Abs(dir); err == nil {
		absDir = abs
	}
	runID, err := r.Store.Runs().Start(ctx, store.KindExport, fy, map[string]any{"fiscal_year": fy, "allocate_run_id": alloc.ID, "dir": absDir, "rerun_of": rep.RunID})
	if err != nil {
		return err
	}
	res, err := r.exportRun(ctx, fy, alloc, dir)
	if err != nil {
		return r.failRun(ctx, runID, err)
	}
	if err := r.Store.Runs().Finish(ctx, runID, ExportManifest{AllocateRunID: alloc.ID, Files: res.SHA256}, fmt.Sprintf("%d file(s), rerun of run %d", len(res.Files), rep.RunID), nil); err != nil {
		return err
	}
	rep.NewRunID = runID
	if recorded == nil {
		return nil
	}
	for _, n := range sortedKeys(res.SHA256) {
		if _, ok := recorded[n]; !ok {
			rep.Different = append(rep.Different, n+": written again, but not by the export")
		}
	}
	for _, n := range sortedKeys(recorded) {
		rep.Checked++
		if got, ok := res.SHA256[n]; !ok {
			rep.Different = append(rep.Different, n+": not written again")
		} else if got != recorded[n] {
			rep.Different = append(rep.Different, fmt.Sprintf("%s: sha256 %s, recorded %s", n, got[:12], recorded[n][:12]))
		}
	}
	return nil
}
