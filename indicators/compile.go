package indicators

import (
	"fmt"
	"strconv"
	"strings"
)

// Item status codes written with every item score. They keep apart what a published 0 cannot:
// not done, requirement not met, not answered, not applicable.
const (
	StatusMet        = "met"        // 達成: the item scored
	StatusNotDone    = "not_done"   // 未実施: answered no
	StatusNotMet     = "not_met"    // 要件未達: a value that falls in a 0-point band
	StatusUnanswered = "unanswered" // 未回答: blank or no submission
	StatusNA         = "na"         // 対象外
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

// ItemScoresSQL compiles the rulebook to one DuckDB query that yields, for every entity in peers and
// every item of the rulebook, the columns (entity_code, item_id, points, status, reason, rank_no,
// rank_of).
//
// peers is a relation with a column entity_code (the peer set for national ranks); answers is a
// relation with columns entity_code, item_id, value_num (DOUBLE) and value_text (VARCHAR) holding
// the current answers. Both are inserted as written, so they must be trusted SQL (table or view
// names); every value from the rulebook is emitted as a quoted literal.
func (rb *Rulebook) ItemScoresSQL(peers, answers string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "WITH p AS (SELECT DISTINCT entity_code FROM %s),\na AS (SELECT entity_code, item_id, value_num, value_text FROM %s)\n", peers, answers)
	for k, it := range rb.Items() {
		if k > 0 {
			b.WriteString("UNION ALL\n")
		}
		switch it.Rule.Type {
		case RuleYesNo:
			compileYesNo(&b, it)
		case RuleThreshold:
			compileThreshold(&b, it)
		case RuleRank:
			compileRank(&b, it)
		}
	}
	return b.String()
}

func compileYesNo(b *strings.Builder, it *Item) {
	pts := num(it.Points)
	fmt.Fprintf(b, `SELECT p.entity_code, %[1]s AS item_id,
  CAST(CASE WHEN a.value_num = 1 THEN %[2]s ELSE 0 END AS %[3]s) AS points,
  CASE WHEN a.value_num IS NULL THEN '%[4]s' WHEN a.value_num = 1 THEN '%[5]s' ELSE '%[6]s' END AS status,
  CASE WHEN a.value_num IS NULL THEN %[7]s WHEN a.value_num = 1 THEN %[8]s ELSE %[9]s END AS reason,
  CAST(NULL AS BIGINT) AS rank_no, CAST(NULL AS BIGINT) AS rank_of
FROM p LEFT JOIN a ON a.entity_code = p.entity_code AND a.item_id = %[1]s
`, lit(it.ID), pts, PointsType, StatusUnanswered, StatusMet, StatusNotDone,
		lit("未回答 → 0点"), lit("はい（実施）→ "+pts+"点"), lit("いいえ（未実施）→ 0点"))
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

// BandLabelJA describes a threshold band in Japanese, e.g. 「25以上50未満」.
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

func compileThreshold(b *strings.Builder, it *Item) {
	var pts, status, reason strings.Builder
	for _, bd := range it.Rule.Bands {
		cond := bandCond("a.value_num", bd)
		st := StatusMet
		if bd.Points <= 0 {
			st = StatusNotMet
		}
		fmt.Fprintf(&pts, " WHEN %s THEN %s", cond, num(bd.Points))
		fmt.Fprintf(&status, " WHEN %s THEN '%s'", cond, st)
		fmt.Fprintf(&reason, " WHEN %s THEN '回答 ' || a.value_text || %s", cond,
			lit(it.Unit+"（"+BandLabelJA(bd, it.Unit)+"）→ "+num(bd.Points)+"点"))
	}
	fmt.Fprintf(b, `SELECT p.entity_code, %[1]s AS item_id,
  CAST(CASE WHEN a.value_num IS NULL THEN 0%[2]s ELSE 0 END AS %[3]s) AS points,
  CASE WHEN a.value_num IS NULL THEN '%[4]s'%[5]s ELSE '%[6]s' END AS status,
  CASE WHEN a.value_num IS NULL THEN %[7]s%[8]s ELSE %[9]s END AS reason,
  CAST(NULL AS BIGINT) AS rank_no, CAST(NULL AS BIGINT) AS rank_of
FROM p LEFT JOIN a ON a.entity_code = p.entity_code AND a.item_id = %[1]s
`, lit(it.ID), pts.String(), PointsType, StatusUnanswered, status.String(), StatusNotMet,
		lit("未回答 → 0点"), reason.String(), lit("該当する区分なし → 0点"))
}

func compileRank(b *strings.Builder, it *Item) {
	order := "DESC"
	if it.Rule.Direction == "lower" {
		order = "ASC"
	}
	var pts, status, reason strings.Builder
	for _, bd := range it.Rule.Bands {
		// rank/n <= top_percent/100, kept exact: rank*100 <= top_percent*n.
		cond := fmt.Sprintf("r.rnk * 100 <= %s * r.n", num(bd.TopPercent))
		fmt.Fprintf(&pts, " WHEN %s THEN %s", cond, num(bd.Points))
		fmt.Fprintf(&status, " WHEN %s THEN '%s'", cond, StatusMet)
		fmt.Fprintf(&reason, " WHEN %s THEN %s", cond, lit("（上位"+num(bd.TopPercent)+"%以内）→ "+num(bd.Points)+"点"))
	}
	fmt.Fprintf(b, `SELECT r.entity_code, %[1]s AS item_id,
  CAST(CASE WHEN r.rnk IS NULL THEN 0%[2]s ELSE 0 END AS %[3]s) AS points,
  CASE WHEN r.rnk IS NULL THEN '%[4]s'%[5]s ELSE '%[6]s' END AS status,
  CASE WHEN r.rnk IS NULL THEN %[7]s ELSE '回答 ' || r.t || %[10]s || ' 全国順位 ' || format('{:,}', r.rnk) || '/' || format('{:,}', r.n)
    || '（上位' || CAST((r.rnk * 100 + r.n - 1) // r.n AS VARCHAR) || '%%）' || CASE%[8]s ELSE %[9]s END END AS reason,
  r.rnk AS rank_no, r.n AS rank_of
FROM (
  SELECT p.entity_code, a.value_text AS t,
    CASE WHEN a.value_num IS NULL THEN NULL ELSE rank() OVER (ORDER BY a.value_num %[11]s NULLS LAST) END AS rnk,
    count(a.value_num) OVER () AS n
  FROM p LEFT JOIN a ON a.entity_code = p.entity_code AND a.item_id = %[1]s
) r
`, lit(it.ID), pts.String(), PointsType, StatusUnanswered, status.String(), StatusNotMet,
		lit("未回答のため順位付けの対象外 → 0点"), reason.String(),
		lit("（上位"+num(lastTop(it.Rule.Bands))+"%圏外）→ 0点"), lit(it.Unit), order)
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
