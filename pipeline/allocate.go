package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/allocation"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/store"
)

// PoolResult says how one pool was shared.
type PoolResult struct {
	ID          string `json:"id"`    // grant id (municipal pool), "pref:<grant>" or an extra pool id
	Name        string `json:"name"`  // for people
	Grant       string `json:"grant"` // the grant the money comes from
	Level       string `json:"level"`
	PoolYen     int64  `json:"pool_yen"`
	ProposalYen int64  `json:"proposal_yen"` // Σ 案
	AmountYen   int64  `json:"amount_yen"`   // Σ 確定
	SurplusYen  int64  `json:"surplus_yen"`  // returned: cut by the needs cap, or nobody to share it
	Entities    int    `json:"entities"`     // entities that share the pool
	Capped      int    `json:"capped"`       // entities whose 確定 is below their 案 because of the needs cap
	Rounds      int    `json:"rounds"`       // redistribution rounds
	// Excluded counts the entities left out of the pool because they submitted no survey
	// (non_submitters: exclude).
	Excluded int `json:"excluded,omitempty"`
	// Ranked and Rule, for a top-percent pool: how many entities were ranked (n) and the
	// admission rule, e.g. 上位30%（同点は含める）; Entities is how many were admitted.
	Ranked int    `json:"ranked,omitempty"`
	Rule   string `json:"rule,omitempty"`
	// PayOrder, when 所要見込額 are known for the pool's grant and the grant has several pools, lists
	// them in the order they are paid under the needs cap (allocation.Params.PayOrder): what the
	// pools before this one paid a municipality counts first against its 所要見込額.
	PayOrder []string `json:"pay_order,omitempty"`
	Note     string   `json:"note,omitempty"`
}

// AllocateResult is what an allocation run produced.
type AllocateResult struct {
	RunID      int64
	ScoreRunID int64
	Params     allocation.Params
	Pools      []allocation.Pools
	Results    []PoolResult
	// Allocated is Σ of the municipal grant pools' 確定額 per grant id.
	Allocated map[string]int64
	Entities  int
	Elapsed   time.Duration
	// entityYen is each entity's yen from all the pools it shares (Σ of its stored amounts), with
	// the entities of every pool, 0 yen included: what a what-if compares. Unexported, so that the
	// results the console keeps of its jobs do not carry it.
	entityYen map[string]int64
}

// Pool returns the result of one pool.
func (r *AllocateResult) Pool(id string) PoolResult {
	for _, p := range r.Results {
		if p.ID == id {
			return p
		}
	}
	return PoolResult{ID: id}
}

// AllocateManifest records what went into an allocation run, so that it can be re-run and
// explained.
type AllocateManifest struct {
	ScoreRunID int64 `json:"score_run_id"`
	// PrevScoreRunID is the previous fiscal year's latest score run when this run was made (0:
	// none): the 前年度 columns of the outputs come from it, so that they do not change later.
	PrevScoreRunID          int64                 `json:"prev_score_run_id"`
	ScoreManifest           json.RawMessage       `json:"score_manifest"`
	Params                  allocation.Params     `json:"params"`
	Pools                   []allocation.Pools    `json:"pools"`
	Results                 []PoolResult          `json:"results"`
	PopulationReferenceDate string                `json:"population_reference_date"`
	Weight                  string                `json:"weight"`
	ReferenceFiles          []store.ReferenceFile `json:"reference_files"`
	CodeVersion             string                `json:"code_version"`
	DuckDBVersion           string                `json:"duckdb_version"`
}

// Allocate shares fiscal year fy's budget by the latest score run, as a recorded run: each grant's
// prefectural pool among prefectures, its extra pools among the eligible municipalities, and the
// rest among all municipalities, each by score × 65+ population, to the rounding unit, with the
// needs cap and the surplus rule of the year's parameters.
func (r *Runner) Allocate(ctx context.Context, fy int) (*AllocateResult, error) {
	scoreRun, err := r.Store.Runs().Latest(ctx, store.KindScore, fy)
	if err != nil {
		return nil, fmt.Errorf("allocate: %w (run kofukin score --fy %d first)", err, fy)
	}
	params, err := allocation.Load(fy)
	if err != nil {
		return nil, err
	}
	return r.AllocateWith(ctx, fy, scoreRun, params)
}

// AllocateWith allocates by a given score run and parameters (Allocate takes the latest run and the
// shipped parameters; rerun takes a past run's).
//
// For each grant, its municipal pool and the extra pools taken from it are paid in the order of
// the parameters' needs_cap_gives_way (allocation.Params.PayOrder), so that a municipality's
// amounts from all of them together never exceed its 所要見込額 for the grant; each pool returns or
// redistributes what the cap cuts from it, and Σ 確定 + 返還 = pool for every pool.
func (r *Runner) AllocateWith(ctx context.Context, fy int, scoreRun *store.Run, params allocation.Params) (*AllocateResult, error) {
	start := time.Now()
	if err := params.Check(); err != nil {
		return nil, fmt.Errorf("allocation parameters: %w", err)
	}
	pools, err := params.Pools()
	if err != nil {
		return nil, err
	}
	// A what-if's runner (resultsOnly) compares amounts only: its allocations are computed, not
	// recorded as runs (its rehearsal is rolled back; AllocateResult.RunID stays 0). Recording them
	// (the run, its 8,600 amounts and its manifest) cost up to a tenth of a one-answer what-if.
	record := !r.resultsOnly
	var runID int64
	if record {
		if runID, err = r.Store.Runs().Start(ctx, store.KindAllocate, fy, map[string]any{"fiscal_year": fy, "score_run_id": scoreRun.ID, "params": params}); err != nil {
			return nil, err
		}
	}
	fail := func(err error) (*AllocateResult, error) {
		if !record {
			return nil, err
		}
		return nil, r.failRun(ctx, runID, err)
	}
	res := &AllocateResult{RunID: runID, ScoreRunID: scoreRun.ID, Params: params, Pools: pools, Allocated: map[string]int64{}, entityYen: map[string]int64{}}
	var needs map[string]map[string]int64
	if params.NeedsCap {
		if needs, err = r.Store.Reference().Needs(ctx, fy); err != nil {
			return fail(err)
		}
	}
	exclude := params.NonSubmitterRule() == allocation.NonSubmittersExclude
	refDate := ""
	// submitters drops the non-submitters when the parameters exclude them, counting them.
	submitters := func(scores []store.GrantScore) ([]store.GrantScore, int) {
		if !exclude {
			return scores, 0
		}
		var out []store.GrantScore
		for _, g := range scores {
			if g.Submitted {
				out = append(out, g)
			}
		}
		return out, len(scores) - len(out)
	}
	toShares := func(scores []store.GrantScore) []allocation.Share {
		shares := make([]allocation.Share, 0, len(scores))
		for _, g := range scores {
			shares = append(shares, allocation.Share{Code: g.EntityCode, ScoreCenti: g.ScoreCenti, Weight: g.Weight})
			if d := g.ReferenceDate.Format("2006-01-02"); d > refDate {
				refDate = d
			}
		}
		return shares
	}
	redistribute := params.Surplus == "redistribute"
	byID := map[string]*poolWork{}
	var order []*poolWork // the order of the results: per grant its municipal and prefectural pool, then the extra pools
	totals, err := r.Store.Allocations().GrantScoresByLevel(ctx, scoreRun.ID, fy)
	if err != nil {
		return fail(err)
	}
	for _, p := range pools {
		g := p.Grant
		muni := totals[string(kofukin.Municipality)][g.ID]
		if len(muni) == 0 {
			return fail(fmt.Errorf("grant %s of the allocation parameters has no municipal scores in score run %d", g.ID, scoreRun.ID))
		}
		m := &poolWork{pr: PoolResult{ID: g.ID, Name: g.Name + "（市町村分）", Grant: g.ID, PoolYen: p.MunicipalYen}, level: string(kofukin.Municipality), caps: needs[g.ID]}
		m.scores, m.pr.Excluded = submitters(muni)
		pref := totals[string(kofukin.Prefecture)][g.ID]
		pp := &poolWork{pr: PoolResult{ID: "pref:" + g.ID, Name: g.Name + "（都道府県分）", Grant: g.ID, PoolYen: p.PrefectureYen}, level: string(kofukin.Prefecture)}
		pp.scores, pp.pr.Excluded = submitters(pref)
		byID[m.pr.ID], byID[pp.pr.ID] = m, pp
		order = append(order, m, pp)
	}
	for _, e := range params.ExtraPools {
		scores, err := r.Store.Allocations().GoalScores(ctx, scoreRun.ID, fy, string(kofukin.Municipality), e.Goal, e.FromGrant)
		if err != nil {
			return fail(err)
		}
		x := &poolWork{pr: PoolResult{ID: e.ID, Name: e.Name, Grant: e.FromGrant, PoolYen: e.BudgetYen, Rule: e.TieRuleJA()}, level: string(kofukin.Municipality), caps: needs[e.FromGrant]}
		if e.SustainedYears > 0 {
			x.pr.Rule += fmt.Sprintf("、かつ過去%d年度の総合計も同じ基準で上位", e.SustainedYears)
		}
		scores, x.pr.Excluded = submitters(scores)
		x.pr.Ranked = len(scores)
		if x.scores, err = r.eligible(ctx, fy, scores, e, exclude); err != nil {
			return fail(err)
		}
		byID[e.ID] = x
		order = append(order, x)
	}
	// Split: each grant's municipal and extra pools together under the needs cap, in pay order;
	// the prefectural pools alone (no cap).
	for _, p := range pools {
		ids := params.PayOrder(p.Grant.ID)
		gp := make([]allocation.GrantPool, len(ids))
		for k, id := range ids {
			x := byID[id]
			gp[k] = allocation.GrantPool{ID: id, Yen: x.pr.PoolYen, Shares: toShares(x.scores), Redistribute: redistribute}
			if len(needs[p.Grant.ID]) > 0 && len(ids) > 1 {
				x.pr.PayOrder = ids
			}
		}
		got, err := allocation.SplitGrant(params.RoundingUnitYen, gp, needs[p.Grant.ID])
		if err != nil {
			return fail(err)
		}
		for k, id := range ids {
			byID[id].split = got[k]
		}
		pref := byID["pref:"+p.Grant.ID]
		got, err = allocation.SplitGrant(params.RoundingUnitYen, []allocation.GrantPool{{ID: pref.pr.ID, Yen: pref.pr.PoolYen, Shares: toShares(pref.scores), Redistribute: redistribute}}, nil)
		if err != nil {
			return fail(err)
		}
		pref.split = got[0]
	}
	var rows []store.AllocationRow
	for _, x := range order {
		pr, got := x.pr, x.split
		pr.Level, pr.Entities = x.level, len(x.scores)
		pr.SurplusYen, pr.Rounds = got.Surplus, got.Rounds
		for i, a := range got.Amounts {
			s := x.scores[i]
			row := store.AllocationRow{EntityCode: a.Code, Level: x.level, PoolID: pr.ID, GrantID: pr.Grant, ScoreCenti: s.ScoreCenti,
				Weight: s.Weight, ProposalYen: got.Proposal[i], AmountYen: a.Yen, FloorYen: a.Floor, ExtraUnits: a.Extra}
			if c, ok := x.caps[a.Code]; ok {
				row.CapYen = &c
				if a.Yen < got.Proposal[i] {
					pr.Capped++
				}
			}
			pr.ProposalYen += got.Proposal[i]
			pr.AmountYen += a.Yen
			res.entityYen[a.Code] += a.Yen
			rows = append(rows, row)
		}
		if pr.AmountYen+pr.SurplusYen != pr.PoolYen {
			return fail(fmt.Errorf("pool %s: amounts %d + surplus %d != pool %d", pr.ID, pr.AmountYen, pr.SurplusYen, pr.PoolYen))
		}
		pr.Note = poolNote(pr, got.Empty, byID)
		if pr.Level == string(kofukin.Municipality) && pr.ID == pr.Grant {
			res.Allocated[pr.Grant], res.Entities = pr.AmountYen, pr.Entities
		}
		res.Results = append(res.Results, pr)
	}
	if !record {
		res.Elapsed = time.Since(start)
		return res, nil
	}
	if err := r.Store.Allocations().Save(ctx, runID, rows); err != nil {
		return fail(err)
	}
	ddb, err := r.Store.DuckDBVersion(ctx)
	if err != nil {
		return fail(fmt.Errorf("duckdb version: %w", err))
	}
	refs, err := r.Store.Reference().Files(ctx, fy)
	if err != nil {
		return fail(err)
	}
	var prevRun int64 // 0: no score run of the year before
	var none *store.NoRunError
	switch prev, err := r.Store.Runs().Latest(ctx, store.KindScore, fy-1); {
	case err == nil:
		prevRun = prev.ID
	case !errors.As(err, &none):
		return fail(err)
	}
	man := AllocateManifest{ScoreRunID: scoreRun.ID, PrevScoreRunID: prevRun, ScoreManifest: json.RawMessage(orNull(scoreRun.Manifest)), Params: params, Pools: pools,
		Results: res.Results, PopulationReferenceDate: refDate, Weight: params.Weight, ReferenceFiles: refs, CodeVersion: CodeVersion(), DuckDBVersion: ddb}
	summary := ""
	for _, p := range res.Results {
		summary += fmt.Sprintf("%s %d of %d yen to %d (surplus %d); ", p.ID, p.AmountYen, p.PoolYen, p.Entities, p.SurplusYen)
	}
	if err := r.Store.Runs().Finish(ctx, runID, man, summary, nil); err != nil {
		return nil, err
	}
	r.logger().Info("allocate", "run", runID, "score_run", scoreRun.ID, "summary", summary)
	res.Elapsed = time.Since(start)
	return res, nil
}

// poolWork is one pool on its way through AllocateWith.
type poolWork struct {
	pr     PoolResult
	level  string
	scores []store.GrantScore   // the entities that share the pool, in the order given to the split
	caps   map[string]int64     // 所要見込額 of the pool's grant, stored with each amount
	split  allocation.PoolSplit // what the split gave
}

// poolNote says, for people (the 概要 sheet's 備考 and the command's summary), what is particular
// to a pool: who was admitted to a top-percent pool and under which rule, the non-submitters left
// out, the order the grant's pools are paid in under the needs cap, or that nobody could share it.
func poolNote(pr PoolResult, empty bool, byID map[string]*poolWork) string {
	var parts []string
	if pr.Rule != "" {
		parts = append(parts, fmt.Sprintf("%s: %s団体（%s団体の%s）", pr.Rule, exporters.Commas(pr.Entities), exporters.Commas(pr.Ranked), percentJA(pr.Entities, pr.Ranked)))
	}
	if pr.Excluded > 0 {
		parts = append(parts, fmt.Sprintf("調査票未提出の%s団体は配分対象外", exporters.Commas(pr.Excluded)))
	}
	if len(pr.PayOrder) > 1 {
		var names []string
		for _, id := range pr.PayOrder {
			names = append(names, byID[id].pr.Name)
		}
		parts = append(parts, "所要見込額は同じ交付金の配分枠の合計に適用（"+strings.Join(names, "→")+"の順に交付し、後の配分枠を減額）")
	}
	if empty {
		parts = append(parts, "配分対象なし（得点のある団体がない）")
	}
	return strings.Join(parts, "。")
}

// percentJA is k of n as a percentage to one decimal, rounded half up, e.g. 35.8%.
func percentJA(k, n int) string {
	if n == 0 {
		return "－"
	}
	tenths := (2000*int64(k) + int64(n)) / (2 * int64(n)) // round(1000·k/n)
	return fmt.Sprintf("%d.%d%%", tenths/10, tenths%10)
}

// eligible keeps the municipalities an extra pool is for: those whose pool score is within its
// top percent under its tie rule (competition ranking among the scores given: allocation.Admit),
// and, for a sustained pool, whose 総合計 was within the top percent, under the same rule, in each
// of the previous years' latest score runs (among that run's submitters when non-submitters are
// excluded, and then only if the municipality had submitted).
func (r *Runner) eligible(ctx context.Context, fy int, scores []store.GrantScore, e allocation.ExtraPool, exclude bool) ([]store.GrantScore, error) {
	keep := func(scores []store.GrantScore) (map[string]bool, error) {
		v := make([]int64, len(scores))
		for i, s := range scores {
			v[i] = s.ScoreCenti
		}
		in, err := allocation.Admit(v, e.TopPercent, e.TieRule())
		if err != nil {
			return nil, fmt.Errorf("pool %s: %w", e.ID, err)
		}
		out := map[string]bool{}
		for i, s := range scores {
			if in[i] {
				out[s.EntityCode] = true
			}
		}
		return out, nil
	}
	top, err := keep(scores)
	if err != nil {
		return nil, err
	}
	var out []store.GrantScore
	for _, s := range scores {
		if top[s.EntityCode] {
			out = append(out, s)
		}
	}
	for y := 1; y <= e.SustainedYears; y++ {
		run, err := r.Store.Runs().Latest(ctx, store.KindScore, fy-y)
		if err != nil {
			return nil, fmt.Errorf("pool %s needs FY%d scores (sustained %d years): %w", e.ID, fy-y, e.SustainedYears, err)
		}
		totals, err := r.Store.Allocations().TotalScores(ctx, run.ID, string(kofukin.Municipality))
		if err != nil {
			return nil, err
		}
		if exclude {
			kept := totals[:0]
			for _, t := range totals {
				if t.Submitted {
					kept = append(kept, t)
				}
			}
			totals = kept
		}
		top, err := keep(totals)
		if err != nil {
			return nil, err
		}
		kept := out[:0]
		for _, s := range out {
			if top[s.EntityCode] {
				kept = append(kept, s)
			}
		}
		out = kept
	}
	return out, nil
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}
