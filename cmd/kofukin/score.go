package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/pipeline"
)

func cmdScore(ctx context.Context, a *app, args []string) error {
	fs := a.flags("score")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	fy := fs.Int("fy", 0, "fiscal year (交付年度), e.g. 2026")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fy == 0 {
		return &exitError{code: 2, msg: "score: --fy is required"}
	}
	r, closeStore, err := a.existing(ctx, "score", *db)
	if err != nil {
		return err
	}
	defer closeStore()
	res, err := r.Score(ctx, *fy)
	if err != nil {
		return err
	}
	printScore(a.stdout, "score:", res)
	return nil
}

// printScore prints one line per level of a score run.
func printScore(w io.Writer, prefix string, res *pipeline.ScoreResult) {
	for _, l := range res.Levels {
		fmt.Fprintf(w, "%s run %d: %s %d (%d submitted), mean %s / %g points (%s), rulebook %s\n",
			prefix, res.RunID, l.Level.LabelJA(), l.Entities, l.Submitted, indicators.FormatDecimal(l.MeanTotal, 2), l.MaxTotal, indicators.FormatPercent(l.MeanRate, 1), l.RulebookHash[:12])
	}
}

func cmdAllocate(ctx context.Context, a *app, args []string) error {
	fs := a.flags("allocate")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	fy := fs.Int("fy", 0, "fiscal year (交付年度), e.g. 2026")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fy == 0 {
		return &exitError{code: 2, msg: "allocate: --fy is required"}
	}
	r, closeStore, err := a.existing(ctx, "allocate", *db)
	if err != nil {
		return err
	}
	defer closeStore()
	res, err := r.Allocate(ctx, *fy)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "allocate: run %d (scores of run %d), FY%d\n", res.RunID, res.ScoreRunID, *fy)
	printPools(a.stdout, "  ", res)
	return nil
}

// printPools prints one line per pool: what it had, what was allocated, what is left and why.
func printPools(w io.Writer, indent string, res *pipeline.AllocateResult) {
	for _, p := range res.Results {
		fmt.Fprintf(w, "%s%s: pool %s yen → %s yen to %s %s", indent, p.Name, yen(p.PoolYen), yen(p.AmountYen), yen(int64(p.Entities)), indicators.Level(p.Level).LabelJA())
		if p.Capped > 0 {
			fmt.Fprintf(w, ", %d capped at 所要見込額", p.Capped)
		}
		fmt.Fprintf(w, ", surplus %s (pool − allocated − surplus = %d)", yen(p.SurplusYen), p.PoolYen-p.AmountYen-p.SurplusYen)
		if p.Note != "" {
			fmt.Fprintf(w, " — %s", p.Note)
		}
		fmt.Fprintln(w)
	}
}

func cmdExport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("export")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	fy := fs.Int("fy", 0, "fiscal year (交付年度), e.g. 2026")
	out := fs.String("out", a.cfg.Out, "output folder (KOFUKIN_OUT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fy == 0 {
		return &exitError{code: 2, msg: "export: --fy is required"}
	}
	r, closeStore, err := a.existing(ctx, "export", *db)
	if err != nil {
		return err
	}
	defer closeStore()
	pr, began := a.newProgress(), time.Now()
	r.Progress = pr.report
	res, err := r.Export(ctx, *fy, *out)
	if err != nil {
		return err
	}
	pr.done("export", len(res.Files), "files", began)
	for _, f := range res.Files {
		fmt.Fprintf(a.stdout, "export: run %d (allocation run %d) wrote %s\n", res.RunID, res.AllocateRunID, f)
	}
	return nil
}

func cmdRuns(ctx context.Context, a *app, args []string) error {
	fs := a.flags("runs")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, closeStore, err := a.existing(ctx, "runs", *db)
	if err != nil {
		return err
	}
	defer closeStore()
	runs, err := r.Runs(ctx, kofukin.Operator("cli"))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%-5s %-9s %-6s %-10s %-20s %s\n", "RUN", "KIND", "FY", "STATUS", "STARTED (UTC)", "SUMMARY")
	for _, run := range runs {
		s := run.Summary
		if run.Error != "" {
			s = "error: " + run.Error
		}
		fmt.Fprintf(a.stdout, "%-5d %-9s %-6d %-10s %-20s %s\n", run.ID, run.Kind, run.FiscalYear, run.Status, run.StartedAt.Format("2006-01-02 15:04:05"), s)
	}
	return nil
}

func cmdRulebooks(ctx context.Context, a *app, args []string) error {
	return rulebookList(a, "rulebooks", args)
}

// rulebookList lists the rulebooks: kofukin rulebooks, or kofukin rulebook list.
func rulebookList(a *app, name string, args []string) error {
	fs := a.flags(name)
	if err := fs.Parse(args); err != nil {
		return err
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	for _, rb := range lib.All() {
		fmt.Fprintf(a.stdout, "FY%d %-12s %-8s %4g points  %3d indicators  %s  %s\n", rb.FiscalYear, rb.Level, rb.Version, rb.MaxPoints(), len(rb.Indicators), rb.Hash[:12], rb.File)
	}
	return nil
}
