package pipeline_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kofukin/kofukin/allocation"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// smallNation stores a score run of five municipalities (65+ population 100 each), written by
// hand so that every yen of the allocation can be computed by hand:
//
//	code    推進合計  目標Ⅳ (推進)  submitted
//	900001  130       30            yes
//	900002  120       20            yes
//	900003  100       20            yes
//	900004   80       20            yes
//	900005   25       25            no  (ministry-supplied 目標Ⅳ only)
//
// and, when needs is given, 所要見込額 of 推進 (code → yen).
func smallNation(t *testing.T, needs map[string]int64) (*pipeline.Runner, *store.Run) {
	t.Helper()
	ctx := context.Background()
	r := newRunner(t, "")
	run, err := r.Store.Runs().Start(ctx, store.KindScore, 2026, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	var pops []loaders.PopulationRow
	var results []store.ResultForTest
	for i, m := range []struct {
		total, goal int64
		submitted   bool
	}{{130, 30, true}, {120, 20, true}, {100, 20, true}, {80, 20, true}, {25, 25, false}} {
		code := fmt.Sprintf("90000%d", i+1)
		pops = append(pops, loaders.PopulationRow{FiscalYear: 2026, Code: code, Total: 300, Insured65: 100, ReferenceDate: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), Source: "test"})
		results = append(results, store.ResultForTest{Code: code, Level: "municipality", Total: m.total, MaxTotal: 800, Submitted: m.submitted,
			Grant: "suishin", GrantPoints: m.total, GrantMax: 400, Goal: "O", GoalPoints: m.goal, GoalMax: 100})
	}
	if _, _, err := r.Store.Reference().UpdatePopulation(ctx, 2026, store.ReferenceFile{Name: "test-population.csv", SHA256: "test-population"}, pops); err != nil {
		t.Fatal(err)
	}
	if err := r.Store.Scores().RecordForTest(ctx, run, results); err != nil {
		t.Fatal(err)
	}
	if len(needs) > 0 {
		var rows []loaders.NeedsRow
		for code, yen := range needs {
			rows = append(rows, loaders.NeedsRow{FiscalYear: 2026, Code: code, GrantID: "suishin", NeedsYen: yen})
		}
		if _, err := r.Store.Reference().SetNeeds(ctx, 2026, store.ReferenceFile{Name: "test-needs.csv", SHA256: "test-needs"}, rows); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Store.Runs().Finish(ctx, run, map[string]any{}, "", nil); err != nil {
		t.Fatal(err)
	}
	sr, err := r.Store.Runs().Latest(ctx, store.KindScore, 2026)
	if err != nil {
		t.Fatal(err)
	}
	return r, sr
}

// smallParams: 推進 only, 1,210 yen, no prefectural share; 成果指向型配分枠 of 300 yen for the top
// 60% on 目標Ⅳ; the municipal pool is 910 yen.
func smallParams() allocation.Params {
	return allocation.Params{FiscalYear: 2026, RoundingUnitYen: 1, PrefectureShare: "0", Weight: "population_65plus", NeedsCap: true, Surplus: "return",
		Grants:     []allocation.Grant{{ID: "suishin", Name: "保険者機能強化推進交付金", Short: "推進", BudgetYen: 1210}},
		ExtraPools: []allocation.ExtraPool{{ID: "outcome", Name: "成果指向型配分枠", FromGrant: "suishin", BudgetYen: 300, Goal: "O", TopPercent: 60}}}
}

// TestAllocateRulesHandComputed: the needs cap across pools, the tie rule at the top-percent
// boundary and the non-submitter rule, end to end through the store, every yen by hand.
//
// Municipal pool 910 yen by 推進合計 × 100 (Σ 455): 130 → 260, 120 → 240, 100 → 200, 80 → 160,
// 25 → 50, exact. Without 900005 (Σ 430): 118300/430 = 275 r 50, 109200/430 = 253 r 410,
// 91000/430 = 211 r 270, 72800/430 = 169 r 130; 908 in floors, the 2 yen left to the largest
// remainders 900002 and 900003: 275, 254, 212, 169.
//
// 成果指向型配分枠 300 yen, top 60%, 目標Ⅳ 30, 25, 20, 20, 20: competition ranks 1, 2, 3, 3, 3 (the
// tie group of 20 takes positions 3–5).
//   - 5 ranked, 60% = 3 positions. ties include: rank ≤ 3, all 5 in; by 30:25:20:20:20 (Σ 115):
//     9000/115 = 78 r 30, 7500/115 = 65 r 25, 6000/115 = 52 r 20 ×3; 1 yen left → 900001:
//     79, 52, 52, 52, 65. ties exclude: the group ends at 5 > 3, out: 900001 and 900005 by 30:25:
//     9000/55 = 163 r 35, 7500/55 = 136 r 20; 1 yen left → 900001: 164, 136.
//   - Without the non-submitter, 4 ranked, 60% = 2.4 positions; ranks 1, 2, 2, 2. include: all 4
//     by 30:20:20:20 (Σ 90): 100, 66 r 60 ×3, 2 yen left to the equal remainders by code:
//     100, 67, 67, 66. exclude: the group ends at 4 > 2.4: 900001 alone, 300.
//
// 所要見込額 of 推進 for 900001: 300 yen.
//   - extra pool first (default), return: 79 from the extra pool; the municipal pool may pay
//     300 − 79 = 221 of its 260; 39 returned.
//   - municipal pool first: 260 there; the extra pool may pay 40 of 79; 39 returned.
//   - extra pool first, redistribute: 900001 fixed at 221 in the municipal pool; 910 − 221 = 689
//     among 120:100:80:25 (Σ 325): 82680/325 = 254 r 130, 68900/325 = 212, 55120/325 = 169 r 195,
//     17225/325 = 53; 1 yen left → 900004: 254, 212, 170, 53.
func TestAllocateRulesHandComputed(t *testing.T) {
	ctx := context.Background()
	type pool struct {
		yen     map[string]int64 // code → 確定 (absent: no row)
		surplus int64
		capped  int
		note    string
	}
	cap300 := map[string]int64{"900001": 300}
	capNote := "所要見込額は同じ交付金の配分枠の合計に適用（成果指向型配分枠→保険者機能強化推進交付金（市町村分）の順に交付し、後の配分枠を減額）"
	muniAll := map[string]int64{"900001": 260, "900002": 240, "900003": 200, "900004": 160, "900005": 50}
	outcomeAll := map[string]int64{"900001": 79, "900002": 52, "900003": 52, "900004": 52, "900005": 65}
	for _, c := range []struct {
		name          string
		needs         map[string]int64
		set           func(p *allocation.Params)
		muni, outcome pool
	}{
		{"defaults", nil, func(p *allocation.Params) {},
			pool{yen: muniAll},
			pool{yen: outcomeAll, note: "上位60%（同点は含める）: 5団体（5団体の100.0%）"}},
		{"ties exclude", nil, func(p *allocation.Params) { p.ExtraPools[0].Ties = allocation.TiesExclude },
			pool{yen: muniAll},
			pool{yen: map[string]int64{"900001": 164, "900005": 136}, note: "上位60%（境界の同点は含めない）: 2団体（5団体の40.0%）"}},
		{"non-submitters excluded", nil, func(p *allocation.Params) { p.NonSubmitters = allocation.NonSubmittersExclude },
			pool{yen: map[string]int64{"900001": 275, "900002": 254, "900003": 212, "900004": 169}, note: "調査票未提出の1団体は配分対象外"},
			pool{yen: map[string]int64{"900001": 100, "900002": 67, "900003": 67, "900004": 66}, note: "上位60%（同点は含める）: 4団体（4団体の100.0%）。調査票未提出の1団体は配分対象外"}},
		{"non-submitters excluded, ties exclude", nil, func(p *allocation.Params) {
			p.NonSubmitters, p.ExtraPools[0].Ties = allocation.NonSubmittersExclude, allocation.TiesExclude
		},
			pool{yen: map[string]int64{"900001": 275, "900002": 254, "900003": 212, "900004": 169}, note: "調査票未提出の1団体は配分対象外"},
			pool{yen: map[string]int64{"900001": 300}, note: "上位60%（境界の同点は含めない）: 1団体（4団体の25.0%）。調査票未提出の1団体は配分対象外"}},
		{"needs cap, extra pool first", cap300, func(p *allocation.Params) {},
			pool{yen: map[string]int64{"900001": 221, "900002": 240, "900003": 200, "900004": 160, "900005": 50}, surplus: 39, capped: 1, note: capNote},
			pool{yen: outcomeAll, note: "上位60%（同点は含める）: 5団体（5団体の100.0%）。" + capNote}},
		{"needs cap, municipal pool first", cap300, func(p *allocation.Params) { p.NeedsCapGivesWay = allocation.GivesWayExtra },
			pool{yen: muniAll, note: "所要見込額は同じ交付金の配分枠の合計に適用（保険者機能強化推進交付金（市町村分）→成果指向型配分枠の順に交付し、後の配分枠を減額）"},
			pool{yen: map[string]int64{"900001": 40, "900002": 52, "900003": 52, "900004": 52, "900005": 65}, surplus: 39, capped: 1,
				note: "上位60%（同点は含める）: 5団体（5団体の100.0%）。所要見込額は同じ交付金の配分枠の合計に適用（保険者機能強化推進交付金（市町村分）→成果指向型配分枠の順に交付し、後の配分枠を減額）"}},
		{"needs cap, redistribute", cap300, func(p *allocation.Params) { p.Surplus = "redistribute" },
			pool{yen: map[string]int64{"900001": 221, "900002": 254, "900003": 212, "900004": 170, "900005": 53}, capped: 1, note: capNote},
			pool{yen: outcomeAll, note: "上位60%（同点は含める）: 5団体（5団体の100.0%）。" + capNote}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, sr := smallNation(t, c.needs)
			params := smallParams()
			c.set(&params)
			res, err := r.AllocateWith(ctx, 2026, sr, params)
			if err != nil {
				t.Fatal(err)
			}
			amounts, err := r.Store.Allocations().Amounts(ctx, res.RunID)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]map[string]int64{}
			paid := map[string]int64{}
			for _, a := range amounts {
				if got[a.PoolID] == nil {
					got[a.PoolID] = map[string]int64{}
				}
				got[a.PoolID][a.EntityCode] = a.AmountYen
				paid[a.EntityCode] += a.AmountYen
				if cp, ok := c.needs[a.EntityCode]; ok && (a.CapYen == nil || *a.CapYen != cp) {
					t.Errorf("%s %s: 所要見込額 %v stored, want %d", a.PoolID, a.EntityCode, a.CapYen, cp)
				}
			}
			// What a what-if compares: each entity's yen over its pools, as stored.
			if got := pipeline.EntityYenOf(res); fmt.Sprint(got) != fmt.Sprint(paid) {
				t.Errorf("entity yen %v, want the stored amounts' sums %v", got, paid)
			}
			for id, want := range map[string]pool{"suishin": c.muni, "outcome": c.outcome} {
				p := res.Pool(id)
				if fmt.Sprint(got[id]) != fmt.Sprint(want.yen) {
					t.Errorf("pool %s: %v, want %v", id, got[id], want.yen)
				}
				if p.SurplusYen != want.surplus || p.Capped != want.capped || p.AmountYen+p.SurplusYen != p.PoolYen || p.Entities != len(want.yen) {
					t.Errorf("pool %s: %d of %d yen to %d, surplus %d, %d capped; want surplus %d, %d capped, %d entities",
						id, p.AmountYen, p.PoolYen, p.Entities, p.SurplusYen, p.Capped, want.surplus, want.capped, len(want.yen))
				}
				if p.Note != want.note {
					t.Errorf("pool %s: note\n  %s\nwant\n  %s", id, p.Note, want.note)
				}
			}
			for code, cp := range c.needs {
				if paid[code] > cp {
					t.Errorf("%s is paid %d from 推進's pools, above its 所要見込額 %d", code, paid[code], cp)
				}
			}
		})
	}
}
