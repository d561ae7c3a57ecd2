package indicators

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Item status codes written with every item score. They keep apart what a published 0 cannot:
// not done, requirement not met, not answered, not applicable.
const (
	StatusMet        = "met"        // 達成: the item scored (or, for a penalty, applied)
	StatusNotDone    = "not_done"   // 未実施: answered no
	StatusNotMet     = "not_met"    // 要件未達: a value in a 0-point band, or a prerequisite not met
	StatusUnanswered = "unanswered" // 未回答: blank, no value or no submission
	StatusNA         = "na"         // 対象外: leaves the denominator of 得点率
	StatusPartial    = "partial"    // 一部達成 (indicator level only)
)

// StatusLabelJA gives the Japanese label of a status code.
func StatusLabelJA(s string) string {
	switch s {
	case StatusMet:
		return "達成"
	case StatusNotDone:
		return "未実施"
	case StatusNotMet:
		return "要件未達"
	case StatusUnanswered:
		return "未回答"
	case StatusNA:
		return "対象外"
	case StatusPartial:
		return "一部達成"
	}
	return s
}

// PointsType is the SQL type of every points column: exact decimals, two places.
const PointsType = "DECIMAL(9,2)"

// ValueType is the SQL type of every value an item is scored on (answers, ministry values, changes,
// roll-ups): exact decimals, six places. Numbers are never DOUBLE where they are scored or compared;
// quotients are taken with the store's kf_div2/kf_div6/kf_div9 macros (exact, rounded half away from
// zero), since DuckDB divides DECIMALs in binary floating point.
const ValueType = "DECIMAL(18,6)"

// RateType is the SQL type of 得点率 (score_totals.rate): total ÷ max_total to nine places.
const RateType = "DECIMAL(18,9)"

// Relations names what the compiled SQL reads. The store creates them (as temporary tables) for one
// fiscal year and level before running the SQL; the names are inserted as written.
type Relations struct {
	// Peers: entity_code, prefecture_code, size_band, submitted — the entities of the level valid in
	// the year; submitted is true for an entity with a current survey of the year.
	Peers string
	// Answers: entity_code, item_id, value_num, value_text — current answers of the level and the
	// ministry for the year; PrevAnswers the same for the previous fiscal year.
	Answers     string
	PrevAnswers string
	// Children: code, level, parent_code, prefecture_code — entities of the child levels valid in
	// the year; ChildAnswers their current answers (entity_code, item_id, value_num, value_text).
	Children     string
	ChildAnswers string
	// ItemScores and ScoreTotals are the store's tables; RunID selects this run's rows (children
	// are scored before their parents in the same run).
	ItemScores  string
	ScoreTotals string
	RunID       int64
	// Rollups, when not nil, are the only roll-ups whose values are computed (an incremental score
	// run: the others' item rows are kept, and nothing else reads a roll-up's value).
	Rollups map[string]bool
}

// ValuesSQL compiles the values the items are scored on: answers as given, previous-year changes
// and roll-ups, as rows (entity_code, item_id, value_num, value_text), value_num of ValueType. A row
// whose value_text is NULL is a blank; an item with no row has no value. A change is the exact
// difference of the two decimals (32.3 − 31.8 = 0.5). With "unsubmitted": "zero" an entity without a
// current survey has no value at all (its ministry and roll-up values are not scored).
func (rb *Rulebook) ValuesSQL(r Relations) string {
	var parts []string
	var change []string
	for _, it := range rb.Items() {
		if it.Rule.Value == "change" && it.Rule.CurrentItem == "" {
			change = append(change, lit(it.ID))
		}
	}
	plain := fmt.Sprintf("SELECT entity_code, item_id, CAST(value_num AS %s) AS value_num, value_text FROM %s", ValueType, r.Answers)
	if len(change) > 0 {
		plain += " WHERE item_id NOT IN (" + strings.Join(change, ", ") + ")"
	}
	parts = append(parts, plain)
	for _, it := range rb.Items() {
		switch {
		case it.Rule.Value == "change":
			parts = append(parts, fmt.Sprintf(`SELECT c.entity_code, %[1]s, CAST(c.value_num - p.value_num AS %[6]s),
  CASE WHEN c.value_text IS NULL THEN NULL
       WHEN p.value_num IS NULL THEN '前年度の値なし（今年度 ' || c.value_text || '）'
       ELSE '今年度 ' || c.value_text || ' − 前年度 ' || p.value_text || ' = ' || kf_num(CAST(c.value_num - p.value_num AS %[6]s)) END
FROM %[2]s c LEFT JOIN %[3]s p ON p.entity_code = c.entity_code AND p.item_id = %[4]s
WHERE c.item_id = %[5]s`, lit(it.ID), r.Answers, r.PrevAnswers, lit(it.Rule.PreviousOf(it.ID)), lit(it.Rule.CurrentOf(it.ID)), ValueType))
		case it.Source == SourceRollup && (r.Rollups == nil || r.Rollups[it.ID]):
			parts = append(parts, rb.rollupSQL(it, r))
		}
	}
	all := strings.Join(parts, "\nUNION ALL\n")
	if !rb.ScoresUnsubmitted() {
		all = fmt.Sprintf("SELECT * FROM (\n%s\n) v WHERE v.entity_code IN (SELECT entity_code FROM %s WHERE submitted)", all, r.Peers)
	}
	return all
}

// ChildAnswerItems returns the ids of the child levels' items whose answers the roll-ups of rb read
// from Relations.ChildAnswers (mean_value), each once, in rulebook order: the only child answers
// ValuesSQL reads.
func (rb *Rulebook) ChildAnswerItems() []string {
	var out []string
	seen := map[string]bool{}
	for _, it := range rb.Items() {
		if it.Source == SourceRollup && it.Rollup != nil && it.Rollup.Measure == MeasureMeanValue && !seen[it.Rollup.Item] {
			seen[it.Rollup.Item] = true
			out = append(out, it.Rollup.Item)
		}
	}
	return out
}

// PrevAnswerItems returns the ids of the items whose answers of the year before ValuesSQL reads
// from Relations.PrevAnswers (the previous values of change rules), each once, in rulebook order.
func (rb *Rulebook) PrevAnswerItems() []string {
	var out []string
	seen := map[string]bool{}
	for _, it := range rb.Items() {
		if id := it.Rule.PreviousOf(it.ID); it.Rule.Value == "change" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// childOf is the join condition of a child c of peer p.
func childOf(rb *Rulebook) string {
	if rb.Level == Prefecture {
		return "c.prefecture_code = p.prefecture_code"
	}
	return "c.parent_code = p.entity_code"
}

// rollupSQL compiles a roll-up item's values: one row per peer, from its children's results of the
// same run. Every value is exact (ValueType): shares and means are quotients rounded half away from
// zero to 6 places (kf_div6); count_low compares each child's 得点率 with mean − k·SD exactly, on
// integers (see countLowSQL).
func (rb *Rulebook) rollupSQL(it *Item, r Relations) string {
	ru := it.Rollup
	kids := fmt.Sprintf("(SELECT * FROM %s WHERE level = %s)", r.Children, lit(string(ru.Level)))
	noun := "市町村"
	if ru.Level == Centre {
		noun = "センター"
	}
	switch ru.Measure {
	case MeasureShareRate:
		// t.rate is exact (RateType): 0.29 × 100 ≥ 29 holds.
		share := fmt.Sprintf("kf_div6(100 * count(c.code) FILTER (WHERE t.rate * 100 >= %[1]s), count(c.code))", num(ru.RateAtLeast))
		return fmt.Sprintf(`SELECT p.entity_code, %[1]s, CAST(%[10]s AS %[11]s),
  CASE WHEN count(c.code) = 0 THEN NULL ELSE kf_num(round(%[10]s, 1))
    || %[9]s || '（管内%[7]s' || count(c.code) || 'のうち得点率%[2]s%%以上が' || count(c.code) FILTER (WHERE t.rate * 100 >= %[2]s) || '）' END
FROM %[3]s p LEFT JOIN %[4]s c ON %[5]s
LEFT JOIN %[6]s t ON t.run_id = %[8]d AND t.entity_code = c.code
GROUP BY p.entity_code`, lit(it.ID), num(ru.RateAtLeast), r.Peers, kids, childOf(rb), r.ScoreTotals, noun, r.RunID, lit(it.Unit), share, ValueType)
	case MeasureShareMet:
		share := "kf_div6(100 * count(c.code) FILTER (WHERE s.status = 'met'), count(c.code))"
		return fmt.Sprintf(`SELECT p.entity_code, %[1]s, CAST(%[11]s AS %[12]s),
  CASE WHEN count(c.code) = 0 THEN NULL ELSE kf_num(round(%[11]s, 1))
    || %[10]s || '（管内%[7]s' || count(c.code) || 'のうち項目%[8]sを達成したもの' || count(c.code) FILTER (WHERE s.status = 'met') || '）' END
FROM %[2]s p LEFT JOIN %[3]s c ON %[4]s
LEFT JOIN %[5]s s ON s.run_id = %[6]d AND s.entity_code = c.code AND s.item_id = %[9]s
GROUP BY p.entity_code`, lit(it.ID), r.Peers, kids, childOf(rb), r.ItemScores, r.RunID, noun, strings.ReplaceAll(ru.Item, "'", ""), lit(ru.Item), lit(it.Unit), share, ValueType)
	case MeasureMeanRate:
		mean := "kf_div6(100 * sum(t.rate), count(t.rate))"
		return fmt.Sprintf(`SELECT p.entity_code, %[1]s, CAST(%[9]s AS %[10]s),
  CASE WHEN count(t.rate) = 0 THEN NULL ELSE kf_num(round(%[9]s, 1)) || %[8]s || '（管内%[6]s' || count(t.rate) || 'の平均得点率）' END
FROM %[2]s p LEFT JOIN %[3]s c ON %[4]s
LEFT JOIN %[5]s t ON t.run_id = %[7]d AND t.entity_code = c.code
GROUP BY p.entity_code`, lit(it.ID), r.Peers, kids, childOf(rb), r.ScoreTotals, noun, r.RunID, lit(it.Unit), mean, ValueType)
	case MeasureMeanValue:
		mean := "kf_div6(sum(a.value_num), count(a.value_num))"
		return fmt.Sprintf(`SELECT p.entity_code, %[1]s, CAST(%[9]s AS %[10]s),
  CASE WHEN count(a.value_num) = 0 THEN NULL ELSE kf_num(round(%[9]s, 2)) || %[8]s || '（管内%[6]s' || count(a.value_num) || 'の平均）' END
FROM %[2]s p LEFT JOIN %[3]s c ON %[4]s
LEFT JOIN %[5]s a ON a.entity_code = c.code AND a.item_id = %[7]s
GROUP BY p.entity_code`, lit(it.ID), r.Peers, kids, childOf(rb), r.ChildAnswers, noun, lit(ru.Item), lit(it.Unit), mean, ValueType)
	case MeasureCountLow:
		return rb.countLowSQL(it, r, kids, noun)
	}
	return ""
}

// countLowSQL compiles a count_low roll-up: the number of the peer's children whose 得点率 r is
// below m − k·SD, where m and SD are the mean and standard deviation of the 得点率 of every child of
// the level in the nation scored in the run (submitted or not). The test is exact, on the rates as
// integers R = r·10⁹ with n children, S = ΣR, Q = ΣR² and k = K/10^d:
//
//	population SD: S − n·R > 0 and 10^2d·(S − n·R)²         > K²·(n·Q − S²)
//	sample SD:     S − n·R > 0 and 10^2d·(n − 1)·(S − n·R)² > K²·n·(n·Q − S²)
//
// (r < m − k·SD ⇔ m − r > k·SD, squared). The mean, SD and threshold in the reason are for reading
// only (one decimal of a percent; the SD through a square root in floating point).
func (rb *Rulebook) countLowSQL(it *Item, r Relations, kids, noun string) string {
	ru := it.Rollup
	K, d, _ := sdFactor(ru)
	k := num(float64(K) / pow10(d))
	p2d := fmt.Sprintf("CAST(%d AS HUGEINT)", int64(pow10(2*d)))
	gap := "(st.s - st.n * t.r9)"
	var low, sdLabel, variance string
	if ru.SDKindOf() == SDSample {
		low = fmt.Sprintf("%[1]s > 0 AND %[2]s * (st.n - 1) * %[1]s * %[1]s > %[3]d * st.n * (st.n * st.q - st.s * st.s)", gap, p2d, K*K)
		sdLabel, variance = "標準偏差（標本）", "(st.n * st.q - st.s * st.s) / (st.n * (st.n - 1))"
	} else {
		low = fmt.Sprintf("%[1]s > 0 AND %[2]s * %[1]s * %[1]s > %[3]d * (st.n * st.q - st.s * st.s)", gap, p2d, K*K)
		sdLabel, variance = "標準偏差", "(st.n * st.q - st.s * st.s) / (st.n * st.n)"
	}
	// For the reason only: SD = √variance / 10⁹ in DOUBLE (0 when n < 2 for the sample SD).
	sd := fmt.Sprintf("CASE WHEN st.n < 2 THEN 0 ELSE sqrt(greatest(CAST(%s AS DOUBLE), 0)) / 1e9 END", variance)
	// The statistics of the children of the level in the nation (st) once, for the test and the text.
	// R (r9) is taken once per child (kf_r9), not in each place the sums and the test name it: each
	// kf_int9 is a 128-bit division in DuckDB 1.1, and the test names R three times. The test reads
	// the children only (kf_r9 joins them), as st does: the other levels' totals of the run (the
	// nation's 5,310 centres beside its 1,741 municipalities) never met a child.
	return fmt.Sprintf(`SELECT * FROM (WITH kf_r9 AS MATERIALIZED (SELECT t2.entity_code, kf_int9(t2.rate) AS r9
      FROM %[7]s t2 JOIN %[4]s c2 ON c2.code = t2.entity_code WHERE t2.run_id = %[8]d),
  st AS MATERIALIZED (SELECT n, s, q, kf_div9(s, n * 1000000000) AS m, %[10]s AS sd
    FROM (SELECT count(*) AS n, sum(r9) AS s, sum(r9 * r9) AS q FROM kf_r9) st)
SELECT p.entity_code, %[1]s, CAST(count(c.code) FILTER (WHERE l.low) AS %[11]s),
  count(c.code) FILTER (WHERE l.low) || %[9]s || '（得点率が全国平均' || kf_num(round(100 * st.m, 1)) || '%% − %[2]s×%[12]s'
    || kf_num(round(100 * st.sd, 1)) || '%% = ' || kf_num(round(100 * (CAST(st.m AS DOUBLE) - %[2]s * st.sd), 1)) || '%%未満の%[6]s数）'
FROM %[3]s p LEFT JOIN %[4]s c ON %[5]s
LEFT JOIN (SELECT t.entity_code, %[13]s AS low FROM kf_r9 t CROSS JOIN st) l ON l.entity_code = c.code
CROSS JOIN st
GROUP BY p.entity_code, st.m, st.sd)`, lit(it.ID), k, r.Peers, kids, childOf(rb), noun, r.ScoreTotals, r.RunID, lit(it.Unit), sd, ValueType, sdLabel, low)
}

// pow10 returns 10^d for a small d.
func pow10(d int) float64 {
	p := 1.0
	for range d {
		p *= 10
	}
	return p
}

// ItemScoresSQL compiles the items that are scored from values (every type but all_of, and but the
// rank items that leave out entities whose prerequisites are not met: RankAfterPrerequisitesSQL) to
// one DuckDB query yielding (entity_code, item_id, points, max_points, status, reason, rank_no,
// rank_of) for every peer and item. values is a relation of ValuesSQL's shape. Rank items are the
// second pass: they need the distribution over the peer set, which the window functions give.
func (rb *Rulebook) ItemScoresSQL(peers, values string) string {
	return rb.itemScoresSQL(withPeersAndValues(peers, values), false, rb.scoredItems())[0]
}

// ItemScoresSQLs is ItemScoresSQL in parts of at most per items each: DuckDB plans a union of
// many queries in time that grows faster than their number, so that a few smaller statements are
// planned and run sooner than one.
func (rb *Rulebook) ItemScoresSQLs(peers, values string, per int) []string {
	return rb.itemScoresSQLs(withPeersAndValues(peers, values), false, per)
}

// ItemScoresSQLsSplit is ItemScoresSQLs in two sets of statements: ranked, the rank items over
// peers and values (the whole peer set: a rank is taken over it), and unranked, every other item
// over slicePeers and sliceValues — a part of peers and its values, so that a large level can be
// scored a slice of its peers at a time. The statements of every slice and ranked together give
// the rows of ItemScoresSQL.
func (rb *Rulebook) ItemScoresSQLsSplit(peers, values, slicePeers, sliceValues string, per int) (ranked, unranked []string) {
	var rk, un []*Item
	for _, it := range rb.scoredItems() {
		if it.Rule.Type == RuleRank {
			rk = append(rk, it)
		} else {
			un = append(un, it)
		}
	}
	return chunkItemScoresSQL(rb, withPeersAndValues(peers, values), rk, per), chunkItemScoresSQL(rb, withPeersAndValues(slicePeers, sliceValues), un, per)
}

// chunkItemScoresSQL is itemScoresSQL (not scoped) of items in statements of at most per items
// each (all in one when per <= 0); none when there are no items.
func chunkItemScoresSQL(rb *Rulebook, with string, items []*Item, per int) []string {
	var out []string
	for len(items) > 0 {
		n := len(items)
		if per > 0 {
			n = min(per, n)
		}
		out = append(out, rb.itemScoresSQL(with, false, items[:n])...)
		items = items[n:]
	}
	return out
}

// scoredItems are the items ItemScoresSQL scores.
func (rb *Rulebook) scoredItems() []*Item {
	var out []*Item
	for _, it := range rb.Items() {
		if it.Rule.Type != RuleAllOf && !it.RanksAfterPrerequisites() {
			out = append(out, it)
		}
	}
	return out
}

func (rb *Rulebook) itemScoresSQLs(with string, scoped bool, per int) []string {
	return rb.itemsSQLs(with, scoped, rb.scoredItems(), per)
}

// itemsSQLs is itemScoresSQL of items in parts of at most per items each.
func (rb *Rulebook) itemsSQLs(with string, scoped bool, items []*Item, per int) []string {
	if per <= 0 || len(items) == 0 {
		return rb.itemScoresSQL(with, scoped, items)
	}
	var out []string
	for len(items) > 0 {
		n := min(per, len(items))
		out = append(out, rb.itemScoresSQL(with, scoped, items[:n])...)
		items = items[n:]
	}
	return out
}

// ItemScoresSQLsScoped is ItemScoresSQLs for an incremental score run: of the items that are the
// entity's own (Item.Own) those in own, only for the peers in scopePeers (a part of peers) with
// their values scopeValues (the same part of values), and of the others those in shared, for every
// peer. The other rows are the same as in a run on the same values and are kept from one (see the
// store's incremental score run and ItemsAffected). Parts of at most per items each (see
// ItemScoresSQLs).
func (rb *Rulebook) ItemScoresSQLsScoped(peers, values, scopePeers, scopeValues string, own, shared []*Item, per int) []string {
	with := withPeersAndValues(peers, values) + fmt.Sprintf(",\nd AS (SELECT entity_code, prefecture_code, size_band, submitted FROM %s),\nad AS (SELECT entity_code, item_id, value_num, value_text FROM %s)\n", scopePeers, scopeValues)
	keep := map[string]bool{}
	for _, it := range append(append([]*Item{}, own...), shared...) {
		keep[it.ID] = true
	}
	var items []*Item
	for _, it := range rb.scoredItems() {
		if keep[it.ID] {
			items = append(items, it)
		}
	}
	return rb.itemsSQLs(with, true, items, per)
}

// itemScoresSQL is the one query scoring items (see ItemScoresSQL).
func (rb *Rulebook) itemScoresSQL(with string, scoped bool, items []*Item) []string {
	var b strings.Builder
	b.WriteString(with)
	first := true
	// The items in two queries (compileItems): those computed for every peer, and when scoped the
	// own items only for the scope.
	var all, own []*Item
	for _, it := range items {
		if scoped && it.Own() {
			own = append(own, it)
		} else {
			all = append(all, it)
		}
	}
	for _, part := range []struct {
		items         []*Item
		peers, values string
	}{{all, "p", "a"}, {own, "d p", "ad a"}} {
		if len(part.items) == 0 {
			continue
		}
		if !first {
			b.WriteString("UNION ALL\n")
		}
		first = false
		b.WriteString(rb.compileItems(part.items, part.peers, part.values))
	}
	if first {
		b.WriteString("SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE FALSE\n")
	}
	return []string{b.String()}
}

// ItemsAffected returns, in rulebook order, the items whose points may differ for some entity of
// the level when the answers to the item ids in changed differ (of the year or the year before, of
// any entity of the level, the ministry's values included) and the results of the levels for which
// moved reports true may differ (and of those levels the answers for which answered reports true)
// — nothing else of the level having changed (no entity's survey
// submitted or withdrawn, the same peers): own holds those that are their entity's own (Item.Own;
// their points can differ only for the entities whose answers did), shared the others (their
// points can differ for any peer). Such an item is one
//   - whose value reads one of those answers: its own id, or the current and previous items of a
//     change (Rule.CurrentOf, Rule.PreviousOf);
//   - a roll-up over a level that moved (a mean_value roll-up: over the answers to its item that
//     changed);
//   - or one that depends on such an item: the parts of an all_of item, its prerequisites, the
//     items of its rule (Item.deps).
//
// The others are scored for every entity as they were (an incremental score run keeps their rows).
func (rb *Rulebook) ItemsAffected(changed map[string]bool, moved func(Level) bool, answered func(Level, string) bool) (own, shared []*Item) {
	affected := map[string]bool{}
	for _, it := range rb.DependencyOrder() { // every item after the items it depends on
		a := changed[it.ID] || changed[it.Rule.CurrentOf(it.ID)] || changed[it.Rule.PreviousOf(it.ID)]
		if ru := it.Rollup; it.Source == SourceRollup {
			switch {
			case ru == nil:
				a = true
			case ru.Measure == MeasureMeanValue: // the children's answers, not their results
				a = a || answered(ru.Level, ru.Item)
			default:
				a = a || moved(ru.Level)
			}
		}
		for _, d := range it.deps() {
			if rb.items[d] != nil {
				a = a || affected[d]
			} else {
				a = a || changed[d] // not an item of the rulebook: read as an answer
			}
		}
		affected[it.ID] = a
	}
	for _, it := range rb.Items() {
		switch {
		case !affected[it.ID]:
		case it.Own():
			own = append(own, it)
		default:
			shared = append(shared, it)
		}
	}
	return own, shared
}

// SharedItems returns, in rulebook order, the items that are not their entity's own (Item.Own):
// the shared items ItemsAffected returns when anything may have changed.
func (rb *Rulebook) SharedItems() []*Item {
	return rb.itemsWhere(func(it *Item) bool { return !it.Own() })
}

// OwnItems returns, in rulebook order, the items that are their entity's own (Item.Own).
func (rb *Rulebook) OwnItems() []*Item {
	return rb.itemsWhere((*Item).Own)
}

func (rb *Rulebook) itemsWhere(keep func(*Item) bool) []*Item {
	var out []*Item
	for _, it := range rb.Items() {
		if keep(it) {
			out = append(out, it)
		}
	}
	return out
}

// ItemIDsSQL is a query of the ids (item_id) of items, e.g. SELECT * FROM (VALUES ('P1-5-a'),
// ('S1-7-a')) t(item_id).
func ItemIDsSQL(items []*Item) string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return IDsSQL(ids)
}

// IDsSQL is a query of ids (item_id), in the order given.
func IDsSQL(ids []string) string {
	if len(ids) == 0 {
		return "SELECT CAST(NULL AS VARCHAR) AS item_id WHERE FALSE"
	}
	rows := make([]string, len(ids))
	for i, id := range ids {
		rows[i] = "(" + lit(id) + ")"
	}
	return "SELECT * FROM (VALUES " + strings.Join(rows, ", ") + ") t(item_id)"
}

// AnswersRead returns the ids of the answers (of the year or the year before, the ministry's
// included) that the values of items are computed from (ValuesSQL): each item's own id and the
// current and previous items of a change. Roll-ups read their children's results instead (and
// their answers: ChildAnswerItems).
func AnswersRead(items []*Item) []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range items {
		for _, id := range []string{it.ID, it.Rule.CurrentOf(it.ID), it.Rule.PreviousOf(it.ID)} {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// withPeersAndValues is the WITH clause every compiled item reads: p the peers, a the values.
func withPeersAndValues(peers, values string) string {
	return fmt.Sprintf("WITH p AS (SELECT entity_code, prefecture_code, size_band, submitted FROM %s),\na AS (SELECT entity_code, item_id, value_num, value_text FROM %s)\n", peers, values)
}

// RankAfterPrerequisitesSQL compiles a rank item whose peers.prerequisite is exclude, to be run after
// its prerequisites are scored (in DependencyOrder): an entity for which one of them is not met in
// run runID leaves the peer set — it has no rank, n does not count it, and it scores 0 (要件未達) —
// and the others are ranked among themselves. The columns are ItemScoresSQL's.
func (rb *Rulebook) RankAfterPrerequisitesSQL(it *Item, peers, values, itemScores string, runID int64) string {
	ids := make([]string, len(it.Requires))
	for i, id := range it.Requires {
		ids[i] = lit(id)
	}
	failed := fmt.Sprintf("(SELECT DISTINCT entity_code FROM %s WHERE run_id = %d AND item_id IN (%s) AND status <> 'met')", itemScores, runID, strings.Join(ids, ", "))
	return withPeersAndValues(peers, values) + rb.compileItem(it, failed, "p", "a")
}

// DerivedSQL compiles an all_of item to a query over the item scores of run runID, to be run after
// the items it lists are scored.
func (rb *Rulebook) DerivedSQL(it *Item, peers, itemScores string, runID int64) string {
	ids := make([]string, len(it.Rule.Items))
	for i, id := range it.Rule.Items {
		ids[i] = lit(id)
	}
	n := len(ids)
	pts := num(it.Points)
	return fmt.Sprintf(`SELECT p.entity_code, %[1]s,
  CAST(CASE WHEN coalesce(s.met, 0) = %[2]d THEN %[3]s ELSE 0 END AS %[4]s),
  CAST(%[3]s AS %[4]s),
  CASE WHEN coalesce(s.met, 0) = %[2]d THEN 'met' WHEN coalesce(s.answered, 0) = 0 THEN 'unanswered' ELSE 'not_met' END,
  CASE WHEN coalesce(s.met, 0) = %[2]d THEN %[5]s ELSE %[6]s || coalesce(s.missing, '') || '）→ 0点' END,
  CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)
FROM %[7]s p LEFT JOIN (
  SELECT x.entity_code, count(*) FILTER (WHERE x.status = 'met') AS met, count(*) FILTER (WHERE x.status <> 'unanswered') AS answered,
    string_agg(x.item_id, '・' ORDER BY x.item_id) FILTER (WHERE x.status <> 'met') AS missing
  FROM %[8]s x WHERE x.run_id = %[9]d AND x.item_id IN (%[10]s) GROUP BY x.entity_code) s ON s.entity_code = p.entity_code
`, lit(it.ID), n, pts, PointsType, lit(fmt.Sprintf("%s の全て（%d項目）を達成 → %s点", strings.Join(it.Rule.Items, "・"), n, pts)),
		lit("全ての項目の達成が要件（未達成："), peers, itemScores, runID, strings.Join(ids, ", "))
}

// PrerequisiteSQL compiles the prerequisites of an item to an UPDATE that cuts its points to 0
// where a required item of the same run is not met.
func (rb *Rulebook) PrerequisiteSQL(it *Item, itemScores string, runID int64) string {
	ids := make([]string, len(it.Requires))
	for i, id := range it.Requires {
		ids[i] = lit(id)
	}
	return fmt.Sprintf(`UPDATE %[1]s AS s SET points = 0, status = 'not_met',
  reason = s.reason || %[2]s
WHERE s.run_id = %[3]d AND s.item_id = %[4]s AND s.status = 'met' AND EXISTS (
  SELECT 1 FROM %[1]s r WHERE r.run_id = %[3]d AND r.entity_code = s.entity_code AND r.item_id IN (%[5]s) AND r.status <> 'met')`,
		itemScores, lit("。ただし前提の"+strings.Join(it.Requires, "・")+"が未達成のため → 0点"), runID, lit(it.ID), strings.Join(ids, ", "))
}

// compileItem renders one item's scoring query over peers and their values ("p" and "a", or "d p"
// and "ad a" for a scope of them). The subquery x yields, per peer, whether a value
// row exists (present), the value (v), its text (t), whether the entity is excluded from the peer
// set (excluded), and for rank items the rank and peer count. failed, when not empty, is a relation
// of the entities whose prerequisites are not met, which a rank item leaves out of its peer set.
func (rb *Rulebook) compileItem(it *Item, failed, peers, values string) string {
	e := rb.itemExprs(it, failed, peers, values)
	return fmt.Sprintf(`SELECT x.entity_code, %s AS item_id,
  %s AS points,
  %s AS max_points,
  %s AS status,
  %s AS reason,
  x.rnk AS rank_no, x.n AS rank_of
FROM (
  SELECT p.entity_code, p.submitted, a.item_id IS NOT NULL AS present, a.value_num AS v, a.value_text AS t, %s AS excluded,
    %s
  FROM %s
) x
`, lit(it.ID), e.points, e.maxPoints, e.status, e.reason, e.excluded, e.rankCols, e.join)
}

// compileItems compiles scored items (any rule but all_of, and no rank item that leaves out the
// entities whose prerequisites are not met) into one query over peers and their values: a row per
// peer and item of their cross join, each column one CASE over the expressions compileItem gives
// the items. DuckDB plans it in a fraction of the time of a union of one query per item — what an
// amended run of a few entities is made of. Items whose expression for a column is the same text
// share one branch of its CASE (the column's group number, carried in the items' VALUES): a
// rulebook's 98 items have 10–24 different expressions per column, and DuckDB binds a CASE and
// tests its branches' conditions one after another, row by row.
func (rb *Rulebook) compileItems(items []*Item, peers, values string) string {
	// caseOf numbers the distinct expressions of one column, in their first item's order.
	type caseOf struct {
		group map[string]int
		b     strings.Builder
	}
	cols := [5]*caseOf{} // points, max_points, status, reason, the rank partition
	for c := range cols {
		cols[c] = &caseOf{group: map[string]int{}}
	}
	groupOf := func(c int, expr string) int {
		col := cols[c]
		g, ok := col.group[expr]
		if !ok {
			g = len(col.group)
			col.group[expr] = g
			if c == 4 { // a window's partition, written on one line
				fmt.Fprintf(&col.b, " WHEN %d THEN CAST(%s AS VARCHAR)", g, expr)
			} else {
				fmt.Fprintf(&col.b, "\n    WHEN %d THEN %s", g, expr)
			}
		}
		return g
	}
	ids := make([]string, len(items))
	ranked := false
	for k, it := range items {
		e := rb.itemExprs(it, "", peers, values)
		part := -1
		if e.rankPart != "" {
			ranked = true
			part = groupOf(4, e.rankPart)
		}
		ids[k] = fmt.Sprintf("(%d, %s, %t, %t, %t, %d, %d, %d, %d, %d)", k, lit(it.ID), e.rankPart != "", e.rankDesc, e.rankAll,
			groupOf(0, e.points), groupOf(1, e.maxPoints), groupOf(2, e.status), groupOf(3, e.reason), part)
	}
	rankCols := "CAST(NULL AS BIGINT) AS rnk, CAST(NULL AS BIGINT) AS n"
	if ranked {
		// Each rank item ranks its own values within its partition, as compileItem's window does:
		// higher first is the lower first of the value negated (ties and NULLS LAST alike).
		p := "CASE i.gq" + cols[4].b.String() + " END"
		rankCols = fmt.Sprintf(`CASE WHEN NOT i.ranked OR a.value_num IS NULL THEN NULL ELSE rank() OVER (PARTITION BY i.k, %[1]s ORDER BY CASE WHEN i.higher THEN -a.value_num ELSE a.value_num END ASC NULLS LAST) END AS rnk,
    CASE WHEN NOT i.ranked THEN NULL WHEN i.every THEN count(*) OVER (PARTITION BY i.k, %[1]s) ELSE count(a.value_num) OVER (PARTITION BY i.k, %[1]s) END AS n`, p)
	}
	return fmt.Sprintf(`SELECT x.entity_code, x.item_id,
  CAST(CASE x.gp%s END AS %s) AS points,
  CAST(CASE x.gm%s END AS %s) AS max_points,
  CASE x.gs%s END AS status,
  CASE x.gr%s END AS reason,
  x.rnk AS rank_no, x.n AS rank_of
FROM (
  SELECT p.entity_code, p.submitted, i.k, i.item_id, i.gp, i.gm, i.gs, i.gr, a.item_id IS NOT NULL AS present, a.value_num AS v, a.value_text AS t, FALSE AS excluded,
    %s
  FROM %s CROSS JOIN (VALUES %s) i(k, item_id, ranked, higher, every, gp, gm, gs, gr, gq) LEFT JOIN %s ON a.entity_code = p.entity_code AND a.item_id = i.item_id
) x
`, cols[0].b.String(), PointsType, cols[1].b.String(), PointsType, cols[2].b.String(), cols[3].b.String(), rankCols, peers, strings.Join(ids, ", "), values)
}

// itemSQL is one compiled item: its four columns as expressions over the row x of an entity
// (entity_code, submitted, present, v, t, excluded, rnk, n) and how x is made.
type itemSQL struct {
	points, maxPoints, status, reason string
	excluded, rankCols, join          string
	// A rank item's peer partition ('all', p.prefecture_code, p.size_band), whether higher ranks
	// first, and whether every peer counts in n (else those with a value).
	rankPart          string
	rankDesc, rankAll bool
}

// itemExprs compiles one item (see compileItem).
func (rb *Rulebook) itemExprs(it *Item, failed, peers, values string) itemSQL {
	unit, prefix := it.Unit, "'回答 '"
	switch {
	case it.Source == SourceRollup:
		unit, prefix = "", "'集計値 '" // the value text carries its unit and detail
	case it.Rule.Value == "change":
		unit, prefix = "", "''"
	case it.Source == SourceMinistry:
		prefix = "'国提供値 '"
	}
	pts := num(it.Points)
	maxPts := num(max(it.Points, 0))
	na := it.Blank == BlankNA
	blankStatus, blankReason, blankMax := StatusUnanswered, "未回答 → 0点", maxPts
	if na {
		blankStatus, blankReason, blankMax = StatusNA, "対象外（得点率の分母から除く）", "0"
	}
	var pointsCase, statusCase, reasonCase string
	var rankCols = "CAST(NULL AS BIGINT) AS rnk, CAST(NULL AS BIGINT) AS n"
	var rankPart string
	var rankDesc, rankAll bool
	join := fmt.Sprintf("%s LEFT JOIN %s ON a.entity_code = p.entity_code AND a.item_id = %s", peers, values, lit(it.ID))
	switch it.Rule.Type {
	case RuleYesNo:
		pointsCase = fmt.Sprintf("CASE WHEN x.v = 1 THEN %s ELSE 0 END", pts)
		statusCase = fmt.Sprintf("CASE WHEN x.v = 1 THEN '%s' ELSE '%s' END", StatusMet, StatusNotDone)
		reasonCase = fmt.Sprintf("CASE WHEN x.v = 1 THEN %s ELSE %s END", lit("はい（実施）→ "+pts+"点"), lit("いいえ（未実施）→ 0点"))
	case RuleChoice:
		var p, s, r strings.Builder
		for _, o := range it.Rule.Options {
			st := StatusMet
			if o.Points <= 0 {
				st = StatusNotMet
			}
			fmt.Fprintf(&p, " WHEN %s THEN %s", lit(o.Value), num(o.Points))
			fmt.Fprintf(&s, " WHEN %s THEN '%s'", lit(o.Value), st)
			fmt.Fprintf(&r, " WHEN %s THEN %s", lit(o.Value), lit("「"+o.Value+"」→ "+num(o.Points)+"点"))
		}
		pointsCase = "CASE x.t" + p.String() + " ELSE 0 END"
		statusCase = "CASE x.t" + s.String() + " ELSE 'not_met' END"
		reasonCase = "CASE x.t" + r.String() + " ELSE '「' || x.t || '」→ 0点' END"
	case RuleThreshold:
		var p, s, r strings.Builder
		for _, bd := range it.Rule.Bands {
			cond := bandCond("x.v", bd)
			st := StatusMet
			if bd.Points <= 0 {
				st = StatusNotMet
			}
			fmt.Fprintf(&p, " WHEN %s THEN %s", cond, num(bd.Points))
			fmt.Fprintf(&s, " WHEN %s THEN '%s'", cond, st)
			fmt.Fprintf(&r, " WHEN %s THEN %s", cond, lit(unit+"（"+BandLabelJA(bd, it.Unit)+"）→ "+num(bd.Points)+"点"))
		}
		pointsCase = "CASE" + p.String() + " ELSE 0 END"
		statusCase = "CASE" + s.String() + " ELSE 'not_met' END"
		reasonCase = prefix + " || x.t || CASE" + r.String() + " ELSE '（該当する区分なし）→ 0点' END"
	case RuleLinear:
		// points × (v − lower) ÷ (upper − lower), clamped to [0, points], rounded half away from zero
		// to 0.01 with exact decimals (kf_div2); lower is better: points × (upper − v) ÷ (upper − lower).
		lo, hi := num(*it.Rule.Lower), num(*it.Rule.Upper)
		zeroAt, fullAt, gain := fmt.Sprintf("x.v <= %s", lo), fmt.Sprintf("x.v >= %s", hi), fmt.Sprintf("(x.v - %s)", lo)
		label := fmt.Sprintf("%s%sで0点、%s%sで%s点の線形配点", lo, it.Unit, hi, it.Unit, pts)
		if it.Rule.Direction == "lower" {
			zeroAt, fullAt, gain = fmt.Sprintf("x.v >= %s", hi), fmt.Sprintf("x.v <= %s", lo), fmt.Sprintf("(%s - x.v)", hi)
			label = fmt.Sprintf("%s%sで0点、%s%sで%s点の線形配点", hi, it.Unit, lo, it.Unit, pts)
		}
		linear := fmt.Sprintf("CAST(CASE WHEN %s THEN 0 WHEN %s THEN %s ELSE kf_div2(%s * %s, %s - %s) END AS %s)", zeroAt, fullAt, pts, pts, gain, hi, lo, PointsType)
		pointsCase = linear
		statusCase = fmt.Sprintf("CASE WHEN %s THEN 'not_met' ELSE 'met' END", zeroAt)
		reasonCase = fmt.Sprintf("%s || x.t || %s || %s || kf_num(%s) || '点'", prefix, lit(unit), lit("（"+label+"）→ "), linear)
	case RuleValue:
		pointsCase, statusCase = "0", "'na'"
		reasonCase = fmt.Sprintf("%s || x.t || %s || '（記録のみ・配点なし）'", prefix, lit(unit))
	case RuleRank:
		order := "DESC"
		if it.Rule.Direction == "lower" {
			order = "ASC"
		}
		// The ranked value: an entity excluded by its prerequisites has none (it is no peer).
		ranked := "a.value_num"
		if failed != "" {
			ranked = "CASE WHEN f.entity_code IS NULL THEN a.value_num END"
		}
		part, scope := "'all'", "全国順位"
		count := fmt.Sprintf("count(%s)", ranked)
		if pr := it.Rule.Peers; pr != nil {
			switch pr.Partition {
			case PartitionPrefecture:
				part, scope = "p.prefecture_code", "都道府県内順位"
			case PartitionSizeBand:
				part, scope = "p.size_band", "規模区分内順位"
			}
			if pr.Denominator == "all" {
				count = "count(*)"
				if failed != "" {
					count = "count(*) FILTER (WHERE f.entity_code IS NULL)"
				}
			}
		}
		rankCols = fmt.Sprintf(`CASE WHEN %[4]s IS NULL THEN NULL ELSE rank() OVER (PARTITION BY %[1]s ORDER BY %[4]s %[2]s NULLS LAST) END AS rnk,
    %[3]s OVER (PARTITION BY %[1]s) AS n`, part, order, count, ranked)
		rankPart, rankDesc, rankAll = part, order == "DESC", strings.HasPrefix(count, "count(*)")
		var p, s, r strings.Builder
		for _, bd := range it.Rule.Bands {
			// rank/n <= top_percent/100, kept exact: rank*100 <= top_percent*n.
			cond := fmt.Sprintf("x.rnk * 100 <= %s * x.n", num(bd.TopPercent))
			fmt.Fprintf(&p, " WHEN %s THEN %s", cond, num(bd.Points))
			st := StatusMet // a 0-point band is 要件未達, as for threshold bands (README: statuses)
			if bd.Points <= 0 {
				st = StatusNotMet
			}
			fmt.Fprintf(&s, " WHEN %s THEN '%s'", cond, st)
			fmt.Fprintf(&r, " WHEN %s THEN %s", cond, lit("（上位"+num(bd.TopPercent)+"%以内）→ "+num(bd.Points)+"点"))
		}
		pointsCase = "CASE" + p.String() + " ELSE 0 END"
		statusCase = "CASE" + s.String() + " ELSE 'not_met' END"
		reasonCase = fmt.Sprintf(`%s || x.t || %s || ' %s ' || format('{:,}', x.rnk) || '/' || format('{:,}', x.n)
    || '（上位' || CAST((x.rnk * 100 + x.n - 1) // x.n AS VARCHAR) || '%%）' || CASE%s ELSE %s END`,
			prefix, lit(unit), scope, r.String(), lit("（上位"+num(lastTop(it.Rule.Bands))+"%圏外）→ 0点"))
	}
	excluded := "FALSE"
	if failed != "" {
		join += " LEFT JOIN " + failed + " f ON f.entity_code = p.entity_code"
		excluded = "f.entity_code IS NOT NULL"
	}
	numeric := it.Rule.Type == RuleThreshold || it.Rule.Type == RuleLinear || it.Rule.Type == RuleRank || it.Rule.Type == RuleValue
	noValue := ""
	if numeric {
		// A text without a number: a change with no previous value.
		noValue = fmt.Sprintf(" WHEN x.v IS NULL THEN 0")
	}
	statusNoValue, reasonNoValue := "", ""
	if numeric {
		statusNoValue = fmt.Sprintf(" WHEN x.v IS NULL THEN '%s'", StatusUnanswered)
		reasonNoValue = " WHEN x.v IS NULL THEN x.t || ' → 0点'"
	}
	if failed != "" {
		noValue += " WHEN x.excluded THEN 0"
		statusNoValue += fmt.Sprintf(" WHEN x.excluded THEN '%s'", StatusNotMet)
		reasonNoValue += " WHEN x.excluded THEN " + lit("前提の"+strings.Join(it.Requires, "・")+"が未達成のため順位付けの対象外 → 0点")
	}
	return itemSQL{
		points:    fmt.Sprintf("CAST(CASE WHEN NOT x.present OR x.t IS NULL THEN 0%s ELSE %s END AS %s)", noValue, pointsCase, PointsType),
		maxPoints: fmt.Sprintf("CAST(CASE WHEN x.present AND x.t IS NULL THEN %s ELSE %s END AS %s)", blankMax, maxPts, PointsType),
		status:    fmt.Sprintf("CASE WHEN NOT x.present THEN '%s' WHEN x.t IS NULL THEN '%s'%s ELSE %s END", StatusUnanswered, blankStatus, statusNoValue, statusCase),
		reason:    fmt.Sprintf("CASE WHEN NOT x.present THEN %s WHEN x.t IS NULL THEN %s%s ELSE %s END", notPresentReason(it, rb.Unsubmitted), lit(blankReason), reasonNoValue, reasonCase),
		excluded:  excluded, rankCols: rankCols, join: join,
		rankPart: rankPart, rankDesc: rankDesc, rankAll: rankAll,
	}
}

// notPresentReason is the SQL of the reason of an item without a value: for an entity that
// submitted no survey of the year it says so (and, under "unsubmitted": "zero", that its ministry
// and roll-up values are not scored).
func notPresentReason(it *Item, unsubmitted string) string {
	unsub := "調査票未提出（未回答）→ 0点"
	switch {
	case it.Source == SourceSelf || it.Source == SourceDerived:
	case unsubmitted == UnsubmittedZero:
		unsub = "調査票未提出のため国提供値・集計値も採点しない → 0点"
	default:
		return lit(presentlessReason(it))
	}
	return fmt.Sprintf("CASE WHEN x.submitted THEN %s ELSE %s END", lit(presentlessReason(it)), lit(unsub))
}

// presentlessReason is the reason of an item without a value for an entity that submitted.
func presentlessReason(it *Item) string {
	switch it.Source {
	case SourceMinistry:
		return "国提供の値なし → 0点"
	case SourceRollup:
		return "集計対象なし → 0点"
	}
	if it.Rule.Type == RuleRank {
		return "未回答のため順位付けの対象外 → 0点"
	}
	return "未回答 → 0点"
}

// bandCond is the SQL condition for value v falling in band [from, to).
func bandCond(v string, bd Band) string {
	var c []string
	if bd.From != nil {
		c = append(c, fmt.Sprintf("%s >= %s", v, num(*bd.From)))
	}
	if bd.To != nil {
		c = append(c, fmt.Sprintf("%s < %s", v, num(*bd.To)))
	}
	if len(c) == 0 {
		return "TRUE"
	}
	return strings.Join(c, " AND ")
}

// BandLabelJA describes a threshold band in Japanese, e.g. 「25%以上50%未満」.
func BandLabelJA(bd Band, unit string) string {
	switch {
	case bd.From != nil && bd.To != nil:
		return num(*bd.From) + unit + "以上" + num(*bd.To) + unit + "未満"
	case bd.From != nil:
		return num(*bd.From) + unit + "以上"
	case bd.To != nil:
		return num(*bd.To) + unit + "未満"
	}
	return "全ての値"
}

func lastTop(bands []Band) float64 {
	if len(bands) == 0 {
		return 0
	}
	return bands[len(bands)-1].TopPercent
}

// lit quotes s as a SQL string literal.
func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// num formats a number the shortest way that reads back the same (4, 4.5, 0.25).
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// FormatPoints formats points for people: 4, 4.5.
func FormatPoints(f float64) string { return num(f) }

// FormatDecimal formats f to the given number of decimal places, rounding half away from zero on
// the decimal f was read from (its shortest form), not on its binary value: an exact decimal read
// from the store as float64 for display, such as a mean of 427.115, prints 427.12 (fmt's %.2f
// prints 427.11, because the binary value lies just below).
func FormatDecimal(f float64, places int) string {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	if !ok {
		return strconv.FormatFloat(f, 'f', places, 64) // NaN, ±Inf
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	q := RoundHalfAway(r.Mul(r, new(big.Rat).SetInt(scale)))
	digits := new(big.Int).Abs(q).String()
	if places > 0 {
		if len(digits) <= places {
			digits = strings.Repeat("0", places-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-places] + "." + digits[len(digits)-places:]
	}
	if r.Sign() < 0 && q.Sign() != 0 {
		digits = "-" + digits
	}
	return digits
}

// RoundHalfAway rounds r to the nearest integer, halves away from zero, as DuckDB's ROUND on a
// DECIMAL and its DECIMAL casts do (2.5 → 3, −2.5 → −3): ⌊(2·|num| + den) ÷ (2·den)⌋ with r's sign.
func RoundHalfAway(r *big.Rat) *big.Int {
	num, den := new(big.Int).Abs(r.Num()), r.Denom()
	q := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Lsh(num, 1), den), new(big.Int).Lsh(den, 1))
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return q
}

// FormatPercent formats a 得点率 (a fraction, e.g. 0.5145) as a percentage with the given decimal
// places, rounded half away from zero on its decimal form: 51.5%.
func FormatPercent(rate float64, places int) string {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(rate, 'g', -1, 64))
	if !ok {
		return strconv.FormatFloat(100*rate, 'f', places, 64) + "%"
	}
	f, _ := r.Mul(r, big.NewRat(100, 1)).Float64()
	// f is the nearest float64 to 100 × the decimal; its shortest form is that decimal again.
	return FormatDecimal(f, places) + "%"
}
