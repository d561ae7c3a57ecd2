package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kofukin/kofukin/indicators"
)

// TrialScore is the 試算 of one survey version: what it scores against every entity's current
// answers at AsOf, by the statements of a score run, never recorded as one. The float64 copies
// are for display (as Standing); the stored values are exact decimals.
type TrialScore struct {
	SubmissionID          int64
	FiscalYear            int
	EntityCode, Level     string
	Version               int
	AsOf                  time.Time
	Total, MaxTotal, Rate float64
	Rank, Of              int64
	rate                  string // the exact 得点率, as Trial read it
}

// ItemScore is one item's points in a score run or a trial, with the reason the run gives.
type ItemScore struct {
	ItemID            string
	Points, MaxPoints float64
	Status, Reason    string
}

// trialRunID is the run id a trial computes under when no run can be amended, inside its
// rehearsal: no committed run has it (run ids start at 1).
const trialRunID = -1

// Trial computes fiscal year fy with the rulebooks as a score run would, in a rehearsal (Rehearse:
// one transaction rolled back), and returns the 試算 of the current survey of each entity in codes
// that has one, with its item points. With base ≠ 0 (a run the caller has checked may be amended,
// see Amend) it amends that run in place — the entities whose answers changed since, and what
// they move — else it computes the year in full. Nothing of it stays in the database; SaveTrials
// keeps the results.
func (sc *Scores) Trial(ctx context.Context, fy int, books []*indicators.Rulebook, codes []string, base int64) ([]TrialScore, map[int64][]ItemScore, error) {
	want := map[string]bool{}
	for _, c := range codes {
		want[c] = true
	}
	var out []TrialScore
	items := map[int64][]ItemScore{}
	err := sc.s.RehearseScoring(ctx, func(v *Store) error {
		asOf := v.Now().UTC() // the rehearsal's snapshot is of this moment
		run := base
		sum, amended, err := v.Scores().Amend(ctx, base, fy, books)
		if err != nil {
			return err
		}
		if !amended {
			run = trialRunID
			if err := v.withTx(ctx, func(c *txConn) error {
				sum, err = v.compute(c, trialRunID, fy, books, computeMode{})
				return err
			}); err != nil {
				return err
			}
		}
		for _, in := range sum.Inputs {
			if !want[in.EntityCode] || in.Kind != "survey" {
				continue
			}
			t := TrialScore{SubmissionID: in.SubmissionID, EntityCode: in.EntityCode, FiscalYear: fy, AsOf: asOf}
			err := v.db.QueryRowContext(ctx, `SELECT s.version, t.level, CAST(t.total AS DOUBLE), CAST(t.max_total AS DOUBLE), CAST(t.rate AS DOUBLE), CAST(t.rate AS VARCHAR), t.national_rank,
					(SELECT count(*) FROM score_totals x WHERE x.run_id = t.run_id AND x.level = t.level)
				FROM score_totals t JOIN submissions s ON s.id = ? WHERE t.run_id = ? AND t.entity_code = ?`,
				in.SubmissionID, run, in.EntityCode).Scan(&t.Version, &t.Level, &t.Total, &t.MaxTotal, &t.Rate, &t.rate, &t.Rank, &t.Of)
			if errors.Is(err, sql.ErrNoRows) { // a survey of a fiscal year the run did not score
				continue
			}
			if err != nil {
				return fmt.Errorf("total of %s: %w", in.EntityCode, err)
			}
			list, err := readItemScores(ctx, v.db, run, in.EntityCode)
			if err != nil {
				return err
			}
			out = append(out, t)
			items[t.SubmissionID] = list
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("trial of FY%d: %w", fy, err)
	}
	return out, items, nil
}

// querier is what a connection, a transaction and the pool have in common for reading.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readItemScores returns an entity's item points in a run, by item id.
func readItemScores(ctx context.Context, q querier, run int64, code string) ([]ItemScore, error) {
	list, err := scanItemScores(q.QueryContext(ctx, `SELECT item_id, CAST(points AS DOUBLE), CAST(max_points AS DOUBLE), status, reason
		FROM item_scores WHERE run_id = ? AND entity_code = ? ORDER BY item_id`, run, code))
	if err != nil {
		return nil, fmt.Errorf("item scores of %s: %w", code, err)
	}
	return list, nil
}

// scanItemScores reads rows of (item_id, points, max_points, status, reason).
func scanItemScores(rows *sql.Rows, err error) ([]ItemScore, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ItemScore
	for rows.Next() {
		var x ItemScore
		if err := rows.Scan(&x.ItemID, &x.Points, &x.MaxPoints, &x.Status, &x.Reason); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ItemScores returns an entity's item points in a score run, by item id.
func (sc *Scores) ItemScores(ctx context.Context, run int64, code string) ([]ItemScore, error) {
	return readItemScores(ctx, sc.s.db, run, code)
}

// SaveTrials keeps the results of Trial (replacing an earlier trial of the same versions). Points
// are DECIMAL(9,2): their float64 copies print back exactly with two decimals, and the 得点率 is
// copied as the text Trial read.
func (sc *Scores) SaveTrials(ctx context.Context, trials []TrialScore, items map[int64][]ItemScore) error {
	return sc.s.withTx(ctx, func(c *txConn) error {
		for _, t := range trials {
			for _, q := range []string{`DELETE FROM trial_totals WHERE submission_id = ?`, `DELETE FROM trial_items WHERE submission_id = ?`} {
				if _, err := c.exec(q, t.SubmissionID); err != nil {
					return err
				}
			}
			if _, err := c.exec(`INSERT INTO trial_totals VALUES (?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(9,2)), CAST(? AS DECIMAL(9,2)),
					CAST(? AS DECIMAL(18,9)), ?, ?)`,
				t.SubmissionID, t.FiscalYear, t.EntityCode, t.Level, t.Version, t.AsOf, centi(t.Total), centi(t.MaxTotal), t.rate, t.Rank, t.Of); err != nil {
				return fmt.Errorf("trial total of %s: %w", t.EntityCode, err)
			}
			for _, it := range items[t.SubmissionID] {
				if _, err := c.exec(`INSERT INTO trial_items VALUES (?, ?, CAST(? AS DECIMAL(9,2)), CAST(? AS DECIMAL(9,2)), ?, ?)`,
					t.SubmissionID, it.ItemID, centi(it.Points), centi(it.MaxPoints), it.Status, it.Reason); err != nil {
					return fmt.Errorf("trial item %s of %s: %w", it.ItemID, t.EntityCode, err)
				}
			}
		}
		return nil
	})
}

// centi writes points (hundredths exactly, as DECIMAL(9,2) held them) as text.
func centi(p float64) string { return fmt.Sprintf("%.2f", p) }

// TrialOf returns the 試算 of a submission version (ErrNotFound when none was kept).
func (sc *Scores) TrialOf(ctx context.Context, submissionID int64) (*TrialScore, error) {
	var t TrialScore
	err := sc.s.db.QueryRowContext(ctx, `SELECT submission_id, fiscal_year, entity_code, level, version, as_of, CAST(total AS DOUBLE), CAST(max_total AS DOUBLE),
			CAST(rate AS DOUBLE), national_rank, rank_of
		FROM trial_totals WHERE submission_id = ? ORDER BY as_of DESC LIMIT 1`, submissionID).Scan(&t.SubmissionID, &t.FiscalYear, &t.EntityCode,
		&t.Level, &t.Version, &t.AsOf, &t.Total, &t.MaxTotal, &t.Rate, &t.Rank, &t.Of)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("trial of submission %d: %w", submissionID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("trial of submission %d: %w", submissionID, err)
	}
	return &t, nil
}

// TrialItems returns the item points of a submission version's 試算, by item id.
func (sc *Scores) TrialItems(ctx context.Context, submissionID int64) ([]ItemScore, error) {
	list, err := scanItemScores(sc.s.db.QueryContext(ctx, `SELECT item_id, CAST(points AS DOUBLE), CAST(max_points AS DOUBLE), status, reason
		FROM trial_items WHERE submission_id = ? ORDER BY item_id`, submissionID))
	if err != nil {
		return nil, fmt.Errorf("trial items of submission %d: %w", submissionID, err)
	}
	return list, nil
}
