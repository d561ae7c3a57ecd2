package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// kofukin impact prints the estimate and its table in Japanese. Two municipalities, FY2025–2026:
// 000011 answers S1-2-b いいえ then はい (a new adopter in 2026), O-1-a 50 → 53 (ΔY 3); 000012
// いいえ both years, O-1-a 50 → 51 (ΔY 1): the estimate is 3 − 1 = +2.00, every resample too (each
// resample that has both is the same two values), so the interval is [+2.00, +2.00].
func TestImpactCommand(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "k.duckdb")
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	w := st.Submissions().NewWriter()
	for code, acts := range map[string][2]float64{"000011": {0, 1}, "000012": {0, 0}} {
		for i, fy := range []int{2025, 2026} {
			w.Add(store.SubmissionMeta{FiscalYear: fy, EntityCode: code, Level: "municipality", Kind: "survey", FileName: "f.xlsx", SHA256: fmt.Sprint(code, fy)},
				[]store.AnswerRow{{EntityCode: code, Answer: loaders.Answer{ItemID: "S1-2-b", Text: "x", Num: acts[i], Cell: "x"}}})
		}
	}
	for fy, ys := range map[int][2]float64{2025: {50, 50}, 2026: {53, 51}} {
		w.Add(store.SubmissionMeta{FiscalYear: fy, EntityCode: store.MinistryCode, Level: "ministry", Kind: "outcomes", FileName: "o.csv", SHA256: fmt.Sprint(fy)},
			[]store.AnswerRow{{EntityCode: "000011", Answer: loaders.Answer{ItemID: "O-1-a", Text: "x", Num: ys[0], Cell: "x"}},
				{EntityCode: "000012", Answer: loaders.Answer{ItemID: "O-1-a", Text: "x", Num: ys[1], Cell: "x"}}})
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	out, errs, code := kofukinRun(t, nil, "impact", "--item", "S1-2-b", "--outcome", "O-1-a", "--years", "2025-2026", "--resamples", "200", "--min-controls", "1", "--db", db)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"効果検証（差の差の推定）", "実施＝「はい」と回答", "推定（規模区分調整）: +2.00 ポイント　95%信頼区間 [+2.00, +2.00]",
		"事前期間の傾向チェックには3年度以上の範囲が必要です", "観察データ", "2025年度の採点実行がない"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, errs, code := kofukinRun(t, nil, "impact", "--item", "S1-2-b", "--db", db); code != 2 || !strings.Contains(errs, "--years") {
		t.Errorf("without --outcome/--years: exit %d %s", code, errs)
	}
}
