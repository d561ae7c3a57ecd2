package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"
)

// GrantScore is one entity's score in one grant of a score run, with its weight for fy.
type GrantScore struct {
	EntityCode    string
	GrantID       string
	ScoreCenti    int64 // points × 100, exact
	Weight        int64 // 65+ population for the fiscal year
	ReferenceDate time.Time
	Submitted     bool // a current survey submission existed when the run scored (score_totals.submitted)
}

// GrantScores lists the grant totals of a level of a score run with each entity's weight (65+ population for
// fiscal year fy), ordered by grant and code. An entity without population for fy is an error: a
// missing weight must never silently drop a municipality from the pool.
func (al *Allocations) GrantScores(ctx context.Context, scoreRun int64, fy int, level string) ([]GrantScore, error) {
	rows, err := al.s.db.QueryContext(ctx, grantScoresWeightedSQL, level, fy, scoreRun)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GrantScore
	var missing []string
	for rows.Next() {
		var g GrantScore
		var w *int64
		var d *time.Time
		if err := rows.Scan(&g.EntityCode, &g.GrantID, &g.ScoreCenti, &w, &d); err != nil {
			return nil, err
		}
		if w == nil || d == nil {
			missing = append(missing, g.EntityCode)
			continue
		}
		g.Weight, g.ReferenceDate = *w, *d
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no population for fiscal year %d of %d entities (first: %s)", fy, len(missing), missing[0])
	}
	return out, nil
}

// AllocationRow is one stored amount.
type AllocationRow struct {
	EntityCode  string
	Level       string
	PoolID      string
	GrantID     string
	ScoreCenti  int64
	Weight      int64
	ProposalYen int64
	CapYen      *int64
	AmountYen   int64
	FloorYen    int64
	ExtraUnits  int64
}

// Save stores the amounts of an allocation run in one transaction.
func (al *Allocations) Save(ctx context.Context, runID int64, rows []AllocationRow) error {
	vals := make([][]driver.Value, len(rows))
	for i, r := range rows {
		var cp driver.Value
		if r.CapYen != nil {
			cp = *r.CapYen
		}
		vals[i] = []driver.Value{runID, r.EntityCode, r.Level, r.PoolID, r.GrantID, centiValue(r.ScoreCenti), r.Weight, r.ProposalYen, cp, r.AmountYen, r.FloorYen, r.ExtraUnits}
	}
	return al.s.withTx(ctx, func(c *txConn) error { return c.appendRows("allocations", vals) })
}

// GoalScores returns each entity's points of one goal in one grant of a score run (centi-points),
// with the entity's 65+ population for fy and whether it had submitted, ordered by code. An empty
// goal gives the grant's total.
func (al *Allocations) GoalScores(ctx context.Context, scoreRun int64, fy int, level, goal, grant string) ([]GrantScore, error) {
	q := goalScoresOfGoalSQL
	args := []any{level, fy, scoreRun, goal, grant}
	if goal == "" {
		q = goalScoresOfGrantSQL
		args = []any{level, fy, scoreRun, grant}
	}
	rows, err := al.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GrantScore
	for rows.Next() {
		var g GrantScore
		if err := rows.Scan(&g.EntityCode, &g.GrantID, &g.ScoreCenti, &g.Weight, &g.ReferenceDate, &g.Submitted); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// GrantScoresByLevel returns what GoalScores returns for every level and grant of a score run with
// an empty goal, in one query: level → grant → the entities' totals, ordered by code.
func (al *Allocations) GrantScoresByLevel(ctx context.Context, scoreRun int64, fy int) (map[string]map[string][]GrantScore, error) {
	rows, err := al.s.db.QueryContext(ctx, grantScoresByLevelSQL, fy, scoreRun)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string][]GrantScore{}
	for rows.Next() {
		var level string
		var g GrantScore
		if err := rows.Scan(&level, &g.EntityCode, &g.GrantID, &g.ScoreCenti, &g.Weight, &g.ReferenceDate, &g.Submitted); err != nil {
			return nil, err
		}
		if out[level] == nil {
			out[level] = map[string][]GrantScore{}
		}
		out[level][g.GrantID] = append(out[level][g.GrantID], g)
	}
	return out, rows.Err()
}

// TotalScores returns the 総合計 of every entity of a level in a score run, in hundredths of a
// point, with whether it had submitted, ordered by code (for sustained-performance pools).
func (al *Allocations) TotalScores(ctx context.Context, scoreRun int64, level string) ([]GrantScore, error) {
	rows, err := al.s.db.QueryContext(ctx, `SELECT entity_code, CAST(total * 100 AS BIGINT), submitted FROM score_totals
		WHERE run_id = ? AND level = ? ORDER BY entity_code`, scoreRun, level)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GrantScore
	for rows.Next() {
		var g GrantScore
		if err := rows.Scan(&g.EntityCode, &g.ScoreCenti, &g.Submitted); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Needs returns the 所要見込額 known for fy: grant → code → yen.
func (rf *Reference) Needs(ctx context.Context, fy int) (map[string]map[string]int64, error) {
	rows, err := rf.s.db.QueryContext(ctx, `SELECT grant_id, code, needs_yen FROM needs WHERE fiscal_year = ? ORDER BY grant_id, code`, fy)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]int64{}
	for rows.Next() {
		var g, c string
		var n int64
		if err := rows.Scan(&g, &c, &n); err != nil {
			return nil, err
		}
		if out[g] == nil {
			out[g] = map[string]int64{}
		}
		out[g][c] = n
	}
	return out, rows.Err()
}

// Files lists the reference files loaded for fy with their hashes, by name.
func (rf *Reference) Files(ctx context.Context, fy int) ([]ReferenceFile, error) {
	rows, err := rf.s.db.QueryContext(ctx, `SELECT name, sha256 FROM reference_files WHERE fiscal_year = ? ORDER BY name`, fy)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReferenceFile
	for rows.Next() {
		var f ReferenceFile
		if err := rows.Scan(&f.Name, &f.SHA256); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Preview is one entity's result in a score run, for a dry-run report.
type Preview struct {
	Level    string             `json:"level"`
	Total    float64            `json:"total"`
	MaxTotal float64            `json:"max_total"`
	Rate     float64            `json:"rate"`
	Rank     int64              `json:"rank"`
	Of       int64              `json:"of"`
	Grants   map[string]float64 `json:"grants"`
}

// Previews returns the results of the given entities in a score run.
func (sc *Scores) Previews(ctx context.Context, run int64, codes []string) (map[string]Preview, error) {
	out := map[string]Preview{}
	if len(codes) == 0 {
		return out, nil
	}
	in := make([]string, len(codes))
	args := []any{run}
	for i, c := range codes {
		in[i] = "?"
		args = append(args, c)
	}
	rows, err := sc.s.db.QueryContext(ctx, `SELECT t.entity_code, t.level, CAST(t.total AS DOUBLE), CAST(t.max_total AS DOUBLE), CAST(t.rate AS DOUBLE), t.national_rank,
			(SELECT count(*) FROM score_totals x WHERE x.run_id = t.run_id AND x.level = t.level)
		FROM score_totals t WHERE t.run_id = ? AND t.entity_code IN (`+strings.Join(in, ",")+`) ORDER BY t.entity_code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		p := Preview{Grants: map[string]float64{}}
		if err := rows.Scan(&code, &p.Level, &p.Total, &p.MaxTotal, &p.Rate, &p.Rank, &p.Of); err != nil {
			return nil, err
		}
		out[code] = p
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	g, err := sc.s.db.QueryContext(ctx, `SELECT entity_code, grant_id, CAST(points AS DOUBLE) FROM grant_scores WHERE run_id = ? AND entity_code IN (`+strings.Join(in, ",")+`) ORDER BY 1, 2`, args...)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	for g.Next() {
		var code, grant string
		var v float64
		if err := g.Scan(&code, &grant, &v); err != nil {
			return nil, err
		}
		if p, ok := out[code]; ok {
			p.Grants[grant] = v
		}
	}
	return out, g.Err()
}

// Statements in store/queries (what each does and its args at the top of its file).
var (
	grantScoresWeightedSQL = query("grant_scores_weighted.sql")
	goalScoresOfGoalSQL    = query("goal_scores_of_goal.sql")
	goalScoresOfGrantSQL   = query("goal_scores_of_grant.sql")
	grantScoresByLevelSQL  = query("grant_scores_by_level.sql")
)
