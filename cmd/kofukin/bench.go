package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/internal/atomicfile"
	"github.com/kofukin/kofukin/internal/benchref"
	"github.com/kofukin/kofukin/pipeline"
)

// kofukin bench measures, in one run on generated fixtures, every stage people wait for, each
// stage in a process of its own (the program re-runs itself with the hidden --stage flag), so that
// each stage's peak memory is its own: the child reports its peak resident set (VmHWM of
// /proc/self/status). The rusage of a child (ProcessState.SysUsage's Maxrss) is not used: Go starts
// children with vfork, and Linux carries the parent's high-water mark into the child's at exec.

// benchSelf returns the command that runs this program with args (tests replace it: their binary
// is the test binary).
var benchSelf = func(args []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "KOFUKIN_LOG_LEVEL=warn")
	return cmd, nil
}

// stageReport is what a stage process prints on stdout: the time of each round, the processor
// time the process spent in it (every thread, Go's and DuckDB's: user + system), the units one
// round handled and the process's peak resident set.
type stageReport struct {
	Rounds  []time.Duration   `json:"rounds"`
	CPU     []time.Duration   `json:"cpu,omitempty"`
	Units   int               `json:"units"`
	HWMKiB  int64             `json:"hwm_kib"`
	Extra   map[string]string `json:"extra,omitempty"`
	Elapsed time.Duration     `json:"-"` // the process's whole life, seen by the parent
}

// mergeRounds adds the rounds of a stage's later process to its report: the peak resident set is
// the largest of theirs.
func mergeRounds(acc, rep stageReport) stageReport {
	if acc.Rounds == nil && acc.Extra == nil {
		return rep
	}
	acc.Rounds = append(acc.Rounds, rep.Rounds...)
	acc.CPU = append(acc.CPU, rep.CPU...)
	acc.HWMKiB = max(acc.HWMKiB, rep.HWMKiB)
	acc.Elapsed += rep.Elapsed
	if rep.Units > 0 {
		acc.Units = rep.Units
	}
	return acc
}

// median is the median round (the lower of the two middle ones for an even count).
func (s stageReport) median() time.Duration { return medianOf(s.Rounds) }

// medianCPU is the median of the rounds' processor times (0 when none was measured).
func (s stageReport) medianCPU() time.Duration { return medianOf(s.CPU) }

func medianOf(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	r := append([]time.Duration(nil), d...)
	sort.Slice(r, func(i, j int) bool { return r[i] < r[j] })
	return r[(len(r)-1)/2]
}

// processCPU is the processor time this process has used so far, user and system, over all its
// threads, with that of the child processes it has waited for (the openpyxl reader's Python).
func processCPU() time.Duration {
	var sum time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err == nil {
			sum += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return sum
}

// benchCores is how many cores the machine has: no stage can use more processor time than its
// wall time × this (tests set it).
var benchCores = runtime.NumCPU

func cmdBench(ctx context.Context, a *app, args []string) error {
	fs := a.flags("bench")
	fy := fs.Int("fy", 2026, "fiscal year (交付年度)")
	seed := fs.Uint64("seed", 1, "random seed of the synthetic nation")
	prefs := fs.String("prefectures", "", "comma-separated prefecture codes to limit the nation to (default: all 47)")
	rounds := fs.Int("rounds", 3, "rounds of each stage; the table shows the median")
	out := fs.String("out", "", "folder to keep the fixtures, databases and workbooks in (default: a temporary folder, removed)")
	markdown := fs.String("markdown", "", "also write the table as Markdown to this file (for the README)")
	scale := fs.String("scale", "", "instead: score and allocate scaled nations, e.g. 1,10,100 (municipalities cloned; answers as data)")
	memory := fs.Int("memory-limit", 0, "with --scale: DuckDB's memory limit in MiB (0: DuckDB's default)")
	stage := fs.String("stage", "", "internal: run one stage in this process and print its report")
	dir := fs.String("dir", "", "internal: the fixtures folder of --stage")
	db := fs.String("db", "", "internal: the database of --stage")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rounds < 1 {
		return &exitError{code: 2, msg: "bench: --rounds must be 1 or more"}
	}
	if *stage != "" {
		n, _ := strconv.Atoi(*scale) // one scale in a stage; 0 when none
		return benchStage(ctx, a, *stage, stageArgs{fy: *fy, seed: *seed, prefs: splitList(*prefs), rounds: *rounds, dir: *dir, db: *db, out: *out, memory: *memory, scale: n})
	}
	root := *out
	if root == "" {
		tmp, err := os.MkdirTemp("", "kofukin-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		root = tmp
	} else if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	var table string
	var err error
	if *scale != "" {
		var scales []int
		for _, s := range splitList(*scale) {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return &exitError{code: 2, msg: fmt.Sprintf("bench: --scale %q: give whole numbers of 1 or more, e.g. 1,10,100", *scale)}
			}
			scales = append(scales, n)
		}
		table, err = benchScales(ctx, a, root, *out != "", scales, stageArgs{fy: *fy, seed: *seed, prefs: splitList(*prefs), rounds: *rounds, memory: *memory}, args)
	} else {
		table, err = benchNation(ctx, a, root, stageArgs{fy: *fy, seed: *seed, prefs: splitList(*prefs), rounds: *rounds}, args)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(a.stdout, table)
	if *markdown != "" {
		return atomicfile.WriteFile(*markdown, []byte(table))
	}
	return nil
}

// stageArgs are the settings a stage runs with.
type stageArgs struct {
	fy         int
	seed       uint64
	prefs      []string
	rounds     int
	dir, db    string
	out        string
	memory     int
	scale      int
	stageFlags []string
}

// flags are the command-line flags that give a child process these settings.
func (s stageArgs) flags() []string {
	f := []string{"--fy", strconv.Itoa(s.fy), "--seed", strconv.FormatUint(s.seed, 10), "--rounds", strconv.Itoa(s.rounds)}
	if len(s.prefs) > 0 {
		f = append(f, "--prefectures", strings.Join(s.prefs, ","))
	}
	if s.dir != "" {
		f = append(f, "--dir", s.dir)
	}
	if s.db != "" {
		f = append(f, "--db", s.db)
	}
	if s.out != "" {
		f = append(f, "--out", s.out)
	}
	if s.memory > 0 {
		f = append(f, "--memory-limit", strconv.Itoa(s.memory))
	}
	if s.scale > 0 {
		f = append(f, "--scale", strconv.Itoa(s.scale))
	}
	return f
}

// runStage runs one stage in a child process and returns its report.
func runStage(ctx context.Context, a *app, name string, s stageArgs) (stageReport, error) {
	var rep stageReport
	cmd, err := benchSelf(append([]string{"bench", "--stage", name}, s.flags()...))
	if err != nil {
		return rep, err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	fmt.Fprintf(a.stderr, "bench: %s …\n", name)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return rep, fmt.Errorf("stage %s: %w", name, err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			cmd.Process.Kill() // errcheck: the wait below reports how it ended
		case <-done:
		}
	}()
	err = cmd.Wait()
	close(done)
	rep.Elapsed = time.Since(start)
	if err != nil {
		return rep, fmt.Errorf("stage %s: %w\n%s", name, err, tail(stderr.String(), 2000))
	}
	if err := json.Unmarshal(lastLine(stdout.Bytes()), &rep); err != nil {
		return rep, fmt.Errorf("stage %s: read its report: %w (output %q)", name, err, tail(stdout.String(), 500))
	}
	rep.Elapsed = time.Since(start)
	fmt.Fprintf(a.stderr, "bench: %s %s (median of %d), peak RSS %s\n", name, secs(rep.median()), len(rep.Rounds), mib(rep.HWMKiB))
	return rep, nil
}

func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// benchStage runs one stage in this process and prints its report as one JSON line.
func benchStage(ctx context.Context, a *app, name string, s stageArgs) error {
	rep := stageReport{Extra: map[string]string{}}
	timed := func(fn func(round int) error) error {
		for k := 0; k < s.rounds; k++ {
			c, t := processCPU(), time.Now()
			if err := fn(k); err != nil {
				return err
			}
			rep.Rounds = append(rep.Rounds, time.Since(t))
			rep.CPU = append(rep.CPU, processCPU()-c)
		}
		return nil
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	// existing opens the stage's database, which an earlier stage made.
	existing := func() (*pipeline.Runner, func() error, error) {
		r, closeStore, err := a.runner(ctx, s.db)
		if err == nil && s.memory > 0 {
			if err = r.Store.LimitMemory(ctx, s.memory); err != nil {
				err = errors.Join(err, closeStore())
			}
		}
		return r, closeStore, err
	}
	// fresh opens a new database at path (removing what is there).
	fresh := func(path string) (*pipeline.Runner, func() error, error) {
		for _, p := range []string{path, path + ".wal"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, nil, err
			}
		}
		return a.runner(ctx, path)
	}
	switch name {
	case "demo":
		// What kofukin demo does: the fixtures, then the cycle on a new database.
		rep.Rounds = nil
		c, t := processCPU(), time.Now()
		nation, err := fixtures.WriteNation(ctx, s.dir, lib, s.fy, fixtures.NationOptions{Seed: s.seed, Prefectures: s.prefs, Workers: a.cfg.Workers})
		if err != nil {
			return fmt.Errorf("fixtures: %w", err)
		}
		fix, fixCPU := time.Since(t), processCPU()-c
		r, closeStore, err := fresh(s.db)
		if err != nil {
			return err
		}
		res, err := r.Cycle(ctx, s.fy, []string{s.dir}, s.out)
		if cerr := closeStore(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		total := time.Since(t)
		rep.Rounds = []time.Duration{total}
		rep.CPU = []time.Duration{processCPU() - c}
		rep.Units = nation.Total()
		rep.Extra["fixtures"] = fix.String()
		rep.Extra["fixtures_cpu"] = fixCPU.String()
		for _, st := range res.Stages {
			rep.Extra[st.Name] = st.Elapsed.String()
		}
		rep.Extra["files"] = strconv.Itoa(nation.Total() + 3) // the workbooks and three CSVs
	case "ingest":
		// Each round on a new database with the reference loaded; only the ingest is timed.
		for k := 0; k < s.rounds && err == nil; k++ {
			err = func() (err error) {
				r, closeStore, err := fresh(s.db)
				if err != nil {
					return err
				}
				defer func() { err = errors.Join(err, closeStore()) }()
				if err := r.EnsureReference(ctx, s.fy); err != nil {
					return err
				}
				c, t := processCPU(), time.Now()
				res, err := r.Ingest(ctx, []string{s.dir}, pipeline.IngestOptions{FiscalYear: s.fy})
				if err != nil {
					return err
				}
				rep.Rounds = append(rep.Rounds, time.Since(t))
				rep.CPU = append(rep.CPU, processCPU()-c)
				if res.Rejected > 0 {
					return fmt.Errorf("ingest rejected %d file(s)", res.Rejected)
				}
				rep.Units = len(res.Files)
				return nil
			}()
		}
	case "xmlscan", "inflate", "openpyxl":
		paths, perr := benchref.Workbooks(s.dir)
		if perr != nil {
			return perr
		}
		read := map[string]func(context.Context, []string, int) (benchref.Result, error){
			"xmlscan": benchref.XMLScan, "inflate": benchref.Inflate, "openpyxl": benchref.Openpyxl}[name]
		if name == "openpyxl" {
			// openpyxl reads about a hundred workbooks a second: one round, on every tenth workbook
			// (their rate is what is compared).
			s.rounds = 1
			var sample []string
			for i := 0; i < len(paths); i += 10 {
				sample = append(sample, paths[i])
			}
			paths = sample
		}
		err = timed(func(int) error {
			res, err := read(ctx, paths, a.cfg.Workers)
			rep.Units = res.Files
			return err
		})
		if errors.Is(err, benchref.ErrNoPython) {
			rep.Rounds, rep.Extra["skipped"], err = nil, err.Error(), nil
		}
	case "score", "allocate", "export", "whatif", "dryrun":
		r, closeStore, oerr := existing()
		if oerr != nil {
			return oerr
		}
		defer closeStore()
		err = stageOn(ctx, r, name, s, &rep, timed)
	case "cycle":
		err = timed(func(k int) error {
			path := s.db + ".cycle"
			r, closeStore, err := fresh(path)
			if err != nil {
				return err
			}
			res, err := r.Cycle(ctx, s.fy, []string{s.dir}, filepath.Join(s.out, fmt.Sprintf("cycle-%d", k)))
			if cerr := closeStore(); err == nil {
				err = cerr
			}
			if err == nil {
				rep.Units = len(res.Ingest.Files)
				err = os.Remove(path)
			}
			return err
		})
	case "scale-data":
		rep.Rounds = nil
		t := time.Now()
		sum, err := fixtures.WriteScaled(ctx, s.dir, lib, s.fy, fixtures.ScaleOptions{Seed: s.seed, Scale: s.scale, Prefectures: s.prefs, Workers: a.cfg.Workers})
		if err != nil {
			return err
		}
		gen := time.Since(t)
		r, closeStore, err := fresh(s.db)
		if err != nil {
			return err
		}
		t = time.Now()
		ld, err := r.Store.LoadScaled(ctx, s.fy, sum.EntitiesFile, sum.AnswersFile)
		if cerr := closeStore(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		rep.Rounds = []time.Duration{gen, time.Since(t)}
		rep.Units = sum.Municipalities + sum.Centres + sum.Prefectures
		rep.Extra["municipalities"] = strconv.Itoa(sum.Municipalities)
		rep.Extra["centres"] = strconv.Itoa(sum.Centres)
		rep.Extra["prefectures"] = strconv.Itoa(sum.Prefectures)
		rep.Extra["valid_codes"] = strconv.Itoa(sum.ValidCodes)
		rep.Extra["answers"] = strconv.FormatInt(ld.Answers, 10)
		rep.Extra["bytes"] = strconv.FormatInt(sum.Bytes, 10)
	default:
		return &exitError{code: 2, msg: fmt.Sprintf("bench: unknown stage %q", name)}
	}
	if err != nil {
		return err
	}
	rep.HWMKiB = peakRSSKiB()
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.stdout, "%s\n", b)
	return err
}

// stageOn runs a stage on the benchmark's ingested database.
func stageOn(ctx context.Context, r *pipeline.Runner, name string, s stageArgs, rep *stageReport, timed func(func(int) error) error) error {
	switch name {
	case "score":
		return timed(func(int) error {
			res, err := r.Score(ctx, s.fy)
			if err == nil {
				rep.Units = 0
				for _, l := range res.Levels {
					rep.Units += l.Entities
				}
			}
			return err
		})
	case "allocate":
		return timed(func(int) error {
			res, err := r.Allocate(ctx, s.fy)
			if err == nil {
				rep.Units = 0
				for _, p := range res.Results {
					rep.Units += p.Entities
				}
			}
			return err
		})
	case "export":
		return timed(func(k int) error {
			res, err := r.Export(ctx, s.fy, filepath.Join(s.out, fmt.Sprintf("export-%d", k)))
			if err == nil {
				rep.Units = len(res.Files)
			}
			return err
		})
	case "whatif":
		ch, err := oneChange(ctx, r, s.fy)
		if err != nil {
			return err
		}
		rep.Extra["change"] = ch.Code + ":" + ch.Item + "=" + ch.Value
		return timed(func(int) error {
			res, err := r.WhatIf(ctx, s.fy, []pipeline.Change{ch})
			if err == nil {
				rep.Units = len(res.Ripples) + res.Unchanged
			}
			return err
		})
	case "dryrun":
		ministry := kofukin.Principal{Role: kofukin.RoleMinistry}
		return timed(func(int) error {
			res, err := r.RunCycle(ctx, ministry, s.fy, true, "")
			if err == nil {
				rep.Units = 0
				for _, l := range res.Score.Levels {
					rep.Units += l.Entities
				}
			}
			return err
		})
	}
	return fmt.Errorf("bench: unknown stage %q", name)
}

// oneChange is the what-if the benchmark asks: the first municipality's answer to the first yes/no
// item of the municipal rulebook, turned the other way (so that something does change).
func oneChange(ctx context.Context, r *pipeline.Runner, fy int) (pipeline.Change, error) {
	rb, err := r.Rulebooks.Get(fy, indicators.Municipality)
	if err != nil {
		return pipeline.Change{}, err
	}
	ents, err := r.Store.Reference().Entities(ctx, fy, string(kofukin.Municipality))
	if err != nil {
		return pipeline.Change{}, err
	}
	if len(ents) == 0 {
		return pipeline.Change{}, errors.New("no municipality to change an answer of")
	}
	code := ents[0].Code
	var item *indicators.Item
	for _, it := range rb.SelfItems() {
		if it.Rule.Type == indicators.RuleYesNo {
			item = it
			break
		}
	}
	if item == nil {
		return pipeline.Change{}, errors.New("no yes/no item in the municipal rulebook")
	}
	value := "はい"
	subs, err := r.Store.Submissions().History(ctx, fy, code)
	if err != nil {
		return pipeline.Change{}, err
	}
	for _, sb := range subs {
		if sb.Status != "current" || sb.Kind != "survey" {
			continue
		}
		answers, err := r.Store.Submissions().Answers(ctx, sb.ID)
		if err != nil {
			return pipeline.Change{}, err
		}
		for _, an := range answers {
			if an.ItemID == item.ID && !an.Blank && an.Num == 1 {
				value = "いいえ"
			}
		}
	}
	return pipeline.Change{Code: code, Item: item.ID, Value: value}, nil
}

// peakRSSKiB is this process's peak resident set in KiB (VmHWM), 0 when the system does not say.
func peakRSSKiB() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return 0
}

// benchRow is one line of the table.
type benchRow struct {
	ja, en     string
	rounds     int
	time       time.Duration
	throughput string
	ratio      string // the ratio the target is about, as printed
	target     string
	met        *bool // nil: no target
	rssKiB     int64
	cpu        time.Duration // median processor time of the rounds (0: not measured)
}

func verdict(ok bool) *bool { return &ok }

// benchNation measures the stages on a synthetic nation and returns the table.
func benchNation(ctx context.Context, a *app, root string, s stageArgs, args []string) (string, error) {
	fix := filepath.Join(root, "fixtures")
	if err := os.RemoveAll(fix); err != nil {
		return "", err
	}
	db := filepath.Join(root, "bench.duckdb")
	run := func(name string, st stageArgs) (stageReport, error) { return runStage(ctx, a, name, st) }
	with := func(dir, db, out string) stageArgs { st := s; st.dir, st.db, st.out = dir, db, out; return st }
	once := with(fix, filepath.Join(root, "demo.duckdb"), filepath.Join(root, "demo-out"))
	once.rounds = 1
	demo, err := run("demo", once)
	if err != nil {
		return "", err
	}
	for _, p := range []string{once.db, once.db + ".wal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	// The rounds are interleaved: round k runs every stage once, each in a new process, before
	// round k+1. The machine's speed drifts over the minutes a run takes (other jobs, a shared
	// host); stages timed in the same minutes are compared, not ingest's three rounds in one
	// minute against export's three in another.
	reports := map[string]stageReport{"demo": demo}
	for k := 0; k < s.rounds; k++ {
		for _, name := range []string{"ingest", "xmlscan", "inflate", "openpyxl", "score", "allocate", "export", "whatif", "dryrun", "cycle"} {
			if name == "openpyxl" && k > 0 {
				continue // one round (see benchStage)
			}
			st := with(fix, db, filepath.Join(root, "out"))
			st.rounds = 1
			rep, err := run(name, st)
			if err != nil {
				return "", err
			}
			reports[name] = mergeRounds(reports[name], rep)
		}
	}
	return nationTable(reports, s, args), nil
}

// nationTable renders the measured stages as a Markdown table with the targets of issue 13.
func nationTable(rep map[string]stageReport, s stageArgs, args []string) string {
	dur := func(name string) time.Duration { return rep[name].median() }
	perSec := func(name string) float64 {
		d := dur(name)
		if d <= 0 {
			return 0
		}
		return float64(rep[name].Units) / d.Seconds()
	}
	// Rates are printed to one decimal and the ratios computed from the printed figures, so that
	// anyone can check a ratio from the table.
	printed := func(v float64) float64 { f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 1, 64), 64); return f }
	printedSecs := func(d time.Duration) float64 {
		f, _ := strconv.ParseFloat(strconv.FormatFloat(d.Seconds(), 'f', 3, 64), 64)
		return f
	}
	ingestRate := printed(perSec("ingest"))
	rateRatio := func(name string, target float64) (string, string, *bool) {
		r := printed(perSec(name))
		if r <= 0 {
			return "—", "", nil
		}
		x := ingestRate / r
		if target == 0 {
			return fmt.Sprintf("取込 ÷ この値 = %.2f", x), "", nil
		}
		return fmt.Sprintf("取込 ÷ この値 = %.2f", x), fmt.Sprintf("≥ %g", target), verdict(x >= target)
	}
	timeRatio := func(num, den time.Duration, label string, max float64, percent bool) (string, string, *bool) {
		n, d := printedSecs(num), printedSecs(den)
		if d <= 0 {
			return "—", "", nil
		}
		x := n / d
		if percent {
			return fmt.Sprintf("%s = %.1f%%", label, 100*x), fmt.Sprintf("≤ %g%%", 100*max), verdict(x <= max)
		}
		return fmt.Sprintf("%s = %.2f", label, x), fmt.Sprintf("≤ %g", max), verdict(x <= max)
	}
	demoDur := func(k string) time.Duration { d, _ := time.ParseDuration(rep["demo"].Extra[k]); return d }
	ingest, cycle := dur("ingest"), dur("cycle")
	var rows []benchRow
	add := func(ja, en, name string, thr string, ratio, target string, met *bool) {
		rows = append(rows, benchRow{ja: ja, en: en, rounds: len(rep[name].Rounds), time: dur(name), throughput: thr, ratio: ratio, target: target, met: met, rssKiB: rep[name].HWMKiB, cpu: rep[name].medianCPU()})
	}
	files := func(name string) string {
		return fmt.Sprintf("%s files/s", strconv.FormatFloat(printed(perSec(name)), 'f', 1, 64))
	}
	fixT := demoDur("fixtures")
	fixRate := 0.0
	if fixT > 0 {
		fixRate = float64(rep["demo"].Units) / fixT.Seconds()
	}
	r, t, m := timeRatio(fixT, ingest, "生成 ÷ 取込", 1, false)
	rows = append(rows, benchRow{ja: "調査票の生成", en: "fixtures", rounds: 1, time: fixT,
		throughput: fmt.Sprintf("%.1f files/s", fixRate), ratio: r, target: t, met: m, rssKiB: rep["demo"].HWMKiB, cpu: demoDur("fixtures_cpu")})
	rows = append(rows, benchRow{ja: "取込", en: "ingest", rounds: len(rep["ingest"].Rounds), time: ingest, throughput: files("ingest"),
		ratio: "最大RSS", target: "≤ 512 MiB", met: verdict(rep["ingest"].HWMKiB > 0 && rep["ingest"].HWMKiB <= 512*1024), rssKiB: rep["ingest"].HWMKiB, cpu: rep["ingest"].medianCPU()})
	r, t, m = rateRatio("xmlscan", 1.5)
	add("XML走査（全コア）", "plain XML scan, all cores", "xmlscan", files("xmlscan"), r, t, m)
	r, t, m = rateRatio("inflate", 0)
	add("展開のみ", "inflate limit", "inflate", files("inflate"), r, t, m)
	if sk := rep["openpyxl"].Extra["skipped"]; sk != "" {
		add("openpyxl 読み取り", "openpyxl reader", "openpyxl", "—", "未測定 (skipped: python3-openpyxl missing)", "≥ 10", nil)
	} else {
		r, t, m = rateRatio("openpyxl", 10)
		add("openpyxl 読み取り（1/10 の調査票）", "openpyxl reader, every 10th workbook", "openpyxl", files("openpyxl"), r, t, m)
	}
	add("採点", "score", "score", fmt.Sprintf("%.0f entities/s", perSec("score")), "—", "", nil)
	add("算定", "allocate", "allocate", fmt.Sprintf("%.0f amounts/s", perSec("allocate")), "—", "", nil)
	r, t, m = timeRatio(dur("export"), ingest, "出力 ÷ 取込", 1, false)
	add("出力", "export", "export", files("export"), r, t, m)
	add("一巡（取込・採点・算定・出力）", "full cycle", "cycle", files("cycle"), "—", "", nil)
	r, t, m = timeRatio(dur("whatif"), cycle, "÷ 一巡", 0.05, true)
	add("試算（1回答の変更）", "one-answer what-if", "whatif", "—", r, t, m)
	r, t, m = timeRatio(dur("dryrun"), cycle, "÷ 一巡", 0.25, true)
	add("コンソールの試行", "console dry run", "dryrun", "—", r, t, m)
	r, t, m = timeRatio(dur("demo"), demoDur("ingest"), "÷ その取込", 2.5, false)
	add("デモ全体（生成＋一巡）", "demo-shaped total", "demo", "—", r, t, m)

	var b strings.Builder
	nation := "全国 (the whole nation)"
	if len(s.prefs) > 0 {
		nation = "都道府県 " + strings.Join(s.prefs, ",") + " (prefectures)"
	}
	fmt.Fprintf(&b, "kofukin bench — FY%d, 架空の%s、%s files; %d CPU (GOMAXPROCS), %s/%s\n\n", s.fy, nation, yen(int64(rep["ingest"].Units)), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "| 段階 (stage) | 回数 (rounds) | 時間・中央値 (median wall time) | 処理量 (throughput) | 比 (ratio) | 目標 (target) | 判定 (verdict) | 最大RSS (peak RSS) | CPU時間・中央値 (median CPU time) |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---|---|---|---:|---:|\n")
	for _, row := range rows {
		v := "—"
		if row.met != nil {
			v = "未達 (not met)"
			if *row.met {
				v = "達成 (met)"
			}
		}
		cpu := "—"
		if row.cpu > 0 {
			cpu = secs(row.cpu)
		}
		fmt.Fprintf(&b, "| %s (%s) | %d | %s | %s | %s | %s | %s | %s | %s |\n", row.ja, row.en, row.rounds, secs(row.time), row.throughput, row.ratio, orDash(row.target), v, mib(row.rssKiB), cpu)
	}
	// No stage can finish sooner than its processor time spread over every core: that bounds the
	// demo-shaped ratio from below, whatever the scheduling (figures as printed).
	if demoCPU, demoIngest := printedSecs(rep["demo"].medianCPU()), printedSecs(demoDur("ingest")); demoCPU > 0 && demoIngest > 0 {
		cores := benchCores()
		least := demoCPU / float64(cores)
		fmt.Fprintf(&b, "\n下限 (lower bound): デモ全体の CPU 時間 %.3f s ÷ %d コア = %.3f s — その取込 %.3f s の %.2f 倍より短くはなりません"+
			"（2.5 倍以内には CPU 時間 %.3f s 以下が必要） (the demo-shaped total cannot take less than its CPU time over the machine's %d cores: at least %.2f × its ingest; 2.5× needs at most %.3f s of CPU)。\n",
			demoCPU, cores, least, demoIngest, least/demoIngest, 2.5*demoIngest*float64(cores), cores, least/demoIngest, 2.5*demoIngest*float64(cores))
	}
	fmt.Fprintf(&b, "\n測定方法 (method): `kofukin bench %s`; 各段階の各回を別プロセスで実行し (each round of each stage in its own process: kofukin bench --stage NAME)、"+
		"1回ごとに全段階を順に実行 (rounds interleaved: round k of every stage before round k+1)。最大RSS は各プロセスの VmHWM の最大 (/proc/self/status)。"+
		"CPU時間はその回のプロセスの user + system（Go と DuckDB の全スレッド、待った子プロセスを含む） (CPU time: the process's user + system time over the round, every thread, with the children it waited for)。時間は %d 回の中央値 (median of the rounds); 比は表に印字した値から計算 (ratios from the printed figures)。"+
		"一巡・試算・試行は同じ実行で測定 (cycle, what-if and dry run measured in the same run)。デモ全体 = 生成 %s + 一巡 (its own ingest %s)。\n",
		strings.Join(args, " "), s.rounds, secs(demoDur("fixtures")), secs(demoDur("ingest")))
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// commas puts thousands separators into a printed whole number.
func commas(n string) string {
	v, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return n
	}
	return yen(v)
}

// secs prints a duration in seconds to the millisecond.
func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + " s" }

// mib prints KiB as MiB ("—" when unknown).
func mib(kib int64) string {
	if kib <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f MiB", float64(kib)/1024)
}

// benchScales scores and allocates scaled nations (fixtures.WriteScaled, store.LoadScaled), each
// stage in its own process, and returns the table.
func benchScales(ctx context.Context, a *app, root string, keep bool, scales []int, s stageArgs, args []string) (string, error) {
	type line struct {
		scale                   int
		data, score, allocate   stageReport
		entities, munis, centre int
	}
	var lines []line
	for _, n := range scales {
		st := s
		st.scale, st.rounds = n, 1
		st.dir = filepath.Join(root, fmt.Sprintf("scale-%d", n))
		st.db = filepath.Join(root, fmt.Sprintf("scale-%d.duckdb", n))
		data, err := runStage(ctx, a, "scale-data", st)
		if err != nil {
			return "", err
		}
		ln := line{scale: n, data: data, entities: data.Units}
		ln.munis, _ = strconv.Atoi(data.Extra["municipalities"])
		ln.centre, _ = strconv.Atoi(data.Extra["centres"])
		st.rounds = s.rounds
		if ln.score, err = runStage(ctx, a, "score", st); err != nil {
			return "", err
		}
		if ln.allocate, err = runStage(ctx, a, "allocate", st); err != nil {
			return "", err
		}
		lines = append(lines, ln)
		if !keep {
			// The answers file of a large scale is large: keep only what --out asked to keep.
			for _, p := range []string{st.db, st.db + ".wal"} {
				if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
					return "", err
				}
			}
			if err := os.RemoveAll(st.dir); err != nil {
				return "", err
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kofukin bench --scale — FY%d; %d CPU (GOMAXPROCS), %s/%s\n\n", s.fy, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "| 規模 (scale) | 市町村 (municipalities) | センター (centres) | 回答 (answers) | 生成 (generate) | 読込 (load) | 採点 (score) | 算定 (allocate) | 1団体あたり (per entity, score + allocate) | 1× に対する1団体あたりの比 (per-entity cost vs 1×) | 最大RSS 採点 / 算定 (peak RSS score / allocate) | 判定 (verdict: ≤ linear, ≤ 4 GiB) |\n")
	fmt.Fprintf(&b, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	var base float64
	for i, ln := range lines {
		gen, load := time.Duration(0), time.Duration(0)
		if len(ln.data.Rounds) == 2 {
			gen, load = ln.data.Rounds[0], ln.data.Rounds[1]
		}
		sc, al := ln.score.median(), ln.allocate.median()
		per := float64((sc + al).Microseconds()) / float64(max(ln.entities, 1))
		per = float64(int64(per*10+0.5)) / 10 // as printed
		rel, ok := "—", true
		if i == 0 {
			base = per
		}
		if base > 0 {
			x := per / base
			rel = fmt.Sprintf("%.2f", x)
			ok = x <= 1.0
		}
		peak := max(ln.score.HWMKiB, ln.allocate.HWMKiB)
		v := "達成 (met)"
		if !ok || peak > 4<<20 || peak <= 0 {
			v = "未達 (not met)"
		}
		fmt.Fprintf(&b, "| %d× | %s | %s | %s | %s | %s | %s | %s | %.1f µs | %s | %s / %s | %s |\n", ln.scale, yen(int64(ln.munis)), yen(int64(ln.centre)), commas(ln.data.Extra["answers"]),
			secs(gen), secs(load), secs(sc), secs(al), per, rel, mib(ln.score.HWMKiB), mib(ln.allocate.HWMKiB), v)
	}
	fmt.Fprintf(&b, "\n測定方法 (method): `kofukin bench %s`; 生成・読込・採点・算定を別プロセスで実行し、最大RSS は各プロセスの VmHWM。"+
		"団体 = 市町村 + センター + 都道府県 (entities scored); 線形以下 = 1団体あたりの費用が 1× 以下 (at most linear: per-entity cost not above the first scale's).\n", strings.Join(args, " "))
	return b.String(), nil
}
