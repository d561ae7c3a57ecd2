package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/pipeline"
)

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func cmdWhatIf(ctx context.Context, a *app, args []string) error {
	fs := a.flags("whatif")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	fy := fs.Int("fy", 0, "fiscal year (交付年度)")
	top := fs.Int("top", 20, "how many of the largest changes to list (0: all)")
	var sets multi
	fs.Var(&sets, "set", "CODE:ITEM=VALUE, e.g. 131016:P1-1-a=はい (repeat for more changes)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fy == 0 || len(sets) == 0 {
		return &exitError{code: 2, msg: "whatif: --fy and at least one --set CODE:ITEM=VALUE are required"}
	}
	var changes []pipeline.Change
	for _, s := range sets {
		c, err := pipeline.ParseChange(s)
		if err != nil {
			return &exitError{code: 2, msg: "whatif: " + err.Error()}
		}
		changes = append(changes, c)
	}
	r, closeStore, err := a.existing(ctx, "whatif", *db)
	if err != nil {
		return err
	}
	defer closeStore()
	r.Progress = a.newProgress().report
	rep, err := r.WhatIfAs(ctx, kofukin.Operator("cli"), *fy, changes)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "what-if FY%d (nothing stored): %d change(s) move the amounts of %d entities (%d unchanged); Σ change %s yen\n",
		*fy, len(changes), len(rep.Ripples), rep.Unchanged, yen(rep.SumDelta))
	fmt.Fprintf(a.stdout, "%-10s %-24s %10s %10s %16s %16s %14s\n", "CODE", "NAME", "SCORE", "→", "YEN BEFORE", "YEN AFTER", "CHANGE")
	for i, x := range rep.Ripples {
		if *top > 0 && i >= *top {
			fmt.Fprintf(a.stdout, "… and %d more (--top 0 lists all)\n", len(rep.Ripples)-i)
			break
		}
		fmt.Fprintf(a.stdout, "%-10s %-24s %10.2f %10.2f %16s %16s %+14d\n", x.Code, x.Name, x.BeforeTotal, x.AfterTotal, yen(x.BeforeYen), yen(x.AfterYen), x.DeltaYen)
	}
	return nil
}
