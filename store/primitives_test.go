package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// nation is a small hand-made nation: two prefectures, four municipalities, care centres.
type nation struct {
	t   *testing.T
	ctx context.Context
	st  *store.Store
}

func newNation(t *testing.T) *nation {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	day := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	munis := &loaders.Reference{}
	// m1, m2 in prefecture 01; m3, m4 in 02. 65+: 1,000 / 2,000 / 20,000 / 40,000.
	for i, c := range []struct {
		code, pref string
		n65        int64
	}{{"000011", "01", 1000}, {"000012", "01", 2000}, {"000021", "02", 20000}, {"000022", "02", 40000}} {
		munis.Entities = append(munis.Entities, loaders.Entity{Code: c.code, Level: "municipality", PrefectureCode: c.pref, NameJA: fmt.Sprint("町", i)})
		munis.Populations = append(munis.Populations, loaders.Population{Code: c.code, Age65Plus: c.n65, ReferenceDate: day})
	}
	prefs := &loaders.Reference{}
	for _, p := range []string{"01", "02"} {
		prefs.Entities = append(prefs.Entities, loaders.Entity{Code: "P" + p, Level: "prefecture", PrefectureCode: p, NameJA: "県" + p})
		prefs.Populations = append(prefs.Populations, loaders.Population{Code: "P" + p, Age65Plus: 1, ReferenceDate: day})
	}
	for _, fy := range []int{2025, 2026} {
		for _, ref := range []*loaders.Reference{munis, prefs} {
			if _, _, err := st.Reference().Load(ctx, fy, 2018, store.ReferenceFile{Name: ref.Entities[0].Level, SHA256: "x"}, ref, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	centres := []loaders.Entity{
		{Code: "C111", Level: "centre", ParentCode: "000011", PrefectureCode: "01"},
		{Code: "C112", Level: "centre", ParentCode: "000011", PrefectureCode: "01"},
		{Code: "C121", Level: "centre", ParentCode: "000012", PrefectureCode: "01"},
		{Code: "C211", Level: "centre", ParentCode: "000021", PrefectureCode: "02"},
	}
	if _, _, err := st.Reference().AddEntities(ctx, 2025, store.ReferenceFile{Name: "centres", SHA256: "c"}, centres); err != nil {
		t.Fatal(err)
	}
	return &nation{t: t, ctx: ctx, st: st}
}

// submit stores one entity's answers: item → "yes", "no", "" (blank) or a number or an option.
func (n *nation) submit(fy int, level, code string, answers map[string]string) {
	n.t.Helper()
	var rows []store.AnswerRow
	for id, v := range answers {
		a := loaders.Answer{ItemID: id, Text: v, Cell: "x"}
		switch v {
		case "yes":
			a.Num = 1
		case "no":
			a.Num = 0
		case "":
			a.Blank = true
		default:
			fmt.Sscan(v, &a.Num)
		}
		rows = append(rows, store.AnswerRow{EntityCode: code, Answer: a})
	}
	kind := "survey"
	if level == "ministry" {
		kind = "outcomes"
	}
	if _, err := n.st.Submissions().Add(n.ctx, store.SubmissionMeta{FiscalYear: fy, EntityCode: code, Level: level, Kind: kind, FileName: code, SHA256: fmt.Sprint(fy, code, answers)}, rows); err != nil {
		n.t.Fatal(err)
	}
}

func (n *nation) score(fy int, books ...string) int64 {
	n.t.Helper()
	var rbs []*indicators.Rulebook
	for i, src := range books {
		rb, err := indicators.Parse(fmt.Sprintf("book%d.json", i), []byte(src))
		if err != nil {
			n.t.Fatal(err)
		}
		if err := n.st.Scores().RegisterRulebook(n.ctx, rb, rb.Content); err != nil {
			n.t.Fatal(err)
		}
		rbs = append(rbs, rb)
	}
	run, err := n.st.Runs().Start(n.ctx, store.KindScore, fy, nil)
	if err != nil {
		n.t.Fatal(err)
	}
	if _, err := n.st.Scores().Compute(n.ctx, run, fy, rbs); err != nil {
		n.t.Fatal(err)
	}
	return run
}

type itemWant struct {
	points, max float64
	status      string
}

func (n *nation) expectItems(run int64, want map[[2]string]itemWant) {
	n.t.Helper()
	for k, w := range want {
		var p, m float64
		var status, reason string
		err := store.DB(n.st).QueryRow(`SELECT CAST(points AS DOUBLE), CAST(max_points AS DOUBLE), status, reason FROM item_scores WHERE run_id = ? AND entity_code = ? AND item_id = ?`,
			run, k[0], k[1]).Scan(&p, &m, &status, &reason)
		if err != nil {
			n.t.Errorf("%v: %v", k, err)
			continue
		}
		if p != w.points || m != w.max || status != w.status {
			n.t.Errorf("%s %s: %g/%g %s, want %g/%g %s (reason %s)", k[0], k[1], p, m, status, w.points, w.max, w.status, reason)
		}
	}
}

// text runs a query returning one text, e.g. a DECIMAL cast to VARCHAR, to compare exactly.
func (n *nation) text(q string, args ...any) string {
	n.t.Helper()
	var v string
	if err := store.DB(n.st).QueryRow(q, args...).Scan(&v); err != nil {
		n.t.Fatalf("%s: %v", q, err)
	}
	return v
}

func (n *nation) value(q string, args ...any) float64 {
	n.t.Helper()
	var v float64
	if err := store.DB(n.st).QueryRow(q, args...).Scan(&v); err != nil {
		n.t.Fatalf("%s: %v", q, err)
	}
	return v
}

// muniBook wraps indicators into a municipal rulebook with one grant and one goal.
func muniBook(fy, points int, inds string) string {
	return fmt.Sprintf(`{"fiscal_year": %d, "level": "municipality", "version": "t",
 "grants": [{"id": "g", "name": "G", "short": "G", "points": %d}],
 "goals": [{"id": "A", "label": "A", "name": "a", "points": %d, "grants": {"g": %d}}],
 "groups": [{"id": "i"}],
 "indicators": [%s]}`, fy, points, points, points, inds)
}

func TestChoiceLinearNegativeNA(t *testing.T) {
	n := newNation(t)
	book := muniBook(2026, 19, `
 {"id": "C", "goal": "A", "group": "i", "name": "choice", "points": 5, "items": [
  {"id": "C-a", "question": "tier", "points": 5, "rule": {"type": "choice", "options": [
    {"value": "段階3", "points": 5}, {"value": "段階2", "points": 3}, {"value": "なし", "points": 0}]}}]},
 {"id": "L", "goal": "A", "group": "i", "name": "linear", "points": 4, "items": [
  {"id": "L-a", "question": "rate", "points": 4, "rule": {"type": "linear", "lower": 10, "upper": 30}}]},
 {"id": "N", "goal": "A", "group": "i", "name": "na and penalty", "points": 10, "items": [
  {"id": "N-a", "question": "q", "points": 6, "blank": "na", "rule": {"type": "yesno"}},
  {"id": "N-b", "question": "q", "points": 4, "rule": {"type": "yesno"}},
  {"id": "N-c", "question": "penalty", "points": -3, "rule": {"type": "yesno"}}]}`)
	n.submit(2026, "municipality", "000011", map[string]string{"C-a": "段階3", "L-a": "20", "N-a": "yes", "N-b": "yes", "N-c": "no"})
	n.submit(2026, "municipality", "000012", map[string]string{"C-a": "段階2", "L-a": "35", "N-a": "", "N-b": "yes", "N-c": "yes"})
	n.submit(2026, "municipality", "000021", map[string]string{"C-a": "なし", "L-a": "12.5", "N-a": "no", "N-b": "", "N-c": "no"})
	run := n.score(2026, book)
	n.expectItems(run, map[[2]string]itemWant{
		{"000011", "C-a"}: {5, 5, "met"}, {"000012", "C-a"}: {3, 5, "met"}, {"000021", "C-a"}: {0, 5, "not_met"},
		// linear between 10 and 30: 20 → 2, 35 → 4 (capped), 12.5 → 0.5.
		{"000011", "L-a"}: {2, 4, "met"}, {"000012", "L-a"}: {4, 4, "met"}, {"000021", "L-a"}: {0.5, 4, "met"},
		// a blank N-a is 対象外 (max 0); a blank N-b is 未回答 (max stays 4).
		{"000012", "N-a"}: {0, 0, "na"}, {"000021", "N-b"}: {0, 4, "unanswered"},
		{"000012", "N-c"}: {-3, 0, "met"}, {"000011", "N-c"}: {0, 0, "not_done"},
		// no submission: unanswered, full maximum.
		{"000022", "N-a"}: {0, 6, "unanswered"},
	})
	// Indicator N of 000012: 0 (na) + 4 - 3 = 1 of max 4; 000011: 6 + 4 = 10 of 10.
	if v := n.value(`SELECT CAST(points AS DOUBLE) FROM scores WHERE run_id = ? AND entity_code = '000012' AND indicator_id = 'N'`, run); v != 1 {
		t.Errorf("N of 000012 = %g, want 1", v)
	}
	if v := n.value(`SELECT CAST(max_points AS DOUBLE) FROM scores WHERE run_id = ? AND entity_code = '000012' AND indicator_id = 'N'`, run); v != 4 {
		t.Errorf("max of N of 000012 = %g, want 4 (N-a is 対象外)", v)
	}
	// 得点率 of 000012: (3 + 4 + 1) / (5 + 4 + 4) = 8/13 = 0.615384615|38… → 0.615384615 (9 places).
	if v := n.text(`SELECT CAST(rate AS VARCHAR) FROM score_totals WHERE run_id = ? AND entity_code = '000012'`, run); v != "0.615384615" {
		t.Errorf("rate of 000012 = %s, want 8/13 to 9 places, 0.615384615", v)
	}
}

func TestAllOfPrerequisitesMaxChange(t *testing.T) {
	n := newNation(t)
	prev := muniBook(2025, 4, `
 {"id": "V", "goal": "A", "group": "i", "name": "value", "points": 4, "items": [
  {"id": "V-a", "question": "rate", "unit": "%", "points": 4, "rule": {"type": "threshold", "min": 0, "bands": [{"to": 50, "points": 0}, {"from": 50, "points": 4}]}}]}`)
	book := muniBook(2026, 26, `
 {"id": "P", "goal": "A", "group": "i", "name": "prereq and all of", "points": 12, "items": [
  {"id": "P-a", "question": "a", "points": 4, "rule": {"type": "yesno"}},
  {"id": "P-b", "question": "b", "points": 4, "requires": ["P-a"], "rule": {"type": "yesno"}},
  {"id": "P-c", "question": "all", "points": 4, "rule": {"type": "all_of", "items": ["P-a", "P-b"]}}]},
 {"id": "M", "goal": "A", "group": "i", "name": "max", "points": 6, "combine": "max", "items": [
  {"id": "M-a", "question": "a", "points": 6, "rule": {"type": "yesno"}},
  {"id": "M-b", "question": "b", "points": 3, "rule": {"type": "yesno"}}]},
 {"id": "V", "goal": "A", "group": "i", "name": "value", "points": 4, "items": [
  {"id": "V-a", "question": "rate", "unit": "%", "points": 4, "rule": {"type": "threshold", "min": 0, "bands": [{"to": 50, "points": 0}, {"from": 50, "points": 4}]}}]},
 {"id": "D", "goal": "A", "group": "i", "name": "change", "points": 4, "items": [
  {"id": "D-a", "question": "change of V-a", "unit": "ポイント", "points": 4, "rule": {"type": "threshold", "value": "change", "current_item": "V-a",
    "bands": [{"to": 0, "points": 0}, {"from": 0, "to": 5, "points": 2}, {"from": 5, "points": 4}]}}]}`)
	n.submit(2025, "municipality", "000011", map[string]string{"V-a": "40"})
	n.submit(2025, "municipality", "000012", map[string]string{"V-a": "60"})
	n.submit(2026, "municipality", "000011", map[string]string{"P-a": "yes", "P-b": "yes", "M-a": "no", "M-b": "yes", "V-a": "47"})
	n.submit(2026, "municipality", "000012", map[string]string{"P-a": "no", "P-b": "yes", "M-a": "yes", "M-b": "yes", "V-a": "58"})
	n.submit(2026, "municipality", "000021", map[string]string{"P-a": "yes", "P-b": "no", "M-a": "", "M-b": "", "V-a": "70"})
	_ = prev // the FY2025 rulebook is not scored here: only its answers are read
	run := n.score(2026, book)
	n.expectItems(run, map[[2]string]itemWant{
		{"000011", "P-b"}: {4, 4, "met"}, {"000011", "P-c"}: {4, 4, "met"},
		// P-b answered yes but its prerequisite P-a is not met: cut to 0.
		{"000012", "P-b"}: {0, 4, "not_met"}, {"000012", "P-c"}: {0, 4, "not_met"},
		{"000021", "P-c"}: {0, 4, "not_met"},
		// change: 47 − 40 = 7 → 4; 58 − 60 = −2 → 0; 000021 has no previous value → 0, unanswered.
		{"000011", "D-a"}: {4, 4, "met"}, {"000012", "D-a"}: {0, 4, "not_met"}, {"000021", "D-a"}: {0, 4, "unanswered"},
	})
	for code, want := range map[string]float64{"000011": 3, "000012": 6, "000021": 0} {
		if v := n.value(`SELECT CAST(points AS DOUBLE) FROM scores WHERE run_id = ? AND entity_code = ? AND indicator_id = 'M'`, run, code); v != want {
			t.Errorf("max of alternatives for %s = %g, want %g", code, v, want)
		}
	}
	var reason string
	store.DB(n.st).QueryRow(`SELECT reason FROM item_scores WHERE run_id = ? AND entity_code = '000011' AND item_id = 'D-a'`, run).Scan(&reason)
	if reason != "今年度 47 − 前年度 40 = 7（5ポイント以上）→ 4点" {
		t.Errorf("change reason %q", reason)
	}
}

func TestRankPeerSets(t *testing.T) {
	n := newNation(t)
	bands := `[{"top_percent": 50, "points": 4}]`
	book := muniBook(2026, 12, fmt.Sprintf(`
 {"id": "N", "goal": "A", "group": "i", "name": "nation", "points": 4, "items": [{"id": "N-a", "question": "v", "points": 4, "rule": {"type": "rank", "bands": %[1]s}}]},
 {"id": "P", "goal": "A", "group": "i", "name": "prefecture", "points": 4, "items": [{"id": "P-a", "question": "v", "points": 4, "rule": {"type": "rank", "peers": {"partition": "prefecture"}, "bands": %[1]s}}]},
 {"id": "S", "goal": "A", "group": "i", "name": "all", "points": 4, "items": [{"id": "S-a", "question": "v", "points": 4, "rule": {"type": "rank", "peers": {"denominator": "all"}, "bands": %[1]s}}]}`, bands))
	// Values 1, 2, 3, 4 for 000011 … 000022; 000022 leaves S-a blank.
	vals := map[string]string{"000011": "1", "000012": "2", "000021": "3", "000022": "4"}
	for code, v := range vals {
		a := map[string]string{"N-a": v, "P-a": v, "S-a": v}
		if code == "000022" {
			a["S-a"] = ""
		}
		n.submit(2026, "municipality", code, a)
	}
	run := n.score(2026, book)
	n.expectItems(run, map[[2]string]itemWant{
		// national: ranks 4,3,2,1 of 4; top 50% → 000021, 000022.
		{"000012", "N-a"}: {0, 4, "not_met"}, {"000021", "N-a"}: {4, 4, "met"},
		// within prefecture: 000012 is 1st of 2 in 01, 000021 2nd of 2 in 02.
		{"000012", "P-a"}: {4, 4, "met"}, {"000011", "P-a"}: {0, 4, "not_met"}, {"000021", "P-a"}: {0, 4, "not_met"},
		// denominator all: 000021 is 1st of 4 (not of 3 answered) → top 25% ✓; 000012 2nd of 4 → 50% ✓.
		{"000021", "S-a"}: {4, 4, "met"}, {"000012", "S-a"}: {4, 4, "met"}, {"000011", "S-a"}: {0, 4, "not_met"},
	})
	if v := n.value(`SELECT rank_of FROM item_scores WHERE run_id = ? AND entity_code = '000011' AND item_id = 'P-a'`, run); v != 2 {
		t.Errorf("prefecture peer set has %g members, want 2", v)
	}
}

func TestRollups(t *testing.T) {
	n := newNation(t)
	centre := `{"fiscal_year": 2026, "level": "centre", "version": "t",
 "grants": [{"id": "h", "name": "評価", "points": 10}],
 "goals": [{"id": "A", "label": "A", "name": "a", "points": 10, "grants": {"h": 10}}],
 "groups": [{"id": "i"}],
 "indicators": [{"id": "K", "goal": "A", "group": "i", "name": "k", "points": 10, "items": [
   {"id": "K-a", "question": "a", "points": 5, "rule": {"type": "yesno"}},
   {"id": "K-b", "question": "b", "points": 5, "rule": {"type": "yesno"}}]}]}`
	muni := muniBook(2026, 20, `
 {"id": "R", "goal": "A", "group": "i", "name": "centres", "points": 10, "items": [
  {"id": "R-a", "question": "share of centres at 80%+", "unit": "%", "source": "rollup", "points": 10,
   "rollup": {"level": "centre", "measure": "share_rate_at_least", "rate_at_least": 80},
   "rule": {"type": "threshold", "min": 0, "bands": [{"to": 50, "points": 0}, {"from": 50, "points": 10}]}}]},
 {"id": "Y", "goal": "A", "group": "i", "name": "yes", "points": 10, "items": [
  {"id": "Y-a", "question": "q", "points": 10, "rule": {"type": "yesno"}}]}`)
	pref := `{"fiscal_year": 2026, "level": "prefecture", "version": "t",
 "grants": [{"id": "g", "name": "G", "points": 40}],
 "goals": [{"id": "A", "label": "A", "name": "a", "points": 40, "grants": {"g": 40}}],
 "groups": [{"id": "i"}],
 "indicators": [
  {"id": "S", "goal": "A", "group": "i", "name": "share met", "points": 10, "items": [{"id": "S-a", "question": "q", "unit": "%", "source": "rollup", "points": 10,
    "rollup": {"level": "municipality", "measure": "share_item_met", "item": "Y-a"},
    "rule": {"type": "threshold", "min": 0, "bands": [{"to": 100, "points": 0}, {"from": 100, "points": 10}]}}]},
  {"id": "M", "goal": "A", "group": "i", "name": "mean rate", "points": 10, "items": [{"id": "M-a", "question": "q", "unit": "%", "source": "rollup", "points": 10,
    "rollup": {"level": "municipality", "measure": "mean_rate"},
    "rule": {"type": "threshold", "min": 0, "bands": [{"to": 50, "points": 0}, {"from": 50, "points": 10}]}}]},
  {"id": "V", "goal": "A", "group": "i", "name": "mean value", "points": 10, "items": [{"id": "V-a", "question": "q", "unit": "%", "source": "rollup", "points": 10,
    "rollup": {"level": "municipality", "measure": "mean_value", "item": "O-a"},
    "rule": {"type": "rank", "bands": [{"top_percent": 50, "points": 10}]}}]},
  {"id": "L", "goal": "A", "group": "i", "name": "low", "points": 10, "items": [{"id": "L-a", "question": "q", "unit": "市町村", "source": "rollup", "points": 10,
    "rollup": {"level": "municipality", "measure": "count_low", "sd": 1},
    "rule": {"type": "threshold", "min": 0, "bands": [{"to": 1, "points": 10}, {"from": 1, "points": 0}]}}]}]}`
	// The municipal book needs O-a for the prefecture's mean_value: ministry-supplied.
	muni = muniBook(2026, 30, `
 {"id": "R", "goal": "A", "group": "i", "name": "centres", "points": 10, "items": [
  {"id": "R-a", "question": "share of centres at 80%+", "unit": "%", "source": "rollup", "points": 10,
   "rollup": {"level": "centre", "measure": "share_rate_at_least", "rate_at_least": 80},
   "rule": {"type": "threshold", "min": 0, "bands": [{"to": 50, "points": 0}, {"from": 50, "points": 10}]}}]},
 {"id": "Y", "goal": "A", "group": "i", "name": "yes", "points": 10, "items": [
  {"id": "Y-a", "question": "q", "points": 10, "rule": {"type": "yesno"}}]},
 {"id": "O", "goal": "A", "group": "i", "name": "outcome", "points": 10, "items": [
  {"id": "O-a", "question": "q", "source": "ministry", "points": 10, "rule": {"type": "rank", "bands": [{"top_percent": 50, "points": 10}]}}]}`)
	// Centres: C111 10/10, C112 5/10, C121 10/10, C211 0/10.
	n.submit(2026, "centre", "C111", map[string]string{"K-a": "yes", "K-b": "yes"})
	n.submit(2026, "centre", "C112", map[string]string{"K-a": "yes", "K-b": "no"})
	n.submit(2026, "centre", "C121", map[string]string{"K-a": "yes", "K-b": "yes"})
	n.submit(2026, "centre", "C211", map[string]string{"K-a": "no", "K-b": "no"})
	n.submit(2026, "municipality", "000011", map[string]string{"Y-a": "yes"})
	n.submit(2026, "municipality", "000012", map[string]string{"Y-a": "yes"})
	n.submit(2026, "municipality", "000021", map[string]string{"Y-a": "no"})
	n.submit(2026, "municipality", "000022", map[string]string{"Y-a": "yes"})
	n.submit(2026, "ministry", "MHLW", nil)
	var outs []store.AnswerRow
	for code, v := range map[string]float64{"000011": 10, "000012": 20, "000021": 50, "000022": 70} {
		outs = append(outs, store.AnswerRow{EntityCode: code, Answer: loaders.Answer{ItemID: "O-a", Text: fmt.Sprint(v), Num: v, Cell: "x"}})
	}
	if _, err := n.st.Submissions().Add(n.ctx, store.SubmissionMeta{FiscalYear: 2026, EntityCode: "MHLW", Level: "ministry", Kind: "outcomes", FileName: "o", SHA256: "o2"}, outs); err != nil {
		t.Fatal(err)
	}
	run := n.score(2026, centre, muni, pref)
	n.expectItems(run, map[[2]string]itemWant{
		// 000011: centres C111 (100%) and C112 (50%): 1 of 2 at 80%+ = 50% → 10. 000012: 1 of 1.
		// 000021: C211 at 0%: 0% → 0. 000022 has no centre: no value → unanswered.
		{"000011", "R-a"}: {10, 10, "met"}, {"000012", "R-a"}: {10, 10, "met"}, {"000021", "R-a"}: {0, 10, "not_met"},
		{"000022", "R-a"}: {0, 10, "unanswered"},
		// Prefecture 01: both municipalities met Y-a (100%); 02: 1 of 2 (50%).
		{"P01", "S-a"}: {10, 10, "met"}, {"P02", "S-a"}: {0, 10, "not_met"},
		// mean value of O-a: 01 → 15, 02 → 60: 02 ranks first of 2.
		{"P02", "V-a"}: {10, 10, "met"}, {"P01", "V-a"}: {0, 10, "not_met"},
	})
	// Municipal totals: 000011 10+10+0 (O-a 10 is 4th) = 20 of 30; 000012 10+10+0 = 20; 000021 0+0+10 = 10;
	// 000022 0+10+10 = 20. Rates 2/3, 2/3, 1/3, 2/3: mean 5/9, SD (pop) = √2/9 ≈ 0.157.
	// Prefecture 01 mean rate = 2/3 → 66.7% ≥ 50 → 10; 02 = (1/3 + 2/3)/2 = 50% → 10.
	n.expectItems(run, map[[2]string]itemWant{{"P01", "M-a"}: {10, 10, "met"}, {"P02", "M-a"}: {10, 10, "met"}})
	// Below mean − 1·SD = 0.555 − 0.157 = 0.398: only 000021 (1/3) → P02 has 1 → 0 points; P01 has 0 → 10.
	n.expectItems(run, map[[2]string]itemWant{{"P01", "L-a"}: {10, 10, "met"}, {"P02", "L-a"}: {0, 10, "not_met"}})
	if v := n.value(`SELECT value_num FROM (SELECT 1) LEFT JOIN (SELECT CAST(rank_of AS DOUBLE) AS value_num FROM item_scores WHERE run_id = ? AND entity_code = 'P01' AND item_id = 'V-a') ON TRUE`, run); v != 2 {
		t.Errorf("prefectures ranked among %g, want 2", v)
	}
}

func TestPastYearUnchangedByNewYear(t *testing.T) {
	// Scoring FY2025 gives the same points whether or not a FY2026 rulebook and submissions exist.
	n := newNation(t)
	b25 := muniBook(2025, 8, `{"id": "X", "goal": "A", "group": "i", "name": "x", "points": 8, "items": [
  {"id": "X-a", "question": "q", "points": 4, "rule": {"type": "yesno"}},
  {"id": "X-b", "question": "v", "points": 4, "rule": {"type": "rank", "bands": [{"top_percent": 50, "points": 4}]}}]}`)
	n.submit(2025, "municipality", "000011", map[string]string{"X-a": "yes", "X-b": "3"})
	n.submit(2025, "municipality", "000012", map[string]string{"X-a": "no", "X-b": "5"})
	before := n.score(2025, b25)
	b26 := muniBook(2026, 8, `{"id": "X", "goal": "A", "group": "i", "name": "x", "points": 8, "items": [
  {"id": "X-a", "question": "q", "points": 8, "rule": {"type": "yesno"}}]}`)
	n.submit(2026, "municipality", "000011", map[string]string{"X-a": "no"})
	n.score(2026, b26)
	after := n.score(2025, b25)
	q := `SELECT string_agg(entity_code || ':' || CAST(total AS VARCHAR) || ':' || national_rank, ',' ORDER BY entity_code) FROM score_totals WHERE run_id = ?`
	var a, b string
	store.DB(n.st).QueryRow(q, before).Scan(&a)
	store.DB(n.st).QueryRow(q, after).Scan(&b)
	if a != b || a == "" {
		t.Errorf("FY2025 re-scored differently after FY2026 was added:\n before %s\n after  %s", a, b)
	}
}
