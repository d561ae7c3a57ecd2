package main

import (
	"context"
	"fmt"
	"strconv"
)

func cmdRerun(ctx context.Context, a *app, args []string) error {
	fs := a.flags("rerun")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	out := fs.String("out", a.cfg.Out, "folder to write the re-created files into (KOFUKIN_OUT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if fs.NArg() != 1 || err != nil {
		return &exitError{code: 2, msg: "rerun: give one run id (kofukin runs lists them)"}
	}
	r, closeStore, err := a.existing(ctx, "rerun", *db)
	if err != nil {
		return err
	}
	defer closeStore()
	rep, err := r.Rerun(ctx, id, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "rerun: %s run %d re-created into %s (export run %d); %d compared\n", rep.Kind, rep.RunID, rep.OutDir, rep.NewRunID, rep.Checked)
	for _, n := range rep.Notes {
		fmt.Fprintln(a.stdout, "  note:", n)
	}
	if len(rep.Different) == 0 {
		fmt.Fprintln(a.stdout, "rerun: identical — every amount and every file's bytes are the same")
		return nil
	}
	for _, d := range rep.Different {
		fmt.Fprintln(a.stdout, "  differs:", d)
	}
	return &exitError{code: 1, msg: fmt.Sprintf("run %d did not come out the same (%d differences)", id, len(rep.Different))}
}
