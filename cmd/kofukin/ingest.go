package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/internal/atomicfile"
	"github.com/kofukin/kofukin/pipeline"
)

func cmdIngest(ctx context.Context, a *app, args []string) error {
	fs := a.flags("ingest")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	fy := fs.Int("fy", 0, "accept only this fiscal year (0: each file's own)")
	report := fs.String("report", "", "write the report as JSON to this file (default: OUT/ingest_<time>.json)")
	dry := fs.Bool("dry-run", false, "validate and preview the points in a scratch copy; write nothing")
	quar := fs.String("quarantine", a.cfg.Quarantine, "move rejected files here with their report and an annotated copy (KOFUKIN_QUARANTINE; empty: leave them)")
	fs.Usage = func() {
		fmt.Fprintln(a.stderr, "Usage: kofukin ingest [--db F] [--fy N] [--report F.json] PATH...  (files or folders of .xlsx/.csv)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return &exitError{code: 2, msg: "ingest: no PATH given"}
	}
	r, closeStore, err := a.runner(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore()
	opts := pipeline.IngestOptions{FiscalYear: *fy, Quarantine: *quar}
	var rep *pipeline.IngestReport
	if *dry {
		rep, err = r.DryRun(ctx, fs.Args(), opts)
	} else {
		rep, err = r.Ingest(ctx, fs.Args(), opts)
	}
	if rep != nil {
		printIngest(a, rep)
		path := *report
		if path == "" {
			path = filepath.Join(a.cfg.Out, "ingest_"+time.Now().Format("20060102-150405")+".json")
		}
		var buf bytes.Buffer
		if werr := rep.WriteJSON(&buf); werr != nil {
			return werr
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

// printIngest prints each rejected file's problems, warnings, dry-run previews, then the summary.
func printIngest(a *app, rep *pipeline.IngestReport) {
	for _, f := range rep.Files {
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
		case len(f.Warnings) > 0:
			fmt.Fprintf(a.stdout, "注意 warnings: %s\n", f.Path)
			for _, p := range f.Warnings {
				fmt.Fprintf(a.stdout, "  %s\n", p)
			}
		}
		if p := f.Preview; p != nil {
			fmt.Fprintf(a.stdout, "試算 preview: %s %s: 総合計 %s / %s 点（得点率 %s）、順位 %d / %d", f.Path, f.EntityCode,
				strconv.FormatFloat(p.Total, 'f', -1, 64), strconv.FormatFloat(p.MaxTotal, 'f', -1, 64), indicators.FormatPercent(p.Rate, 1), p.Rank, p.Of)
			for _, g := range sortedGrants(p.Grants) {
				fmt.Fprintf(a.stdout, "、%s %s", g, strconv.FormatFloat(p.Grants[g], 'f', -1, 64))
			}
			fmt.Fprintln(a.stdout)
		}
	}
	prefix := "ingest"
	if rep.DryRun {
		prefix = "ingest (dry run: nothing written)"
	}
	fmt.Fprintf(a.stdout, "%s: %s\n", prefix, rep.Summary())
}

func sortedGrants(m map[string]float64) []string {
	var k []string
	for g := range m {
		k = append(k, g)
	}
	sort.Strings(k)
	return k
}
