package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"math/big"
	"os"
	"strconv"
	"sync"

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
		sum, err = sc.s.compute(c, runID, fy, books, computeMode{})
		return err
	})
	if err != nil {
		return sum, fmt.Errorf("score run %d: %w", runID, err)
	}
	return sum, nil
}

// Amend re-scores run, an earlier succeeded score run of fy, in place for the inputs as they are
// now — only inside a rehearsal (Store.Rehearse), whose transaction is rolled back: what-if runs,
// dry runs and previews see a run as Compute would give it, in a fraction of its time. The caller
// has checked that run was scored with the same rulebooks by the same code. Only what the inputs
// changed since can move is computed again (scoreLevel), and the result is the same, row for row,
// as a new Compute's (TestOracleAgreesWithSQL's incremental check). When reference data was loaded
// after run started, or run is not a succeeded score run of fy, it does nothing and reports false:
// score in full.
func (sc *Scores) Amend(ctx context.Context, run int64, fy int, books []*indicators.Rulebook) (ScoreSummary, bool, error) {
	return sc.amend(ctx, run, fy, books, computeMode{amend: true})
}

// AmendResults is Amend without the summary: the run's rows are amended alike, but no level's
// counts and means, item rows or inputs are read back. A what-if, which reads the totals it
// compares itself, saves those reads (about a tenth of a one-answer what-if over the nation).
func (sc *Scores) AmendResults(ctx context.Context, run int64, fy int, books []*indicators.Rulebook) (bool, error) {
	_, amended, err := sc.amend(ctx, run, fy, books, computeMode{amend: true, noSummary: true})
	return amended, err
}

func (sc *Scores) amend(ctx context.Context, run int64, fy int, books []*indicators.Rulebook, mode computeMode) (ScoreSummary, bool, error) {
	if !sc.s.InRehearsal() {
		return ScoreSummary{}, false, fmt.Errorf("amend score run %d: only inside a rehearsal", run)
	}
	usable, err := sc.incrementalBase(ctx, fy, run)
	if err != nil || !usable {
		return ScoreSummary{}, false, err
	}
	var sum ScoreSummary
	err = sc.s.withTx(ctx, func(c *txConn) error {
		var err error
		sum, err = sc.s.compute(c, run, fy, books, mode)
		return err
	})
	if err != nil {
		return sum, true, fmt.Errorf("amend score run %d: %w", run, err)
	}
	return sum, true, nil
}

// incrementalBase reports whether run base can be the base of an incremental run of fy: a
// succeeded score run of fy, with no reference file loaded nor population replaced since it
// started (the peers, their size bands and their parents are as it saw them).
func (sc *Scores) incrementalBase(ctx context.Context, fy int, base int64) (bool, error) {
	if base == 0 {
		return false, nil
	}
	// …and whose totals are of exactly the entities valid in fy at each level it scored (a
	// reference file loaded again under the same name keeps its loaded_at).
	var ok bool
	err := sc.s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM runs r WHERE r.id = $1 AND r.kind = 'score' AND r.fiscal_year = $2 AND r.status = 'succeeded'
		AND NOT EXISTS (SELECT 1 FROM reference_files f WHERE f.loaded_at >= r.started_at)
		AND NOT EXISTS (SELECT 1 FROM population_history h WHERE h.replaced_at >= r.started_at))
	AND NOT EXISTS (
		WITH scored AS (SELECT entity_code, level FROM score_totals WHERE run_id = $1),
		valid AS (SELECT code AS entity_code, level FROM entities WHERE level IN (SELECT level FROM scored)
			AND valid_from_fy <= $2 AND (valid_to_fy IS NULL OR valid_to_fy >= $2))
		(SELECT * FROM scored EXCEPT SELECT * FROM valid) UNION ALL (SELECT * FROM valid EXCEPT SELECT * FROM scored))`, base, fy).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("base of an incremental score run: %w", err)
	}
	return ok, nil
}

// computeMode is how compute runs a score run.
type computeMode struct {
	// amend: runID is an earlier run amended in place for the inputs as they are now (see Amend:
	// only in a rehearsal, whose transaction is rolled back).
	amend bool
	// noSummary: no summary is read back — no level counts and means, item rows or inputs
	// (AmendResults); the run's rows and inputs are amended all the same.
	noSummary bool
}

// compute runs the steps of score run runID in c's transaction (see Compute) and returns its
// summary; the caller commits (a score run) or rolls back (a trial, see Trial).
func (s *Store) compute(c *txConn, runID int64, fy int, books []*indicators.Rulebook, mode computeMode) (ScoreSummary, error) {
	amend := mode.amend
	var sum ScoreSummary
	if _, err := c.exec(scoreInputsSQL, fy, fy-1); err != nil {
		return sum, fmt.Errorf("prepare: %w", err)
	}
	unchanged := false
	if amend {
		// The submissions read now and not by the run (added) or the other way round; the range of
		// their ids bounds the answers compared (1, 0 when none: no answer).
		if _, err := c.exec(changedInputsSQL, runID); err != nil {
			return sum, fmt.Errorf("prepare: %w", err)
		}
		var lo, hi int64
		if err := c.queryRow(`SELECT coalesce(min(id), 1), coalesce(max(id), 0) FROM kf_changed_inputs`).Scan(&lo, &hi); err != nil {
			return sum, fmt.Errorf("prepare: %w", err)
		}
		if _, err := c.exec(scoreDirtySQL, runID, fy, lo, hi); err != nil {
			return sum, fmt.Errorf("prepare: %w", err)
		}
		if _, err := c.exec(`CREATE OR REPLACE TEMP TABLE kf_dirty AS SELECT DISTINCT entity_code FROM kf_dirty_items`); err != nil {
			return sum, fmt.Errorf("prepare: %w", err)
		}
		// No entity's inputs changed: no row of the run can change.
		if err := c.queryRow(`SELECT count(*) = 0 FROM kf_dirty`).Scan(&unchanged); err != nil {
			return sum, err
		}
	}
	if !unchanged {
		// Of the children's answers only those the roll-ups read (a handful of items, not every
		// answer of the nation).
		setup := []scoreStep{{"children", scoreChildrenSQL, []any{fy}},
			{"child items", `CREATE OR REPLACE TEMP TABLE kf_child_items (item_id VARCHAR)`, nil}}
		seen := map[string]bool{}
		for _, rb := range books {
			for _, id := range rb.ChildAnswerItems() {
				if !seen[id] {
					seen[id] = true
					setup = append(setup, scoreStep{"child items", `INSERT INTO kf_child_items VALUES (?)`, []any{id}})
				}
			}
		}
		if err := c.run(append(setup, scoreStep{"child answers", scoreChildAnswersSQL, []any{fy}})...); err != nil {
			return sum, fmt.Errorf("prepare: %w", err)
		}
	}
	defer c.exec(`DROP TABLE IF EXISTS kf_child_answers; DROP TABLE IF EXISTS kf_children; DROP TABLE IF EXISTS kf_all_answers;
		DROP TABLE IF EXISTS kf_inputs; DROP TABLE IF EXISTS kf_peers; DROP TABLE IF EXISTS kf_answers;
		DROP TABLE IF EXISTS kf_prev_answers; DROP TABLE IF EXISTS kf_values; DROP TABLE IF EXISTS kf_agg;
		DROP TABLE IF EXISTS kf_dirty; DROP TABLE IF EXISTS kf_scope; DROP TABLE IF EXISTS kf_shared;
		DROP TABLE IF EXISTS kf_scope_values; DROP TABLE IF EXISTS kf_old_items; DROP TABLE IF EXISTS kf_dirty_items; DROP TABLE IF EXISTS kf_own_again; DROP TABLE IF EXISTS kf_changed_inputs;
		DROP TABLE IF EXISTS kf_child_items; DROP TABLE IF EXISTS kf_needed; DROP TABLE IF EXISTS kf_slices; DROP TABLE IF EXISTS kf_prev_items`)
	// When amending, whether a level's rows may have changed (the roll-ups over it are scored again),
	// and the item rows of each level: an amended run has as many as the run it amends (scoreLevel
	// checks), counted once.
	moved, answered := map[indicators.Level]bool{}, map[indicators.Level]map[string]bool{}
	var itemRows map[string]int64
	if amend && !mode.noSummary {
		var err error
		if itemRows, err = s.itemRows.get(c, runID); err != nil {
			return sum, err
		}
	}
	for _, rb := range books {
		var ls LevelSummary
		var err error
		switch {
		case unchanged:
			// The run as it is: its summary from its totals and the item rows counted (itemRows).
			ls = LevelSummary{Level: rb.Level, RulebookHash: rb.Hash}
			if !mode.noSummary {
				err = c.levelSummary(runID, string(rb.Level), &ls, itemRows)
			}
		default:
			ls, err = s.scoreLevel(c, runID, fy, rb, mode, moved, answered, itemRows)
		}
		if err != nil {
			return sum, fmt.Errorf("%s: %w", rb.Level, err)
		}
		sum.Levels = append(sum.Levels, ls)
	}
	inputs := []scoreStep{{"inputs", `INSERT INTO run_inputs SELECT CAST(? AS BIGINT), id, entity_code, kind, version, sha256 FROM kf_inputs`, []any{runID}}}
	if amend {
		// Only the inputs no longer read go, and only the new ones come (a key deleted and
		// inserted again in one transaction is refused).
		inputs = []scoreStep{
			{"inputs no longer read", `DELETE FROM run_inputs WHERE run_id = ? AND submission_id NOT IN (SELECT id FROM kf_inputs)`, []any{runID}},
			{"new inputs", `INSERT INTO run_inputs SELECT CAST(? AS BIGINT), id, entity_code, kind, version, sha256 FROM kf_inputs
				WHERE id NOT IN (SELECT submission_id FROM run_inputs WHERE run_id = ?)`, []any{runID, runID}},
		}
	}
	if err := c.run(inputs...); err != nil || mode.noSummary {
		return sum, err
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

type scoreStep struct {
	name, sql string
	args      []any
}

func (c *txConn) run(steps ...scoreStep) error {
	for _, st := range steps {
		if _, err := c.exec(st.sql, st.args...); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return nil
}

// scoreLevel scores one level of run runID. With amend (see Amend) it replaces, of the run's rows,
// only what the inputs changed since can move (indicators.Rulebook.ItemsAffected): of the entities
// whose inputs changed (kf_dirty) their own items (indicators.Item.Own) that read a changed answer,
// of every peer the other items whose inputs moved, and the indicator, goal and grant rows of the
// entities whose item rows changed; then the level's totals and ranks.
//
// When amending, moved holds whether the rows of each level scored before may have changed and
// answered the ids of the answers that changed at each level ("" for a survey sent or withdrawn);
// this level's are set. itemRows are the run's item rows by level (its summary's).
func (s *Store) scoreLevel(c *txConn, runID int64, fy int, rb *indicators.Rulebook, mode computeMode, moved map[indicators.Level]bool, answered map[indicators.Level]map[string]bool, itemRows map[string]int64) (LevelSummary, error) {
	ls := LevelSummary{Level: rb.Level, RulebookHash: rb.Hash}
	lv := string(rb.Level)
	amend := mode.amend
	summary := func() error { // the level's summary, unless the mode wants none
		if mode.noSummary {
			return nil
		}
		return c.levelSummary(runID, lv, &ls, itemRows)
	}
	var amendInserts []scoreStep // when amending, the item rows computed again
	if err := c.run(scoreStep{"peers", scorePeersSQL, []any{fy, lv}}); err != nil {
		return ls, err
	}
	// A large level is scored a slice of its peers at a time (sliceSize), so that no statement
	// holds more than a slice's item rows in memory: the items but the rank items, and the
	// indicator, goal and grant rows. The rank items, the derived items, the prerequisites and the
	// totals take the whole level (a rank needs every peer's value; they read narrow columns).
	slices := 1
	if !amend {
		var peers int
		if err := c.queryRow(`SELECT count(*) FROM kf_peers`).Scan(&peers); err != nil {
			return ls, err
		}
		slices = max(1, (peers+s.sliceSize(rb)-1)/s.sliceSize(rb))
	}
	var itemScores []scoreStep
	if slices == 1 {
		for _, q := range rb.ItemScoresSQLs("kf_peers", "kf_values", itemsPerStatement) {
			itemScores = append(itemScores, scoreStep{"item scores", insertItemScores + q + ")", []any{runID}})
		}
	} else {
		ranked, unranked := rb.ItemScoresSQLsSplit("kf_peers", "kf_values", inSlice("kf_peers"), inSlice("kf_values"), itemsPerStatement)
		itemScores = append(itemScores, scoreStep{"slices", scoreSlicesSQL, []any{s.sliceSize(rb)}})
		for _, q := range ranked {
			itemScores = append(itemScores, scoreStep{"rank item scores", insertItemScores + q + ")", []any{runID}})
		}
		for k := range slices {
			itemScores = append(itemScores, scoreStep{"slice", scoreSliceSQL, []any{k}})
			for _, q := range unranked {
				itemScores = append(itemScores, scoreStep{"item scores", insertItemScores + q + ")", []any{runID}})
			}
		}
	}
	var shared []*indicators.Item // when amending, the items not their entity's own scored again
	var scope int                 // when amending, the peers whose inputs changed
	if amend {
		moved[rb.Level] = true // until shown otherwise
		if err := c.run(scoreStep{"scope", `CREATE OR REPLACE TEMP TABLE kf_scope AS SELECT * FROM kf_peers WHERE entity_code IN (SELECT entity_code FROM kf_dirty)`, nil}); err != nil {
			return ls, err
		}
		if err := c.queryRow(`SELECT count(*) FROM kf_scope`).Scan(&scope); err != nil {
			return ls, err
		}
		var own []*indicators.Item // the own items scored again for the scope
		var err error
		if own, shared, err = c.affected(rb, moved, answered); err != nil {
			return ls, err
		}
		if scope == 0 {
			own = nil
		}
		err = c.run(scoreStep{"shared items", `CREATE OR REPLACE TEMP TABLE kf_shared AS ` + indicators.ItemIDsSQL(shared), nil},
			scoreStep{"answers they read", `CREATE OR REPLACE TEMP TABLE kf_needed AS ` + indicators.IDsSQL(indicators.AnswersRead(shared)), nil},
			scoreStep{"own items", `CREATE OR REPLACE TEMP TABLE kf_own_again AS ` + indicators.ItemIDsSQL(own), nil})
		if err != nil {
			return ls, err
		}
		if len(own) == 0 && len(shared) == 0 {
			// Nothing of this level can have changed: no entity's inputs, and no item that reads
			// another entity's.
			moved[rb.Level] = false
			return ls, summary()
		}
		itemScores = []scoreStep{
			{"values of the scope", `CREATE OR REPLACE TEMP TABLE kf_scope_values AS SELECT * FROM kf_values WHERE entity_code IN (SELECT entity_code FROM kf_scope)`, nil},
			{"replaced item scores", amendOldItemsSQL, []any{runID}},
		}
		for _, q := range rb.ItemScoresSQLsScoped("kf_peers", "kf_values", "kf_scope", "kf_scope_values", own, shared, itemsPerStatement) {
			amendInserts = append(amendInserts, scoreStep{"item scores", insertItemScores + q + ")", []any{runID}})
		}
	}
	// The compiled rulebook SQL (ValuesSQL, ItemScoresSQL, DerivedSQL …) is the rulebook compiler's:
	// it names the relations given here and holds the rulebook's own constants; every other value
	// is a bind parameter.
	rel := indicators.Relations{
		Peers: "kf_peers", Answers: "kf_answers", PrevAnswers: "kf_prev_answers", Children: "kf_children",
		ChildAnswers: "kf_child_answers", ItemScores: "item_scores", ScoreTotals: "score_totals", RunID: runID}
	answers := scoreLevelAnswersSQL
	if amend {
		// Only the roll-ups scored again (the others' rows are kept).
		rel.Rollups = map[string]bool{}
		for _, it := range shared {
			rel.Rollups[it.ID] = true
		}
		// Only the answers of the scope, and those the items scored again for every peer read.
		answers = `SELECT * FROM (` + answers + `) WHERE entity_code IN (SELECT entity_code FROM kf_scope) OR item_id IN (SELECT item_id FROM kf_needed)`
	}
	// Of the answers of the year before only those the change rules read.
	steps := []scoreStep{{"previous items", `CREATE OR REPLACE TEMP TABLE kf_prev_items (item_id VARCHAR)`, nil}}
	for _, id := range rb.PrevAnswerItems() {
		steps = append(steps, scoreStep{"previous items", `INSERT INTO kf_prev_items VALUES (?)`, []any{id}})
	}
	steps = append(steps, []scoreStep{
		{"answers", `CREATE OR REPLACE TEMP TABLE kf_answers AS ` + answers, []any{fy, lv}},
		{"previous answers", `CREATE OR REPLACE TEMP TABLE kf_prev_answers AS SELECT * FROM (` + answers + `) WHERE item_id IN (SELECT item_id FROM kf_prev_items)`, []any{fy - 1, lv}},
		{"values", `CREATE OR REPLACE TEMP TABLE kf_values AS ` + rb.ValuesSQL(rel), nil},
	}...)
	if err := c.run(append(steps, itemScores...)...); err != nil {
		return ls, err
	}
	// When amending, the item rows removed and those computed again in their place, counted.
	var removed, inserted int64
	if amend {
		if err := c.runCounting(&removed, scoreStep{"replaced item scores removed", amendDeleteItemsSQL, nil}); err != nil {
			return ls, err
		}
		if err := c.runCounting(&inserted, amendInserts...); err != nil {
			return ls, err
		}
	}

	again := map[string]bool{} // when amending, the items scored again for every peer
	for _, it := range shared {
		again[it.ID] = true
	}
	for _, it := range rb.DependencyOrder() {
		if amend && !again[it.ID] {
			continue // kept as it was, or an own item (none of which is derived or has prerequisites)
		}
		if it.Rule.Type == indicators.RuleAllOf {
			if err := c.runCounting(&inserted, scoreStep{"derived item " + it.ID, insertItemScores + rb.DerivedSQL(it, "kf_peers", "item_scores", runID) + ")", []any{runID}}); err != nil {
				return ls, err
			}
		}
		if it.RanksAfterPrerequisites() {
			if err := c.runCounting(&inserted, scoreStep{"rank item " + it.ID + " after its prerequisites", insertItemScores + rb.RankAfterPrerequisitesSQL(it, "kf_peers", "kf_values", "item_scores", runID) + ")", []any{runID}}); err != nil {
				return ls, err
			}
		}
		if len(it.Requires) > 0 {
			if _, err := c.exec(rb.PrerequisiteSQL(it, "item_scores", runID)); err != nil {
				return ls, fmt.Errorf("prerequisites of %s: %w", it.ID, err)
			}
		}
	}
	if amend {
		// The rows computed again stand in for the rows they replaced, key for key (the same peers
		// and rulebook give every peer the same items), which score_changed.sql relies on.
		if inserted != removed {
			return ls, fmt.Errorf("amended run %d: %d item rows of the level computed again in place of %d", runID, inserted, removed)
		}
	}
	// The entities aggregated: every peer, or when amending those whose item rows changed (their
	// indicator, goal and grant rows are replaced).
	igs, goals, grants, totals := indicatorGrantScoresSQL, goalScoresSQL, grantScoresSQL, scoreTotalsSQL
	aggregate := []scoreStep{{"aggregated entities", `CREATE OR REPLACE TEMP TABLE kf_agg AS SELECT entity_code FROM kf_peers`, nil}}
	if amend {
		// scores has no key: its rows are replaced; the others' rows are updated (DuckDB refuses a
		// key deleted and inserted again in one transaction).
		igs, goals, grants, totals = amendIndicatorGrantScoresSQL, amendGoalScoresSQL, amendGrantScoresSQL, amendScoreTotalsSQL
		aggregate = []scoreStep{{"entities whose item points changed", scoreChangedSQL, []any{runID}},
			{"replaced indicator scores removed", `DELETE FROM scores WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM kf_agg)`, []any{runID}}}
	}
	perEntity := []scoreStep{
		{"indicator scores", scoreIndicatorsSQL, []any{runID, rb.Hash, rb.Hash, runID}},
		{"indicator points per grant", igs, []any{runID, rb.Hash, rb.Hash, runID}},
		{"goal scores", goals, []any{runID, runID}},
		{"grant scores", grants, []any{runID, runID}},
	}
	if slices == 1 {
		aggregate = append(aggregate, perEntity...)
	} else {
		aggregate = nil
		for k := range slices {
			aggregate = append(append(aggregate, scoreStep{"slice", scoreSliceSQL, []any{k}}), perEntity...)
		}
	}
	err := c.run(append(aggregate, scoreStep{"totals", totals, []any{lv, fy, runID}})...)
	if err != nil {
		return ls, err
	}
	if amend {
		// The roll-ups over this level read its results, and the answers of the scope.
		var agg int
		if err := c.queryRow(`SELECT count(*) FROM kf_agg`).Scan(&agg); err != nil {
			return ls, err
		}
		moved[rb.Level] = scope > 0 || agg > 0
	}
	return ls, summary()
}

// runCounting runs steps as run does and adds the rows each changed to n.
func (c *txConn) runCounting(n *int64, steps ...scoreStep) error {
	for _, st := range steps {
		res, err := c.exec(st.sql, st.args...)
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		*n += k
	}
	return nil
}

// affected returns the items of rb whose points may have changed since the run amended
// (indicators.Rulebook.ItemsAffected) — own for the entities whose inputs changed, shared for
// every peer — from the answers that differ (kf_dirty_items) of the level's peers (kf_peers) and
// whether the levels below moved. When a peer's survey was submitted or withdrawn, every item.
//
// answers gets the ids of the answers that differ of the level ("" for a survey submitted or
// withdrawn), which the mean_value roll-ups over it read.
func (c *txConn) affected(rb *indicators.Rulebook, moved map[indicators.Level]bool, answers map[indicators.Level]map[string]bool) (own, shared []*indicators.Item, err error) {
	rows, err := c.conn.QueryContext(c.ctx, `SELECT DISTINCT item_id FROM kf_dirty_items WHERE entity_code IN (SELECT entity_code FROM kf_peers)`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	changed, presence := map[string]bool{}, false
	for rows.Next() {
		var id sql.NullString
		if err := rows.Scan(&id); err != nil {
			return nil, nil, err
		}
		changed[id.String] = true
		presence = presence || !id.Valid
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if presence {
		answers[rb.Level] = map[string]bool{"": true}
		return rb.OwnItems(), rb.SharedItems(), nil
	}
	answers[rb.Level] = changed
	own, shared = rb.ItemsAffected(changed, func(l indicators.Level) bool {
		m, scored := moved[l]
		return m || !scored
	}, func(l indicators.Level, item string) bool {
		ids, scored := answers[l]
		return ids[item] || ids[""] || !scored
	})
	return own, shared, nil
}

// levelSummary reads a level's counts and means in run runID; the level's item rows from itemRows
// when it is not nil (an amended run: see itemRowsByLevel).
func (c *txConn) levelSummary(runID int64, lv string, ls *LevelSummary, itemRows map[string]int64) error {
	// The means are exact quotients (kf_div6, kf_div9), turned into float64 only for the summary line.
	err := c.queryRow(`SELECT count(*), count(*) FILTER (WHERE submitted), coalesce(CAST(kf_div6(sum(total), count(*)) AS DOUBLE), 0),
			coalesce(CAST(kf_div9(sum(rate), count(*)) AS DOUBLE), 0), coalesce(max(CAST(max_total AS DOUBLE)), 0)
		FROM score_totals WHERE run_id = ? AND level = ?`, runID, lv).Scan(&ls.Entities, &ls.Submitted, &ls.MeanTotal, &ls.MeanRate, &ls.MaxTotal)
	if err != nil || itemRows != nil {
		ls.ItemScores = int(itemRows[lv])
		return err
	}
	return c.queryRow(`SELECT count(*) FROM item_scores WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM kf_peers)`, runID).Scan(&ls.ItemScores)
}

// itemRowCache keeps the item rows by level of score runs. A succeeded run's rows change only in a
// rehearsal, where amending it keeps their number (scoreLevel checks), so the count stands for the
// life of the process: the dry runs and previews that amend a run (a what-if reads no summary:
// AmendResults) pay for it once.
type itemRowCache struct {
	mu sync.Mutex
	m  map[int64]map[string]int64
}

// get returns run's item rows by level, counted in c the first time. A rehearsal's own runs (ids
// from rehearsalIDOffset up, which the next rehearsal hands out again) are counted every time.
func (ic *itemRowCache) get(c *txConn, run int64) (map[string]int64, error) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	if n, ok := ic.m[run]; ok {
		return n, nil
	}
	n, err := c.itemRowsByLevel(run)
	if err != nil || run >= rehearsalIDOffset {
		return n, err
	}
	if ic.m == nil {
		ic.m = map[int64]map[string]int64{}
	}
	ic.m[run] = n
	return n, nil
}

// itemRowsByLevel counts run's item rows by the level of their entity (score_totals has a row for
// every entity scored), in one pass.
func (c *txConn) itemRowsByLevel(run int64) (map[string]int64, error) {
	rows, err := c.conn.QueryContext(c.ctx, `SELECT t.level, count(*) FROM item_scores i JOIN score_totals t ON t.run_id = i.run_id AND t.entity_code = i.entity_code
		WHERE i.run_id = ? GROUP BY t.level`, run)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var lv string
		var n int64
		if err := rows.Scan(&lv, &n); err != nil {
			return nil, err
		}
		out[lv] = n
	}
	return out, rows.Err()
}

// itemRowsPerSlice is about how many item rows a score run scores and aggregates at a time
// (scoreLevel): a level with more (peers × items) is scored in slices of peers. The indicator
// scores' GROUP BY keeps its groups' reason texts in memory DuckDB cannot spill, so a statement's
// memory follows its item rows; a slice costs a few statements more. One Japan's largest level
// (5,310 centres × 47 items) is one slice; at 100 Japans the 531,000 centres are 50 slices and the
// 174,100 municipalities (98 items) 35.
const itemRowsPerSlice = 500_000

// sliceSize is how many peers of a level of rb a score run scores at a time: itemRowsPerSlice
// worth, or what a test set (SliceEvery).
func (s *Store) sliceSize(rb *indicators.Rulebook) int {
	if s.entitiesPerSlice > 0 {
		return s.entitiesPerSlice
	}
	return max(1, itemRowsPerSlice/max(1, len(rb.Items())))
}

// inSlice is relation rel (kf_peers, kf_values) of the peers of the current slice (kf_agg).
func inSlice(rel string) string {
	return "(SELECT * FROM " + rel + " WHERE entity_code IN (SELECT entity_code FROM kf_agg))"
}

// scoreSlicesSQL numbers the peers' slices (arg: peers per slice), in the order of their codes;
// scoreSliceSQL makes one (arg: its number) the entities aggregated (kf_agg).
const (
	scoreSlicesSQL = `CREATE OR REPLACE TEMP TABLE kf_slices AS
	SELECT entity_code, (row_number() OVER (ORDER BY entity_code) - 1) // CAST(? AS BIGINT) AS slice FROM kf_peers`
	scoreSliceSQL = `CREATE OR REPLACE TEMP TABLE kf_agg AS SELECT entity_code FROM kf_slices WHERE slice = ?`
)

// itemsPerStatement is how many items one statement scores (indicators.Rulebook.ItemScoresSQLs).
var itemsPerStatement = envInt("KF_CHUNK", 0)

func envInt(k string, d int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return d
}

// insertItemScores stores the rows of a compiled item-score query, closed by ")", under the run id
// (its one arg).
const insertItemScores = `INSERT INTO item_scores SELECT CAST(? AS BIGINT), * FROM (`

// changedInputsSQL lists, when amending run (arg), the submissions read now (kf_inputs) and not by
// the run (added) or the other way round.
const changedInputsSQL = `CREATE OR REPLACE TEMP TABLE kf_changed_inputs AS
	SELECT id, TRUE AS added FROM (SELECT id FROM kf_inputs EXCEPT SELECT submission_id FROM run_inputs WHERE run_id = $1)
	UNION ALL
	SELECT id, FALSE FROM (SELECT submission_id AS id FROM run_inputs WHERE run_id = $1 EXCEPT SELECT id FROM kf_inputs)`

// amendOldItemsSQL keeps, when amending, the item rows of a run that are computed again: the own
// items whose inputs may have changed (kf_own_again) of the entities whose inputs changed
// (kf_scope), and the items not their entity's own whose inputs may have changed, of every peer
// (kf_shared), with their row ids. amendDeleteItemsSQL removes those rows by row id: nothing
// writes item_scores between the two (scoreLevel), and matching row ids instead of evaluating the
// condition again over the run's rows took the delete from 12-15 ms to 2-3 ms on the nation.
// Arg of amendOldItemsSQL: run id.
const (
	amendOldItemsSQL = `CREATE OR REPLACE TEMP TABLE kf_old_items AS
	SELECT rowid AS kf_rowid, entity_code, item_id, points, max_points, status, reason, rank_no, rank_of FROM item_scores
	WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM kf_peers)
	  AND ((entity_code IN (SELECT entity_code FROM kf_scope) AND item_id IN (SELECT item_id FROM kf_own_again)) OR item_id IN (SELECT item_id FROM kf_shared))`
	amendDeleteItemsSQL = `DELETE FROM item_scores WHERE rowid IN (SELECT kf_rowid FROM kf_old_items)`
)

// The steps of a score run (what each does and its args at the top of its file).
var (
	scoreDirtySQL           = query("score_dirty.sql")
	scoreChangedSQL         = query("score_changed.sql")
	scoreInputsSQL          = query("score_inputs.sql")
	scoreChildrenSQL        = query("score_children.sql")
	scoreChildAnswersSQL    = query("score_child_answers.sql")
	scorePeersSQL           = query("score_peers.sql")
	scoreLevelAnswersSQL    = query("score_level_answers.sql")
	scoreIndicatorsSQL      = query("score_indicators.sql")
	indicatorGrantScoresSQL = "INSERT INTO indicator_grant_scores " + query("score_indicator_grants.sql")
	goalScoresSQL           = "INSERT INTO goal_scores " + query("score_goals.sql")
	grantScoresSQL          = "INSERT INTO grant_scores " + query("score_grants.sql")
	scoreTotalsSQL          = "INSERT INTO score_totals " + query("score_totals.sql")

	// When amending a run: the same rows update the rows with their keys (every key of the level
	// is there before and after: the same peers and rulebook).
	amendIndicatorGrantScoresSQL = `UPDATE indicator_grant_scores AS t SET points = n.points, max_points = n.max_points FROM (` +
		query("score_indicator_grants.sql") + `) n WHERE t.run_id = n.run_id AND t.entity_code = n.entity_code AND t.indicator_id = n.indicator_id AND t.grant_id = n.grant_id`
	amendGoalScoresSQL = `UPDATE goal_scores AS t SET points = n.points, max_points = n.max_points FROM (` +
		query("score_goals.sql") + `) n WHERE t.run_id = n.run_id AND t.entity_code = n.entity_code AND t.goal_id = n.goal_id AND t.grant_id = n.grant_id`
	amendGrantScoresSQL = `UPDATE grant_scores AS t SET points = n.points, max_points = n.max_points FROM (` +
		query("score_grants.sql") + `) n WHERE t.run_id = n.run_id AND t.entity_code = n.entity_code AND t.grant_id = n.grant_id`
	amendScoreTotalsSQL = `UPDATE score_totals AS t SET total = n.total, max_total = n.max_total, rate = n.rate, national_rank = n.national_rank, submitted = n.submitted FROM (` +
		query("score_totals.sql") + `) n WHERE t.run_id = n.run_id AND t.entity_code = n.entity_code`
)
