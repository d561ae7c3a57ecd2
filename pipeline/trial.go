package pipeline

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// 試算 (trial scores): right after a survey version is accepted through Submit, what it scores
// against every entity's current answers, computed in the background by the very statements of a
// score run inside a transaction that is rolled back (store.Scores.Trial). Only the trialled
// entities' results are kept, apart from the score runs, so allocation and the exports never see
// a trial. Uploads arriving while a trial runs are scored together by the next one.

// trialQueue is the entities waiting for a trial, by fiscal year, and those being trialled.
type trialQueue struct {
	mu      sync.Mutex
	pending map[int]map[string]bool
	running map[string]bool // entity codes of the trial under way
	busy    bool            // a worker goroutine is running
	// failed holds when a trial of an entity last failed, and none when one ended without a
	// result for it (no rulebook of its level in the year): a page does not ask again for a while
	// (an upload does), so that page views do not keep the nation being scored.
	failed, none map[string]time.Time
}

// trialRetry is how long after a failed trial a page view does not ask for another.
const trialRetry = 5 * time.Minute

// TrialFailed reports whether entity code's last trial failed less than trialRetry ago.
func (r *Runner) TrialFailed(code string) bool {
	q := &r.trials
	q.mu.Lock()
	defer q.mu.Unlock()
	at, ok := q.failed[code]
	return ok && time.Since(at) < trialRetry
}

// TrialNone reports whether entity code's last trial, less than trialRetry ago, ended without a
// result for it.
func (r *Runner) TrialNone(code string) bool {
	q := &r.trials
	q.mu.Lock()
	defer q.mu.Unlock()
	at, ok := q.none[code]
	return ok && time.Since(at) < trialRetry
}

// TrialPending reports whether entity code's 試算 is waiting or under way.
func (r *Runner) TrialPending(code string) bool {
	q := &r.trials
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running[code] {
		return true
	}
	for _, m := range q.pending {
		if m[code] {
			return true
		}
	}
	return false
}

// queueTrial asks for the 試算 of entity code's current survey of fy (when Trials is set),
// starting the worker if none runs.
func (r *Runner) queueTrial(fy int, code string) {
	if !r.Trials {
		return
	}
	q := &r.trials
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending == nil {
		q.pending = map[int]map[string]bool{}
	}
	if q.pending[fy] == nil {
		q.pending[fy] = map[string]bool{}
	}
	q.pending[fy][code] = true
	delete(q.failed, code)
	delete(q.none, code)
	if !q.busy {
		q.busy = true
		go r.trialWorker()
	}
}

// trialWorker runs trials until none is waiting. A trial's failure is logged: the pages then show
// no 試算 for the version, and the official score stands.
func (r *Runner) trialWorker() {
	q := &r.trials
	for {
		q.mu.Lock()
		fys := make([]int, 0, len(q.pending))
		for fy := range q.pending {
			fys = append(fys, fy)
		}
		if len(fys) == 0 {
			q.busy, q.running = false, nil
			q.mu.Unlock()
			return
		}
		sort.Ints(fys)
		fy := fys[0]
		q.running = q.pending[fy]
		delete(q.pending, fy)
		codes := make([]string, 0, len(q.running))
		for c := range q.running {
			codes = append(codes, c)
		}
		q.mu.Unlock()
		sort.Strings(codes)
		none, err := r.trial(context.Background(), fy, codes)
		if err != nil {
			r.logger().Error("trial", "fiscal_year", fy, "entities", len(codes), "error", err)
		}
		q.mu.Lock()
		if q.failed == nil {
			q.failed, q.none = map[string]time.Time{}, map[string]time.Time{}
		}
		if err != nil {
			for _, c := range codes {
				q.failed[c] = time.Now()
			}
		}
		for _, c := range none {
			q.none[c] = time.Now()
		}
		q.mu.Unlock()
	}
}

// WaitTrials returns when no trial is waiting or under way (or ctx is done): before the store is
// closed, and in tests.
func (r *Runner) WaitTrials(ctx context.Context) error {
	for {
		r.trials.mu.Lock()
		busy := r.trials.busy
		r.trials.mu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// trial computes and keeps the 試算 of the current surveys of codes in fy, and returns the codes
// it gave no result (no rulebook of their level in fy, or no current survey).
func (r *Runner) trial(ctx context.Context, fy int, codes []string) (none []string, err error) {
	start := time.Now()
	books, refs, err := r.scoreBooks(ctx, fy)
	if err != nil {
		return nil, err
	}
	if len(books) == 0 {
		return codes, nil
	}
	// The latest score run amended in place when it may be (store.Scores.Amend), else in full.
	base, err := r.incrementalBase(ctx, fy, refs)
	if err != nil {
		return nil, err
	}
	trials, items, err := r.Store.Scores().Trial(ctx, fy, books, codes, base)
	if err != nil {
		return nil, err
	}
	if err := r.Store.Scores().SaveTrials(ctx, trials, items); err != nil {
		return nil, fmt.Errorf("keep the trials of FY%d: %w", fy, err)
	}
	got := map[string]bool{}
	for _, t := range trials {
		got[t.EntityCode] = true
	}
	for _, c := range codes {
		if !got[c] {
			none = append(none, c)
		}
	}
	r.logger().Info("trial", "fiscal_year", fy, "entities", len(trials), "elapsed", time.Since(start).Round(time.Millisecond))
	return none, nil
}

// scoreBooks returns fy's rulebooks, children first, registered in the store, with their
// references for a manifest.
func (r *Runner) scoreBooks(ctx context.Context, fy int) ([]*indicators.Rulebook, []RulebookRef, error) {
	if err := r.EnsureReference(ctx, fy); err != nil {
		return nil, nil, err
	}
	var books []*indicators.Rulebook
	var refs []RulebookRef
	for _, lv := range r.Rulebooks.Levels(fy) {
		rb, err := r.rulebook(ctx, fy, lv)
		if err != nil {
			return nil, nil, err
		}
		books = append(books, rb)
		refs = append(refs, RulebookRef{Level: lv, Hash: rb.Hash, File: rb.File, Version: rb.Version})
	}
	return books, refs, nil
}

// TrialNote is how a 試算 is marked wherever it is shown.
func TrialNote(t *store.TrialScore) string {
	return fmt.Sprintf("試算（第%d版、%s 時点の全団体の最新回答による。正式な採点ではありません）", t.Version, t.AsOf.In(jst).Format("2006-01-02 15:04"))
}
