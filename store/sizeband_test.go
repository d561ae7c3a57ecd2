package store_test

import (
	"testing"

	"github.com/kofukin/kofukin/store"
)

// The size band is one macro (migration 008): its edges, and the labels the workbooks print.
func TestSizeBandMacro(t *testing.T) {
	n := newNation(t)
	for _, c := range []struct {
		pop         any
		band, label string
	}{
		{nil, "unknown", "不明"}, {0, "lt3k", "3千人未満"}, {2999, "lt3k", "3千人未満"},
		{3000, "3k-10k", "3千～1万人"}, {9999, "3k-10k", "3千～1万人"},
		{10000, "10k-50k", "1万～5万人"}, {49999, "10k-50k", "1万～5万人"},
		{50000, "50k-100k", "5万～10万人"}, {99999, "50k-100k", "5万～10万人"},
		{100000, "ge100k", "10万人以上"}, {3500000, "ge100k", "10万人以上"},
	} {
		var band, label string
		err := store.DB(n.st).QueryRowContext(n.ctx, `SELECT kf_size_band(CAST(? AS BIGINT)), kf_size_band_label(kf_size_band(CAST(? AS BIGINT)))`, c.pop, c.pop).Scan(&band, &label)
		if err != nil {
			t.Fatal(err)
		}
		if band != c.band || label != c.label {
			t.Errorf("65+ %v: band %s %s, want %s %s", c.pop, band, label, c.band, c.label)
		}
	}
}

// A municipality without a population for the year is in no size band in the review read model,
// as in scoring (it used to be averaged with the ≥100,000 band).
func TestGoalRatesWithoutPopulation(t *testing.T) {
	n := newNation(t)
	book := muniBook(2026, 4, `
 {"id": "Y", "goal": "A", "group": "i", "name": "yes", "points": 4, "items": [{"id": "Y-a", "question": "q", "points": 4, "rule": {"type": "yesno"}}]}`)
	for code, v := range map[string]string{"000011": "yes", "000012": "no", "000021": "yes", "000022": "no"} {
		n.submit(2026, "municipality", code, map[string]string{"Y-a": v})
	}
	if _, err := store.DB(n.st).ExecContext(n.ctx, `DELETE FROM populations WHERE code = '000022' AND fiscal_year = 2026`); err != nil {
		t.Fatal(err)
	}
	run := n.score(2026, book)
	rates, err := n.st.Scores().GoalRates(n.ctx, run, 2026)
	if err != nil {
		t.Fatal(err)
	}
	// 65+: 000011 1,000 and 000012 2,000 (<3k: rates 1 and 0, mean 0.5); 000021 20,000 (alone in
	// 10k–50k: mean 1); 000022 none (alone in 不明: mean 0).
	want := map[string]struct {
		band string
		mean float64
	}{"000011": {"3千人未満", 0.5}, "000012": {"3千人未満", 0.5}, "000021": {"1万～5万人", 1}, "000022": {"不明", 0}}
	if len(rates) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rates), len(want), rates)
	}
	for _, r := range rates {
		if w := want[r.Code]; r.Band != w.band || r.SizeBand != w.mean {
			t.Errorf("%s: band %s mean %v, want %s %v", r.Code, r.Band, r.SizeBand, w.band, w.mean)
		}
	}
}

// The means beside each municipality's 得点率 (goal_rates.sql) are over the nation, its prefecture
// and its size band, each an exact quotient to 6 places of 9-place rates, worked by hand here.
func TestGoalRatesMeans(t *testing.T) {
	n := newNation(t)
	book := muniBook(2026, 3, `
 {"id": "Y", "goal": "A", "group": "i", "name": "yes", "points": 3, "items": [
  {"id": "Y-a", "question": "q", "points": 1, "rule": {"type": "yesno"}},
  {"id": "Y-b", "question": "q", "points": 2, "rule": {"type": "yesno"}}]}`)
	for code, v := range map[string][2]string{"000011": {"yes", "no"}, "000012": {"yes", "no"}, "000021": {"yes", "yes"}, "000022": {"no", "yes"}} {
		n.submit(2026, "municipality", code, map[string]string{"Y-a": v[0], "Y-b": v[1]})
	}
	// 000021 moves to the band under 3,000 (65+ 2,500), so that no two groupings coincide.
	if _, err := store.DB(n.st).ExecContext(n.ctx, `UPDATE populations SET population_65plus = 2500 WHERE code = '000021' AND fiscal_year = 2026`); err != nil {
		t.Fatal(err)
	}
	run := n.score(2026, book)
	rates, err := n.st.Scores().GoalRates(n.ctx, run, 2026)
	if err != nil {
		t.Fatal(err)
	}
	// Rates: 000011 and 000012 1/3 = 0.333333333, 000021 1, 000022 2/3 = 0.666666667 (prefectures
	// 01: 000011, 000012; 02: 000021, 000022).
	// Nation: 2.333333333 / 4 = 0.58333333325 → 0.583333.
	// Prefecture 01: 0.666666666 / 2 = 0.333333333 → 0.333333; 02: 1.666666667 / 2 → 0.833333.
	// Band <3k (000011, 000012, 000021): 1.666666666 / 3 = 0.5555555553 → 0.555556;
	// 10k–50k (000022 alone): 0.666667.
	want := map[string][4]float64{
		"000011": {0.333333333, 0.583333, 0.333333, 0.555556},
		"000012": {0.333333333, 0.583333, 0.333333, 0.555556},
		"000021": {1, 0.583333, 0.833333, 0.555556},
		"000022": {0.666666667, 0.583333, 0.833333, 0.666667},
	}
	if len(rates) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rates), len(want), rates)
	}
	for _, r := range rates {
		if got, w := [4]float64{r.Rate, r.National, r.Pref, r.SizeBand}, want[r.Code]; got != w {
			t.Errorf("%s: rate, national, prefecture, band means %v, want %v", r.Code, got, w)
		}
	}
}
