package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kofukin/kofukin/allocation"
	"github.com/kofukin/kofukin/store"
)

// AllocateResult is what an allocation run produced.
type AllocateResult struct {
	RunID      int64
	ScoreRunID int64
	Params     allocation.Params
	Pools      []allocation.Pools
	// Allocated is Σ of the municipal amounts per grant id; it equals the municipal pool.
	Allocated map[string]int64
	Entities  int
	Elapsed   time.Duration
}

// AllocateManifest records what went into an allocation run.
type AllocateManifest struct {
	ScoreRunID              int64              `json:"score_run_id"`
	ScoreManifest           json.RawMessage    `json:"score_manifest"`
	Params                  allocation.Params  `json:"params"`
	Pools                   []allocation.Pools `json:"pools"`
	PopulationReferenceDate string             `json:"population_reference_date"`
	Weight                  string             `json:"weight"`
	CodeVersion             string             `json:"code_version"`
	DuckDBVersion           string             `json:"duckdb_version"`
}

// Allocate splits each grant's municipal pool of fiscal year fy by the latest score run, as a
// recorded run. The amounts of each grant sum exactly to its municipal pool.
func (r *Runner) Allocate(ctx context.Context, fy int) (*AllocateResult, error) {
	start := time.Now()
	scoreRun, err := r.Store.LatestRun(ctx, store.KindScore, fy)
	if err != nil {
		return nil, fmt.Errorf("allocate: %w (run kofukin score --fy %d first)", err, fy)
	}
	params, err := allocation.Load(fy)
	if err != nil {
		return nil, err
	}
	pools, err := params.Pools()
	if err != nil {
		return nil, err
	}
	gs, err := r.Store.GrantScores(ctx, scoreRun.ID, fy, "municipality")
	if err != nil {
		return nil, err
	}
	byGrant := map[string][]store.GrantScore{}
	refDate := ""
	for _, g := range gs {
		byGrant[g.GrantID] = append(byGrant[g.GrantID], g)
		if d := g.ReferenceDate.Format("2006-01-02"); refDate == "" || d > refDate {
			refDate = d
		}
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
	var rows []store.AllocationRow
	for _, p := range pools {
		list := byGrant[p.Grant.ID]
		if len(list) == 0 {
			return fail(fmt.Errorf("grant %s of the allocation parameters has no scores in score run %d", p.Grant.ID, scoreRun.ID))
		}
		shares := make([]allocation.Share, len(list))
		for i, g := range list {
			shares[i] = allocation.Share{Code: g.EntityCode, ScoreCenti: g.ScoreCenti, Weight: g.Weight}
		}
		amounts, err := allocation.Split(p.MunicipalYen, params.RoundingUnitYen, shares)
		if err != nil {
			return fail(fmt.Errorf("grant %s: %w", p.Grant.ID, err))
		}
		for i, a := range amounts {
			rows = append(rows, store.AllocationRow{EntityCode: a.Code, Level: "municipality", GrantID: p.Grant.ID,
				ScoreCenti: shares[i].ScoreCenti, Weight: shares[i].Weight, AmountYen: a.Yen, FloorYen: a.Floor, ExtraUnits: a.Extra})
			res.Allocated[p.Grant.ID] += a.Yen
		}
		if res.Allocated[p.Grant.ID] != p.MunicipalYen {
			return fail(fmt.Errorf("grant %s: amounts sum to %d, pool is %d", p.Grant.ID, res.Allocated[p.Grant.ID], p.MunicipalYen))
		}
		res.Entities = len(list)
	}
	if err := r.Store.SaveAllocations(ctx, runID, rows); err != nil {
		return fail(err)
	}
	ddb, _ := r.Store.DuckDBVersion(ctx)
	man := AllocateManifest{ScoreRunID: scoreRun.ID, ScoreManifest: json.RawMessage(orNull(scoreRun.Manifest)), Params: params, Pools: pools,
		PopulationReferenceDate: refDate, Weight: params.Weight, CodeVersion: CodeVersion(), DuckDBVersion: ddb}
	summary := ""
	for _, p := range pools {
		summary += fmt.Sprintf("%s %d yen to %d municipalities; ", p.Grant.Short, res.Allocated[p.Grant.ID], res.Entities)
	}
	if err := r.Store.FinishRun(ctx, runID, man, summary, nil); err != nil {
		return nil, err
	}
	r.logger().Info("allocate", "run", runID, "score_run", scoreRun.ID, "summary", summary)
	res.Elapsed = time.Since(start)
	return res, nil
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}
