package store

import (
	"context"
	"fmt"
)

// PoolDiff is one pool's total in two allocation runs.
type PoolDiff struct {
	PoolID     string
	GrantID    string
	AYen, BYen int64 // Σ 確定額 in run a and run b (0 when the run has no such pool)
}

// EntityDiff is an entity whose 確定額 in one pool differs between two allocation runs.
type EntityDiff struct {
	EntityCode, Name, Level, PoolID string
	AYen, BYen                      int64
}

// Delta is b − a.
func (d EntityDiff) Delta() int64 { return d.BYen - d.AYen }

// Delta is b − a.
func (d PoolDiff) Delta() int64 { return d.BYen - d.AYen }

const comparePools = `
SELECT pool_id, any_value(grant_id),
       sum(CASE WHEN run_id = ? THEN amount_yen ELSE 0 END)::BIGINT,
       sum(CASE WHEN run_id = ? THEN amount_yen ELSE 0 END)::BIGINT
FROM allocations WHERE run_id IN (?, ?)
GROUP BY pool_id ORDER BY any_value(grant_id), pool_id`

// compareEntities lists each (entity, pool) whose 確定額 differs between run a and run b (a pool
// the entity is not in counts 0), the largest |Δ| first; the name is the entity's latest.
const compareEntities = `
WITH a AS (SELECT entity_code, level, pool_id, amount_yen FROM allocations WHERE run_id = ?),
     b AS (SELECT entity_code, level, pool_id, amount_yen FROM allocations WHERE run_id = ?),
     d AS (
       SELECT coalesce(a.entity_code, b.entity_code) AS code, coalesce(a.level, b.level) AS level,
              coalesce(a.pool_id, b.pool_id) AS pool_id,
              coalesce(a.amount_yen, 0)::BIGINT AS a_yen, coalesce(b.amount_yen, 0)::BIGINT AS b_yen
       FROM a FULL OUTER JOIN b ON a.entity_code = b.entity_code AND a.pool_id = b.pool_id)
SELECT d.code, coalesce((SELECT arg_max(e.name_ja, e.valid_from_fy) FROM entities e WHERE e.code = d.code), ''),
       d.level, d.pool_id, d.a_yen, d.b_yen
FROM d WHERE d.a_yen <> d.b_yen
ORDER BY abs(d.b_yen - d.a_yen) DESC, d.code, d.pool_id
LIMIT ?`

// Compare returns the pools' totals of allocation runs a and b and the entities whose amounts
// differ (at most limit, the largest differences first), with how many differ in all and Σ Δ.
func (al *Allocations) Compare(ctx context.Context, a, b int64, limit int) (pools []PoolDiff, ents []EntityDiff, differ int, sumDelta int64, err error) {
	rows, err := al.s.db.QueryContext(ctx, comparePools, a, b, a, b)
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("compare pools of runs %d and %d: %w", a, b, err)
	}
	for rows.Next() {
		var p PoolDiff
		if err := rows.Scan(&p.PoolID, &p.GrantID, &p.AYen, &p.BYen); err != nil {
			rows.Close()
			return nil, nil, 0, 0, err
		}
		pools = append(pools, p)
	}
	if err := rows.Close(); err != nil {
		return nil, nil, 0, 0, err
	}
	if err := rows.Err(); err != nil {
		return nil, nil, 0, 0, err
	}
	if err := al.s.db.QueryRowContext(ctx, compareCount, a, a, b).Scan(&differ, &sumDelta); err != nil {
		return nil, nil, 0, 0, fmt.Errorf("count the differences of runs %d and %d: %w", a, b, err)
	}
	rows, err = al.s.db.QueryContext(ctx, compareEntities, a, b, limit)
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("compare entities of runs %d and %d: %w", a, b, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e EntityDiff
		if err := rows.Scan(&e.EntityCode, &e.Name, &e.Level, &e.PoolID, &e.AYen, &e.BYen); err != nil {
			return nil, nil, 0, 0, err
		}
		ents = append(ents, e)
	}
	return pools, ents, differ, sumDelta, rows.Err()
}

// compareCount counts the (entity, pool) pairs whose amounts differ between run a and run b and
// sums b − a over them. Args: a, a, b.
const compareCount = `
SELECT count(*), coalesce(sum(d), 0)::BIGINT FROM (
    SELECT sum(CASE WHEN run_id = ? THEN -amount_yen ELSE amount_yen END)::BIGINT AS d
    FROM allocations WHERE run_id IN (?, ?) GROUP BY entity_code, pool_id)
WHERE d <> 0`
