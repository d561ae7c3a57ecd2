package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/internal/atomicfile"
	"github.com/kofukin/kofukin/pipeline"
)

// cmdTemplate writes an entity's survey workbook, stamped with the entity as the store lists it
// for the year — as the web service does, so that both agree after a merger. Without a database
// file yet, the shipped reference data (municipalities and prefectures) is read into memory.
// levelUsage is the help text of a --level flag.
var levelUsage = func() string {
	var names []string
	for _, l := range kofukin.Levels {
		names = append(names, string(l))
	}
	return strings.Join(names, " | ")
}()

func cmdTemplate(ctx context.Context, a *app, args []string) error {
	fs := a.flags("template")
	fy := fs.Int("fy", 0, "fiscal year (交付年度), e.g. 2026")
	level := fs.String("level", string(kofukin.Municipality), levelUsage)
	entity := fs.String("entity", "", "団体コード (6 digits; 9 for a care centre) of the entity the workbook is for")
	out := fs.String("out", "", "output .xlsx file")
	db := fs.String("db", a.cfg.DB, "DuckDB file whose entities valid in the year are used (KOFUKIN_DB); care centres are listed only there")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fy == 0 || *entity == "" || *out == "" {
		fs.Usage()
		return &exitError{code: 2, msg: "template: --fy, --entity and --out are required"}
	}
	if lv := kofukin.LevelOf(*entity); string(lv) != *level {
		return &exitError{code: 2, msg: fmt.Sprintf("template: %q is not a %s code", *entity, *level)}
	}
	path := *db
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		path = "" // no database yet: the shipped reference data, in memory
	}
	r, closeStore, err := a.runner(ctx, path)
	if err != nil {
		return err
	}
	defer closeStore()
	op := kofukin.Operator("cli")
	_, data, err := r.Template(ctx, op, *fy, *entity)
	if errors.Is(err, pipeline.ErrNotFound) {
		where := "the shipped reference data"
		if path != "" {
			where = path
		}
		return fmt.Errorf("template: no %s %q valid in FY%d in %s (for a care centre, ingest the year's centre list first)", *level, *entity, *fy, where)
	}
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	if err := atomicfile.WriteFile(*out, data); err != nil {
		return err
	}
	e, err := r.FindEntity(ctx, *fy, *entity)
	if err != nil {
		return err
	}
	items := 0
	if rb, err := r.Rulebooks.Get(*fy, indicators.Level(*level)); err == nil {
		items = len(rb.SelfItems())
	}
	name := e.PrefectureName + e.NameJA
	if e.PrefectureName == e.NameJA {
		name = e.NameJA
	}
	fmt.Fprintf(a.stdout, "template: wrote %s（%s, FY%d %s, %d items）\n", *out, name, *fy, *level, items)
	return nil
}
