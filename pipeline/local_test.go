package pipeline_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/pipeline"
)

// TestLocalIndicatorsIngest: a local indicator CSV goes in through ingest as a reference list
// (recorded with its hash; the same file again is unchanged), and the store gives the values back
// per municipality, exactly (DECIMAL), with the municipality's name, unit, date and source; a file
// with one bad cell is rejected at that cell and stores nothing.
func TestLocalIndicatorsIngest(t *testing.T) {
	ctx := context.Background()
	r := newRunner(t, "")
	dir := t.TempDir()
	good := filepath.Join(dir, "local.csv")
	os.WriteFile(good, []byte("年度,市町村コード,基準日,出典,高齢者の独居率（%）,閉じこもり率\n"+
		"2026,312011,2025-03-31,ニーズ調査,23.456789,4\n2026,312029,2025-03-31,ニーズ調査,0.1,\n"), 0o644)
	rep, err := r.Ingest(ctx, []string{good}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil || rep.Accepted != 1 || rep.Files[0].Kind != pipeline.KindLocal || rep.Files[0].Answers != 3 {
		t.Fatalf("%v %s %+v", err, rep.Summary(), rep.Files)
	}
	got, err := r.Store.Reference().LocalIndicators(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"312011 鳥取市 閉じこもり率  4 ニーズ調査 2025-03-31", "312011 鳥取市 高齢者の独居率 % 23.456789 ニーズ調査 2025-03-31", "312029 米子市 高齢者の独居率 % 0.1 ニーズ調査 2025-03-31"}
	if len(got) != len(want) {
		t.Fatalf("%d values: %+v", len(got), got)
	}
	for i, li := range got {
		if s := li.Code + " " + li.Name + " " + li.Indicator + " " + li.Unit + " " + li.Value + " " + li.Source + " " + li.AsOf.Format("2006-01-02"); s != want[i] {
			t.Errorf("value %d: %q, want %q", i, s, want[i])
		}
	}
	// Against the band and the nation (for the 地域診断): 鳥取市 (65+ over 50,000) and 米子市 (under
	// 50,000) are in different size bands, so each band holds one value; the nation's median of
	// 独居率 is (23.456789 + 0.1) / 2 = 11.7783945; 閉じこもり率 has only 鳥取市's 4.
	of, err := r.Store.Reference().LocalIndicatorsOf(ctx, 2026, "312011")
	if err != nil || len(of) != 2 {
		t.Fatalf("鳥取市 against its band: %+v %v", of, err)
	}
	if o := of[1]; o.Indicator != "高齢者の独居率" || o.Value != "23.456789" || o.Band != "50k-100k" || o.BandN != 1 || o.BandMedian != 23.456789 || o.NationN != 2 || math.Abs(o.NationalMedian-11.7783945) > 1e-9 {
		t.Errorf("独居率 of 鳥取市: %+v", o)
	}
	if o := of[0]; o.Indicator != "閉じこもり率" || o.Value != "4" || o.BandN != 1 || o.NationN != 1 || o.NationalMedian != 4 {
		t.Errorf("閉じこもり率 of 鳥取市: %+v", o)
	}
	if only, err := r.Store.Reference().LocalIndicators(ctx, 2026, "312029"); err != nil || len(only) != 1 || only[0].Code != "312029" {
		t.Errorf("米子市 only: %+v %v", only, err)
	}
	if none, err := r.Store.Reference().LocalIndicators(ctx, 2025); err != nil || len(none) != 0 {
		t.Errorf("FY2025: %+v %v", none, err)
	}
	rep, _ = r.Ingest(ctx, []string{good}, pipeline.IngestOptions{FiscalYear: 2026})
	if rep.Unchanged != 1 {
		t.Errorf("the same file again: %s", rep.Summary())
	}
	bad := filepath.Join(dir, "local2.csv")
	os.WriteFile(bad, []byte("年度,市町村コード,基準日,出典,高齢者の独居率（%）\n2026,312011,2025-03-31,再調査,30\n2026,312029,2025-03-31,再調査,多い\n"), 0o644)
	rep, err = r.Ingest(ctx, []string{bad}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil || rep.Rejected != 1 || len(rep.Files[0].Problems) != 1 || rep.Files[0].Problems[0].Cell != "3行目 高齢者の独居率(%)列" {
		t.Fatalf("%v %s %+v", err, rep.Summary(), rep.Files)
	}
	if rep.Files[0].Status != kofukin.StatusRejected {
		t.Errorf("status %s", rep.Files[0].Status)
	}
	after, err := r.Store.Reference().LocalIndicators(ctx, 2026)
	if err != nil || len(after) != 3 || after[1].Value != "23.456789" {
		t.Errorf("after a rejected file: %+v %v", after, err)
	}
	// The same indicator in another unit is refused at its first cell, and nothing moves.
	unit := filepath.Join(dir, "local4.csv")
	os.WriteFile(unit, []byte("年度,市町村コード,基準日,出典,高齢者の独居率（人）\n2026,312029,2026-03-31,再調査,120\n"), 0o644)
	rep, err = r.Ingest(ctx, []string{unit}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil || rep.Rejected != 1 || len(rep.Files[0].Problems) != 1 || !strings.Contains(rep.Files[0].Problems[0].MessageJA, "単位「%」で登録済み") || rep.Files[0].Problems[0].Cell != "2行目 高齢者の独居率(人)列" {
		t.Fatalf("another unit: %v %s %+v", err, rep.Summary(), rep.Files)
	}
	// A later file replaces the values it gives (鳥取市's 独居率) and keeps the others.
	later := filepath.Join(dir, "local3.csv")
	os.WriteFile(later, []byte("年度,市町村コード,基準日,出典,高齢者の独居率（%）\n2026,312011,2026-03-31,再調査,30.5\n"), 0o644)
	if rep, err = r.Ingest(ctx, []string{later}, pipeline.IngestOptions{FiscalYear: 2026}); err != nil || rep.Accepted != 1 {
		t.Fatalf("%v %s", err, rep.Summary())
	}
	after, err = r.Store.Reference().LocalIndicators(ctx, 2026)
	if err != nil || len(after) != 3 || after[0].Value != "4" || after[1].Value != "30.5" || after[1].Source != "再調査" || after[2].Value != "0.1" {
		t.Errorf("after a later file: %+v %v", after, err)
	}
}
