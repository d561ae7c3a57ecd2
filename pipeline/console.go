package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/store"
)

// The ministry's console and its actions: runs, outputs, the audit log, a cycle run or a dry run,
// and the submissions a principal may list.

// ConsoleView is the ministry's console.
type ConsoleView struct {
	Runs     []store.Run        // the newest 30
	Counts   map[string]int     // current submissions by level
	Deadline string             // fy's submission deadline ("" when none)
	Files    []string           // the newest export's files, relative to its folder
	Audit    []store.AuditEntry // the newest 30 entries
	Job      *Job               // the cycle running in the background, if any
}

// Console returns the console of fy for by.
func (r *Runner) Console(ctx context.Context, by kofukin.Principal, fy int) (*ConsoleView, error) {
	if err := r.authorize(ctx, by, kofukin.ActConsole, ""); err != nil {
		return nil, err
	}
	v := &ConsoleView{Counts: map[string]int{}, Job: r.runningJob()}
	var err error
	if v.Runs, err = r.Store.Runs().List(ctx); err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	if len(v.Runs) > 30 {
		v.Runs = v.Runs[:30]
	}
	subs, err := r.Store.Submissions().Current(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("current submissions: %w", err)
	}
	for _, x := range subs {
		v.Counts[x.Level]++
	}
	if v.Deadline, err = r.Deadline(ctx, fy); err != nil {
		return nil, err
	}
	_, man, err := r.latestExport(ctx, fy)
	if err != nil {
		return nil, err
	}
	if man != nil {
		v.Files = sortedKeys(man.Files)
	}
	if v.Audit, err = r.Store.Access().AuditLog(ctx, 30); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return v, nil
}

// Runs lists every recorded run, newest first, for by.
func (r *Runner) Runs(ctx context.Context, by kofukin.Principal) ([]store.Run, error) {
	if err := r.authorize(ctx, by, kofukin.ActConsole, ""); err != nil {
		return nil, err
	}
	runs, err := r.Store.Runs().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	return runs, nil
}

// Run returns one recorded run and its manifest, indented, for by.
func (r *Runner) Run(ctx context.Context, by kofukin.Principal, id int64) (*store.Run, string, error) {
	if err := r.authorize(ctx, by, kofukin.ActConsole, ""); err != nil {
		return nil, "", err
	}
	run, err := r.Store.Runs().Get(ctx, id)
	if noRows(err) {
		return nil, "", missing("実行記録が見つかりません。", err)
	}
	if err != nil {
		return nil, "", fmt.Errorf("run %d: %w", id, err)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(run.Manifest), "", "  ") != nil {
		pretty.Reset()
		pretty.WriteString(run.Manifest) // shown as recorded
	}
	return run, pretty.String(), nil
}

// ExportFile returns a file of fy's newest export (its path relative to the export's folder, as
// the manifest records it) for by. Only files the export recorded are served: no path traversal.
func (r *Runner) ExportFile(ctx context.Context, by kofukin.Principal, fy int, rel string) (string, []byte, error) {
	dir, man, err := r.LatestExport(ctx, by, fy)
	if err != nil {
		return "", nil, err
	}
	if man == nil {
		return "", nil, missing("出力ファイルはまだありません。", nil)
	}
	if _, ok := man.Files[rel]; !ok {
		return "", nil, missing("ファイルが見つかりません。", nil)
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return "", nil, missing("ファイルが見つかりません。", err)
	}
	return filepath.Base(rel), data, nil
}

// Submissions returns fy's current submissions that by may see: its own entity's, those of the
// entities in its scope, and the ministry's values for whoever may use the console.
func (r *Runner) Submissions(ctx context.Context, by kofukin.Principal, fy int) ([]store.Submission, error) {
	subs, err := r.Store.Submissions().Current(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("current submissions: %w", err)
	}
	console := kofukin.Allowed(by, kofukin.ActConsole, "")
	out := []store.Submission{}
	for _, x := range subs {
		if x.EntityCode == store.MinistryCode && console || x.EntityCode != store.MinistryCode && kofukin.Allowed(by, kofukin.ActView, x.EntityCode) {
			out = append(out, x)
		}
	}
	return out, nil
}

// CycleRun is what RunCycle did.
type CycleRun struct {
	DryRun   bool
	Score    *ScoreResult
	Allocate *AllocateResult
	Export   *ExportResult // nil for a dry run
}

// RunCycle scores, allocates and exports fy into outDir on behalf of by; a dry run scores and
// allocates in a rehearsal (store.Rehearse) and keeps nothing. The attempt and its outcome are
// in the audit log.
func (r *Runner) RunCycle(ctx context.Context, by kofukin.Principal, fy int, dry bool, outDir string) (*CycleRun, error) {
	if err := r.authorize(ctx, by, kofukin.ActRun, ""); err != nil {
		return nil, err
	}
	out := outDir
	if dry {
		out = "" // the console's dry run writes nothing
	}
	res, err := r.runCycle(ctx, fy, dry, out)
	r.audit(ctx, by, "run pipeline", fmt.Sprint(fy), res.summary(err))
	return res, err
}

// summary is the run's line in the audit log.
func (c *CycleRun) summary(err error) string {
	s := "run"
	if c.DryRun {
		s = "dry run"
	}
	if err != nil {
		return s + " failed: " + err.Error()
	}
	if c.DryRun { // its runs were rehearsed and are gone: no run id to name
		n := 0
		for _, l := range c.Score.Levels {
			n += l.Entities
		}
		return fmt.Sprintf("dry run: %d entities scored, %d pools allocated, nothing stored", n, len(c.Allocate.Results))
	}
	s += fmt.Sprintf(": score run %d, allocate run %d", c.Score.RunID, c.Allocate.RunID)
	if c.Export != nil {
		s += fmt.Sprintf(", export run %d (%d files)", c.Export.RunID, len(c.Export.Files))
	}
	return s
}

// runCycle scores and allocates fy — in a rehearsal (store.Rehearse: one transaction rolled back)
// when dry, so that the store keeps nothing of it — and exports into outDir unless outDir is empty.
// The console's run and dry run and the scheduler's nightly job are this one cycle.
func (r *Runner) runCycle(ctx context.Context, fy int, dry bool, outDir string) (*CycleRun, error) {
	res := &CycleRun{DryRun: dry}
	if !dry {
		return res, r.cycleOn(ctx, r, fy, outDir, res)
	}
	err := r.Store.RehearseScoring(ctx, func(sc *store.Store) error {
		on := r.rehearsing(sc)
		on.Progress = r.Progress
		// A dry run that exports (the nightly job) scores in full under a run of its own: its
		// workbooks name the score run, which must be the one their numbers come from, never a
		// real run amended in the rehearsal.
		on.incremental = outDir == ""
		return r.cycleOn(ctx, on, fy, outDir, res)
	})
	return res, err
}

// cycleOn is runCycle's score, allocate and export, run by on (r itself, or a rehearsal's runner)
// and reported through r's progress.
func (r *Runner) cycleOn(ctx context.Context, on *Runner, fy int, outDir string, res *CycleRun) error {
	var err error
	r.progress(Progress{Stage: "score"})
	if res.Score, err = on.Score(ctx, fy); err != nil {
		return err
	}
	scored := 0
	for _, l := range res.Score.Levels {
		scored += l.Entities
	}
	r.progress(Progress{Stage: "score", Done: scored, Unit: "entities", Finished: true})
	r.progress(Progress{Stage: "allocate"})
	if res.Allocate, err = on.Allocate(ctx, fy); err != nil {
		return err
	}
	r.progress(Progress{Stage: "allocate", Done: len(res.Allocate.Results), Unit: "pools", Finished: true})
	if outDir == "" {
		return nil
	}
	r.progress(Progress{Stage: "export"})
	if res.Export, err = on.Export(ctx, fy, outDir); err != nil {
		return err
	}
	r.progress(Progress{Stage: "export", Done: len(res.Export.Files), Unit: "files", Finished: true})
	return nil
}

// WhatIfAs re-scores and re-allocates fy with changes in a rehearsal on behalf of by (a dry
// run: it needs the right to run).
func (r *Runner) WhatIfAs(ctx context.Context, by kofukin.Principal, fy int, changes []Change) (*WhatIfReport, error) {
	if err := r.authorize(ctx, by, kofukin.ActRun, ""); err != nil {
		return nil, err
	}
	return r.WhatIf(ctx, fy, changes)
}

// NationalStatus is the national 提出状況: every prefecture's line and their totals.
type NationalStatus struct {
	Prefectures []store.PrefectureStatus
	Total       store.PrefectureStatus // OwnSubmitted unused; see PrefecturesSubmitted
	// PrefecturesSubmitted counts the prefectures that sent their own survey.
	PrefecturesSubmitted int
}

// NationalStatus returns fy's 提出状況 by prefecture for by.
func (r *Runner) NationalStatus(ctx context.Context, by kofukin.Principal, fy int) (*NationalStatus, error) {
	if err := r.authorize(ctx, by, kofukin.ActConsole, ""); err != nil {
		return nil, err
	}
	ps, err := r.Store.Submissions().NationalStatus(ctx, fy)
	if err != nil {
		return nil, err
	}
	v := &NationalStatus{Prefectures: ps, Total: store.PrefectureStatus{Name: "全国"}}
	for _, p := range ps {
		t := &v.Total
		t.Municipalities += p.Municipalities
		t.Submitted += p.Submitted
		t.Confirmed += p.Confirmed
		t.Returned += p.Returned
		t.Unreviewed += p.Unreviewed
		t.Missing += p.Missing
		t.Centres += p.Centres
		t.CentresSubmitted += p.CentresSubmitted
		if p.OwnSubmitted {
			v.PrefecturesSubmitted++
		}
	}
	return v, nil
}
