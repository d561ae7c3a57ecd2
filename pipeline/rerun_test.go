package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/pipeline"
)

// Negative controls for rerun. One amount changed in the store and one written workbook changed
// on disk after the export: a rerun of the export run and of the allocation run each report the
// amount, the workbook changed in place, and every file that the changed amount makes come out
// different when written again (found only by comparing hashes). One item score changed in the
// store: a rerun of the score run reports exactly that score.
// It runs on the cycle of TestRerunIsByteIdentical, after that test's positive controls (one
// national cycle for both).
func rerunReportsTampering(t *testing.T, r *pipeline.Runner, res *pipeline.CycleResult, out string) {
	ctx := context.Background()
	review := "review/FY2026_審査_310000_鳥取県.xlsx"
	if _, ok := res.Export.SHA256[review]; !ok {
		t.Fatalf("the export wrote no %s: %v", review, res.Export.SHA256)
	}

	// One amount: 鳥取市 gets one yen more in the store, in the first of its pools.
	var pool string
	var yen int64
	amounts, err := r.Store.Allocations().Amounts(ctx, res.Allocate.RunID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range amounts {
		if a.EntityCode == "312011" && (pool == "" || a.PoolID < pool) {
			pool, yen = a.PoolID, a.AmountYen
		}
	}
	if err := r.Store.Allocations().AdjustAmountForTest(ctx, res.Allocate.RunID, "312011", pool, 1); err != nil {
		t.Fatal(err)
	}
	// One workbook: a cell typed into 鳥取県's review workbook where the export wrote it (the
	// export's folder is shared by the package's tests: the file is put back afterwards).
	path := filepath.Join(out, filepath.FromSlash(review))
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			t.Error(err)
		}
	})
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellStr(f.GetSheetName(0), "A1", "改ざん")
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	prefix := fmt.Sprintf("parquet/FY2026_run%d_", res.Allocate.RunID)
	want := []string{
		path + ": changed since export run " + fmt.Sprint(res.Export.RunID) + " wrote it",
		fmt.Sprintf("recorded 312011 %s: %d yen ", pool, yen+1),
		// Written again from the changed amount, these differ from the recorded hashes.
		exporters.MinistryFileName(2026) + ": sha256 ",
		"feedback/FY2026_フィードバック_310000_鳥取県.xlsx: sha256 ",
		prefix + "allocations.arrow: sha256 ",
		prefix + "allocations.parquet: sha256 ",
		prefix + "equity.parquet: sha256 ", // the equity view's yen per municipality (issue 14)
		review + ": sha256 ",
	}
	sort.Strings(want)
	// The export run first: the export it writes again must not become the reference of the
	// allocation run's rerun that follows.
	for _, id := range []int64{res.Export.RunID, res.Allocate.RunID} {
		rep, err := r.Rerun(ctx, id, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		got := append([]string(nil), rep.Different...)
		sort.Strings(got)
		ok := len(got) == len(want)
		for i := 0; ok && i < len(got); i++ {
			ok = strings.HasPrefix(got[i], want[i])
		}
		if !ok {
			t.Errorf("rerun of run %d reports:\n  %s\nwant lines starting:\n  %s", id, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		for _, d := range got {
			if strings.HasPrefix(d, "recorded 312011") && !strings.Contains(d, fmt.Sprintf(" / computed 312011 %s: %d yen ", pool, yen)) {
				t.Errorf("the amount computed again is not the one recorded before the change: %s", d)
			}
		}
		if len(rep.Notes) != 0 {
			t.Errorf("notes: %v", rep.Notes)
		}
	}

	// One item score (鳥取市's first item, a point more) and one total (米子市's 総合計, a point
	// more): the score run's rerun names exactly these two lines.
	lines := func() []string {
		t.Helper()
		l, err := r.Store.Runs().ScoreLines(ctx, res.Score.RunID)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	before := lines()
	var item string
	for _, l := range before {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "312011" {
			item = f[1] // item score lines come by entity and item: the first is the smallest
			break
		}
	}
	if err := r.Store.Scores().AdjustItemPointsForTest(ctx, res.Score.RunID, "312011", item, 1); err != nil {
		t.Fatal(err)
	}
	if err := r.Store.Scores().AdjustTotalForTest(ctx, res.Score.RunID, "312029", 1); err != nil {
		t.Fatal(err)
	}
	after := lines()
	var wantScores []string
	for i := range before {
		if before[i] != after[i] {
			wantScores = append(wantScores, "recorded "+after[i]+" / now "+before[i])
		}
	}
	if len(wantScores) != 2 || !strings.Contains(wantScores[0], "recorded 312011 "+item+" ") || !strings.Contains(wantScores[1], "recorded 総合計 312029 municipality ") {
		t.Fatalf("the changes did not take as meant: %q", wantScores)
	}
	rep, err := r.Rerun(ctx, res.Score.RunID, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Different, "\n") != strings.Join(wantScores, "\n") || rep.Checked != len(before) {
		t.Errorf("rerun of the score run: %d compared, reports\n  %s\nwant\n  %s", rep.Checked, strings.Join(rep.Different, "\n  "), strings.Join(wantScores, "\n  "))
	}
}
