package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// ColumnStats are the statistics of one score column over the entities of a level, as the
// published results show them under each column. They are computed on the exact decimals and
// handed over as float64 for the workbooks to print (display only: no decision is taken on them).
type ColumnStats struct {
	Sum    float64
	Mean   float64
	Median float64
	SD     float64 // population standard deviation
	Count  int     // entities with points > 0 (該当数)
	N      int     // entities
}

// The keys of the score matrix name its columns. They are written here once: the functions below
// build them in Go and matrixSQL builds the same in SQL from the same prefixes.
const (
	keyItem      = "item:"
	keyIndicator = "ind:"
	keyGoal      = "goal:"
	keyGrant     = "grant:"
	keySep       = "/"
	// TotalKey is the key of 総合計.
	TotalKey = "total"
)

// ItemKey is the key of an item's points.
func ItemKey(item string) string { return keyItem + item }

// IndicatorKey is the key of an indicator's points in one grant it counts in (to 0.01).
func IndicatorKey(indicator, grant string) string { return keyIndicator + indicator + keySep + grant }

// GoalKey is the key of a goal's subtotal in one grant.
func GoalKey(goal, grant string) string { return keyGoal + goal + keySep + grant }

// GrantKey is the key of a grant's total.
func GrantKey(grant string) string { return keyGrant + grant }

// matrixSQL yields (entity_code, key, value) for one run and level: every item's points
// (ItemKey), each indicator's points in each grant it counts in (IndicatorKey), goal subtotals per
// grant (GoalKey), grant totals (GrantKey) and 総合計 (TotalKey). Args: run id ×5, level ×2.
const matrixSQL = `
WITH lv AS (SELECT entity_code FROM score_totals WHERE run_id = ? AND level = ?)
SELECT entity_code, '` + keyItem + `' || item_id AS key, points AS v FROM item_scores WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM lv)
UNION ALL SELECT entity_code, '` + keyIndicator + `' || indicator_id || '` + keySep + `' || grant_id, points FROM indicator_grant_scores WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM lv)
UNION ALL SELECT entity_code, '` + keyGoal + `' || goal_id || '` + keySep + `' || grant_id, points FROM goal_scores WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM lv)
UNION ALL SELECT entity_code, '` + keyGrant + `' || grant_id, points FROM grant_scores WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM lv)
UNION ALL SELECT entity_code, '` + TotalKey + `', total FROM score_totals WHERE run_id = ? AND level = ?`

// Matrix returns every entity's value of every score column of a run and level:
// code → key → value (keys as built by ItemKey, IndicatorKey, GoalKey, GrantKey and TotalKey).
func (sc *Scores) Matrix(ctx context.Context, run int64, level string) (map[string]map[string]float64, error) {
	// Points are DECIMAL(9,2); as float64 they print the same (display only). Each entity has one
	// row per key, read into a map: unordered (a sort of the 280,000 rows of the nation cost more
	// than their reading), a batch at a time (queryArrow).
	out := map[string]map[string]float64{}
	key := interner()
	err := sc.s.queryArrow(ctx, func(rec arrow.Record) error {
		cols := rec.Columns()
		code, ok1 := cols[0].(arrowText)
		k, ok2 := cols[1].(arrowText)
		v, ok3 := cols[2].(*array.Float64)
		if len(cols) != 3 || !ok1 || !ok2 || !ok3 {
			return fmt.Errorf("score matrix: columns %s, want text, text, DOUBLE", rec.Schema())
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			if code.IsNull(i) || k.IsNull(i) || v.IsNull(i) {
				return fmt.Errorf("score matrix: a NULL in row %d", i)
			}
			row := out[code.Value(i)]
			if row == nil {
				row = map[string]float64{}
				out[strings.Clone(code.Value(i))] = row
			}
			row[key(k.Value(i))] = v.Value(i)
		}
		return nil
	}, `SELECT entity_code, key, CAST(v AS DOUBLE) FROM (`+matrixSQL+`)`, run, level, run, run, run, run, run, level)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Stats returns the statistics of every score column of a run and level, by key, computed
// by DuckDB's aggregates.
func (sc *Scores) Stats(ctx context.Context, run int64, level string) (map[string]ColumnStats, error) {
	// Sums, means, medians and the SD all from the exact decimals, so that the order in which
	// DuckDB's threads add cannot change a digit of a workbook: the mean is Σv ÷ n exactly rounded to
	// 6 places (kf_div6); the median the middle value, or the exact half-sum of the two middle ones;
	// the (population) SD √(n·Σv² − (Σv)²) ÷ n, whose radicand is exact, rounded to 6 places.
	rows, err := sc.s.db.QueryContext(ctx, `SELECT key, CAST(sum(v) AS DOUBLE), CAST(kf_div6(sum(v), count(*)) AS DOUBLE),
			CAST((list_sort(list(v))[(count(*) + 1) // 2] + list_sort(list(v))[(count(*) + 2) // 2]) * 0.5 AS DOUBLE),
			round(sqrt(greatest(CAST(count(*) * sum(v * v) - sum(v) * sum(v) AS DOUBLE), 0)) / count(*), 6), count(*) FILTER (WHERE v > 0), count(*)
		FROM (`+matrixSQL+`) GROUP BY key ORDER BY key`, run, level, run, run, run, run, run, level)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]ColumnStats{}
	for rows.Next() {
		var key string
		var st ColumnStats
		if err := rows.Scan(&key, &st.Sum, &st.Mean, &st.Median, &st.SD, &st.Count, &st.N); err != nil {
			return nil, err
		}
		out[key] = st
	}
	return out, rows.Err()
}

// Totals returns 総合計 and rank of every entity of a level in a score run.
func (sc *Scores) Totals(ctx context.Context, run int64, level string) (map[string]float64, map[string]int64, error) {
	rows, err := sc.s.db.QueryContext(ctx, `SELECT entity_code, CAST(total AS DOUBLE), national_rank FROM score_totals WHERE run_id = ? AND level = ? ORDER BY 1`, run, level)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	tot, rank := map[string]float64{}, map[string]int64{}
	for rows.Next() {
		var c string
		var t float64
		var r int64
		if err := rows.Scan(&c, &t, &r); err != nil {
			return nil, nil, err
		}
		tot[c], rank[c] = t, r
	}
	return tot, rank, rows.Err()
}

// AmountRow is one entity's amounts in one pool of an allocation run.
type AmountRow struct {
	EntityCode  string
	Level       string
	PoolID      string
	GrantID     string
	Score       float64
	Weight      int64
	ProposalYen int64
	CapYen      *int64
	AmountYen   int64
}

// Amounts lists every amount of an allocation run, by level, pool and code.
func (al *Allocations) Amounts(ctx context.Context, run int64) ([]AmountRow, error) {
	rows, err := al.s.db.QueryContext(ctx, `SELECT entity_code, level, pool_id, grant_id, CAST(score AS DOUBLE), weight, proposal_yen, cap_yen, amount_yen
		FROM allocations WHERE run_id = ? ORDER BY level DESC, pool_id, entity_code`, run)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AmountRow
	for rows.Next() {
		var a AmountRow
		if err := rows.Scan(&a.EntityCode, &a.Level, &a.PoolID, &a.GrantID, &a.Score, &a.Weight, &a.ProposalYen, &a.CapYen, &a.AmountYen); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Standing is an entity's result in a score run, for the workbooks and pages to show. The stored
// total, maximum and 得点率 are exact decimals; these float64 copies are for display only (rank,
// points and money are decided in SQL on the decimals).
type Standing struct {
	Total, Max, Rate float64
	Rank             int64
	Submitted        bool
}

// Standings returns every entity of a level in a score run.
func (sc *Scores) Standings(ctx context.Context, run int64, level string) (map[string]Standing, error) {
	rows, err := sc.s.db.QueryContext(ctx, `SELECT entity_code, CAST(total AS DOUBLE), CAST(max_total AS DOUBLE), CAST(rate AS DOUBLE), national_rank, submitted
		FROM score_totals WHERE run_id = ? AND level = ? ORDER BY entity_code`, run, level)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Standing{}
	for rows.Next() {
		var c string
		var x Standing
		if err := rows.Scan(&c, &x.Total, &x.Max, &x.Rate, &x.Rank, &x.Submitted); err != nil {
			return nil, err
		}
		out[c] = x
	}
	return out, rows.Err()
}
