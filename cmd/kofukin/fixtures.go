package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
)

func cmdFixtures(ctx context.Context, a *app, args []string) error {
	fs := a.flags("fixtures")
	fy := fs.Int("fy", 2026, "fiscal year (交付年度)")
	out := fs.String("out", "", "output folder (required)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed writes the same files")
	prefs := fs.String("prefectures", "", "comma-separated prefecture codes to limit the nation to (e.g. 31,32)")
	broken := fs.Bool("broken", true, "also write deliberately broken files into OUT/broken")
	yearsFlag := fs.String("years", "", "fiscal years, e.g. 2024-2026: the last is --fy's nation (workbooks, in OUT/FY2026), the earlier ones its past generated backward (survey CSVs and outcome CSV, in OUT/FY2024 …); default: --fy only, into OUT")
	scale := fs.Int("scale", 1, "clone every municipality this many times (e.g. 10, 100); above 1 the nation is written as data (CSV) for kofukin bench --scale, not as workbooks")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return &exitError{code: 2, msg: "fixtures: --out is required"}
	}
	if *yearsFlag != "" && *scale > 1 {
		return &exitError{code: 2, msg: "fixtures: --years and --scale cannot be given together"}
	}
	if *scale < 1 {
		return &exitError{code: 2, msg: "fixtures: --scale must be 1 or more"}
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	start := time.Now()
	if *scale > 1 {
		sum, err := fixtures.WriteScaled(ctx, *out, lib, *fy, fixtures.ScaleOptions{Seed: *seed, Scale: *scale, Prefectures: splitList(*prefs), Workers: a.cfg.Workers})
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "fixtures: %d× nation as data: %s municipalities (%s with valid codes), %s care centres, %d prefectures, %s answers in %s and %s, %.1f MB, %.1fs\n",
			sum.Scale, yen(int64(sum.Municipalities)), yen(int64(sum.ValidCodes)), yen(int64(sum.Centres)), sum.Prefectures, yen(int64(sum.Answers)),
			sum.EntitiesFile, sum.AnswersFile, float64(sum.Bytes)/1e6, time.Since(start).Seconds())
		return nil
	}
	years, err := parseYears(*yearsFlag, []int{*fy})
	if err != nil {
		return err
	}
	*fy = years[len(years)-1]
	ys, err := fixtures.WriteYears(ctx, *out, lib, years, fixtures.NationOptions{Seed: *seed, Prefectures: splitList(*prefs), Workers: a.cfg.Workers, Broken: *broken})
	if err != nil {
		return err
	}
	sum := ys.Anchor
	fmt.Fprintf(a.stdout, "fixtures: %s in %s, %.1f MB, %.1fs\n", describeNation(sum), ys.AnchorDir, float64(ys.Bytes)/1e6, time.Since(start).Seconds())
	for _, p := range ys.Past {
		fmt.Fprintf(a.stdout, "  FY%d (generated backward from FY%d): %s in %s\n", p.FiscalYear, *fy, describePast(p), p.Dir)
	}
	for _, b := range sum.Broken {
		fmt.Fprintf(a.stdout, "  broken/%s: %s (%s)\n", b.File, b.What, strings.Join(b.Codes, ", "))
	}
	return nil
}

// describeNation says what a synthetic nation holds.
func describeNation(s fixtures.NationSummary) string {
	out := fmt.Sprintf("%d municipal workbooks", s.Workbooks[indicators.Municipality])
	if n := s.Workbooks[indicators.Prefecture]; n > 0 {
		out += fmt.Sprintf(", %d prefectural", n)
	}
	if n := s.Workbooks[indicators.Centre]; n > 0 {
		out += fmt.Sprintf(", %d care-centre (list of %d centres)", n, s.Centres)
	}
	if s.Unions > 0 {
		out += fmt.Sprintf(", %d unions", s.Unions)
	}
	return out + fmt.Sprintf(", outcome CSV (%d values)", s.OutcomeRows)
}

// describePast says what an earlier year's archive holds.
func describePast(p fixtures.PastYear) string {
	return fmt.Sprintf("%d municipal survey CSVs, outcome CSV (%d values)", p.Surveys, p.OutcomeRows)
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
