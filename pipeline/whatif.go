package pipeline

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// Change is one what-if change: entity code, item id and the value as a person would type it.
type Change struct {
	Code, Item, Value string
}

// ParseChange reads CODE:ITEM=VALUE.
func ParseChange(s string) (Change, error) {
	code, rest, ok := strings.Cut(s, ":")
	item, value, ok2 := strings.Cut(rest, "=")
	if !ok || !ok2 || code == "" || item == "" {
		return Change{}, fmt.Errorf("%q: write CODE:ITEM=VALUE, e.g. 131016:P1-1-a=はい", s)
	}
	return Change{Code: strings.TrimSpace(code), Item: strings.TrimSpace(item), Value: value}, nil
}

// Ripple is one entity's amount before and after the changes.
type Ripple struct {
	Code, Name, Level       string
	BeforeTotal, AfterTotal float64
	BeforeYen, AfterYen     int64
	DeltaYen                int64
}

// WhatIfReport is the ripple of a set of changes, largest change first.
type WhatIfReport struct {
	FiscalYear int
	Changes    []Change
	Ripples    []Ripple // every entity whose amount or score changed, by |Δ| then code
	Unchanged  int
	SumDelta   int64 // Σ Δ: 0 when the pools are spent in full before and after
}

// WhatIf re-scores and re-allocates fiscal year fy with the given answers changed, in a rehearsal
// (store.Rehearse: one transaction rolled back, no copy of the database), against the same done
// without the changes, and reports every entity's yen change. Nothing is persisted.
func (r *Runner) WhatIf(ctx context.Context, fy int, changes []Change) (*WhatIfReport, error) {
	var rep *WhatIfReport
	err := r.Store.Rehearse(ctx, func(sc *store.Store) error {
		var err error
		rep, err = r.whatIf(ctx, sc, fy, changes)
		return err
	})
	return rep, err
}

// whatIf is WhatIf inside the rehearsal sc.
func (r *Runner) whatIf(ctx context.Context, sc *store.Store, fy int, changes []Change) (*WhatIfReport, error) {
	tmp := r.rehearsing(sc)
	tmp.resultsOnly = true // the totals compared are read below, not the runs' summaries
	r.progress(Progress{Stage: "before"})
	before, err := tmp.totals(ctx, fy)
	if err != nil {
		return nil, err
	}
	r.progress(Progress{Stage: "before", Finished: true})
	r.progress(Progress{Stage: "after"})
	if err := tmp.apply(ctx, fy, changes); err != nil {
		return nil, err
	}
	after, err := tmp.totals(ctx, fy)
	if err != nil {
		return nil, err
	}
	r.progress(Progress{Stage: "after", Finished: true})
	names := map[string][2]string{}
	for _, lv := range []kofukin.Level{kofukin.Municipality, kofukin.Prefecture} {
		es, err := sc.Reference().Entities(ctx, fy, string(lv))
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			names[e.Code] = [2]string{e.Name(), string(lv)}
		}
	}
	rep := &WhatIfReport{FiscalYear: fy, Changes: changes}
	for code, b := range before {
		a := after[code]
		if a.yen == b.yen && a.total == b.total {
			rep.Unchanged++
			continue
		}
		rep.Ripples = append(rep.Ripples, Ripple{Code: code, Name: names[code][0], Level: names[code][1], BeforeTotal: b.total, AfterTotal: a.total,
			BeforeYen: b.yen, AfterYen: a.yen, DeltaYen: a.yen - b.yen})
		rep.SumDelta += a.yen - b.yen
	}
	sort.Slice(rep.Ripples, func(i, j int) bool {
		di, dj := abs(rep.Ripples[i].DeltaYen), abs(rep.Ripples[j].DeltaYen)
		if di != dj {
			return di > dj
		}
		return rep.Ripples[i].Code < rep.Ripples[j].Code
	})
	return rep, nil
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

type standing struct {
	total float64
	yen   int64
}

// totals scores and allocates fy and returns every entity's 総合計 and total yen.
func (r *Runner) totals(ctx context.Context, fy int) (map[string]standing, error) {
	res, err := r.Score(ctx, fy)
	if err != nil {
		return nil, err
	}
	alloc, err := r.Allocate(ctx, fy)
	if err != nil {
		return nil, err
	}
	out := map[string]standing{}
	for _, lv := range []kofukin.Level{kofukin.Municipality, kofukin.Prefecture} {
		tot, _, err := r.Store.Scores().Totals(ctx, res.RunID, string(lv))
		if err != nil {
			return nil, err
		}
		for c, t := range tot {
			out[c] = standing{total: t}
		}
	}
	for code, yen := range alloc.entityYen {
		s := out[code]
		s.yen += yen
		out[code] = s
	}
	return out, nil
}

// apply stores, in this (rehearsal) store, a new version of each changed entity's current
// submission with the changed answers; a ministry-supplied item changes the ministry's file.
func (r *Runner) apply(ctx context.Context, fy int, changes []Change) error {
	type parsedChange struct {
		Change
		answer loaders.Answer
	}
	byEntity := map[string][]parsedChange{}
	var order []string
	for _, c := range changes {
		level := kofukin.ClaimedLevel(c.Code)
		rb, err := r.Rulebooks.Get(fy, level)
		if err != nil {
			return err
		}
		it, ok := rb.Item(c.Item)
		if !ok || (it.Source != indicators.SourceSelf && it.Source != indicators.SourceMinistry) {
			return fmt.Errorf("%s: %s is not an answered or ministry-supplied item of the FY%d %s rulebook", c.Code, c.Item, fy, level)
		}
		a, p := loaders.ParseAnswer(it, c.Value)
		if p != nil {
			return fmt.Errorf("%s:%s=%s: %s / %s", c.Code, c.Item, c.Value, p.MessageJA, p.MessageEN)
		}
		owner := c.Code
		if it.Source == indicators.SourceMinistry {
			owner = store.MinistryCode
		}
		if _, seen := byEntity[owner]; !seen {
			order = append(order, owner)
		}
		byEntity[owner] = append(byEntity[owner], parsedChange{c, a})
	}
	for _, owner := range order {
		// The owner's current survey (the ministry's: its current file of the last kind), from its
		// versions (ordered as Submissions.Current's), not the nation's list.
		subs, err := r.Store.Submissions().History(ctx, fy, owner)
		if err != nil {
			return err
		}
		var cur *store.Submission
		for i := range subs {
			if subs[i].Status == "current" && (owner == store.MinistryCode || subs[i].Kind == KindSurvey) {
				cur = &subs[i]
			}
		}
		var rows []store.AnswerRow
		meta := store.SubmissionMeta{FiscalYear: fy, EntityCode: owner, Kind: KindSurvey, FileName: "what-if", SHA256: "what-if " + owner}
		if cur != nil {
			meta.Level, meta.Kind, meta.RulebookHash = cur.Level, cur.Kind, cur.RulebookHash
			if rows, err = r.Store.Submissions().Answers(ctx, cur.ID); err != nil {
				return err
			}
		} else if owner == store.MinistryCode {
			meta.Level, meta.Kind = "ministry", KindOutcomes
		} else {
			meta.Level = string(kofukin.ClaimedLevel(owner))
		}
		for _, c := range byEntity[owner] {
			a := c.answer
			a.ItemID, a.Cell = c.Item, "what-if"
			replaced := false
			for i := range rows {
				if rows[i].EntityCode == c.Code && rows[i].ItemID == c.Item {
					rows[i].Answer, replaced = a, true
				}
			}
			if !replaced {
				rows = append(rows, store.AnswerRow{EntityCode: c.Code, Answer: a})
			}
		}
		if _, err := r.Store.Submissions().Add(ctx, meta, rows); err != nil {
			return err
		}
	}
	return nil
}
