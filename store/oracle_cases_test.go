package store_test

import (
	"testing"

	"github.com/kofukin/kofukin/indicators"
)

// Hand-computed cases for what the property test (oracle_test.go) found or relies on and the other
// store tests did not pin down: expectations are literals computed by hand in the comments.

// A rank band worth 0 points is 要件未達 (README: "not_met: a 0-point band …"), as a threshold band
// is: the item is not met, so an item requiring it scores nothing and an all_of listing it fails.
// (The rank rule used to call it met, which let R-b and R-c of 000021 and 000022 keep their points.)
func TestRankZeroPointBandIsNotMet(t *testing.T) {
	n := newNation(t)
	book := muniBook(2026, 8, `
 {"id": "R", "goal": "A", "group": "i", "name": "rank with a 0-point band", "points": 8, "items": [
  {"id": "R-a", "question": "v", "points": 4, "rule": {"type": "rank", "bands": [{"top_percent": 50, "points": 4}, {"top_percent": 100, "points": 0}]}},
  {"id": "R-b", "question": "q", "points": 2, "requires": ["R-a"], "rule": {"type": "yesno"}},
  {"id": "R-c", "question": "all", "points": 2, "rule": {"type": "all_of", "items": ["R-a", "R-b"]}}]}`)
	for code, v := range map[string]string{"000011": "10", "000012": "8", "000021": "6", "000022": "4"} {
		n.submit(2026, "municipality", code, map[string]string{"R-a": v, "R-b": "yes"})
	}
	run := n.score(2026, book)
	// Ranks 1, 2, 3, 4 of 4. 000011: 1·100 ≤ 50·4 = 200 → 4; 000012: 200 ≤ 200 → 4 (the edge);
	// 000021: 300 > 200, 300 ≤ 100·4 = 400 → the 0-point band → 0, not met; 000022: 400 ≤ 400 → 0.
	// R-b (requires R-a): 2 for 000011 and 000012; 0 要件未達 for 000021 and 000022.
	// R-c (all of R-a, R-b): 2, 2, 0, 0. Indicator R: 4 + 2 + 2 = 8, 8, 0, 0.
	n.expectItems(run, map[[2]string]itemWant{
		{"000011", "R-a"}: {4, 4, "met"}, {"000012", "R-a"}: {4, 4, "met"}, {"000021", "R-a"}: {0, 4, "not_met"}, {"000022", "R-a"}: {0, 4, "not_met"},
		{"000011", "R-b"}: {2, 2, "met"}, {"000012", "R-b"}: {2, 2, "met"}, {"000021", "R-b"}: {0, 2, "not_met"}, {"000022", "R-b"}: {0, 2, "not_met"},
		{"000011", "R-c"}: {2, 2, "met"}, {"000012", "R-c"}: {2, 2, "met"}, {"000021", "R-c"}: {0, 2, "not_met"}, {"000022", "R-c"}: {0, 2, "not_met"},
	})
	for code, want := range map[string]string{"000011": "8.00", "000012": "8.00", "000021": "0.00", "000022": "0.00"} {
		if got := n.points(`SELECT points FROM scores WHERE run_id = ? AND entity_code = ? AND indicator_id = 'R'`, run, code); got != want {
			t.Errorf("indicator R of %s = %s, want %s", code, got, want)
		}
	}
	if r := n.itemReason(run, "000021", "R-a"); r != "回答 6 全国順位 3/4（上位75%）（上位100%以内）→ 0点" {
		t.Errorf("reason %q", r)
	}
}

// Size bands at their edges: 第1号被保険者数 (65+) <3,000, 3,000–9,999, 10,000–49,999,
// 50,000–99,999, ≥100,000; a population on an edge belongs to the upper band.
func TestSizeBandEdges(t *testing.T) {
	nat := &oNation{byLevel: map[string][]*oEnt{}, byCode: map[string]*oEnt{}}
	// code, 65+, value ranked (higher is better)
	for _, c := range []struct {
		code string
		n65  int64
		v    string
	}{
		{"010001", 2999, "5"}, {"010002", 3000, "1"}, {"010003", 9999, "2"}, {"010004", 10000, "3"}, {"010005", 49999, "9"},
		{"010006", 50000, "4"}, {"010007", 99999, "8"}, {"010008", 100000, "7"}, {"010009", 250000, "6"},
	} {
		e := &oEnt{code: c.code, level: "municipality", pref: "01", n65: c.n65, submitted: true, cur: map[string]string{"B-a": c.v}}
		nat.byLevel["municipality"] = append(nat.byLevel["municipality"], e)
		nat.byCode[c.code] = e
	}
	src := muniBook(2026, 4, `
 {"id": "B", "goal": "A", "group": "i", "name": "band", "points": 4, "items": [{"id": "B-a", "question": "v", "points": 4,
   "rule": {"type": "rank", "peers": {"partition": "size_band"}, "bands": [{"top_percent": 50, "points": 4}]}}]}`)
	rb, err := indicators.Parse("band.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	n := nat.load(t, map[string]*indicators.Rulebook{"municipality": rb})
	run := n.score(2026, src)
	// Bands: <3k {010001: 5}; 3k–10k {010002: 1, 010003: 2}; 10k–50k {010004: 3, 010005: 9};
	// 50k–100k {010006: 4, 010007: 8}; ≥100k {010008: 7, 010009: 6}. Top 50%: rank·100 ≤ 50·n.
	// 010001 alone: 1·100 > 50·1 → 0 (with 3,000 in <3k it would be 1st of 2 → 4).
	// 010003 1st of 2 → 4, 010002 2nd → 0; 010005 → 4, 010004 → 0 (with 10,000 in 3k–10k, 010004
	// would be 1st of 3 → 4); 010007 → 4, 010006 → 0; 010008 → 4, 010009 → 0 (with 100,000 in
	// 50k–100k, 010008 would be 2nd of 3 → 0).
	want := map[string]string{
		"010001": "0.00 1/1", "010002": "0.00 2/2", "010003": "4.00 1/2", "010004": "0.00 2/2", "010005": "4.00 1/2",
		"010006": "0.00 2/2", "010007": "4.00 1/2", "010008": "4.00 1/2", "010009": "0.00 2/2",
	}
	for code, w := range want {
		got := n.text(`SELECT CAST(points AS VARCHAR) || ' ' || rank_no || '/' || rank_of FROM item_scores WHERE run_id = ? AND entity_code = ? AND item_id = 'B-a'`, run, code)
		if got != w {
			t.Errorf("%s (65+ %d): %s, want %s", code, nat.byCode[code].n65, got, w)
		}
	}
	if r := n.itemReason(run, "010004", "B-a"); r != "回答 3 規模区分内順位 2/2（上位100%）（上位50%圏外）→ 0点" {
		t.Errorf("reason %q", r)
	}
}

// A change of a ministry-supplied value, against the ministry's file of the year before, in exact
// decimals; an entity without a survey still scores it (unsubmitted: score_supplied, the default).
func TestMinistryValueChange(t *testing.T) {
	n := newNation(t)
	book := muniBook(2026, 4, `
 {"id": "O", "goal": "A", "group": "i", "name": "outcome change", "points": 4, "items": [
  {"id": "O-a", "question": "q", "source": "ministry", "unit": "ポイント", "points": 4, "rule": {"type": "threshold", "value": "change",
   "bands": [{"to": 0, "points": 0}, {"from": 0, "to": 0.5, "points": 2}, {"from": 0.5, "points": 4}]}}]}`)
	n.submit(2026, "municipality", "000011", map[string]string{})
	n.ministry(2025, "O-a", map[string]float64{"000011": 31.8, "000012": 10.1, "000021": 5})
	n.ministry(2026, "O-a", map[string]float64{"000011": 32.3, "000012": 10.6, "000021": 4.9, "000022": 7})
	run := n.score(2026, book)
	// 000011: 32.3 − 31.8 = 0.5 → 4 (0.49999999999999645 → 2 in binary floating point).
	// 000012 (no survey): 10.6 − 10.1 = 0.5 → 4. 000021: 4.9 − 5 = −0.1 → 0. 000022: no value
	// last year → 0, 未回答.
	n.expectItems(run, map[[2]string]itemWant{
		{"000011", "O-a"}: {4, 4, "met"}, {"000012", "O-a"}: {4, 4, "met"}, {"000021", "O-a"}: {0, 4, "not_met"}, {"000022", "O-a"}: {0, 4, "unanswered"},
	})
	if r := n.itemReason(run, "000011", "O-a"); r != "今年度 32.3 − 前年度 31.8 = 0.5（0.5ポイント以上）→ 4点" {
		t.Errorf("reason %q", r)
	}
}
