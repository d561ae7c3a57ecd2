package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/store"
)

// Console cycles run as background jobs: the request that starts one returns at once with the
// job's id, and the job's page shows its stage and counts until it ends. One cycle runs at a time;
// asking for another while one runs gets the running one. Jobs live in the process (a restart
// forgets them; the runs they recorded stay in the store).

// Job is one console cycle run in the background, as last seen.
type Job struct {
	ID       int64
	By       kofukin.Principal
	FY       int
	DryRun   bool
	Started  time.Time
	Finished time.Time // zero while running
	Stages   []JobStage
	Result   *CycleRun // once finished without error
	Err      string    // once finished with an error
}

// JobStage is one stage of a job as its progress reported it.
type JobStage struct {
	Name     string // score, allocate, export
	Started  time.Time
	Finished time.Time // zero while running
	Done     int
	Total    int
	Unit     string
}

// Running reports whether the job has not ended.
func (j Job) Running() bool { return j.Finished.IsZero() }

// Elapsed is how long the job has run (so far, or in all).
func (j Job) Elapsed(now time.Time) time.Duration {
	if j.Running() {
		return now.Sub(j.Started)
	}
	return j.Finished.Sub(j.Started)
}

// Stage is the stage running now (or the last one), or nil before the first.
func (j *Job) Stage() *JobStage {
	if len(j.Stages) == 0 {
		return nil
	}
	return &j.Stages[len(j.Stages)-1]
}

// jobs is the Runner's table of console jobs.
type jobs struct {
	mu      sync.Mutex
	next    int64
	all     map[int64]*Job // guarded by mu; a Job is changed only under mu
	running *Job
	cancel  map[int64]context.CancelFunc
	wg      sync.WaitGroup
	stopped bool
}

// StartCycle starts fy's cycle (a dry run when dry, else score, allocate and export into outDir)
// in the background on behalf of by and returns its job. When a cycle is already running it
// returns that job instead and started is false: cycles never run twice at once. The job's context
// does not end with ctx (the request that asked) but when StopJobs is called.
func (r *Runner) StartCycle(ctx context.Context, by kofukin.Principal, fy int, dry bool, outDir string) (job Job, started bool, err error) {
	if err := r.authorize(ctx, by, kofukin.ActRun, ""); err != nil {
		return Job{}, false, err
	}
	js := &r.jobs
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.running != nil {
		return js.running.snapshot(), false, nil
	}
	if js.stopped {
		return Job{}, false, &UserError{MessageJA: "サービスを停止中のため実行できません。", Err: context.Canceled}
	}
	if js.all == nil {
		js.all, js.cancel = map[int64]*Job{}, map[int64]context.CancelFunc{}
	}
	js.next++
	j := &Job{ID: js.next, By: by, FY: fy, DryRun: dry, Started: time.Now()}
	js.all[j.ID], js.running = j, j
	jctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	js.cancel[j.ID] = cancel
	// The job's own runner over the same store: its progress goes to this job only, whoever else
	// uses r meanwhile.
	on := &Runner{Store: r.Store, Rulebooks: r.Rulebooks, Logger: r.Logger, Workers: r.Workers,
		Progress: func(p Progress) { js.record(j, p) }, reviewsOf: r.reviewsOf}
	js.wg.Add(1)
	go func() {
		defer js.wg.Done()
		defer cancel()
		res, err := on.RunCycle(jctx, by, fy, dry, outDir)
		js.mu.Lock()
		defer js.mu.Unlock()
		j.Finished = time.Now()
		if st := j.Stage(); st != nil && st.Finished.IsZero() {
			st.Finished = j.Finished
		}
		if err != nil {
			j.Err = err.Error()
			r.logger().Error("console cycle", "job", j.ID, "dry", dry, "error", err)
		} else {
			j.Result = res
		}
		js.running = nil
		delete(js.cancel, j.ID)
	}()
	return j.snapshot(), true, nil
}

// record applies a progress report to j.
func (js *jobs) record(j *Job, p Progress) {
	js.mu.Lock()
	defer js.mu.Unlock()
	now := time.Now()
	st := j.Stage()
	if st == nil || st.Name != p.Stage {
		if st != nil && st.Finished.IsZero() {
			st.Finished = now
		}
		j.Stages = append(j.Stages, JobStage{Name: p.Stage, Started: now})
		st = j.Stage()
	}
	st.Done, st.Total, st.Unit = max(st.Done, p.Done), max(st.Total, p.Total), p.Unit
	if p.Finished {
		st.Finished = now
	}
}

// snapshot copies j for a reader (under the table's lock).
func (j *Job) snapshot() Job {
	c := *j
	c.Stages = append([]JobStage(nil), j.Stages...)
	return c
}

// CycleJob returns a console job by its id for by.
func (r *Runner) CycleJob(ctx context.Context, by kofukin.Principal, id int64) (Job, error) {
	if err := r.authorize(ctx, by, kofukin.ActConsole, ""); err != nil {
		return Job{}, err
	}
	js := &r.jobs
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.all[id]
	if !ok {
		return Job{}, missing("この実行（ジョブ）は見つかりません。サービスの再起動で消えた可能性があります。実行記録をご覧ください。", nil)
	}
	return j.snapshot(), nil
}

// runningJob returns the running console job, if any.
func (r *Runner) runningJob() *Job {
	js := &r.jobs
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.running == nil {
		return nil
	}
	j := js.running.snapshot()
	return &j
}

// StopJobs cancels the running console jobs and waits for them to end; no job starts after it.
// The service calls it on shutdown, before it closes the store.
func (r *Runner) StopJobs() {
	js := &r.jobs
	js.mu.Lock()
	js.stopped = true
	for _, c := range js.cancel {
		c()
	}
	js.mu.Unlock()
	js.wg.Wait()
}

// CycleConfirmation is what a real run of the cycle will do, shown before it starts.
type CycleConfirmation struct {
	FY     int
	Counts map[string]int // current submissions by level
	// ScoreRun is the latest score run of the year (0: none); Unscored counts the current survey
	// versions it did not read (sent after it, or by entities it had nothing of).
	ScoreRun int64
	Unscored int
	Deadline string // YYYY-MM-DD ("" when none is set)
	// DeadlinePassed: the deadline's day has ended (Asia/Tokyo).
	DeadlinePassed bool
	// ExportFiles is how many files the latest export wrote: the run writes them again.
	ExportFiles int
	Running     *Job // a cycle already running (a new one would not start)
}

// CycleConfirmation returns, for by, what a real run of fy's cycle will do.
func (r *Runner) CycleConfirmation(ctx context.Context, by kofukin.Principal, fy int) (*CycleConfirmation, error) {
	if err := r.authorize(ctx, by, kofukin.ActRun, ""); err != nil {
		return nil, err
	}
	c := &CycleConfirmation{FY: fy, Counts: map[string]int{}, Running: r.runningJob()}
	subs, err := r.Store.Submissions().Current(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("current submissions: %w", err)
	}
	for _, x := range subs {
		c.Counts[x.Level]++
	}
	run, err := r.latestRun(ctx, store.KindScore, fy)
	if err != nil {
		return nil, err
	}
	scored := map[string]int{}
	if run != nil {
		c.ScoreRun = run.ID
		if scored, err = r.Store.Runs().InputVersions(ctx, run.ID, KindSurvey); err != nil {
			return nil, fmt.Errorf("versions scored by run %d: %w", run.ID, err)
		}
	}
	for _, x := range subs {
		if x.Kind == KindSurvey && x.Version > scored[x.EntityCode] {
			c.Unscored++
		}
	}
	if c.Deadline, err = r.Deadline(ctx, fy); err != nil {
		return nil, err
	}
	if d, err := time.ParseInLocation("2006-01-02", c.Deadline, jst); err == nil {
		c.DeadlinePassed = !r.Store.Now().Before(d.AddDate(0, 0, 1))
	}
	_, man, err := r.latestExport(ctx, fy)
	if err != nil {
		return nil, err
	}
	if man != nil {
		c.ExportFiles = len(man.Files)
	}
	return c, nil
}
