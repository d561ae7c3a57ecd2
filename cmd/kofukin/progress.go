package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/pipeline"
)

// stageNames are the Japanese names of the stages progress is printed for.
var stageNames = map[string]string{
	"fixtures":  "架空データ作成",
	"reference": "基準データ",
	"ingest":    "取込",
	"score":     "採点",
	"allocate":  "算定",
	"export":    "出力",
	"before":    "変更前の採点・算定",
	"after":     "変更後の採点・算定",
}

// progress prints how far long work has come on stderr: lines with counts and rates while a
// stage runs, at most one a second, when stderr is a terminal; a line when a stage ends, always.
type progress struct {
	w     io.Writer
	tty   bool
	now   func() time.Time
	every time.Duration

	mu    sync.Mutex
	start map[string]time.Time
	last  time.Time
}

// newProgress returns the progress printer of the app: live lines only when stderr is a terminal.
func (a *app) newProgress() *progress {
	return &progress{w: a.stderr, tty: isTerminal(a.stderr), now: time.Now, every: time.Second, start: map[string]time.Time{}}
}

// isTerminal says whether w is a terminal (a character device), with the standard library only.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// report takes one progress report of the pipeline.
func (p *progress) report(r pipeline.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	began, ok := p.start[r.Stage]
	if !ok {
		began = now
		p.start[r.Stage] = now
	}
	name := r.Stage
	if ja := stageNames[r.Stage]; ja != "" {
		name = ja + " " + r.Stage
	}
	elapsed := now.Sub(began)
	switch {
	case r.Finished:
		delete(p.start, r.Stage)
		fmt.Fprintf(p.w, "kofukin: %s 完了 done in %.1fs\n", name, elapsed.Seconds())
	case r.Unit != "" && p.tty && (now.Sub(p.last) >= p.every || (r.Total > 0 && r.Done == r.Total)):
		p.last = now
		fmt.Fprintf(p.w, "kofukin: %s %s", name, exporters.Commas(int64(r.Done)))
		if r.Total > 0 {
			fmt.Fprintf(p.w, " / %s", exporters.Commas(int64(r.Total)))
		}
		fmt.Fprintf(p.w, " %s", r.Unit)
		if s := elapsed.Seconds(); s > 0 {
			fmt.Fprintf(p.w, " (%.1f %s/s)", float64(r.Done)/s, r.Unit)
		}
		fmt.Fprintln(p.w)
	case r.Unit == "" && p.tty:
		fmt.Fprintf(p.w, "kofukin: %s …\n", name)
	}
}

// done prints the summary line of a stage run by a command itself: n units in the time since
// began, and the rate.
func (p *progress) done(stage string, n int, unit string, began time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := stage
	if ja := stageNames[stage]; ja != "" {
		name = ja + " " + stage
	}
	d := p.now().Sub(began)
	fmt.Fprintf(p.w, "kofukin: %s %s %s in %.1fs", name, exporters.Commas(int64(n)), unit, d.Seconds())
	if d > 0 && n > 0 {
		fmt.Fprintf(p.w, " (%.1f %s/s)", float64(n)/d.Seconds(), unit)
	}
	fmt.Fprintln(p.w)
}
