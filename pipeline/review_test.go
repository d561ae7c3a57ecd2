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
	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/pipeline"
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

// TestReviewImportReconfirmsANewerVersion: 確認済 was given on 鳥取市's version 1; it sent version 2;
// the review workbook written after a run that read version 2 shows 確認済, and the reviewer
// returns it as it is. That row is a verdict on version 2 — recorded as such, not passed over as
// "unchanged" (which left the verdict on version 1 and the row among the 未確認 for good).
func TestReviewImportReconfirmsANewerVersion(t *testing.T) {
	ctx := context.Background()
	r, fix, _ := cycled(t)
	clock := time.Now().Add(time.Minute)
	r.Store.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	op := kofukin.Operator("test")
	if err := r.Review(ctx, op, 2026, "310000", "312011", 1, "確認済", "", "web"); err != nil {
		t.Fatal(err)
	}
	// Version 2 arrives (the ministry loading a file; the municipality itself is locked out while
	// confirmed), and a run reads it.
	f, err := excelize.OpenFile(filepath.Join(fix, fixtures.SurveyFileName(2026, indicators.Municipality, "312011")))
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellStr("回答", "F7", flipYesNo(t, f, "F7"))
	newer := filepath.Join(t.TempDir(), "newer.xlsx")
	if err := f.SaveAs(newer); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if rep, err := r.Ingest(ctx, []string{newer}, pipeline.IngestOptions{FiscalYear: 2026}); err != nil || rep.Accepted != 1 {
		t.Fatalf("version 2: %v %+v", err, rep)
	}
	out := t.TempDir()
	if _, err := r.Score(ctx, 2026); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Allocate(ctx, 2026); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Export(ctx, 2026, out); err != nil {
		t.Fatal(err)
	}
	name := exporters.ReviewFileName(2026, "310000", "鳥取県")
	data, err := os.ReadFile(filepath.Join(out, "review", name))
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.ImportReview(ctx, op, 2026, "", name, data)
	if err != nil || res.Rejection != nil {
		t.Fatalf("import: %v %+v", err, res)
	}
	var recorded []string
	for _, v := range res.Recorded {
		recorded = append(recorded, v.Code)
		if v.Code == "312011" && (v.Status != "確認済" || v.Version != 2) {
			t.Errorf("鳥取市 recorded as %s on version %d, want 確認済 on version 2", v.Status, v.Version)
		}
	}
	if len(recorded) != 1 || recorded[0] != "312011" {
		t.Errorf("recorded %v, want 鳥取市 (312011) only: every other row says what the store holds", recorded)
	}
	got, err := r.Store.Submissions().Reviews(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if v := got["312011"]; v.Status != "確認済" || v.Version != 2 {
		t.Errorf("鳥取市's verdict in the store: %s on version %d, want 確認済 on version 2", v.Status, v.Version)
	}
}

// flipYesNo is the other answer of a はい/いいえ cell.
func flipYesNo(t *testing.T, f *excelize.File, cell string) string {
	t.Helper()
	v, err := f.GetCellValue("回答", cell)
	if err != nil {
		t.Fatal(err)
	}
	if v == "はい" {
		return "いいえ"
	}
	return "はい"
}
