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
func (sc *Scores) RegisterRulebook(ctx context.Context, rb *indicators.Rulebook, content []byte) error {
	return sc.s.withTx(ctx, func(c *txConn) error {
		var n int
		if err := c.queryRow(`SELECT count(*) FROM rulebooks WHERE hash = ?`, rb.Hash).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := c.exec(`INSERT INTO rulebooks VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, rb.Hash, rb.FiscalYear, string(rb.Level),
			rb.Version, rb.Title, rb.File, string(content), sc.s.Now().UTC()); err != nil {
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

// Compute computes score run runID of fiscal year fy for the given rulebooks (registered
// beforehand), children first (centre, municipality, prefecture), in one transaction. For each
// level: the values (answers, previous-year changes, roll-ups of the children scored before),
// item points by the SQL the rulebook compiles to (pass 1 per entity; pass 2 the rank items with
// window functions over the peer set), derived items and prerequisites, then indicator points,
// goal subtotals, grant totals, 総合計, 得点率 and rank within the level.
func (sc *Scores) Compute(ctx context.Context, runID int64, fy int, books []*indicators.Rulebook) (ScoreSummary, error) {
	var sum ScoreSummary
	seen := map[indicators.Level]bool{}
	for _, rb := range books {
		if rb.FiscalYear != fy || seen[rb.Level] {
			return sum, fmt.Errorf("score run %d: rulebook %s is not the only FY%d %s rulebook of the run", runID, rb.File, fy, rb.Level)
		}
		seen[rb.Level] = true
	}
	sc.s.scoreMu.Lock()
	defer sc.s.scoreMu.Unlock()
	err := sc.s.withTx(ctx, func(c *txConn) error {
		var err error
		sum, err = sc.s.compute(c, runID, fy, books)
		return err
	})
	if err != nil {
		return sum, fmt.Errorf("score run %d: %w", runID, err)
	}
	return sum, nil
}

// compute runs the steps of score run runID in c's transaction (see Compute) and returns its
// summary; the caller commits (a score run) or rolls back (a trial, see Trial).
func (s *Store) compute(c *txConn, runID int64, fy int, books []*indicators.Rulebook) (ScoreSummary, error) {
	var sum ScoreSummary
	setup := []struct {
		sql  string
		args []any
	}{
		{scoreInputsSQL, []any{fy, fy - 1}},
		{scoreAllAnswersSQL, nil},
		{scoreChildrenSQL, []any{fy}},
		{scoreChildAnswersSQL, []any{fy}},
	}
	for _, q := range setup {
		if _, err := c.exec(q.sql, q.args...); err != nil {
			return sum, fmt.Errorf("prepare: %w", err)
		}
	}
	defer c.exec(`DROP TABLE IF EXISTS kf_child_answers; DROP TABLE IF EXISTS kf_children; DROP TABLE IF EXISTS kf_all_answers;
		DROP TABLE IF EXISTS kf_inputs; DROP TABLE IF EXISTS kf_peers; DROP TABLE IF EXISTS kf_answers;
		DROP TABLE IF EXISTS kf_prev_answers; DROP TABLE IF EXISTS kf_values`)
	for _, rb := range books {
		ls, err := s.scoreLevel(c, runID, fy, rb)
		if err != nil {
			return sum, fmt.Errorf("%s: %w", rb.Level, err)
		}
		sum.Levels = append(sum.Levels, ls)
	}
	if _, err := c.exec(`INSERT INTO run_inputs SELECT ?, id, entity_code, kind, version, sha256 FROM kf_inputs`, runID); err != nil {
		return sum, fmt.Errorf("inputs: %w", err)
	}
	rows, err := c.conn.QueryContext(c.ctx, `SELECT id, entity_code, kind, version, sha256 FROM kf_inputs ORDER BY id`)
	if err != nil {
		return sum, err
	}
	defer rows.Close()
	for rows.Next() {
		var in ScoreInput
		if err := rows.Scan(&in.SubmissionID, &in.EntityCode, &in.Kind, &in.Version, &in.SHA256); err != nil {
			return sum, err
		}
		sum.Inputs = append(sum.Inputs, in)
	}
	return sum, rows.Err()
}

func (s *Store) scoreLevel(c *txConn, runID int64, fy int, rb *indicators.Rulebook) (LevelSummary, error) {
	ls := LevelSummary{Level: rb.Level, RulebookHash: rb.Hash}
	lv := string(rb.Level)
	// The compiled rulebook SQL (ValuesSQL, ItemScoresSQL, DerivedSQL …) is the rulebook compiler's:
	// it names the relations given here and holds the rulebook's own constants; every other value
	// is a bind parameter.
	steps := []struct {
		name, sql string
		args      []any
	}{
		{"peers", scorePeersSQL, []any{fy, lv}},
		{"answers", `CREATE OR REPLACE TEMP TABLE kf_answers AS ` + scoreLevelAnswersSQL, []any{fy, lv}},
		{"previous answers", `CREATE OR REPLACE TEMP TABLE kf_prev_answers AS ` + scoreLevelAnswersSQL, []any{fy - 1, lv}},
		{"values", `CREATE OR REPLACE TEMP TABLE kf_values AS ` + rb.ValuesSQL(indicators.Relations{
			Peers: "kf_peers", Answers: "kf_answers", PrevAnswers: "kf_prev_answers", Children: "kf_children",
			ChildAnswers: "kf_child_answers", ItemScores: "item_scores", ScoreTotals: "score_totals", RunID: runID}), nil},
		{"item scores", insertItemScores + rb.ItemScoresSQL("kf_peers", "kf_values") + ")", []any{runID}},
	}
	for _, st := range steps {
		if _, err := c.exec(st.sql, st.args...); err != nil {
			return ls, fmt.Errorf("%s: %w", st.name, err)
		}
	}
	for _, it := range rb.DependencyOrder() {
		if it.Rule.Type == indicators.RuleAllOf {
			if _, err := c.exec(insertItemScores+rb.DerivedSQL(it, "kf_peers", "item_scores", runID)+")", runID); err != nil {
				return ls, fmt.Errorf("derived item %s: %w", it.ID, err)
			}
		}
		if it.RanksAfterPrerequisites() {
			if _, err := c.exec(insertItemScores+rb.RankAfterPrerequisitesSQL(it, "kf_peers", "kf_values", "item_scores", runID)+")", runID); err != nil {
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

// insertItemScores stores the rows of a compiled item-score query, closed by ")", under the run id
// (its one arg).
const insertItemScores = `INSERT INTO item_scores SELECT ?, * FROM (`

// The steps of a score run (what each does and its args at the top of its file).
var (
	scoreInputsSQL          = query("score_inputs.sql")
	scoreAllAnswersSQL      = query("score_all_answers.sql")
	scoreChildrenSQL        = query("score_children.sql")
	scoreChildAnswersSQL    = query("score_child_answers.sql")
	scorePeersSQL           = query("score_peers.sql")
	scoreLevelAnswersSQL    = query("score_level_answers.sql")
	scoreIndicatorsSQL      = query("score_indicators.sql")
	indicatorGrantScoresSQL = query("score_indicator_grants.sql")
	goalScoresSQL           = query("score_goals.sql")
	grantScoresSQL          = query("score_grants.sql")
	scoreTotalsSQL          = query("score_totals.sql")
)
