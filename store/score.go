package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math"
	"math/big"

	"github.com/marcboeker/go-duckdb"

	"github.com/kofukin/kofukin/indicators"
)

// ScoreInput names one submission a score run read.
type ScoreInput struct {
	SubmissionID int64  `json:"submission_id"`
	EntityCode   string `json:"entity_code"`
	Kind         string `json:"kind"`
	Version      int    `json:"version"`
	SHA256       string `json:"sha256"`
}

// ScoreSummary is what a score run produced.
type ScoreSummary struct {
	Entities   int     `json:"entities"`
	Submitted  int     `json:"submitted"`
	ItemScores int     `json:"item_scores"`
	MeanTotal  float64 `json:"mean_total"`
	MeanRate   float64 `json:"mean_rate"`
	MaxTotal   float64 `json:"max_total"`
	// Inputs lists every submission version the run read, ordered by id.
	Inputs []ScoreInput `json:"-"`
}

// RegisterRulebook stores a rulebook's text and structure under its hash, once.
func (s *Store) RegisterRulebook(ctx context.Context, rb *indicators.Rulebook, content []byte) error {
	return s.withTx(ctx, func(c *txConn) error {
		var n int
		if err := c.queryRow(`SELECT count(*) FROM rulebooks WHERE hash = ?`, rb.Hash).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := c.exec(`INSERT INTO rulebooks VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, rb.Hash, rb.FiscalYear, string(rb.Level),
			rb.Version, rb.Title, rb.File, string(content), s.Now().UTC()); err != nil {
			return err
		}
		var goals, inds, items [][]driver.Value
		for i, g := range rb.Goals {
			for _, gr := range g.Grants {
				goals = append(goals, []driver.Value{rb.Hash, g.ID, gr, int32(i), g.Label, g.Name, pointsValue(g.Points)})
			}
		}
		for i, ind := range rb.Indicators {
			inds = append(inds, []driver.Value{rb.Hash, ind.ID, ind.Goal, ind.Group, int32(i), ind.No, ind.Name, pointsValue(ind.Points)})
			for j, it := range ind.Items {
				items = append(items, []driver.Value{rb.Hash, it.ID, ind.ID, int32(j), it.Branch, it.Question, it.Rule.Type, it.Source, pointsValue(it.Points)})
			}
		}
		for _, t := range []struct {
			name string
			rows [][]driver.Value
		}{{"rulebook_goals", goals}, {"rulebook_indicators", inds}, {"rulebook_items", items}} {
			if err := c.appendRows(t.name, t.rows); err != nil {
				return err
			}
		}
		return nil
	})
}

// pointsValue converts points to what the appender stores in a DECIMAL(9,2) column (a float64
// would be taken as the unscaled integer).
func pointsValue(p float64) driver.Value { return centiValue(int64(math.Round(p * 100))) }

// centiValue is a DECIMAL(9,2) value from hundredths.
func centiValue(c int64) driver.Value {
	return duckdb.Decimal{Width: 9, Scale: 2, Value: big.NewInt(c)}
}

// Score computes run runID for rulebook rb (registered beforehand) over the current submissions
// of the rulebook's fiscal year and level, in one transaction: item points by the SQL the rulebook
// compiles to (pass 1: per entity; pass 2: national ranks by window functions), then indicator
// points, goal subtotals, grant totals, 総合計, 得点率 and national rank.
func (s *Store) Score(ctx context.Context, runID int64, rb *indicators.Rulebook) (ScoreSummary, error) {
	var sum ScoreSummary
	err := s.withTx(ctx, func(c *txConn) error {
		fy := rb.FiscalYear
		if _, err := c.exec(fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE kf_peers AS
			SELECT code AS entity_code FROM entities
			WHERE level = '%s' AND valid_from_fy <= %d AND (valid_to_fy IS NULL OR valid_to_fy >= %d)`, rb.Level, fy, fy)); err != nil {
			return fmt.Errorf("peers: %w", err)
		}
		if _, err := c.exec(fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE kf_inputs AS
			SELECT id, entity_code, kind, version, sha256 FROM submissions
			WHERE fiscal_year = %d AND status = 'current' AND level IN ('%s', 'ministry')`, fy, rb.Level)); err != nil {
			return fmt.Errorf("inputs: %w", err)
		}
		if _, err := c.exec(`CREATE OR REPLACE TEMP TABLE kf_answers AS
			SELECT a.entity_code, a.item_id, a.value_num, a.value_text
			FROM answers a JOIN kf_inputs i ON i.id = a.submission_id
			WHERE a.entity_code IN (SELECT entity_code FROM kf_peers)`); err != nil {
			return fmt.Errorf("answers: %w", err)
		}
		defer c.exec(`DROP TABLE IF EXISTS kf_peers; DROP TABLE IF EXISTS kf_inputs; DROP TABLE IF EXISTS kf_answers`)

		if _, err := c.exec(fmt.Sprintf(`INSERT INTO item_scores SELECT %d, * FROM (%s)`, runID,
			rb.ItemScoresSQL("kf_peers", "kf_answers"))); err != nil {
			return fmt.Errorf("item scores: %w", err)
		}
		if _, err := c.exec(scoreIndicatorsSQL, runID, rb.Hash, rb.Hash, runID); err != nil {
			return fmt.Errorf("indicator scores: %w", err)
		}
		if _, err := c.exec(goalScoresSQL, runID, rb.Hash, runID); err != nil {
			return fmt.Errorf("goal scores: %w", err)
		}
		if _, err := c.exec(grantScoresSQL, runID, rb.Hash, runID); err != nil {
			return fmt.Errorf("grant scores: %w", err)
		}
		if _, err := c.exec(scoreTotalsSQL, runID); err != nil {
			return fmt.Errorf("totals: %w", err)
		}
		if err := c.queryRow(`SELECT count(*), count(*) FILTER (WHERE submitted), coalesce(avg(CAST(total AS DOUBLE)), 0), coalesce(avg(rate), 0), coalesce(max(CAST(max_total AS DOUBLE)), 0)
			FROM score_totals WHERE run_id = ?`, runID).Scan(&sum.Entities, &sum.Submitted, &sum.MeanTotal, &sum.MeanRate, &sum.MaxTotal); err != nil {
			return err
		}
		if err := c.queryRow(`SELECT count(*) FROM item_scores WHERE run_id = ?`, runID).Scan(&sum.ItemScores); err != nil {
			return err
		}
		if _, err := c.exec(`INSERT INTO run_inputs SELECT ?, id, entity_code, kind, version, sha256 FROM kf_inputs`, runID); err != nil {
			return fmt.Errorf("inputs: %w", err)
		}
		rows, err := c.conn.QueryContext(ctx, `SELECT id, entity_code, kind, version, sha256 FROM kf_inputs ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var in ScoreInput
			if err := rows.Scan(&in.SubmissionID, &in.EntityCode, &in.Kind, &in.Version, &in.SHA256); err != nil {
				return err
			}
			sum.Inputs = append(sum.Inputs, in)
		}
		return rows.Err()
	})
	if err != nil {
		return sum, fmt.Errorf("score run %d: %w", runID, err)
	}
	return sum, nil
}

// scoreIndicatorsSQL sums item points per indicator, capped at the indicator's points.
// Args: run id, rulebook hash (items), rulebook hash (indicators), run id.
const scoreIndicatorsSQL = `
INSERT INTO scores
SELECT ?, s.entity_code, ri.indicator_id, ind.goal_id,
  LEAST(sum(s.points), ind.points) AS points, ind.points,
  CASE WHEN bool_and(s.status = 'unanswered') THEN 'unanswered'
       WHEN sum(s.points) >= ind.points THEN 'met'
       WHEN sum(s.points) > 0 THEN 'partial'
       WHEN bool_or(s.status = 'not_met') THEN 'not_met'
       ELSE 'not_done' END,
  CASE WHEN count(*) = 1 THEN first(ri.branch || ' ' || s.reason)
       ELSE string_agg(ri.branch || kf_pts(s.points) || '点', '・' ORDER BY ri.ord)
            || ' → ' || kf_pts(LEAST(sum(s.points), ind.points)) || '点／' || kf_pts(ind.points) || '点'
            || CASE WHEN sum(s.points) > ind.points THEN '（上限' || kf_pts(ind.points) || '点）' ELSE '' END
  END
FROM item_scores s
JOIN rulebook_items ri ON ri.rulebook_hash = ? AND ri.item_id = s.item_id
JOIN rulebook_indicators ind ON ind.rulebook_hash = ? AND ind.indicator_id = ri.indicator_id
WHERE s.run_id = ?
GROUP BY s.entity_code, ri.indicator_id, ind.goal_id, ind.points`

// goalScoresSQL: goal subtotals. Args: run id, rulebook hash, run id.
const goalScoresSQL = `
INSERT INTO goal_scores
SELECT ?, sc.entity_code, sc.goal_id, sum(sc.points), g.points
FROM scores sc
JOIN (SELECT DISTINCT goal_id, points FROM rulebook_goals WHERE rulebook_hash = ?) g ON g.goal_id = sc.goal_id
WHERE sc.run_id = ?
GROUP BY sc.entity_code, sc.goal_id, g.points`

// grantScoresSQL: grant totals; a goal that counts in two grants counts in both.
// Args: run id, rulebook hash, run id.
const grantScoresSQL = `
INSERT INTO grant_scores
SELECT ?, gs.entity_code, g.grant_id, sum(gs.points), sum(gs.max_points)
FROM goal_scores gs
JOIN rulebook_goals g ON g.rulebook_hash = ? AND g.goal_id = gs.goal_id
WHERE gs.run_id = ?
GROUP BY gs.entity_code, g.grant_id`

// scoreTotalsSQL: 総合計, 得点率 and the national competition rank. Args: run id.
const scoreTotalsSQL = `
INSERT INTO score_totals
SELECT t.run_id, t.entity_code, t.total, t.max_total, coalesce(CAST(t.total AS DOUBLE) / nullif(CAST(t.max_total AS DOUBLE), 0), 0),
  rank() OVER (ORDER BY t.total DESC),
  EXISTS (SELECT 1 FROM kf_inputs i WHERE i.entity_code = t.entity_code AND i.kind = 'survey')
FROM (SELECT run_id, entity_code, sum(points) AS total, sum(max_points) AS max_total
      FROM grant_scores WHERE run_id = ? GROUP BY run_id, entity_code) t`
