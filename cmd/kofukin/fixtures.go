package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kofukin/kofukin/fixtures"
)

func cmdFixtures(ctx context.Context, a *app, args []string) error {
	fs := a.flags("fixtures")
	fy := fs.Int("fy", 2026, "fiscal year (交付年度)")
	out := fs.String("out", "", "output folder (required)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed writes the same files")
	prefs := fs.String("prefectures", "", "comma-separated prefecture codes to limit the nation to (e.g. 31,32)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return &exitError{code: 2, msg: "fixtures: --out is required"}
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	rb, err := lib.Get(*fy, "municipality")
	if err != nil {
		return err
	}
	start := time.Now()
	sum, err := fixtures.WriteNation(ctx, *out, rb, fixtures.NationOptions{Seed: *seed, Prefectures: splitList(*prefs), Workers: a.cfg.Workers})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "fixtures: %d municipal workbooks and %d outcome values (%s) in %s, %.1f MB, %.1fs\n",
		sum.Workbooks, sum.OutcomeRows, sum.OutcomesFile, *out, float64(sum.Bytes)/1e6, time.Since(start).Seconds())
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
