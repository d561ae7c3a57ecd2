package main

import (
	"context"
	"fmt"
	"os"

	"github.com/kofukin/kofukin/pipeline"
)

func cmdIngest(ctx context.Context, a *app, args []string) error {
	fs := a.flags("ingest")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	fy := fs.Int("fy", 0, "accept only this fiscal year (0: each file's own)")
	report := fs.String("report", "", "also write the report as JSON to this file")
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
	rep, err := r.Ingest(ctx, fs.Args(), pipeline.IngestOptions{FiscalYear: *fy})
	if rep != nil {
		printIngest(a, rep)
		if *report != "" {
			f, ferr := os.Create(*report)
			if ferr != nil {
				return ferr
			}
			rep.WriteJSON(f)
			if ferr := f.Close(); ferr != nil {
				return ferr
			}
		}
	}
	if err != nil {
		return err
	}
	if rep.Rejected > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d file(s) rejected", rep.Rejected)}
	}
	return nil
}

// printIngest prints each rejected file's problems, then the summary line.
func printIngest(a *app, rep *pipeline.IngestReport) {
	for _, f := range rep.Files {
		if f.Status != pipeline.Rejected {
			continue
		}
		fmt.Fprintf(a.stdout, "却下 rejected: %s（%d件の問題）\n", f.Path, len(f.Problems))
		for _, p := range f.Problems {
			fmt.Fprintf(a.stdout, "  %s\n", p)
		}
	}
	fmt.Fprintf(a.stdout, "ingest: %s\n", rep.Summary())
}
