package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// Scheduler runs the pipeline's jobs on cron schedules (Asia/Tokyo): the inbox job ingests what was
// dropped into a folder (rejected files go to the quarantine folder), the nightly job re-scores,
// re-allocates and exports in a rehearsal (store.Rehearse; a dry run: nothing is stored but its record). A job
// never overlaps itself, a panic is recovered, and each run is recorded.
type Scheduler struct {
	Runner     *Runner
	FiscalYear int
	Inbox      string // "" for no inbox job
	Quarantine string
	Out        string // the nightly job writes into Out/nightly
	Inboxspec  string // cron spec of the inbox job ("" for none)
	Nightly    string // cron spec of the nightly job ("" for none)
	Logger     *slog.Logger

	cron *cron.Cron
}

// Start schedules the jobs; ctx is the parent of every job's context.
func (s *Scheduler) Start(ctx context.Context) error {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		tokyo = time.FixedZone("JST", 9*3600)
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cl := cronLogger{log}
	s.cron = cron.New(cron.WithLocation(tokyo), cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)))
	if s.Inbox != "" && s.Inboxspec != "" {
		if _, err := s.cron.AddFunc(s.Inboxspec, func() { s.InboxJob(ctx) }); err != nil {
			return fmt.Errorf("inbox schedule %q: %w", s.Inboxspec, err)
		}
	}
	if s.Nightly != "" {
		if _, err := s.cron.AddFunc(s.Nightly, func() { s.NightlyJob(ctx) }); err != nil {
			return fmt.Errorf("nightly schedule %q: %w", s.Nightly, err)
		}
	}
	s.cron.Start()
	log.Info("scheduler started", "inbox", s.Inbox, "inbox_schedule", s.Inboxspec, "nightly_schedule", s.Nightly, "location", tokyo.String())
	return nil
}

// Stop stops scheduling and waits for a running job to finish.
func (s *Scheduler) Stop() {
	if s.cron != nil {
		<-s.cron.Stop().Done()
	}
}

// InboxJob ingests the files in the inbox as a recorded run: accepted and unchanged files are
// removed from the inbox, rejected ones moved to the quarantine folder with their reports. An
// empty inbox records nothing; a failure is logged and its run recorded as failed.
func (s *Scheduler) InboxJob(parent context.Context) {
	ctx, cancel := context.WithTimeout(parent, 30*time.Minute)
	defer cancel()
	files, err := ExpandPaths([]string{s.Inbox})
	if err == nil && len(files) == 0 {
		return
	}
	run, serr := s.runs().Start(ctx, store.KindIngest, s.FiscalYear, map[string]any{"inbox": s.Inbox, "files": len(files)})
	if serr != nil {
		s.logger().Error("inbox job: cannot record its run", "inbox", s.Inbox, "error", errors.Join(err, serr))
		return
	}
	if err != nil {
		s.finish(ctx, "inbox", run, nil, "", fmt.Errorf("read the inbox: %w", err))
		return
	}
	rep, err := s.Runner.Ingest(ctx, files, IngestOptions{FiscalYear: s.FiscalYear, Quarantine: s.Quarantine, Via: "inbox"})
	if err == nil {
		for _, f := range rep.Files {
			// Remove a file taken (or the same file already held) — unless it was replaced under
			// the same name while the job ran: then it is read on the next run.
			if f.Status == kofukin.StatusRejected || f.SHA256 == "" {
				continue
			}
			sum, serr := fileSHA256(f.Path)
			if serr != nil {
				s.logger().Warn("inbox: cannot read a file taken again to remove it", "path", f.Path, "error", serr)
				continue
			}
			if sum != f.SHA256 {
				continue
			}
			if rerr := os.Remove(f.Path); rerr != nil {
				s.logger().Warn("inbox: cannot remove a file taken", "path", f.Path, "error", rerr)
			}
		}
	}
	summary := ""
	if rep != nil {
		summary = rep.Summary()
	}
	s.finish(ctx, "inbox", run, rep, summary, err)
}

// NightlyJob re-scores, re-allocates and exports the year in a rehearsal (store.Rehearse; a
// dry run: the store keeps only this job's record) into Out/nightly. A failure is logged and its
// run recorded as failed.
func (s *Scheduler) NightlyJob(parent context.Context) {
	ctx, cancel := context.WithTimeout(parent, 2*time.Hour)
	defer cancel()
	run, err := s.runs().Start(ctx, store.KindNightly, s.FiscalYear, map[string]any{"dry_run": true})
	if err != nil {
		s.logger().Error("nightly job: cannot record its run", "error", err)
		return
	}
	summary, err := s.dryCycle(ctx)
	s.finish(ctx, "nightly", run, nil, summary, err)
}

// finish records the end of a job's run (even when ctx has expired: a job that timed out is
// recorded as failed) and logs a failure of the job or of the record. A job has no caller to
// return its error to: this is where it is handled.
func (s *Scheduler) finish(ctx context.Context, job string, run int64, manifest any, summary string, err error) {
	if err != nil {
		s.logger().Error(job+" job failed", "run", run, "fiscal_year", s.FiscalYear, "error", err)
	}
	if ferr := s.runs().Finish(context.WithoutCancel(ctx), run, manifest, summary, err); ferr != nil {
		s.logger().Error(job+" job: cannot record the end of its run", "run", run, "error", ferr)
	}
}

// runRecorder is what the scheduler needs of the store's run records: every job is a recorded run.
type runRecorder interface {
	Start(ctx context.Context, kind string, fy int, params any) (int64, error)
	Finish(ctx context.Context, id int64, manifest any, summary string, runErr error) error
}

func (s *Scheduler) runs() runRecorder { return s.Runner.Store.Runs() }

func (s *Scheduler) dryCycle(ctx context.Context) (string, error) {
	out := filepath.Join(s.Out, "nightly")
	res, err := s.Runner.runCycle(ctx, s.FiscalYear, true, out)
	if err != nil {
		return "", err
	}
	m := res.Score.Municipal()
	return fmt.Sprintf("dry run: %d municipalities (%d submitted), mean %s; %d pools; %d files in %s", m.Entities, m.Submitted, indicators.FormatDecimal(m.MeanTotal, 2), len(res.Allocate.Results), len(res.Export.Files), out), nil
}

func (s *Scheduler) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "error", err)...)
}
