package store_test

import (
	"fmt"
	"testing"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// The expected points in this file are computed by hand (in the comments), never by the code under
// test. The nation is newNation's: 000011 and 000012 in prefecture 01, 000021 and 000022 in 02;
// 65+ 1,000 / 2,000 (size band <3k) and 20,000 / 40,000 (10k–50k).

// itemReason returns an item score's reason.
func (n *nation) itemReason(run int64, code, item string) string {
	n.t.Helper()
	return n.text(`SELECT reason FROM item_scores WHERE run_id = ? AND entity_code = ? AND item_id = ?`, run, code, item)
}

// ministry stores the ministry's values of one item for the given entities.
func (n *nation) ministry(fy int, item string, values map[string]float64) {
	n.t.Helper()
	var rows []store.AnswerRow
	for code, v := range values {
		rows = append(rows, store.AnswerRow{EntityCode: code, Answer: loaders.Answer{ItemID: item, Text: fmt.Sprint(v), Num: v, Cell: "x"}})
	}
	if _, err := n.st.Submissions().Add(n.ctx, store.SubmissionMeta{FiscalYear: fy, EntityCode: store.MinistryCode, Level: "ministry", Kind: "outcomes",
		FileName: "outcomes.csv", SHA256: fmt.Sprint(fy, item, values)}, rows); err != nil {
		n.t.Fatal(err)
	}
}

// points returns a DECIMAL column as its exact text, e.g. "23.55".
func (n *nation) points(q string, args ...any) string {
	n.t.Helper()
	return n.text(`SELECT CAST((`+q+`) AS VARCHAR)`, args...)
}

// The case on the shipped FY2026 rulebook: 通いの場 participation S1-8-a FY2025 31.8 →
// FY2026 32.3 is a change of exactly 0.5, which S1-17-a's bands (0未満 0点、0以上0.5未満 2点、0.5以上
// 4点) score 4 points; in binary floating point 32.3 − 31.8 = 0.49999999999999645 scored 2.
func TestChangeBandEdgesOnTheShippedRulebook(t *testing.T) {
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := lib.Get(2026, indicators.Municipality)
	if err != nil {
		t.Fatal(err)
	}
	n := newNation(t)
	// x.5 − y.0 pairs that differ by exactly the band edge 0.5, and a change of exactly 0 (the edge
	// between 0 and 2 points).
	pairs := map[string][2]string{"000011": {"31.8", "32.3"}, "000012": {"10.1", "10.6"}, "000021": {"0.3", "0.8"}, "000022": {"25", "25"}}
	for code, p := range pairs {
		n.submit(2025, "municipality", code, map[string]string{"S1-8-a": p[0]})
		n.submit(2026, "municipality", code, map[string]string{"S1-8-a": p[1]})
	}
	if err := n.st.Scores().RegisterRulebook(n.ctx, rb, rb.Content); err != nil {
		t.Fatal(err)
	}
	run, err := n.st.Runs().Start(n.ctx, "score", 2026, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.st.Scores().Compute(n.ctx, run, 2026, []*indicators.Rulebook{rb}); err != nil {
		t.Fatal(err)
	}
	n.expectItems(run, map[[2]string]itemWant{
		{"000011", "S1-17-a"}: {4, 4, "met"}, {"000012", "S1-17-a"}: {4, 4, "met"}, {"000021", "S1-17-a"}: {4, 4, "met"},
		{"000022", "S1-17-a"}: {2, 4, "met"},
	})
	for code, want := range map[string]string{
		"000011": "今年度 32.3 − 前年度 31.8 = 0.5（0.5ポイント以上）→ 4点",
		"000012": "今年度 10.6 − 前年度 10.1 = 0.5（0.5ポイント以上）→ 4点",
		"000021": "今年度 0.8 − 前年度 0.3 = 0.5（0.5ポイント以上）→ 4点",
		"000022": "今年度 25 − 前年度 25 = 0（0ポイント以上0.5ポイント未満）→ 2点",
	} {
		if got := n.itemReason(run, code, "S1-17-a"); got != want {
			t.Errorf("%s reason %q, want %q", code, got, want)
		}
	}
	// The stored answers are the decimals typed.
	if v := n.text(`SELECT string_agg(CAST(value_num AS VARCHAR), ' ' ORDER BY value_num) FROM answers WHERE item_id = 'S1-8-a' AND entity_code = '000011'`); v != "31.800000 32.300000" {
		t.Errorf("stored values %s", v)
	}
}

// Exact band edges for threshold, linear (both directions), rank on changes, and a roll-up of rates.
func TestExactBandEdges(t *testing.T) {
	n := newNation(t)
	centre := `{"fiscal_year": 2026, "level": "centre", "version": "t",
 "grants": [{"id": "h", "name": "評価", "points": 100}],
 "goals": [{"id": "A", "label": "A", "name": "a", "points": 100, "grants": {"h": 100}}],
 "groups": [{"id": "i"}],
 "indicators": [{"id": "K", "goal": "A", "group": "i", "name": "k", "points": 100, "items": [
   {"id": "K-a", "question": "a", "points": 29, "rule": {"type": "yesno"}},
   {"id": "K-b", "question": "b", "points": 71, "rule": {"type": "yesno"}}]}]}`
	muni := muniBook(2026, 28, `
 {"id": "T", "goal": "A", "group": "i", "name": "threshold", "points": 10, "items": [
  {"id": "T-a", "question": "rate", "unit": "%", "points": 10, "rule": {"type": "threshold", "min": 0,
   "bands": [{"to": 50, "points": 0}, {"from": 50, "to": 80, "points": 5}, {"from": 80, "points": 10}]}}]},
 {"id": "L", "goal": "A", "group": "i", "name": "linear", "points": 4, "items": [
  {"id": "L-a", "question": "rate", "unit": "%", "points": 4, "rule": {"type": "linear", "min": 0, "lower": 0.5, "upper": 5}}]},
 {"id": "D", "goal": "A", "group": "i", "name": "linear lower is better", "points": 3, "items": [
  {"id": "D-a", "question": "days", "unit": "日", "points": 3, "rule": {"type": "linear", "direction": "lower", "min": 0, "lower": 0, "upper": 200}}]},
 {"id": "R", "goal": "A", "group": "i", "name": "rank of the change", "points": 1, "items": [
  {"id": "R-a", "question": "rate", "points": 1, "rule": {"type": "rank", "value": "change", "bands": [{"top_percent": 25, "points": 1}]}}]},
 {"id": "C", "goal": "A", "group": "i", "name": "centres", "points": 10, "items": [
  {"id": "C-a", "question": "share of centres at 29%+", "unit": "%", "source": "rollup", "points": 10,
   "rollup": {"level": "centre", "measure": "share_rate_at_least", "rate_at_least": 29},
   "rule": {"type": "threshold", "min": 0, "bands": [{"to": 50, "points": 0}, {"from": 50, "points": 10}]}}]}`)
	// Centres: C111 K-a only → 29/100 = 0.29; C112 nothing → 0; C121 K-a only → 0.29; C211 all → 1.
	n.submit(2026, "centre", "C111", map[string]string{"K-a": "yes", "K-b": "no"})
	n.submit(2026, "centre", "C112", map[string]string{"K-a": "no", "K-b": "no"})
	n.submit(2026, "centre", "C121", map[string]string{"K-a": "yes", "K-b": "no"})
	n.submit(2026, "centre", "C211", map[string]string{"K-a": "yes", "K-b": "yes"})
	// R-a's changes: 31.8 → 32.3, 10.1 → 10.6, 0.3 → 0.8 are all exactly 0.5 (they tie for 1st of
	// 4: 1/4 = 25% ≤ 25% → 1 point each); 5 → 5.4 is 0.4 (4th).
	prev := map[string]string{"000011": "31.8", "000012": "10.1", "000021": "0.3", "000022": "5"}
	cur := map[string]map[string]string{
		// T-a on the edge 80 → 10; just below it → 5; on the edge 50 → 5; below 50 → 0.
		// L-a (0 at 0.5, 4 at 5): 0.5 → 0; 5 → 4; midway 2.75 → 2; 1.25 → 4 × 0.75 ÷ 4.5 = 0.666… → 0.67.
		// D-a (3 at 0 days, 0 at 200): 133 → 3 × (200 − 133) ÷ 200 = 201/200 = 1.005 → 1.01 (half away
		// from zero; 1.00 in floating point); 200 → 0; 0 → 3; 100 → 1.5.
		"000011": {"T-a": "80", "L-a": "0.5", "D-a": "133", "R-a": "32.3"},
		"000012": {"T-a": "79.999999", "L-a": "5", "D-a": "200", "R-a": "10.6"},
		"000021": {"T-a": "50", "L-a": "2.75", "D-a": "0", "R-a": "0.8"},
		"000022": {"T-a": "49.999999", "L-a": "1.25", "D-a": "100", "R-a": "5.4"},
	}
	for code, a := range cur {
		n.submit(2025, "municipality", code, map[string]string{"R-a": prev[code]})
		n.submit(2026, "municipality", code, a)
	}
	run := n.score(2026, centre, muni)
	n.expectItems(run, map[[2]string]itemWant{
		{"000011", "T-a"}: {10, 10, "met"}, {"000012", "T-a"}: {5, 10, "met"}, {"000021", "T-a"}: {5, 10, "met"}, {"000022", "T-a"}: {0, 10, "not_met"},
		{"000011", "L-a"}: {0, 4, "not_met"}, {"000012", "L-a"}: {4, 4, "met"}, {"000021", "L-a"}: {2, 4, "met"}, {"000022", "L-a"}: {0.67, 4, "met"},
		{"000011", "D-a"}: {1.01, 3, "met"}, {"000012", "D-a"}: {0, 3, "not_met"}, {"000021", "D-a"}: {3, 3, "met"}, {"000022", "D-a"}: {1.5, 3, "met"},
		{"000011", "R-a"}: {1, 1, "met"}, {"000012", "R-a"}: {1, 1, "met"}, {"000021", "R-a"}: {1, 1, "met"}, {"000022", "R-a"}: {0, 1, "not_met"},
		// 000011: C111 (29% ≥ 29 ✓) and C112 (0 ✗) → 50% → 10; in floating point 0.29 × 100 =
		// 28.999999999999996 < 29 gave 0%. 000012: C121 ✓ → 100%; 000021: C211 ✓; 000022 has no centre.
		{"000011", "C-a"}: {10, 10, "met"}, {"000012", "C-a"}: {10, 10, "met"}, {"000021", "C-a"}: {10, 10, "met"}, {"000022", "C-a"}: {0, 10, "unanswered"},
	})
	for _, c := range []struct{ code, item, want string }{
		{"000011", "D-a", "回答 133日（200日で0点、0日で3点の線形配点）→ 1.01点"},
		{"000011", "R-a", "今年度 32.3 − 前年度 31.8 = 0.5 全国順位 1/4（上位25%）（上位25%以内）→ 1点"},
		{"000011", "C-a", "集計値 50%（管内センター2のうち得点率29%以上が1）（50%以上）→ 10点"},
	} {
		if got := n.itemReason(run, c.code, c.item); got != c.want {
			t.Errorf("%s %s reason %q, want %q", c.code, c.item, got, c.want)
		}
	}
	if v := n.text(`SELECT CAST(rate AS VARCHAR) FROM score_totals WHERE run_id = ? AND entity_code = 'C111'`, run); v != "0.290000000" {
		t.Errorf("rate of C111 %s, want 0.290000000", v)
	}
	if v := n.text(`SELECT typeof(rate) || ' ' || (SELECT typeof(value_num) FROM answers LIMIT 1) FROM score_totals LIMIT 1`); v != "DECIMAL(18,9) DECIMAL(18,6)" {
		t.Errorf("column types %s", v)
	}
}

// An indicator counting in two grants with different points is scaled to each grant and rounded to
// 0.01 there (half away from zero); goal subtotals and grant totals are the sums of those rounded
// points, as officials add the printed indicator points by hand.
func TestPerGrantPoints(t *testing.T) {
	n := newNation(t)
	book := `{"fiscal_year": 2026, "level": "municipality", "version": "t",
 "grants": [{"id": "suishin", "name": "推進", "short": "推進", "points": 118}, {"id": "shien", "name": "支援", "short": "支援", "points": 80}],
 "goals": [{"id": "A", "label": "A", "name": "a", "points": 118, "grants": {"suishin": 118, "shien": 80}}],
 "groups": [{"id": "i"}],
 "indicators": [
  {"id": "X", "goal": "A", "group": "i", "name": "x", "points": 55, "grants": {"suishin": 55, "shien": 35}, "items": [
    {"id": "X-a", "question": "q", "points": 37, "rule": {"type": "yesno"}}, {"id": "X-b", "question": "q", "points": 18, "rule": {"type": "yesno"}}]},
  {"id": "Y", "goal": "A", "group": "i", "name": "y", "points": 55, "grants": {"suishin": 55, "shien": 40}, "items": [
    {"id": "Y-a", "question": "q", "points": 37, "rule": {"type": "yesno"}}, {"id": "Y-b", "question": "q", "points": 18, "rule": {"type": "yesno"}}]},
  {"id": "Z", "goal": "A", "group": "i", "name": "z", "points": 8, "grants": {"suishin": 8, "shien": 5}, "items": [
    {"id": "Z-a", "question": "q", "points": 1, "rule": {"type": "yesno"}}, {"id": "Z-b", "question": "q", "points": 7, "rule": {"type": "yesno"}}]}]}`
	n.submit(2026, "municipality", "000011", map[string]string{"X-a": "yes", "X-b": "no", "Y-a": "yes", "Y-b": "no", "Z-a": "yes", "Z-b": "no"})
	n.submit(2026, "municipality", "000012", map[string]string{"X-a": "no", "X-b": "yes", "Y-a": "no", "Y-b": "yes", "Z-a": "no", "Z-b": "no"})
	n.submit(2026, "municipality", "000021", map[string]string{"X-a": "yes", "X-b": "yes", "Y-a": "yes", "Y-b": "yes", "Z-a": "yes", "Z-b": "yes"})
	run := n.score(2026, book)
	// 000011 in 支援: X 37 × 35/55 = 23.5454… → 23.55; Y 37 × 40/55 = 26.9090… → 26.91; Z 1 × 5/8 =
	// 0.625 → 0.63 (half away from zero). Goal = 23.55 + 26.91 + 0.63 = 51.09 (the exact sum
	// 51.0795… rounded once would be 51.08). 推進 = 37 + 37 + 1 = 75.
	// 000012: X 18 × 35/55 = 11.4545… → 11.45; Y 18 × 40/55 = 13.0909… → 13.09; Z 0 → 24.54 (rounded
	// once: 24.5454… → 24.55). 推進 36.
	// 000021: full marks: 35 + 40 + 5 = 80; 推進 118.
	want := map[string]map[string]string{
		"000011": {"X/shien": "23.55", "Y/shien": "26.91", "Z/shien": "0.63", "X/suishin": "37.00", "goal/shien": "51.09", "goal/suishin": "75.00", "total": "126.09"},
		"000012": {"X/shien": "11.45", "Y/shien": "13.09", "Z/shien": "0.00", "goal/shien": "24.54", "goal/suishin": "36.00", "total": "60.54"},
		"000021": {"X/shien": "35.00", "Y/shien": "40.00", "Z/shien": "5.00", "goal/shien": "80.00", "goal/suishin": "118.00", "total": "198.00"},
	}
	for code, w := range want {
		for k, v := range w {
			var got string
			switch k {
			case "goal/shien", "goal/suishin":
				got = n.points(`SELECT points FROM goal_scores WHERE run_id = ? AND entity_code = ? AND goal_id = 'A' AND grant_id = ?`, run, code, k[5:])
				if g := n.points(`SELECT points FROM grant_scores WHERE run_id = ? AND entity_code = ? AND grant_id = ?`, run, code, k[5:]); g != got {
					t.Errorf("%s grant %s = %s, goal %s: one goal, the grant total is its subtotal", code, k[5:], g, got)
				}
			case "total":
				got = n.points(`SELECT total FROM score_totals WHERE run_id = ? AND entity_code = ?`, run, code)
			default:
				ind, grant := k[:1], k[2:]
				got = n.points(`SELECT points FROM indicator_grant_scores WHERE run_id = ? AND entity_code = ? AND indicator_id = ? AND grant_id = ?`, run, code, ind, grant)
			}
			if got != v {
				t.Errorf("%s %s = %s, want %s", code, k, got, v)
			}
		}
	}
	// The maxima scale the same way: 35 + 40 + 5 = 80 in 支援.
	if v := n.points(`SELECT max_points FROM goal_scores WHERE run_id = ? AND entity_code = '000011' AND grant_id = 'shien'`, run); v != "80.00" {
		t.Errorf("支援 maximum %s, want 80.00", v)
	}
	// The national sheet's matrix has the per-grant points under "ind:<id>/<grant>".
	m, err := n.st.Scores().Matrix(n.ctx, run, "municipality")
	if err != nil {
		t.Fatal(err)
	}
	if got := m["000011"][store.IndicatorKey("Z", "shien")]; got != 0.63 {
		t.Errorf("matrix ind:Z/shien = %g, want 0.63", got)
	}
}

// Indicators floor at 0 unless the rulebook allows them to be negative; grant totals (and so 総合計)
// floor at 0 always.
func TestNegativeIndicatorsAndFloors(t *testing.T) {
	n := newNation(t)
	book := muniBook(2026, 8, `
 {"id": "N", "goal": "A", "group": "i", "name": "floored", "points": 4, "items": [
  {"id": "N-a", "branch": "ア", "question": "q", "points": 4, "rule": {"type": "yesno"}},
  {"id": "N-b", "branch": "イ", "question": "penalty", "points": -6, "rule": {"type": "yesno"}}]},
 {"id": "M", "goal": "A", "group": "i", "name": "may be negative", "points": 4, "allow_negative": true, "items": [
  {"id": "M-a", "question": "q", "points": 4, "rule": {"type": "yesno"}},
  {"id": "M-b", "question": "penalty", "points": -6, "rule": {"type": "yesno"}}]}`)
	n.submit(2026, "municipality", "000011", map[string]string{"N-a": "no", "N-b": "yes", "M-a": "no", "M-b": "yes"})
	n.submit(2026, "municipality", "000012", map[string]string{"N-a": "yes", "N-b": "yes", "M-a": "yes", "M-b": "yes"})
	n.submit(2026, "municipality", "000021", map[string]string{"N-a": "yes", "N-b": "no", "M-a": "yes", "M-b": "yes"})
	run := n.score(2026, book)
	// 000011: N = 0 − 6 → 0 (floor); M = −6 (allowed); goal −6; grant max(−6, 0) = 0; 総合計 0, 得点率 0.
	// 000012: N = 4 − 6 → 0; M = −2; goal −2; grant 0.
	// 000021: N = 4; M = 4 − 6 = −2; goal 2; grant 2; 得点率 2/8 = 0.25.
	for _, c := range []struct{ code, n, m, goal, grant, total, rate string }{
		{"000011", "0.00", "-6.00", "-6.00", "0.00", "0.00", "0.000000000"},
		{"000012", "0.00", "-2.00", "-2.00", "0.00", "0.00", "0.000000000"},
		{"000021", "4.00", "-2.00", "2.00", "2.00", "2.00", "0.250000000"},
	} {
		got := []string{
			n.points(`SELECT points FROM scores WHERE run_id = ? AND entity_code = ? AND indicator_id = 'N'`, run, c.code),
			n.points(`SELECT points FROM scores WHERE run_id = ? AND entity_code = ? AND indicator_id = 'M'`, run, c.code),
			n.points(`SELECT points FROM goal_scores WHERE run_id = ? AND entity_code = ?`, run, c.code),
			n.points(`SELECT points FROM grant_scores WHERE run_id = ? AND entity_code = ?`, run, c.code),
			n.points(`SELECT total FROM score_totals WHERE run_id = ? AND entity_code = ?`, run, c.code),
			n.points(`SELECT rate FROM score_totals WHERE run_id = ? AND entity_code = ?`, run, c.code),
		}
		if fmt.Sprint(got) != fmt.Sprint([]string{c.n, c.m, c.goal, c.grant, c.total, c.rate}) {
			t.Errorf("%s: N, M, goal, grant, 総合計, 得点率 = %v, want %v", c.code, got, []string{c.n, c.m, c.goal, c.grant, c.total, c.rate})
		}
	}
	if r := n.text(`SELECT reason FROM scores WHERE run_id = ? AND entity_code = '000012' AND indicator_id = 'N'`, run); r != "ア4点・イ-6点 → 0点／4点（下限0点）" {
		t.Errorf("floored reason %q", r)
	}
}

// Non-submitters: by default their self-reported items are 0 (未回答) and ministry-supplied values
// still score; with "unsubmitted": "zero" nothing of them scores. Either way submitted stays false.
func TestNonSubmitters(t *testing.T) {
	inds := `
 {"id": "Y", "goal": "A", "group": "i", "name": "self", "points": 4, "items": [{"id": "Y-a", "question": "q", "points": 4, "rule": {"type": "yesno"}}]},
 {"id": "O", "goal": "A", "group": "i", "name": "outcome", "points": 10, "items": [
  {"id": "O-a", "question": "q", "source": "ministry", "points": 10, "rule": {"type": "rank", "bands": [{"top_percent": 50, "points": 10}]}}]}`
	for _, mode := range []string{"", "zero"} {
		t.Run("unsubmitted="+mode, func(t *testing.T) {
			n := newNation(t)
			book := muniBook(2026, 14, inds)
			if mode != "" {
				book = book[:1] + `"unsubmitted": "` + mode + `", ` + book[1:]
			}
			n.submit(2026, "municipality", "000011", map[string]string{"Y-a": "yes"})
			n.submit(2026, "municipality", "000021", map[string]string{"Y-a": "no"})
			// Ministry values for 000011 (3), 000012 (9, no survey) and 000021 (5); none for 000022.
			n.ministry(2026, "O-a", map[string]float64{"000011": 3, "000012": 9, "000021": 5})
			run := n.score(2026, book)
			if mode == "" {
				// O-a ranks 000012 (9) 1st and 000021 (5) 2nd of 3: top 50% is rank/3 ≤ 0.5 → only 000012.
				n.expectItems(run, map[[2]string]itemWant{
					{"000012", "Y-a"}: {0, 4, "unanswered"}, {"000012", "O-a"}: {10, 10, "met"},
					{"000021", "O-a"}: {0, 10, "not_met"}, {"000011", "O-a"}: {0, 10, "not_met"}, {"000022", "O-a"}: {0, 10, "unanswered"},
				})
				if r := n.itemReason(run, "000012", "Y-a"); r != "調査票未提出（未回答）→ 0点" {
					t.Errorf("reason %q", r)
				}
			} else {
				// 000012's value is not scored: 000021 (5) ranks 1st and 000011 (3) 2nd of 2 → 000021.
				n.expectItems(run, map[[2]string]itemWant{
					{"000012", "Y-a"}: {0, 4, "unanswered"}, {"000012", "O-a"}: {0, 10, "unanswered"},
					{"000021", "O-a"}: {10, 10, "met"}, {"000011", "O-a"}: {0, 10, "not_met"},
				})
				if r := n.itemReason(run, "000012", "O-a"); r != "調査票未提出のため国提供値・集計値も採点しない → 0点" {
					t.Errorf("reason %q", r)
				}
			}
			sub := n.text(`SELECT string_agg(entity_code || ':' || submitted, ' ' ORDER BY entity_code) FROM score_totals WHERE run_id = ?`, run)
			if sub != "000011:true 000012:false 000021:true 000022:false" {
				t.Errorf("submitted flags %s", sub)
			}
		})
	}
}

// count_low with the population SD (the default) and the sample SD, hand-computed. Municipal 得点率
// 1, 1, 1 and 0.2: mean m = 0.8; population SD = √(3·0.2² + 0.6²)/2 = √0.48/2 = 0.34641; sample SD
// = √(0.48/3) = 0.4. With k = 1.6: m − k·SD = 0.8 − 0.55426 = 0.24574 (population: 0.2 is low) or
// 0.8 − 0.64 = 0.16 (sample: 0.2 is not low). Without the SD term the threshold would be 0.8 and
// 0.2 low in both.
func TestCountLowSDKinds(t *testing.T) {
	n := newNation(t)
	muni := muniBook(2026, 10, `
 {"id": "V", "goal": "A", "group": "i", "name": "v", "points": 10, "items": [
  {"id": "V-a", "question": "v", "points": 10, "rule": {"type": "linear", "min": 0, "lower": 0, "upper": 10}}]}`)
	pref := `{"fiscal_year": 2026, "level": "prefecture", "version": "t",
 "grants": [{"id": "g", "name": "G", "points": 20}],
 "goals": [{"id": "A", "label": "A", "name": "a", "points": 20, "grants": {"g": 20}}],
 "groups": [{"id": "i"}],
 "indicators": [
  {"id": "P", "goal": "A", "group": "i", "name": "population SD", "points": 10, "items": [{"id": "P-a", "question": "q", "unit": "市町村", "source": "rollup", "points": 10,
    "rollup": {"level": "municipality", "measure": "count_low", "sd": 1.6},
    "rule": {"type": "threshold", "min": 0, "bands": [{"to": 1, "points": 10}, {"from": 1, "points": 0}]}}]},
  {"id": "S", "goal": "A", "group": "i", "name": "sample SD", "points": 10, "items": [{"id": "S-a", "question": "q", "unit": "市町村", "source": "rollup", "points": 10,
    "rollup": {"level": "municipality", "measure": "count_low", "sd": 1.6, "sd_kind": "sample"},
    "rule": {"type": "threshold", "min": 0, "bands": [{"to": 1, "points": 10}, {"from": 1, "points": 0}]}}]}]}`
	for code, v := range map[string]string{"000011": "10", "000012": "10", "000021": "10", "000022": "2"} {
		n.submit(2026, "municipality", code, map[string]string{"V-a": v})
	}
	run := n.score(2026, muni, pref)
	n.expectItems(run, map[[2]string]itemWant{
		{"P01", "P-a"}: {10, 10, "met"}, {"P02", "P-a"}: {0, 10, "not_met"},
		{"P01", "S-a"}: {10, 10, "met"}, {"P02", "S-a"}: {10, 10, "met"},
	})
	for item, want := range map[string]string{
		"P-a": "集計値 1市町村（得点率が全国平均80% − 1.6×標準偏差34.6% = 24.6%未満の市町村数）（1市町村以上）→ 0点",
		"S-a": "集計値 0市町村（得点率が全国平均80% − 1.6×標準偏差（標本）40% = 16%未満の市町村数）（1市町村未満）→ 10点",
	} {
		if got := n.itemReason(run, "P02", item); got != want {
			t.Errorf("%s reason %q, want %q", item, got, want)
		}
	}
}

// Rank within the size band (第1号被保険者数 <3k: 000011, 000012; 10k–50k: 000021, 000022), against
// the national rank of the same values.
func TestSizeBandRank(t *testing.T) {
	n := newNation(t)
	book := muniBook(2026, 8, `
 {"id": "B", "goal": "A", "group": "i", "name": "band", "points": 4, "items": [{"id": "B-a", "question": "v", "points": 4,
   "rule": {"type": "rank", "peers": {"partition": "size_band"}, "bands": [{"top_percent": 50, "points": 4}]}}]},
 {"id": "N", "goal": "A", "group": "i", "name": "nation", "points": 4, "items": [{"id": "N-a", "question": "v", "points": 4,
   "rule": {"type": "rank", "bands": [{"top_percent": 50, "points": 4}]}}]}`)
	for code, v := range map[string]string{"000011": "5", "000012": "1", "000021": "9", "000022": "7"} {
		n.submit(2026, "municipality", code, map[string]string{"B-a": v, "N-a": v})
	}
	run := n.score(2026, book)
	// In band: 000011 1st of 2 (50% → 4), 000012 2nd (0); 000021 1st of 2 (4), 000022 2nd (0).
	// Nationally: 9, 7, 5, 1 → 000021 1st, 000022 2nd (50% → 4), 000011 3rd and 000012 4th (0).
	n.expectItems(run, map[[2]string]itemWant{
		{"000011", "B-a"}: {4, 4, "met"}, {"000012", "B-a"}: {0, 4, "not_met"}, {"000021", "B-a"}: {4, 4, "met"}, {"000022", "B-a"}: {0, 4, "not_met"},
		{"000011", "N-a"}: {0, 4, "not_met"}, {"000012", "N-a"}: {0, 4, "not_met"}, {"000021", "N-a"}: {4, 4, "met"}, {"000022", "N-a"}: {4, 4, "met"},
	})
	if r := n.itemReason(run, "000011", "B-a"); r != "回答 5 規模区分内順位 1/2（上位50%）（上位50%以内）→ 4点" {
		t.Errorf("reason %q", r)
	}
}

// previous_item: a change against another item's value of last year (the indicator was renumbered).
func TestChangeAgainstPreviousItem(t *testing.T) {
	n := newNation(t)
	book := muniBook(2026, 4, `
 {"id": "New", "goal": "A", "group": "i", "name": "renumbered", "points": 4, "items": [
  {"id": "New-a", "question": "rate", "unit": "ポイント", "points": 4, "rule": {"type": "threshold", "value": "change", "previous_item": "Old-a",
   "bands": [{"to": 0, "points": 0}, {"from": 0, "to": 5, "points": 2}, {"from": 5, "points": 4}]}}]}`)
	// Last year 000012 also had an item New-a (0), which must not be read: the change is against Old-a.
	n.submit(2025, "municipality", "000011", map[string]string{"Old-a": "40"})
	n.submit(2025, "municipality", "000012", map[string]string{"Old-a": "60", "New-a": "0"})
	n.submit(2026, "municipality", "000011", map[string]string{"New-a": "47.5"})
	n.submit(2026, "municipality", "000012", map[string]string{"New-a": "58"})
	run := n.score(2026, book)
	// 47.5 − 40 = 7.5 → 4; 58 − 60 = −2 → 0 (against New-a's 0 it would be 58 → 4).
	n.expectItems(run, map[[2]string]itemWant{{"000011", "New-a"}: {4, 4, "met"}, {"000012", "New-a"}: {0, 4, "not_met"}})
	if r := n.itemReason(run, "000011", "New-a"); r != "今年度 47.5 − 前年度 40 = 7.5（5ポイント以上）→ 4点" {
		t.Errorf("reason %q", r)
	}
}

// capped: the items add up to more than the indicator's points and the excess is cut.
func TestCappedIndicator(t *testing.T) {
	n := newNation(t)
	book := muniBook(2026, 10, `
 {"id": "K", "goal": "A", "group": "i", "name": "capped", "points": 10, "capped": true, "items": [
  {"id": "K-a", "branch": "ア", "question": "q", "points": 6, "rule": {"type": "yesno"}},
  {"id": "K-b", "branch": "イ", "question": "q", "points": 6, "rule": {"type": "yesno"}}]}`)
	n.submit(2026, "municipality", "000011", map[string]string{"K-a": "yes", "K-b": "yes"})
	n.submit(2026, "municipality", "000012", map[string]string{"K-a": "yes", "K-b": "no"})
	run := n.score(2026, book)
	// 6 + 6 = 12 → cut to 10 of 10; 6 + 0 = 6 of 10.
	for code, want := range map[string]string{"000011": "10.00/10.00 ア6点・イ6点 → 10点／10点（上限10点）", "000012": "6.00/10.00 ア6点・イ0点 → 6点／10点"} {
		got := n.text(`SELECT CAST(points AS VARCHAR) || '/' || CAST(max_points AS VARCHAR) || ' ' || reason FROM scores WHERE run_id = ? AND entity_code = ? AND indicator_id = 'K'`, run, code)
		if got != want {
			t.Errorf("%s: %q, want %q", code, got, want)
		}
	}
}

// Rank peers and prerequisites: by default (keep) an entity whose prerequisite is not met keeps its
// place among the peers and scores 0; with "prerequisite": "exclude" it leaves the peer set.
func TestRankPeersAndPrerequisites(t *testing.T) {
	n := newNation(t)
	bands := `[{"top_percent": 34, "points": 4}, {"top_percent": 67, "points": 2}]`
	book := muniBook(2026, 10, fmt.Sprintf(`
 {"id": "R", "goal": "A", "group": "i", "name": "r", "points": 10, "items": [
  {"id": "R-a", "question": "q", "points": 2, "rule": {"type": "yesno"}},
  {"id": "K-b", "question": "v", "points": 4, "requires": ["R-a"], "rule": {"type": "rank", "bands": %[1]s}},
  {"id": "E-b", "question": "v", "points": 4, "requires": ["R-a"], "rule": {"type": "rank", "peers": {"prerequisite": "exclude"}, "bands": %[1]s}}]}`, bands))
	for code, a := range map[string][2]string{"000011": {"no", "10"}, "000012": {"yes", "8"}, "000021": {"yes", "6"}, "000022": {"yes", "4"}} {
		n.submit(2026, "municipality", code, map[string]string{"R-a": a[0], "K-b": a[1], "E-b": a[1]})
	}
	run := n.score(2026, book)
	// keep: 10, 8, 6, 4 → ranks 1–4 of 4: 000011 (25%, prerequisite not met → 0), 000012 2/4 = 50%
	// → 2, 000021 3/4 = 75% → 0, 000022 0.
	// exclude: 000011 leaves; 000012 1/3 = 33.3% ≤ 34 → 4, 000021 2/3 = 66.7% ≤ 67 → 2, 000022 3/3 → 0.
	n.expectItems(run, map[[2]string]itemWant{
		{"000011", "K-b"}: {0, 4, "not_met"}, {"000012", "K-b"}: {2, 4, "met"}, {"000021", "K-b"}: {0, 4, "not_met"}, {"000022", "K-b"}: {0, 4, "not_met"},
		{"000011", "E-b"}: {0, 4, "not_met"}, {"000012", "E-b"}: {4, 4, "met"}, {"000021", "E-b"}: {2, 4, "met"}, {"000022", "E-b"}: {0, 4, "not_met"},
	})
	ranks := n.text(`SELECT string_agg(entity_code || ':' || item_id || ':' || coalesce(CAST(rank_no AS VARCHAR), '-') || '/' || coalesce(CAST(rank_of AS VARCHAR), '-'), ' ' ORDER BY item_id, entity_code)
		FROM item_scores WHERE run_id = ? AND item_id IN ('K-b', 'E-b')`, run)
	if want := "000011:E-b:-/3 000012:E-b:1/3 000021:E-b:2/3 000022:E-b:3/3 000011:K-b:1/4 000012:K-b:2/4 000021:K-b:3/4 000022:K-b:4/4"; ranks != want {
		t.Errorf("ranks %s, want %s", ranks, want)
	}
	if r := n.itemReason(run, "000011", "E-b"); r != "前提のR-aが未達成のため順位付けの対象外 → 0点" {
		t.Errorf("excluded reason %q", r)
	}
	if r := n.itemReason(run, "000011", "K-b"); r != "回答 10 全国順位 1/4（上位25%）（上位34%以内）→ 4点。ただし前提のR-aが未達成のため → 0点" {
		t.Errorf("kept reason %q", r)
	}
}
