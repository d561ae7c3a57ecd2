package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

func cmdReview(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		return &exitError{code: 2, msg: "review: use kofukin review import F.xlsx... (review workbooks returned by prefectures)"}
	}
	fs := a.flags("review import")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return &exitError{code: 2, msg: "review import: give the review workbooks"}
	}
	r, closeStore, err := a.runner(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore()
	bad := 0
	for _, path := range fs.Args() {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		inPref := func(pref, code string) bool {
			return len(pref) >= 2 && len(code) == 6 && code[:2] == pref[:2] && code[2:5] != "000"
		}
		rf, err := loaders.ReadReview(path, data, inPref)
		var rj *loaders.Rejection
		if errors.As(err, &rj) {
			bad++
			fmt.Fprintf(a.stdout, "却下 rejected: %s（%d件の問題）\n", path, len(rj.Problems))
			for _, p := range rj.Problems {
				fmt.Fprintf(a.stdout, "  %s\n", p)
			}
			continue
		} else if err != nil {
			return err
		}
		var reviews []store.Review
		counts := map[string]int{}
		for _, v := range rf.Verdicts {
			reviews = append(reviews, store.Review{FiscalYear: rf.FiscalYear, EntityCode: v.Code, Status: v.Status, Comment: v.Comment, File: filepath.Base(path), SHA256: rf.SHA256})
			counts[v.Status]++
		}
		if err := r.Store.SaveReviews(ctx, reviews); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "review: %s FY%d %s: %d verdict(s) — 確認済 %d, 差戻し %d, 未確認 %d\n", path, rf.FiscalYear, rf.PrefectureCode, len(reviews), counts["確認済"], counts["差戻し"], counts["未確認"])
	}
	if bad > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d file(s) rejected", bad)}
	}
	return nil
}
