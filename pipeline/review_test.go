package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
)

// TestReviewImportKeepsNewerVerdicts: a review workbook records when the newest verdict it shows
// was recorded, and importing it never overwrites a verdict recorded after that — whether the row
// was left as exported or not. Re-importing an older, untouched workbook used to turn 確認済 back
// into 未確認.
func TestReviewImportKeepsNewerVerdicts(t *testing.T) {
	ctx := context.Background()
	r, _, out := cycled(t)
	// A clock a second further on each time it is read, from after the shared cycle's export (its
	// workbooks are stamped with when they were written), so that every verdict is ordered.
	clock := time.Now().Add(time.Minute)
	r.Store.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	name := exporters.ReviewFileName(2026, "310000", "鳥取県")
	first, err := os.ReadFile(filepath.Join(out, "review", name))
	if err != nil {
		t.Fatal(err)
	}
	op := kofukin.Operator("test")
	status := func(code string) string {
		t.Helper()
		got, err := r.Store.Submissions().Reviews(ctx, 2026)
		if err != nil {
			t.Fatal(err)
		}
		return got[code].Status
	}
	// The reviewer confirms 鳥取市 (row 5) in a copy of the first workbook and returns it.
	f, err := excelize.OpenFile(filepath.Join(out, "review", name))
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellStr(exporters.SheetReview, "L5", "確認済")
	confirmed := filepath.Join(t.TempDir(), "confirmed.xlsx")
	if err := f.SaveAs(confirmed); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data, _ := os.ReadFile(confirmed)
	if res, err := r.ImportReview(ctx, op, 2026, "", "confirmed.xlsx", data); err != nil || res.Rejection != nil || len(res.Skipped) != 0 {
		t.Fatalf("first import: %v %+v", err, res)
	}
	if s := status("312011"); s != "確認済" {
		t.Fatalf("鳥取市 is %q after the import", s)
	}
	// The untouched first workbook, uploaded again: written before any verdict, it overwrites none.
	res, err := r.ImportReview(ctx, op, 2026, "", name, first)
	if err != nil || res.Rejection != nil {
		t.Fatalf("re-import: %v %+v", err, res)
	}
	if s := status("312011"); s != "確認済" {
		t.Errorf("re-importing the older untouched workbook turned 鳥取市 into %q", s)
	}
	skipped := map[string]string{}
	for _, s := range res.Skipped {
		skipped[s.Code] = s.MessageJA()
	}
	// Its 18 untouched 未確認 rows say what the store holds (no verdict): unchanged, not recorded.
	if len(res.Skipped) != 1 || skipped["312011"] == "" || len(res.Counts) != 0 || res.Unchanged != 18 {
		t.Errorf("re-import: %d row(s) skipped (%v), %d unchanged, counts %v; want 鳥取市 skipped, 18 unchanged, none recorded", len(res.Skipped), skipped["312011"], res.Unchanged, res.Counts)
	}
	// A workbook exported after the verdicts shows them and imports as it is; a verdict given on the
	// web after it was written (米子市 returned) is newer than its row and is kept.
	out2 := t.TempDir()
	if _, err := r.Export(ctx, 2026, out2); err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(filepath.Join(out2, "review", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Review(ctx, op, 2026, "310000", "312029", 1, "差戻し", "回収率を確認してください。", "web"); err != nil {
		t.Fatal(err)
	}
	res, err = r.ImportReview(ctx, op, 2026, "", name, second)
	if err != nil || res.Rejection != nil {
		t.Fatalf("import of the second workbook: %v %+v", err, res)
	}
	if len(res.Skipped) != 1 || res.Skipped[0].Code != "312029" || res.Skipped[0].Current != "差戻し" {
		t.Errorf("second workbook: skipped %+v, want 米子市 only", res.Skipped)
	}
	if s, y := status("312011"), status("312029"); s != "確認済" || y != "差戻し" {
		t.Errorf("after the second workbook: 鳥取市 %q, 米子市 %q; want 確認済 and 差戻し", s, y)
	}
}
