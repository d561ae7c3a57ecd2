package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
)

// TestReviewImportRefusesARehearsalsWorkbook: a review workbook written in a rehearsal (the nightly
// job's export) names a score run that was never stored. Its verdicts cannot be tied to the
// versions they were given on, so the import refuses it, saying why and where — before, each
// 確認済 was skipped as "which version?" and the reviewer was told to reload the page.
func TestReviewImportRefusesARehearsalsWorkbook(t *testing.T) {
	ctx := context.Background()
	r, _, out := cycled(t)
	name := exporters.ReviewFileName(2026, "310000", "鳥取県")
	f, err := excelize.OpenFile(filepath.Join(out, "review", name))
	if err != nil {
		t.Fatal(err)
	}
	if key, _ := f.GetCellValue(exporters.SheetReviewStamp, "A4"); key != "score_run_id" {
		t.Fatalf("the stamp's fourth row is %q, not score_run_id", key)
	}
	f.SetCellStr(exporters.SheetReviewStamp, "B4", "1000000007") // a rehearsal's run id
	f.SetCellStr(exporters.SheetReview, "L5", "確認済")
	path := filepath.Join(t.TempDir(), "nightly.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.ImportReview(ctx, kofukin.Operator("test"), 2026, "", "nightly.xlsx", data)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejection == nil || len(res.Rejection.Problems) != 1 {
		t.Fatalf("a rehearsal's review workbook was not refused: %+v", res)
	}
	p := res.Rejection.Problems[0]
	if p.Sheet != "_stamp" || !strings.Contains(p.MessageJA, "試行") || !strings.Contains(p.MessageJA, "1000000007") {
		t.Errorf("refusal: sheet %q, %q", p.Sheet, p.MessageJA)
	}
	got, err := r.Store.Submissions().Reviews(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if s := got["312011"].Status; s != "" {
		t.Errorf("鳥取市 is %q after the refused import, want no verdict", s)
	}
}
