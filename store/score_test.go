package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// A small rulebook with every primitive of the foundation: a checklist of yes/no items, threshold
// bands, national rank bands in both directions, and a goal that counts in both grants.
const tinyRulebook = `{
 "fiscal_year": 2026, "action_year": 2025, "era_label": "令和8年度", "level": "municipality", "version": "t1",
 "title": "テスト", "provenance": "test",
 "grants": [{"id": "suishin", "name": "推進", "short": "推進", "points": 24}, {"id": "shien", "name": "支援", "short": "支援", "points": 12}],
 "goals": [
  {"id": "A", "label": "推進 目標Ⅰ", "name": "a", "points": 16, "grants": {"suishin": 16}},
  {"id": "B", "label": "支援 目標Ⅰ", "name": "b", "points": 4, "grants": {"shien": 4}},
  {"id": "O", "label": "目標Ⅳ", "name": "o", "points": 8, "grants": {"suishin": 8, "shien": 8}}],
 "groups": [{"id": "i", "label": "(ⅰ)", "name": "x"}, {"id": "ii", "label": "(ⅱ)", "name": "y"}],
 "indicators": [
  {"id": "C", "goal": "A", "group": "i", "no": "1", "name": "checklist", "points": 8, "items": [
    {"id": "C-a", "branch": "ア", "question": "q1", "points": 4, "rule": {"type": "yesno"}},
    {"id": "C-b", "branch": "イ", "question": "q2", "points": 4, "rule": {"type": "yesno"}}]},
  {"id": "T", "goal": "A", "group": "ii", "no": "2", "name": "threshold", "points": 4, "items": [
    {"id": "T-a", "branch": "ア", "question": "rate", "unit": "%", "points": 4, "rule": {"type": "threshold", "min": 0, "max": 100,
      "bands": [{"to": 10, "points": 0}, {"from": 10, "to": 20, "points": 2}, {"from": 20, "points": 4}]}}]},
  {"id": "L", "goal": "A", "group": "ii", "no": "3", "name": "rank lower", "points": 4, "items": [
    {"id": "L-a", "branch": "ア", "question": "days", "unit": "日", "points": 4, "rule": {"type": "rank", "direction": "lower",
      "bands": [{"top_percent": 25, "points": 4}, {"top_percent": 50, "points": 2}, {"top_percent": 75, "points": 1}]}}]},
  {"id": "H", "goal": "B", "group": "ii", "no": "1", "name": "rank higher", "points": 4, "items": [
    {"id": "H-a", "branch": "ア", "question": "count", "points": 4, "rule": {"type": "rank",
      "bands": [{"top_percent": 25, "points": 4}, {"top_percent": 50, "points": 2}, {"top_percent": 75, "points": 1}]}}]},
  {"id": "O-1", "goal": "O", "group": "ii", "no": "1", "name": "outcome", "points": 8, "items": [
    {"id": "O-1-a", "branch": "ア", "question": "outcome", "source": "ministry", "points": 8, "rule": {"type": "rank",
      "bands": [{"top_percent": 50, "points": 8}]}}]}
 ]}`

type ans struct {
	item  string
	text  string
	num   float64
	blank bool
}

func yes(id string) ans            { return ans{item: id, text: "はい", num: 1} }
func no(id string) ans             { return ans{item: id, text: "いいえ", num: 0} }
func blank(id string) ans          { return ans{item: id, blank: true} }
func val(id string, v float64) ans { return ans{item: id, text: "v", num: v} }

func TestScorePrimitives(t *testing.T) {
	ctx := context.Background()
	rb, err := indicators.Parse("tiny.json", []byte(tinyRulebook))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Now = func() time.Time { return time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC) }
	codes := []string{"000001", "000002", "000003", "000004", "000005"}
	ref := &loaders.Reference{}
	for _, c := range codes {
		ref.Entities = append(ref.Entities, loaders.Entity{Code: c, Level: "municipality", PrefectureCode: "00", NameJA: "町" + c})
		ref.Populations = append(ref.Populations, loaders.Population{Code: c, Age65Plus: 1000, ReferenceDate: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	if _, _, err := st.Reference().Load(ctx, 2026, 2018, store.ReferenceFile{Name: "t", SHA256: "x"}, ref, "test"); err != nil {
		t.Fatal(err)
	}
	// Answers. H: 10, 10, 8, 5, blank → ranks 1, 1, 3, 4 of 4. L: same values, lower is better →
	// ranks 3, 3, 2, 1 of 4. T: 9.99, 10, 20, blank, 100.
	answers := map[string][]ans{
		"000001": {yes("C-a"), yes("C-b"), val("T-a", 9.99), val("L-a", 10), val("H-a", 10)},
		"000002": {yes("C-a"), no("C-b"), val("T-a", 10), val("L-a", 10), val("H-a", 10)},
		"000003": {no("C-a"), blank("C-b"), val("T-a", 20), val("L-a", 8), val("H-a", 8)},
		"000004": {blank("C-a"), blank("C-b"), blank("T-a"), val("L-a", 5), val("H-a", 5)},
		"000005": {yes("C-a"), yes("C-b"), val("T-a", 100), blank("L-a"), blank("H-a")},
	}
	for _, c := range codes {
		var rows []store.AnswerRow
		for _, a := range answers[c] {
			rows = append(rows, store.AnswerRow{EntityCode: c, Answer: loaders.Answer{ItemID: a.item, Text: a.text, Num: a.num, Blank: a.blank, Cell: "回答!F1"}})
		}
		if _, err := st.Submissions().Add(ctx, store.SubmissionMeta{FiscalYear: 2026, EntityCode: c, Level: "municipality", Kind: "survey", FileName: c, SHA256: c}, rows); err != nil {
			t.Fatal(err)
		}
	}
	// Outcomes for 4 entities (the fifth has none): 1 and 2 tie at the top.
	var out []store.AnswerRow
	for c, v := range map[string]float64{"000001": 9, "000002": 9, "000003": 1, "000004": 0} {
		out = append(out, store.AnswerRow{EntityCode: c, Answer: loaders.Answer{ItemID: "O-1-a", Text: "v", Num: v, Cell: "1行目"}})
	}
	if _, err := st.Submissions().Add(ctx, store.SubmissionMeta{FiscalYear: 2026, EntityCode: store.MinistryCode, Level: "ministry", Kind: "outcomes", FileName: "o.csv", SHA256: "o"}, out); err != nil {
		t.Fatal(err)
	}
	if err := st.Scores().RegisterRulebook(ctx, rb, rb.Content); err != nil {
		t.Fatal(err)
	}
	run, err := st.Runs().Start(ctx, store.KindScore, 2026, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := st.Scores().Compute(ctx, run, 2026, []*indicators.Rulebook{rb})
	if err != nil {
		t.Fatal(err)
	}
	if l := sum.Level(indicators.Municipality); l.Entities != 5 || l.Submitted != 5 || len(sum.Inputs) != 6 {
		t.Errorf("summary %+v", sum)
	}

	type want struct {
		points float64
		status string
	}
	items := map[[2]string]want{
		{"000001", "C-a"}: {4, "met"}, {"000001", "C-b"}: {4, "met"},
		{"000002", "C-b"}: {0, "not_done"}, {"000003", "C-b"}: {0, "unanswered"},
		// Threshold bands are [from, to): 9.99 → 0, 10 → 2, 20 → 4, 100 → 4, blank → unanswered.
		{"000001", "T-a"}: {0, "not_met"}, {"000002", "T-a"}: {2, "met"}, {"000003", "T-a"}: {4, "met"},
		{"000004", "T-a"}: {0, "unanswered"}, {"000005", "T-a"}: {4, "met"},
		// Rank, higher better: 10,10,8,5 → ranks 1,1,3,4 of 4; rank/n ≤ 25% → 4, ≤ 50% → 2, ≤ 75% → 1.
		{"000001", "H-a"}: {4, "met"}, {"000002", "H-a"}: {4, "met"}, {"000003", "H-a"}: {1, "met"},
		{"000004", "H-a"}: {0, "not_met"}, {"000005", "H-a"}: {0, "unanswered"},
		// Rank, lower better: 5 → 1st, 8 → 2nd (50%: edge, included), 10,10 → 3rd (75%: edge).
		{"000004", "L-a"}: {4, "met"}, {"000003", "L-a"}: {2, "met"}, {"000001", "L-a"}: {1, "met"}, {"000002", "L-a"}: {1, "met"},
		// Outcomes: 9, 9, 1, 0 → ranks 1, 1, 3, 4; top 50% → 8.
		{"000001", "O-1-a"}: {8, "met"}, {"000002", "O-1-a"}: {8, "met"}, {"000003", "O-1-a"}: {0, "not_met"}, {"000005", "O-1-a"}: {0, "unanswered"},
	}
	for k, w := range items {
		var p float64
		var status, reason string
		err := store.DB(st).QueryRow(`SELECT CAST(points AS DOUBLE), status, reason FROM item_scores WHERE run_id = ? AND entity_code = ? AND item_id = ?`, run, k[0], k[1]).Scan(&p, &status, &reason)
		if err != nil {
			t.Fatalf("%v: %v", k, err)
		}
		if p != w.points || status != w.status {
			t.Errorf("%s %s: %g points (%s), want %g (%s); reason %s", k[0], k[1], p, status, w.points, w.status, reason)
		}
	}
	var reason string
	store.DB(st).QueryRow(`SELECT reason FROM item_scores WHERE run_id = ? AND entity_code = '000003' AND item_id = 'H-a'`, run).Scan(&reason)
	if reason != "回答 v 全国順位 3/4（上位75%）（上位75%以内）→ 1点" {
		t.Errorf("rank reason %q", reason)
	}
	store.DB(st).QueryRow(`SELECT reason FROM scores WHERE run_id = ? AND entity_code = '000002' AND indicator_id = 'C'`, run).Scan(&reason)
	if reason != "ア4点・イ0点 → 4点／8点" {
		t.Errorf("checklist reason %q", reason)
	}

	// Totals: 推進 = A + O, 支援 = B + O, 総合計 = 推進 + 支援 (O counts twice).
	totals := map[string][3]float64{ // suishin, shien, total
		"000001": {8 + 0 + 1 + 8, 4 + 8, 17 + 12},
		"000002": {4 + 2 + 1 + 8, 4 + 8, 15 + 12},
		"000003": {0 + 4 + 2 + 0, 1, 6 + 1},
		"000004": {0 + 0 + 4 + 0, 0, 4},
		"000005": {8 + 4 + 0 + 0, 0, 12},
	}
	for c, w := range totals {
		var su, sh, tot float64
		store.DB(st).QueryRow(`SELECT CAST(points AS DOUBLE) FROM grant_scores WHERE run_id = ? AND entity_code = ? AND grant_id = 'suishin'`, run, c).Scan(&su)
		store.DB(st).QueryRow(`SELECT CAST(points AS DOUBLE) FROM grant_scores WHERE run_id = ? AND entity_code = ? AND grant_id = 'shien'`, run, c).Scan(&sh)
		store.DB(st).QueryRow(`SELECT CAST(total AS DOUBLE) FROM score_totals WHERE run_id = ? AND entity_code = ?`, run, c).Scan(&tot)
		if su != w[0] || sh != w[1] || tot != w[2] {
			t.Errorf("%s: 推進 %g 支援 %g 総合計 %g, want %v", c, su, sh, tot, w)
		}
	}
	var rate string
	var maxTotal float64
	store.DB(st).QueryRow(`SELECT CAST(rate AS VARCHAR), CAST(max_total AS DOUBLE) FROM score_totals WHERE run_id = ? AND entity_code = '000001'`, run).Scan(&rate, &maxTotal)
	// 29/36 = 0.8055555|55… → 0.805555556 (9 places, half away from zero).
	if maxTotal != 36 || rate != "0.805555556" {
		t.Errorf("rate %s of %g, want 29/36 = 0.805555556", rate, maxTotal)
	}
}

func TestRankTiesShareRank(t *testing.T) {
	// Competition ranking: 000003 and 000005 tie for 2nd behind 000001; 000002 is 4th.
	ctx := context.Background()
	rb, _ := indicators.Parse("tiny.json", []byte(tinyRulebook))
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ref := &loaders.Reference{}
	for _, c := range []string{"000001", "000002", "000003", "000005"} {
		ref.Entities = append(ref.Entities, loaders.Entity{Code: c, Level: "municipality", PrefectureCode: "00", NameJA: c})
		ref.Populations = append(ref.Populations, loaders.Population{Code: c, Age65Plus: 10, ReferenceDate: time.Now()})
	}
	st.Reference().Load(ctx, 2026, 2018, store.ReferenceFile{Name: "t"}, ref, "test")
	for c, yesCount := range map[string]int{"000001": 2, "000002": 0, "000003": 1, "000005": 1} {
		rows := []store.AnswerRow{{EntityCode: c, Answer: loaders.Answer{ItemID: "C-a", Text: "x", Num: 1}}}
		if yesCount == 2 {
			rows = append(rows, store.AnswerRow{EntityCode: c, Answer: loaders.Answer{ItemID: "C-b", Text: "x", Num: 1}})
		}
		if yesCount == 0 {
			rows = rows[:0]
		}
		st.Submissions().Add(ctx, store.SubmissionMeta{FiscalYear: 2026, EntityCode: c, Level: "municipality", Kind: "survey", FileName: c, SHA256: c}, rows)
	}
	st.Scores().RegisterRulebook(ctx, rb, rb.Content)
	run, _ := st.Runs().Start(ctx, store.KindScore, 2026, nil)
	if _, err := st.Scores().Compute(ctx, run, 2026, []*indicators.Rulebook{rb}); err != nil {
		t.Fatal(err)
	}
	for c, want := range map[string]int64{"000001": 1, "000003": 2, "000005": 2, "000002": 4} {
		var rank int64
		store.DB(st).QueryRow(`SELECT national_rank FROM score_totals WHERE run_id = ? AND entity_code = ?`, run, c).Scan(&rank)
		if rank != want {
			t.Errorf("%s: rank %d, want %d", c, rank, want)
		}
	}
}
