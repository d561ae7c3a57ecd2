package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/internal/atomicfile"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/pipeline"
)

func cmdIngest(ctx context.Context, a *app, args []string) error {
	fs := a.flags("ingest")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	fy := fs.Int("fy", 0, "accept only this fiscal year (0: each file's own)")
	report := fs.String("report", "", "write the report as JSON to this file (default: OUT/ingest_<time>.json)")
	dry := fs.Bool("dry-run", false, "validate and preview the points in a rehearsal (rolled back); write nothing")
	quar := fs.String("quarantine", a.cfg.Quarantine, "move rejected files here with their report and an annotated copy (KOFUKIN_QUARANTINE; empty: leave them)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return &exitError{code: 2, msg: "ingest: 取り込むファイルかフォルダを指定してください / no PATH given"}
	}
	r, closeStore, err := a.runner(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore()
	pr, began := a.newProgress(), time.Now()
	r.Progress = pr.report
	opts := pipeline.IngestOptions{FiscalYear: *fy, Quarantine: *quar}
	var rep *pipeline.IngestReport
	if *dry {
		rep, err = r.DryRun(ctx, fs.Args(), opts)
	} else {
		rep, err = r.Ingest(ctx, fs.Args(), opts)
	}
	if rep != nil {
		pr.done("ingest", len(rep.Files), "files", began)
		printIngest(a, rep)
		var buf bytes.Buffer
		if werr := rep.WriteJSON(&buf); werr != nil {
			return werr
		}
		path := *report
		if path == "" {
			var werr error
			if path, werr = reserve(a.cfg.Out, "ingest_"+time.Now().Format("20060102-150405"), ".json"); werr != nil {
				return werr
			}
		}
		if werr := atomicfile.WriteFile(path, buf.Bytes()); werr != nil {
			return werr
		}
		fmt.Fprintf(a.stdout, "report: %s\n", path)
	}
	if err != nil {
		return err
	}
	if rep.Rejected > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d file(s) rejected", rep.Rejected)}
	}
	return nil
}

// reserve creates a new empty file dir/base.ext — or base-2.ext, base-3.ext … when that name is
// taken — and returns its path, so that two ingests in the same second keep both reports.
func reserve(dir, base, ext string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for n := 1; ; n++ {
		name := base + ext
		if n > 1 {
			name = fmt.Sprintf("%s-%d%s", base, n, ext)
		}
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return path, f.Close()
	}
}

// maxWarningLines is how many warnings of one code an ingest prints one by one; a code with more
// is counted (each warning is in the JSON report).
const maxWarningLines = 10

// warningNames says in a few Japanese words what a warning code means, for the counts by code.
var warningNames = map[string]string{
	kofukin.WarnPrerequisite: "前提条件を満たさない「はい」",
	kofukin.WarnNoRows:       "データ行のない CSV",
}

// printIngest prints each rejected file's problems, the warnings (one by one for a code with few,
// counted for a code with many), dry-run previews, then the summary.
func printIngest(a *app, rep *pipeline.IngestReport) {
	perCode := map[string]int{}
	for _, f := range rep.Files {
		for _, p := range f.Warnings {
			perCode[p.Code]++
		}
	}
	for _, f := range rep.Files {
		var each []loaders.Problem
		for _, p := range f.Warnings {
			if perCode[p.Code] <= maxWarningLines {
				each = append(each, p)
			}
		}
		switch {
		case f.Status == kofukin.StatusRejected:
			fmt.Fprintf(a.stdout, "%s rejected: %s（%d件の問題）\n", kofukin.StatusLabelJA(kofukin.StatusRejected), f.Path, len(f.Problems))
			for _, p := range f.Problems {
				fmt.Fprintf(a.stdout, "  %s\n", p)
			}
			if f.Quarantined != "" {
				note := "報告書（.report.txt/.json）を同じフォルダに保存"
				if f.Annotated != "" {
					note = "報告書とエラー箇所に印を付けた写し " + filepath.Base(f.Annotated) + " を同じフォルダに保存"
				}
				fmt.Fprintf(a.stdout, "  → 隔離 quarantined: %s（%s）\n", f.Quarantined, note)
				if f.NotAnnotated != "" {
					fmt.Fprintf(a.stdout, "  %s\n", f.NotAnnotated)
				}
			}
		case len(each) > 0:
			fmt.Fprintf(a.stdout, "注意 warnings: %s\n", f.Path)
			for _, p := range each {
				fmt.Fprintf(a.stdout, "  %s\n", p)
			}
		}
		if p := f.Preview; p != nil {
			fmt.Fprintf(a.stdout, "試算 preview: %s %s: 総合計 %s / %s 点（得点率 %s）、順位 %d / %d", f.Path, f.EntityCode,
				strconv.FormatFloat(p.Total, 'f', -1, 64), strconv.FormatFloat(p.MaxTotal, 'f', -1, 64), indicators.FormatPercent(p.Rate, 1), p.Rank, p.Of)
			for _, g := range grantNames(a, f.FiscalYear, p.Level, p.Grants) {
				fmt.Fprintf(a.stdout, "、%s %s", g.name, strconv.FormatFloat(g.points, 'f', -1, 64))
			}
			fmt.Fprintln(a.stdout)
		}
	}
	printWarningCounts(a, rep, perCode)
	prefix := "ingest"
	if rep.DryRun {
		prefix = "ingest (dry run: nothing written)"
	}
	fmt.Fprintf(a.stdout, "%s: %s\n", prefix, rep.Summary())
}

// printWarningCounts prints the warnings of the codes with more than maxWarningLines, counted.
func printWarningCounts(a *app, rep *pipeline.IngestReport, perCode map[string]int) {
	files := map[string]int{}
	for _, f := range rep.Files {
		seen := map[string]bool{}
		for _, p := range f.Warnings {
			if !seen[p.Code] {
				seen[p.Code] = true
				files[p.Code]++
			}
		}
	}
	var codes []string
	total := 0
	for c, n := range perCode {
		if n > maxWarningLines {
			codes = append(codes, c)
			total += n
		}
	}
	if len(codes) == 0 {
		return
	}
	sort.Strings(codes)
	fmt.Fprintf(a.stdout, "注意 warnings: %s件（コード別。1件ずつは JSON の報告書に / by code; each one is in the JSON report）\n", yen(int64(total)))
	for _, c := range codes {
		name := warningNames[c]
		if name == "" {
			name = "—"
		}
		fmt.Fprintf(a.stdout, "  %s %s件（%s）、%sファイル\n", c, yen(int64(perCode[c])), name, yen(int64(files[c])))
	}
}

type grantPoints struct {
	name   string
	points float64
}

// grantNames returns a preview's points per grant under the grants' Japanese names, in the
// rulebook's order (the ids when the rulebook is not at hand).
func grantNames(a *app, fy int, level string, points map[string]float64) []grantPoints {
	var out []grantPoints
	if lib, err := a.library(); err == nil {
		if rb, err := lib.Get(fy, indicators.Level(level)); err == nil {
			for _, g := range rb.Grants {
				if v, ok := points[g.ID]; ok {
					out = append(out, grantPoints{g.Name, v})
				}
			}
			if len(out) == len(points) {
				return out
			}
		}
	}
	out = out[:0]
	for _, g := range sortedGrants(points) {
		out = append(out, grantPoints{g, points[g]})
	}
	return out
}

func sortedGrants(m map[string]float64) []string {
	var k []string
	for g := range m {
		k = append(k, g)
	}
	sort.Strings(k)
	return k
}
