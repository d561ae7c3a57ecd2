package store_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// Two amends of one run in one rehearsal, as a what-if on a stale run makes them (the "before" amend
// scores the newer submission, the "after" amend the change): the second replaces rank item rows the
// first inserted in the same transaction. Amend deletes the rows it replaces by row id, and rows
// inserted in the transaction have row ids of their own (DuckDB's local storage); restricted to the
// committed rows' ids, the delete leaves the first amend's rows behind and the count check fails.
func TestAmendTwiceInOneRehearsal(t *testing.T) {
	n := newNation(t)
	src := muniBook(2026, 8, `
 {"id": "N", "goal": "A", "group": "i", "name": "nation", "points": 4, "items": [{"id": "N-a", "question": "v", "points": 4,
   "rule": {"type": "rank", "bands": [{"top_percent": 50, "points": 4}]}}]},
 {"id": "Y", "goal": "A", "group": "i", "name": "y", "points": 4, "items": [{"id": "Y-a", "question": "v", "points": 4, "rule": {"type": "yesno"}}]}`)
	for code, v := range map[string]string{"000011": "5", "000012": "1", "000021": "9", "000022": "7"} {
		n.submit(2026, "municipality", code, map[string]string{"N-a": v, "Y-a": "yes"})
	}
	run := n.score(2026, src)
	finish(t, n.st, run)
	rb, _ := indicators.Parse("book0.json", []byte(src))
	// Stale: a new submission after the run.
	n.submit(2026, "municipality", "000012", map[string]string{"N-a": "10", "Y-a": "no"})
	var lines []string
	err := n.st.Rehearse(n.ctx, func(v *store.Store) error {
		if _, ok, err := v.Scores().Amend(n.ctx, run, 2026, []*indicators.Rulebook{rb}); err != nil || !ok {
			return fmt.Errorf("first amend %v %v", ok, err)
		}
		rows := []store.AnswerRow{{EntityCode: "000021", Answer: loaders.Answer{ItemID: "N-a", Text: "0", Num: 0, Cell: "x"}},
			{EntityCode: "000021", Answer: loaders.Answer{ItemID: "Y-a", Text: "no", Num: 0, Cell: "x"}}}
		if _, err := v.Submissions().Add(n.ctx, store.SubmissionMeta{FiscalYear: 2026, EntityCode: "000021", Level: "municipality", Kind: "survey", FileName: "x", SHA256: "second"}, rows); err != nil {
			return err
		}
		if _, ok, err := v.Scores().Amend(n.ctx, run, 2026, []*indicators.Rulebook{rb}); err != nil || !ok {
			return fmt.Errorf("second amend %v %v", ok, err)
		}
		r, err := store.Reader(v).QueryContext(n.ctx, `SELECT entity_code, item_id, CAST(points AS VARCHAR) FROM item_scores WHERE run_id = ? ORDER BY ALL`, run)
		if err != nil {
			return err
		}
		defer r.Close()
		for r.Next() {
			var a, b, c string
			r.Scan(&a, &b, &c)
			lines = append(lines, a+" "+b+" "+c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// N-a after both amends: 000011 5, 000012 10 (its newer submission), 000021 0 (the change),
	// 000022 7: the top 50 % are 000012 and 000022 (4 points each). Y-a: yes for 000011 and 000022.
	want := "000011 N-a 0.00\n000011 Y-a 4.00\n000012 N-a 4.00\n000012 Y-a 0.00\n000021 N-a 0.00\n000021 Y-a 0.00\n000022 N-a 4.00\n000022 Y-a 4.00"
	if strings.Join(lines, "\n") != want {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), want)
	}
}
