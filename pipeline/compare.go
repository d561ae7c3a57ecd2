package pipeline

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/store"
)

// Comparison is the yen difference between two allocation runs (b − a).
type Comparison struct {
	A, B     *store.Run
	Pools    []PoolComparison
	Entities []store.EntityDiff // the largest |Δ| first, at most compareLimit
	Differ   int                // (entity, pool) pairs whose 確定額 differ, in all
	SumDelta int64              // Σ Δ over them
	Names    map[string]string  // pool id → its name in run b (else run a)
}

// PoolComparison is one pool's totals in both runs.
type PoolComparison struct {
	store.PoolDiff
	Name string
}

// compareLimit is how many entities a comparison lists.
const compareLimit = 500

// AllocateRuns lists the succeeded allocation runs, newest first, for by (the comparison's choices).
func (r *Runner) AllocateRuns(ctx context.Context, by kofukin.Principal) ([]store.Run, error) {
	runs, err := r.Runs(ctx, by)
	if err != nil {
		return nil, err
	}
	var out []store.Run
	for _, x := range runs {
		if x.Kind == store.KindAllocate && x.Status == kofukin.RunSucceeded {
			out = append(out, x)
		}
	}
	return out, nil
}

// CompareAllocations returns, for by, how allocation run b differs from run a in yen.
func (r *Runner) CompareAllocations(ctx context.Context, by kofukin.Principal, a, b int64) (*Comparison, error) {
	if err := r.authorize(ctx, by, kofukin.ActConsole, ""); err != nil {
		return nil, err
	}
	c := &Comparison{Names: map[string]string{}}
	for _, x := range []struct {
		id  int64
		run **store.Run
	}{{a, &c.A}, {b, &c.B}} {
		run, err := r.Store.Runs().Get(ctx, x.id)
		if noRows(err) || err == nil && (run.Kind != store.KindAllocate || run.Status != kofukin.RunSucceeded) {
			return nil, &UserError{MessageJA: fmt.Sprintf("実行 %d は完了した算定の実行ではありません。算定の実行を2つ選んでください。", x.id), Err: err}
		}
		if err != nil {
			return nil, fmt.Errorf("run %d: %w", x.id, err)
		}
		*x.run = run
	}
	if a == b {
		return nil, &UserError{MessageJA: "異なる2つの算定の実行を選んでください。"}
	}
	for _, run := range []*store.Run{c.A, c.B} {
		var man AllocateManifest
		if err := json.Unmarshal([]byte(run.Manifest), &man); err != nil {
			return nil, fmt.Errorf("read manifest of run %d: %w", run.ID, err)
		}
		for _, p := range man.Results {
			c.Names[p.ID] = p.Name
		}
	}
	pools, ents, differ, sum, err := r.Store.Allocations().Compare(ctx, a, b, compareLimit)
	if err != nil {
		return nil, err
	}
	for _, p := range pools {
		name := c.Names[p.PoolID]
		if name == "" {
			name = p.PoolID
		}
		c.Pools = append(c.Pools, PoolComparison{PoolDiff: p, Name: name})
	}
	c.Entities, c.Differ, c.SumDelta = ents, differ, sum
	return c, nil
}
