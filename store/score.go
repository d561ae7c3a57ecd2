package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math"
	"math/big"
	"strings"

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

// LevelSummary is what a score run produced for one level.
type LevelSummary struct {
	Level        indicators.Level `json:"level"`
	RulebookHash string           `json:"rulebook_hash"`
	Entities     int              `json:"entities"`
	Submitted    int              `json:"submitted"`
	ItemScores   int              `json:"item_scores"`
	MeanTotal    float64          `json:"mean_total"`
	MeanRate     float64          `json:"mean_rate"`
	MaxTotal     float64          `json:"max_total"`
}

// ScoreSummary is what a score run produced.
type ScoreSummary struct {
	Levels []LevelSummary `json:"levels"`
	// Inputs lists every submission version the run read (this year and the previous one, for
	// changes), ordered by id.
	Inputs []ScoreInput `json:"-"`
}

// Level returns the summary of one level (zero when the run did not score it).
func (s ScoreSummary) Level(l indicators.Level) LevelSummary {
	for _, x := range s.Levels {
		if x.Level == l {
			return x
		}
	}
	return LevelSummary{Level: l}
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
		var goals, inds, igs, items [][]driver.Value
		for i, g := range rb.Goals {
			for _, gr := range rb.Grants {
				if p, ok := g.Grants[gr.ID]; ok {
					goals = append(goals, []driver.Value{rb.Hash, g.ID, gr.ID, int32(i), g.Label, g.Name, pointsValue(p)})
				}
			}
		}
		for i := range rb.Indicators {
			ind := &rb.Indicators[i]
			combine := ind.Combine
			if combine == "" {
				combine = "sum"
			}
			inds = append(inds, []driver.Value{rb.Hash, ind.ID, ind.Goal, ind.Group, int32(i), ind.No, ind.Name, pointsValue(ind.Points), combine, ind.AllowNegative})
			gp := rb.GrantPoints(ind)
			for _, gr := range rb.Grants {
				if p, ok := gp[gr.ID]; ok {
					igs = append(igs, []driver.Value{rb.Hash, ind.ID, gr.ID, pointsValue(p)})
				}
			}
			for j, it := range ind.Items {
				items = append(items, []driver.Value{rb.Hash, it.ID, ind.ID, int32(j), it.Branch, it.Question, it.Rule.Type, it.Source, pointsValue(it.Points)})
			}
		}
		for _, t := range []struct {
			name string
			rows [][]driver.Value
		}{{"rulebook_goals", goals}, {"rulebook_indicators", inds}, {"rulebook_indicator_grants", igs}, {"rulebook_items", items}} {
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

// Score computes score run runID of fiscal year fy for the given rulebooks (registered
// beforehand), children first (centre, municipality, prefecture), in one transaction. For each
// level: the values (answers, previous-year changes, roll-ups of the children scored before),
// item points by the SQL the rulebook compiles to (pass 1 per entity; pass 2 the rank items with
// window functions over the peer set), derived items and prerequisites, then indicator points,
// goal subtotals, grant totals, 総合計, 得点率 and rank within the level.
func (s *Store) Score(ctx context.Context, runID int64, fy int, books []*indicators.Rulebook) (ScoreSummary, error) {
	var sum ScoreSummary
	seen := map[indicators.Level]bool{}
	for _, rb := range books {
		if rb.FiscalYear != fy || seen[rb.Level] {
			return sum, fmt.Errorf("score run %d: rulebook %s is not the only FY%d %s rulebook of the run", runID, rb.File, fy, rb.Level)
		}
		seen[rb.Level] = true
	}
	err := s.withTx(ctx, func(c *txConn) error {
		setup := []string{
			fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE kf_inputs AS
				SELECT id, fiscal_year, entity_code, level, kind, version, sha256 FROM submissions
				WHERE fiscal_year IN (%d, %d) AND status = 'current'`, fy, fy-1),
			fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE kf_all_answers AS
				SELECT a.entity_code, a.item_id, a.value_num, a.value_text, i.fiscal_year
				FROM answers a JOIN kf_inputs i ON i.id = a.submission_id`),
			fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE kf_children AS
				SELECT code, level, parent_code, prefecture_code FROM entities
				WHERE level IN ('centre', 'municipality') AND valid_from_fy <= %d AND (valid_to_fy IS NULL OR valid_to_fy >= %d)`, fy, fy),
			fmt.Sprintf(`CREATE OR REPLACE TEMP VIEW kf_child_answers AS
				SELECT entity_code, item_id, value_num, value_text FROM kf_all_answers WHERE fiscal_year = %d`, fy),
		}
		for _, q := range setup {
			if _, err := c.exec(q); err != nil {
				return fmt.Errorf("prepare: %w", err)
			}
		}
		defer c.exec(`DROP VIEW IF EXISTS kf_child_answers; DROP TABLE IF EXISTS kf_children; DROP TABLE IF EXISTS kf_all_answers;
			DROP TABLE IF EXISTS kf_inputs; DROP TABLE IF EXISTS kf_peers; DROP TABLE IF EXISTS kf_answers;
			DROP TABLE IF EXISTS kf_prev_answers; DROP TABLE IF EXISTS kf_values`)
		for _, rb := range books {
			ls, err := s.scoreLevel(c, runID, fy, rb)
			if err != nil {
				return fmt.Errorf("%s: %w", rb.Level, err)
			}
			sum.Levels = append(sum.Levels, ls)
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

func (s *Store) scoreLevel(c *txConn, runID int64, fy int, rb *indicators.Rulebook) (LevelSummary, error) {
	ls := LevelSummary{Level: rb.Level, RulebookHash: rb.Hash}
	lv := string(rb.Level)
	steps := []struct{ name, sql string }{
		{"peers", fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE kf_peers AS
			SELECT e.code AS entity_code, e.prefecture_code,
			  CASE WHEN p.population_65plus IS NULL THEN 'unknown' WHEN p.population_65plus < 3000 THEN 'lt3k'
			       WHEN p.population_65plus < 10000 THEN '3k-10k' WHEN p.population_65plus < 50000 THEN '10k-50k'
			       WHEN p.population_65plus < 100000 THEN '50k-100k' ELSE 'ge100k' END AS size_band,
			  EXISTS (SELECT 1 FROM kf_inputs i WHERE i.entity_code = e.code AND i.kind = 'survey' AND i.fiscal_year = %[1]d) AS submitted
			FROM entities e LEFT JOIN populations p ON p.code = e.code AND p.fiscal_year = %[1]d
			WHERE e.level = %[2]s AND e.valid_from_fy <= %[1]d AND (e.valid_to_fy IS NULL OR e.valid_to_fy >= %[1]d)`, fy, lit(lv))},
		{"answers", fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE kf_answers AS
			SELECT a.entity_code, a.item_id, a.value_num, a.value_text FROM answers a JOIN kf_inputs i ON i.id = a.submission_id
			WHERE i.fiscal_year = %d AND i.level IN (%s, 'ministry') AND a.entity_code IN (SELECT entity_code FROM kf_peers)`, fy, lit(lv))},
		{"previous answers", fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE kf_prev_answers AS
			SELECT a.entity_code, a.item_id, a.value_num, a.value_text FROM answers a JOIN kf_inputs i ON i.id = a.submission_id
			WHERE i.fiscal_year = %d AND i.level IN (%s, 'ministry') AND a.entity_code IN (SELECT entity_code FROM kf_peers)`, fy-1, lit(lv))},
		{"values", `CREATE OR REPLACE TEMP TABLE kf_values AS ` + rb.ValuesSQL(indicators.Relations{
			Peers: "kf_peers", Answers: "kf_answers", PrevAnswers: "kf_prev_answers", Children: "kf_children",
			ChildAnswers: "kf_child_answers", ItemScores: "item_scores", ScoreTotals: "score_totals", RunID: runID})},
		{"item scores", fmt.Sprintf(`INSERT INTO item_scores SELECT %d, * FROM (%s)`, runID, rb.ItemScoresSQL("kf_peers", "kf_values"))},
	}
	for _, st := range steps {
		if _, err := c.exec(st.sql); err != nil {
			return ls, fmt.Errorf("%s: %w", st.name, err)
		}
	}
	for _, it := range rb.DependencyOrder() {
		if it.Rule.Type == indicators.RuleAllOf {
			if _, err := c.exec(fmt.Sprintf(`INSERT INTO item_scores SELECT %d, * FROM (%s)`, runID, rb.DerivedSQL(it, "kf_peers", "item_scores", runID))); err != nil {
				return ls, fmt.Errorf("derived item %s: %w", it.ID, err)
			}
		}
		if it.RanksAfterPrerequisites() {
			if _, err := c.exec(fmt.Sprintf(`INSERT INTO item_scores SELECT %d, * FROM (%s)`, runID, rb.RankAfterPrerequisitesSQL(it, "kf_peers", "kf_values", "item_scores", runID))); err != nil {
				return ls, fmt.Errorf("rank item %s after its prerequisites: %w", it.ID, err)
			}
		}
		if len(it.Requires) > 0 {
			if _, err := c.exec(rb.PrerequisiteSQL(it, "item_scores", runID)); err != nil {
				return ls, fmt.Errorf("prerequisites of %s: %w", it.ID, err)
			}
		}
	}
	args := []any{runID, rb.Hash, rb.Hash, runID}
	if _, err := c.exec(scoreIndicatorsSQL, args...); err != nil {
		return ls, fmt.Errorf("indicator scores: %w", err)
	}
	if _, err := c.exec(indicatorGrantScoresSQL, runID, rb.Hash, rb.Hash, runID); err != nil {
		return ls, fmt.Errorf("indicator points per grant: %w", err)
	}
	if _, err := c.exec(goalScoresSQL, runID, runID); err != nil {
		return ls, fmt.Errorf("goal scores: %w", err)
	}
	if _, err := c.exec(grantScoresSQL, runID, runID); err != nil {
		return ls, fmt.Errorf("grant scores: %w", err)
	}
	if _, err := c.exec(scoreTotalsSQL, lv, fy, runID); err != nil {
		return ls, fmt.Errorf("totals: %w", err)
	}
	// The means are exact quotients (kf_div6, kf_div9), turned into float64 only for the summary line.
	err := c.queryRow(`SELECT count(*), count(*) FILTER (WHERE submitted), coalesce(CAST(kf_div6(sum(total), count(*)) AS DOUBLE), 0),
			coalesce(CAST(kf_div9(sum(rate), count(*)) AS DOUBLE), 0), coalesce(max(CAST(max_total AS DOUBLE)), 0)
		FROM score_totals WHERE run_id = ? AND level = ?`, runID, lv).Scan(&ls.Entities, &ls.Submitted, &ls.MeanTotal, &ls.MeanRate, &ls.MaxTotal)
	if err != nil {
		return ls, err
	}
	err = c.queryRow(`SELECT count(*) FROM item_scores WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM kf_peers)`, runID).Scan(&ls.ItemScores)
	return ls, err
}

// lit quotes s as a SQL string literal.
func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// scoreIndicatorsSQL sums item points per indicator (or takes the best alternative), capped at the
// indicator's points and, unless the rulebook allows the indicator to be negative, floored at 0 (a
// penalty takes away what the indicator earned, not more); the maximum leaves out the items 対象外
// for the entity. Args: run id, rulebook hash (items), rulebook hash (indicators), run id.
const scoreIndicatorsSQL = `
INSERT INTO scores
SELECT run_id, entity_code, indicator_id, goal_id, pts, mx,
  CASE WHEN all_na THEN 'na'
       WHEN all_blank THEN 'unanswered'
       WHEN pts >= mx AND mx > 0 THEN 'met'
       WHEN pts > 0 THEN 'partial'
       WHEN any_not_met THEN 'not_met'
       ELSE 'not_done' END,
  CASE WHEN n_items = 1 THEN single_reason || CASE WHEN floored THEN '（指標の下限0点 → 0点）' ELSE '' END
       ELSE parts || ' → ' || kf_pts(pts) || '点／' || kf_pts(mx) || '点'
            || CASE WHEN combine = 'max' THEN '（最も高いものを採用）' WHEN raw_sum > ind_points THEN '（上限' || kf_pts(ind_points) || '点）' ELSE '' END
            || CASE WHEN floored THEN '（下限0点）' ELSE '' END
  END
FROM (
  SELECT *, CASE WHEN capped_pts < 0 AND NOT allow_negative THEN CAST(0 AS DECIMAL(9,2)) ELSE capped_pts END AS pts,
    capped_pts < 0 AND NOT allow_negative AS floored
  FROM (
    SELECT ? AS run_id, s.entity_code, ri.indicator_id, ind.goal_id, ind.combine, ind.points AS ind_points, coalesce(ind.allow_negative, FALSE) AS allow_negative,
      CAST(CASE WHEN ind.combine = 'max' THEN max(s.points) ELSE LEAST(sum(s.points), ind.points) END AS DECIMAL(9,2)) AS capped_pts,
      CAST(CASE WHEN ind.combine = 'max' THEN max(s.max_points) ELSE LEAST(sum(s.max_points), ind.points) END AS DECIMAL(9,2)) AS mx,
      sum(s.points) AS raw_sum,
      bool_and(s.status = 'na') AS all_na,
      bool_and(s.status IN ('unanswered', 'na')) AS all_blank,
      bool_or(s.status = 'not_met') AS any_not_met,
      count(*) AS n_items,
      first(ri.branch || ' ' || s.reason) AS single_reason,
      string_agg(ri.branch || CASE WHEN s.status = 'na' THEN '対象外' ELSE kf_pts(s.points) || '点' END, '・' ORDER BY ri.ord) AS parts
    FROM item_scores s
    JOIN rulebook_items ri ON ri.rulebook_hash = ? AND ri.item_id = s.item_id
    JOIN rulebook_indicators ind ON ind.rulebook_hash = ? AND ind.indicator_id = ri.indicator_id
    WHERE s.run_id = ? AND s.entity_code IN (SELECT entity_code FROM kf_peers)
    GROUP BY s.entity_code, ri.indicator_id, ind.goal_id, ind.points, ind.combine, ind.allow_negative
  )
)`

// indicatorGrantScoresSQL scales each indicator's points to each grant it counts in and rounds them
// to 0.01 point, half away from zero (an indicator of 55 points counting 35 in 支援 scores
// points × 35 ÷ 55 there; kf_div2 is exact and rounds as DuckDB's ROUND on DECIMAL does). An
// indicator whose points in the grant are its own points is copied unchanged. Args: run id, hash,
// hash, run id.
const indicatorGrantScoresSQL = `
INSERT INTO indicator_grant_scores
SELECT ?, sc.entity_code, sc.indicator_id, sc.goal_id, ig.grant_id,
  CASE WHEN ind.points = 0 OR ig.points = ind.points THEN sc.points ELSE kf_div2(sc.points * ig.points, ind.points) END,
  CASE WHEN ind.points = 0 THEN ig.points WHEN ig.points = ind.points THEN sc.max_points ELSE kf_div2(sc.max_points * ig.points, ind.points) END
FROM scores sc
JOIN rulebook_indicators ind ON ind.rulebook_hash = ? AND ind.indicator_id = sc.indicator_id
JOIN rulebook_indicator_grants ig ON ig.rulebook_hash = ? AND ig.indicator_id = sc.indicator_id
WHERE sc.run_id = ? AND sc.entity_code IN (SELECT entity_code FROM kf_peers)`

// goalScoresSQL: goal subtotals in each grant's points, the sums of the indicators' points in that
// grant as indicator_grant_scores holds (and the workbooks print) them. Args: run id, run id.
const goalScoresSQL = `
INSERT INTO goal_scores
SELECT ?, entity_code, goal_id, grant_id, sum(points), sum(max_points)
FROM indicator_grant_scores
WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM kf_peers)
GROUP BY entity_code, goal_id, grant_id`

// grantScoresSQL: grant totals, the sums of their goal subtotals, floored at 0 (a negative
// indicator, where a rulebook allows one, cannot make a grant negative); a goal that counts in two
// grants counts in both. Args: run id, run id.
const grantScoresSQL = `
INSERT INTO grant_scores
SELECT ?, entity_code, grant_id, greatest(sum(points), 0), sum(max_points)
FROM goal_scores
WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM kf_peers)
GROUP BY entity_code, grant_id`

// scoreTotalsSQL: 総合計 (the sum of the grant totals, so never below 0), 得点率 (total ÷ max_total,
// exact to 9 places, half away from zero; 0 when nothing is scorable) and the competition rank
// within the level. submitted is true only for an entity with a current survey of the year: every
// output can flag the others 未提出. Args: level, fiscal year, run id.
const scoreTotalsSQL = `
INSERT INTO score_totals
SELECT t.run_id, t.entity_code, ?, t.total, t.max_total,
  CASE WHEN t.max_total = 0 THEN CAST(0 AS DECIMAL(18,9)) ELSE kf_div9(t.total, t.max_total) END,
  rank() OVER (ORDER BY t.total DESC),
  EXISTS (SELECT 1 FROM kf_inputs i WHERE i.entity_code = t.entity_code AND i.kind = 'survey' AND i.fiscal_year = ?)
FROM (SELECT run_id, entity_code, greatest(sum(points), 0) AS total, sum(max_points) AS max_total
      FROM grant_scores WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM kf_peers) GROUP BY run_id, entity_code) t`
