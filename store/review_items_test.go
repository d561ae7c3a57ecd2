package store_test

import (
	"fmt"
	"testing"

	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// submitJA stores a municipality's answers as the survey reader does: はい / いいえ for yes / no.
func (n *nation) submitJA(fy int, code string, answers map[string]string) {
	n.t.Helper()
	var rows []store.AnswerRow
	for id, v := range answers {
		a := loaders.Answer{ItemID: id, Text: v, Cell: "x"}
		switch v {
		case "はい":
			a.Num = 1
		case "いいえ":
			a.Num = 0
		default:
			if _, err := fmt.Sscan(v, &a.Num); err != nil {
				n.t.Fatal(err)
			}
		}
		rows = append(rows, store.AnswerRow{EntityCode: code, Answer: a})
	}
	meta := store.SubmissionMeta{FiscalYear: fy, EntityCode: code, Level: "municipality", Kind: "survey", FileName: code, SHA256: fmt.Sprint(fy, code, answers)}
	if _, err := n.st.Submissions().Add(n.ctx, meta, rows); err != nil {
		n.t.Fatal(err)
	}
}

// ReviewItems' shares, last year's answers and z-scores, computed by hand on the small nation
// (000011, 000012 in prefecture 01; 000021, 000022 in 02).
func TestReviewItemsSharesAndZ(t *testing.T) {
	n := newNation(t)
	book := muniBook(2026, 11, `
 {"id": "Y", "goal": "A", "group": "i", "name": "yes/no", "points": 1, "items": [
  {"id": "Y-a", "question": "q", "points": 1, "rule": {"type": "yesno"}}]},
 {"id": "T", "goal": "A", "group": "i", "name": "threshold", "points": 10, "items": [
  {"id": "T-a", "question": "rate", "unit": "%", "points": 10, "rule": {"type": "threshold", "min": 0,
   "bands": [{"to": 25, "points": 0}, {"from": 25, "points": 10}]}}]}`)
	n.submitJA(2025, "000011", map[string]string{"Y-a": "いいえ", "T-a": "5"})
	prevRun := n.score(2025, muniBook(2025, 11, `
 {"id": "Y", "goal": "A", "group": "i", "name": "yes/no", "points": 1, "items": [
  {"id": "Y-a", "question": "q", "points": 1, "rule": {"type": "yesno"}}]},
 {"id": "T", "goal": "A", "group": "i", "name": "threshold", "points": 10, "items": [
  {"id": "T-a", "question": "rate", "unit": "%", "points": 10, "rule": {"type": "threshold", "min": 0,
   "bands": [{"to": 25, "points": 0}, {"from": 25, "points": 10}]}}]}`))
	// Last year's answers (000011 only) are also inputs of this year's run, and must not be taken for
	// this year's. Y-a: met by 000011, 000021, 000022 → nation 3/4 = 0.75; prefecture 01 1/2, 02 2/2.
	// T-a 10, 20, 30, 40: met (≥ 25) by 000021, 000022 → nation 0.5; 01 0, 02 1. Mean 25, mean of
	// squares 750, SD √(750 − 625) = √125 = 11.1803…; z = −15/11.18 = −1.3416 → −1.34, −5/11.18 =
	// −0.4472 → −0.45, 0.45, 1.34.
	n.submitJA(2026, "000011", map[string]string{"Y-a": "はい", "T-a": "10"})
	n.submitJA(2026, "000012", map[string]string{"Y-a": "いいえ", "T-a": "20"})
	n.submitJA(2026, "000021", map[string]string{"Y-a": "はい", "T-a": "30"})
	n.submitJA(2026, "000022", map[string]string{"Y-a": "はい", "T-a": "40"})
	run := n.score(2026, book)
	items, err := n.st.Scores().ReviewItems(n.ctx, run, prevRun)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		pref, answer string
		points       float64
		nat, pr      float64
		prev         string // "-" for none
		z            float64
		hasZ         bool
	}
	wants := []struct {
		code, item string
		w          want
	}{
		{"000011", "T-a", want{"01", "10", 0, 0.5, 0, "5", -1.34, true}},
		{"000011", "Y-a", want{"01", "はい", 1, 0.75, 0.5, "いいえ", 0, false}},
		{"000012", "T-a", want{"01", "20", 0, 0.5, 0, "-", -0.45, true}},
		{"000012", "Y-a", want{"01", "いいえ", 0, 0.75, 0.5, "-", 0, false}},
		{"000021", "T-a", want{"02", "30", 10, 0.5, 1, "-", 0.45, true}},
		{"000021", "Y-a", want{"02", "はい", 1, 0.75, 1, "-", 0, false}},
		{"000022", "T-a", want{"02", "40", 10, 0.5, 1, "-", 1.34, true}},
		{"000022", "Y-a", want{"02", "はい", 1, 0.75, 1, "-", 0, false}},
	}
	if len(items) != len(wants) {
		t.Fatalf("%d rows, want %d: %+v", len(items), len(wants), items)
	}
	for i, w := range wants {
		it := items[i]
		prev := "-"
		if it.PrevAnswer != nil {
			prev = *it.PrevAnswer
		}
		got := want{it.PrefectureCode, it.Answer, it.Points, it.NationalRate, it.PrefRate, prev, 0, it.Z != nil}
		if it.Z != nil {
			got.z = *it.Z
		}
		if it.Code != w.code || it.ItemID != w.item || got != w.w {
			t.Errorf("row %d: %s %s %+v, want %s %s %+v", i, it.Code, it.ItemID, got, w.code, w.item, w.w)
		}
	}
}
