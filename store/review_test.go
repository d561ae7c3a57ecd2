package store_test

import (
	"testing"
)

// TestReviewItemsOfOnePrefecture: a prefecture's review items (its page's flags) are its own
// municipalities' rows of the nation's, with the shares still those of the nation — hand-computed
// here on the four-municipality nation, where the national and prefectural shares differ.
func TestReviewItemsOfOnePrefecture(t *testing.T) {
	n := newNation(t)
	book := muniBook(2026, 5, `
 {"id": "C", "goal": "A", "group": "i", "name": "choice", "points": 5, "items": [
  {"id": "C-a", "question": "tier", "points": 5, "rule": {"type": "choice", "options": [
    {"value": "段階3", "points": 5}, {"value": "段階2", "points": 3}, {"value": "なし", "points": 0}]}}]}`)
	n.submit(2026, "municipality", "000011", map[string]string{"C-a": "段階3"})
	n.submit(2026, "municipality", "000012", map[string]string{"C-a": "段階2"})
	n.submit(2026, "municipality", "000021", map[string]string{"C-a": "なし"})
	run := n.score(2026, book)
	all, err := n.st.Scores().ReviewItems(n.ctx, run, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Fatalf("%d review items of the nation, want 4 municipalities × 1 item: %+v", len(all), all)
	}
	// C-a scored by 000011 and 000012 (prefecture 01), not by 000021 nor 000022 (no submission,
	// prefecture 02): the nation 2/4, prefecture 01 2/2, prefecture 02 0/2.
	want := map[string][2]float64{"000011": {0.5, 1}, "000012": {0.5, 1}, "000021": {0.5, 0}, "000022": {0.5, 0}}
	for _, pref := range []string{"01", "02"} {
		got, err := n.st.Scores().ReviewItemsIn(n.ctx, run, 0, pref)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, it := range got {
			codes = append(codes, it.Code)
			if w := want[it.Code]; it.PrefectureCode != pref || it.NationalRate != w[0] || it.PrefRate != w[1] {
				t.Errorf("prefecture %s: %s %s in %s, national %g, prefectural %g; want national %g, prefectural %g", pref, it.Code, it.ItemID, it.PrefectureCode, it.NationalRate, it.PrefRate, w[0], w[1])
			}
		}
		var wantCodes []string
		for _, it := range all {
			if it.PrefectureCode == pref {
				wantCodes = append(wantCodes, it.Code)
			}
		}
		if len(codes) != 2 || len(codes) != len(wantCodes) || codes[0] != wantCodes[0] || codes[1] != wantCodes[1] {
			t.Errorf("prefecture %s: rows of %v, the nation's rows of it %v", pref, codes, wantCodes)
		}
	}
}
