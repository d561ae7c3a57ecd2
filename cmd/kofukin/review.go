package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/pipeline"
)

func cmdReview(ctx context.Context, a *app, args []string) error {
	return dispatch(a, "review", args, map[string]func([]string) error{
		"import": func(args []string) error { return reviewImport(ctx, a, args) },
	})
}

func reviewImport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("review import")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	fy := fs.Int("fy", a.cfg.FiscalYear, "the fiscal year of the review workbooks (KOFUKIN_FY); another year's workbook is refused")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return &exitError{code: 2, msg: "review import: give the review workbooks"}
	}
	r, closeStore, err := a.existing(ctx, "review import", *db)
	if err != nil {
		return err
	}
	defer closeStore()
	bad := 0
	for _, path := range fs.Args() {
		data, err := pipeline.ReadFileLimit(path, loaders.MaxFileSize)
		if err != nil {
			return fmt.Errorf("review import: %w", err)
		}
		res, err := r.ImportReview(ctx, kofukin.Operator("cli"), *fy, "", filepath.Base(path), data)
		if err != nil {
			return fmt.Errorf("review import %s: %w", path, err)
		}
		if rj := res.Rejection; rj != nil {
			bad++
			fmt.Fprintf(a.stdout, "%s rejected: %s（%d件の問題）\n", kofukin.StatusLabelJA(kofukin.StatusRejected), path, len(rj.Problems))
			for _, p := range rj.Problems {
				fmt.Fprintf(a.stdout, "  %s\n", p)
			}
			continue
		}
		n := len(res.File.Verdicts)
		fmt.Fprintf(a.stdout, "review: %s FY%d %s: %d verdict(s) — 確認済 %d, 差戻し %d, 未確認 %d\n", path, res.File.FiscalYear, res.Prefecture, n, res.Counts["確認済"], res.Counts["差戻し"], res.Counts["未確認"])
		for _, sk := range res.Skipped {
			fmt.Fprintf(a.stdout, "  %s\n", sk.MessageJA())
		}
	}
	if bad > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d file(s) rejected", bad)}
	}
	return nil
}
