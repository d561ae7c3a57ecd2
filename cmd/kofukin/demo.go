package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/pipeline"
)

func cmdDemo(ctx context.Context, a *app, args []string) error {
	fs := a.flags("demo")
	out := fs.String("out", "demo-out", "output folder: fixtures, database and workbooks")
	db := fs.String("db", "", "DuckDB file (default: OUT/demo.duckdb, so that a demo never touches KOFUKIN_DB)")
	fy := fs.Int("fy", 2026, "fiscal year (交付年度)")
	seed := fs.Uint64("seed", 1, "random seed of the synthetic nation")
	prefs := fs.String("prefectures", "", "comma-separated prefecture codes to limit the nation to (default: all 47)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" {
		*db = filepath.Join(*out, "demo.duckdb")
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	rb, err := lib.Get(*fy, kofukin.Municipality)
	if err != nil {
		return err
	}
	start := time.Now()
	pr := a.newProgress()
	pr.report(pipeline.Progress{Stage: "fixtures"})
	fixDir := filepath.Join(*out, "fixtures")
	nation, err := fixtures.WriteNation(ctx, fixDir, lib, *fy, fixtures.NationOptions{Seed: *seed, Prefectures: splitList(*prefs), Workers: a.cfg.Workers})
	if err != nil {
		return fmt.Errorf("fixtures: %w", err)
	}
	fixTime := time.Since(start)
	pr.report(pipeline.Progress{Stage: "fixtures", Finished: true})
	r, closeStore, err := a.runner(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore()
	r.Progress = pr.report
	res, err := r.Cycle(ctx, *fy, []string{fixDir}, *out)
	if err != nil {
		return err
	}
	w := a.stdout
	if res.Ingest.Rejected > 0 {
		printIngest(a, res.Ingest)
	}
	fmt.Fprintf(w, "kofukin demo — FY%d (%s), synthetic nation (seed %d)\n", *fy, rb.EraLabel, *seed)
	fmt.Fprintf(w, "  fixtures:  %s in %s (%.1fs)\n", describeNation(nation), fixDir, fixTime.Seconds())
	fmt.Fprintf(w, "  ingest:    %s\n", res.Ingest.Summary())
	printScore(w, "  score:    ", res.Score)
	fmt.Fprintf(w, "  allocate:  run %d\n", res.Allocate.RunID)
	printPools(w, "    ", res.Allocate)
	counts := map[string]int{}
	for _, f := range res.Export.Files {
		counts[filepath.Base(filepath.Dir(f))]++
	}
	fmt.Fprintf(w, "  workbook:  %s\n", filepath.Join(*out, exporters.MinistryFileName(*fy)))
	fmt.Fprintf(w, "  review:    %d prefectural review workbooks in %s\n", counts["review"], filepath.Join(*out, "review"))
	fmt.Fprintf(w, "  feedback:  %d municipal feedback workbooks in %s\n", counts["feedback"], filepath.Join(*out, "feedback"))
	fmt.Fprintf(w, "  analysts:  %d Parquet/Arrow files in %s\n", counts["parquet"], filepath.Join(*out, "parquet"))
	fmt.Fprintf(w, "  database:  %s\n", *db)
	fmt.Fprintf(w, "  time:      fixtures %.1fs", fixTime.Seconds())
	for _, s := range res.Stages {
		fmt.Fprintf(w, ", %s %.1fs", s.Name, s.Elapsed.Seconds())
	}
	fmt.Fprintf(w, "; total %.1fs\n", time.Since(start).Seconds())
	if res.Ingest.Rejected > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d file(s) rejected", res.Ingest.Rejected)}
	}
	return nil
}
