package store

import (
	"context"
	"fmt"
)

// Test support. The methods in this file exist for the tests of other packages (pipeline, cmd)
// that need a score or allocation run made by hand, or one stored number changed behind the
// program's back — the negative controls of kofukin rerun. Each writes exactly the rows it names
// and nothing else; the program itself never calls them.

// ResultForTest is one entity's hand-made result in a score run (see RecordForTest): its 総合計
// and maximum, whether it submitted, its points in one grant and in one goal of that grant.
type ResultForTest struct {
	Code, Level           string
	Total, MaxTotal       int64
	Submitted             bool
	Grant                 string
	GrantPoints, GrantMax int64
	Goal                  string
	GoalPoints, GoalMax   int64
}

// RecordForTest writes hand-made results into a score run (得点率 and rank 0), for tests of what
// reads a score run. Test support only.
func (sc *Scores) RecordForTest(ctx context.Context, run int64, rows []ResultForTest) error {
	return sc.s.withTx(ctx, func(c *txConn) error {
		for _, r := range rows {
			if _, err := c.exec(`INSERT INTO score_totals (run_id, entity_code, level, total, max_total, rate, national_rank, submitted) VALUES (?, ?, ?, ?, ?, 0, 0, ?)`,
				run, r.Code, r.Level, r.Total, r.MaxTotal, r.Submitted); err != nil {
				return err
			}
			if _, err := c.exec(`INSERT INTO grant_scores (run_id, entity_code, grant_id, points, max_points) VALUES (?, ?, ?, ?, ?)`,
				run, r.Code, r.Grant, r.GrantPoints, r.GrantMax); err != nil {
				return err
			}
			if _, err := c.exec(`INSERT INTO goal_scores (run_id, entity_code, goal_id, grant_id, points, max_points) VALUES (?, ?, ?, ?, ?, ?)`,
				run, r.Code, r.Goal, r.Grant, r.GoalPoints, r.GoalMax); err != nil {
				return err
			}
		}
		return nil
	})
}

// AdjustItemPointsForTest adds delta to the stored points of one entity's item in a score run.
// Test support only: a rerun must report the change.
func (sc *Scores) AdjustItemPointsForTest(ctx context.Context, run int64, code, item string, delta int64) error {
	return adjustOne(ctx, sc.s, `UPDATE item_scores SET points = points + ? WHERE run_id = ? AND entity_code = ? AND item_id = ?`, delta, run, code, item)
}

// AdjustTotalForTest adds delta to the stored 総合計 of one entity in a score run. Test support
// only: a rerun must report the change.
func (sc *Scores) AdjustTotalForTest(ctx context.Context, run int64, code string, delta int64) error {
	return adjustOne(ctx, sc.s, `UPDATE score_totals SET total = total + ? WHERE run_id = ? AND entity_code = ?`, delta, run, code)
}

// AdjustAmountForTest adds deltaYen to the stored amount of one entity in one pool of an
// allocation run. Test support only: a rerun must report the change.
func (al *Allocations) AdjustAmountForTest(ctx context.Context, run int64, code, pool string, deltaYen int64) error {
	return adjustOne(ctx, al.s, `UPDATE allocations SET amount_yen = amount_yen + ? WHERE run_id = ? AND entity_code = ? AND pool_id = ?`, deltaYen, run, code, pool)
}

// adjustOne runs an UPDATE that must change exactly one row.
func adjustOne(ctx context.Context, s *Store, stmt string, args ...any) error {
	res, err := s.db.ExecContext(ctx, stmt, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%d rows changed, want 1", n)
	}
	return nil
}
