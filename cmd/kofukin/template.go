package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/pipeline"
)

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
	entity := fs.String("entity", "", "団体コード (6 digits) of the entity the workbook is for")
	out := fs.String("out", "", "output .xlsx file")
	db := fs.String("db", a.cfg.DB, "DuckDB file, where care centres are listed (KOFUKIN_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fy == 0 || *entity == "" || *out == "" {
		fs.Usage()
		return &exitError{code: 2, msg: "template: --fy, --entity and --out are required"}
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	rb, err := lib.Get(*fy, indicators.Level(*level))
	if err != nil {
		return err
	}
	e, err := findEntity(kofukin.Level(*level), *entity)
	if err != nil && kofukin.Level(*level) == kofukin.Centre {
		e, err = a.findCentre(ctx, *db, *fy, *entity)
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := exporters.WriteSurvey(&buf, rb, e, nil); err != nil {
		return err
	}
	if err := pipeline.WriteFileAtomic(*out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "template: wrote %s（%s%s, FY%d %s, %d items）\n", *out, e.PrefectureName, e.Name, *fy, *level, len(rb.SelfItems()))
	return nil
}

// findCentre looks a care centre up in the store (centres come from the list ingested each year).
func (a *app) findCentre(ctx context.Context, db string, fy int, code string) (exporters.SurveyEntity, error) {
	r, closeStore, err := a.runner(ctx, db)
	if err != nil {
		return exporters.SurveyEntity{}, err
	}
	defer closeStore()
	if err := r.EnsureReference(ctx, fy); err != nil {
		return exporters.SurveyEntity{}, err
	}
	list, err := r.Store.Entities(ctx, fy, string(kofukin.Centre))
	if err != nil {
		return exporters.SurveyEntity{}, err
	}
	for _, c := range list {
		if c.Code == code {
			return exporters.SurveyEntity{Code: c.Code, PrefectureName: c.PrefectureName, Name: c.NameJA}, nil
		}
	}
	return exporters.SurveyEntity{}, fmt.Errorf("no care centre %q valid in FY%d in %s (ingest the year's centre list first)", code, fy, db)
}

// findEntity looks a code up in the shipped reference data.
func findEntity(level kofukin.Level, code string) (exporters.SurveyEntity, error) {
	muni, err := fixtures.Municipalities()
	if err != nil {
		return exporters.SurveyEntity{}, err
	}
	prefs, err := fixtures.Prefectures()
	if err != nil {
		return exporters.SurveyEntity{}, err
	}
	prefName := map[string]string{}
	for _, p := range prefs.Entities {
		prefName[p.PrefectureCode] = p.NameJA
		if level == kofukin.Prefecture && p.Code == code {
			return exporters.SurveyEntity{Code: code, Name: p.NameJA}, nil
		}
	}
	if level == kofukin.Municipality {
		for _, m := range muni.Entities {
			if m.Code == code {
				return exporters.SurveyEntity{Code: code, PrefectureName: prefName[m.PrefectureCode], Name: m.NameJA}, nil
			}
		}
	}
	return exporters.SurveyEntity{}, fmt.Errorf("no %s with code %q in the reference data", level, code)
}
