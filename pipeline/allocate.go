package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/kofukin/kofukin/allocation"
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
	SurplusYen  int64  `json:"surplus_yen"`  // returned: capped, or nobody to share it
	Entities    int    `json:"entities"`     // entities that share the pool
	Capped      int    `json:"capped"`       // entities cut to their 所要見込額
	Rounds      int    `json:"rounds"`       // redistribution rounds
	Note        string `json:"note,omitempty"`
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
	scoreRun, err := r.Store.LatestRun(ctx, store.KindScore, fy)
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
func (r *Runner) AllocateWith(ctx context.Context, fy int, scoreRun *store.Run, params allocation.Params) (*AllocateResult, error) {
	start := time.Now()
	pools, err := params.Pools()
	if err != nil {
		return nil, err
	}
	runID, err := r.Store.StartRun(ctx, store.KindAllocate, fy, map[string]any{"fiscal_year": fy, "score_run_id": scoreRun.ID, "params": params})
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*AllocateResult, error) {
		r.Store.FinishRun(ctx, runID, nil, "", err)
		return nil, err
	}
	res := &AllocateResult{RunID: runID, ScoreRunID: scoreRun.ID, Params: params, Pools: pools, Allocated: map[string]int64{}}
	var needs map[string]map[string]int64
	if params.NeedsCap {
		if needs, err = r.Store.Needs(ctx, fy); err != nil {
			return fail(err)
		}
	}
	refDate := ""
	var rows []store.AllocationRow
	share := func(pr PoolResult, level string, scores []store.GrantScore, caps map[string]int64) (PoolResult, error) {
		shares := make([]allocation.Share, 0, len(scores))
		for _, g := range scores {
			shares = append(shares, allocation.Share{Code: g.EntityCode, ScoreCenti: g.ScoreCenti, Weight: g.Weight})
			if d := g.ReferenceDate.Format("2006-01-02"); d > refDate {
				refDate = d
			}
		}
		pr.Level, pr.Entities = level, len(shares)
		var total int64
		for _, s := range shares {
			total += s.ScoreCenti * s.Weight
		}
		if len(shares) == 0 || total == 0 {
			pr.SurplusYen = pr.PoolYen
			pr.Note = "配分対象なし（得点のある団体がない）"
			return pr, nil
		}
		got, err := allocation.SplitCapped(pr.PoolYen, params.RoundingUnitYen, shares, caps, params.Surplus == "redistribute")
		if err != nil {
			return pr, err
		}
		pr.SurplusYen, pr.Rounds = got.Surplus, got.Rounds
		for i, a := range got.Amounts {
			row := store.AllocationRow{EntityCode: a.Code, Level: level, PoolID: pr.ID, GrantID: pr.Grant, ScoreCenti: shares[i].ScoreCenti,
				Weight: shares[i].Weight, ProposalYen: got.Proposal[i], AmountYen: a.Yen, FloorYen: a.Floor, ExtraUnits: a.Extra}
			if c, ok := caps[a.Code]; ok {
				c := c
				row.CapYen = &c
				if a.Yen < got.Proposal[i] {
					pr.Capped++
				}
			}
			pr.ProposalYen += got.Proposal[i]
			pr.AmountYen += a.Yen
			rows = append(rows, row)
		}
		if pr.AmountYen+pr.SurplusYen != pr.PoolYen {
			return pr, fmt.Errorf("pool %s: amounts %d + surplus %d != pool %d", pr.ID, pr.AmountYen, pr.SurplusYen, pr.PoolYen)
		}
		return pr, nil
	}
	for _, p := range pools {
		g := p.Grant
		muni, err := r.Store.GoalScores(ctx, scoreRun.ID, fy, "municipality", "", g.ID)
		if err != nil {
			return fail(err)
		}
		if len(muni) == 0 {
			return fail(fmt.Errorf("grant %s of the allocation parameters has no municipal scores in score run %d", g.ID, scoreRun.ID))
		}
		pr, err := share(PoolResult{ID: g.ID, Name: g.Name + "（市町村分）", Grant: g.ID, PoolYen: p.MunicipalYen}, "municipality", muni, needs[g.ID])
		if err != nil {
			return fail(err)
		}
		res.Results = append(res.Results, pr)
		res.Allocated[g.ID], res.Entities = pr.AmountYen, pr.Entities
		pref, err := r.Store.GoalScores(ctx, scoreRun.ID, fy, "prefecture", "", g.ID)
		if err != nil {
			return fail(err)
		}
		pp, err := share(PoolResult{ID: "pref:" + g.ID, Name: g.Name + "（都道府県分）", Grant: g.ID, PoolYen: p.PrefectureYen}, "prefecture", pref, nil)
		if err != nil {
			return fail(err)
		}
		res.Results = append(res.Results, pp)
	}
	for _, e := range params.ExtraPools {
		scores, err := r.Store.GoalScores(ctx, scoreRun.ID, fy, "municipality", e.Goal, e.FromGrant)
		if err != nil {
			return fail(err)
		}
		eligible, err := r.eligible(ctx, fy, scores, e)
		if err != nil {
			return fail(err)
		}
		pr, err := share(PoolResult{ID: e.ID, Name: e.Name, Grant: e.FromGrant, PoolYen: e.BudgetYen}, "municipality", eligible, needs[e.ID])
		if err != nil {
			return fail(err)
		}
		res.Results = append(res.Results, pr)
	}
	if err := r.Store.SaveAllocations(ctx, runID, rows); err != nil {
		return fail(err)
	}
	ddb, _ := r.Store.DuckDBVersion(ctx)
	refs, err := r.Store.ReferenceFiles(ctx, fy)
	if err != nil {
		return fail(err)
	}
	var prevRun int64
	if prev, err := r.Store.LatestRun(ctx, store.KindScore, fy-1); err == nil {
		prevRun = prev.ID
	}
	man := AllocateManifest{ScoreRunID: scoreRun.ID, PrevScoreRunID: prevRun, ScoreManifest: json.RawMessage(orNull(scoreRun.Manifest)), Params: params, Pools: pools,
		Results: res.Results, PopulationReferenceDate: refDate, Weight: params.Weight, ReferenceFiles: refs, CodeVersion: CodeVersion(), DuckDBVersion: ddb}
	summary := ""
	for _, p := range res.Results {
		summary += fmt.Sprintf("%s %d of %d yen to %d (surplus %d); ", p.ID, p.AmountYen, p.PoolYen, p.Entities, p.SurplusYen)
	}
	if err := r.Store.FinishRun(ctx, runID, man, summary, nil); err != nil {
		return nil, err
	}
	r.logger().Info("allocate", "run", runID, "score_run", scoreRun.ID, "summary", summary)
	res.Elapsed = time.Since(start)
	return res, nil
}

// eligible keeps the municipalities an extra pool is for: those whose pool score ranks within its
// top percent (competition ranking), and, for a sustained pool, within the top percent of 総合計 in
// each of the previous years' latest score runs.
func (r *Runner) eligible(ctx context.Context, fy int, scores []store.GrantScore, e allocation.ExtraPool) ([]store.GrantScore, error) {
	sorted := append([]store.GrantScore(nil), scores...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ScoreCenti > sorted[j].ScoreCenti })
	rank := map[string]int{}
	for i, s := range sorted {
		if i > 0 && s.ScoreCenti == sorted[i-1].ScoreCenti {
			rank[s.EntityCode] = rank[sorted[i-1].EntityCode]
		} else {
			rank[s.EntityCode] = i + 1
		}
	}
	n := float64(len(scores))
	var out []store.GrantScore
	for _, s := range scores {
		if float64(rank[s.EntityCode])*100 <= e.TopPercent*n && s.ScoreCenti > 0 {
			out = append(out, s)
		}
	}
	for y := 1; y <= e.SustainedYears; y++ {
		run, err := r.Store.LatestRun(ctx, store.KindScore, fy-y)
		if err != nil {
			return nil, fmt.Errorf("pool %s needs FY%d scores (sustained %d years): %w", e.ID, fy-y, e.SustainedYears, err)
		}
		top, err := r.Store.TopByTotal(ctx, run.ID, "municipality", e.TopPercent)
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
