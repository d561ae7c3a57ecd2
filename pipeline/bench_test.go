package pipeline_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
)

// BenchmarkNationalCycle runs the whole national cycle (1,741 municipal, 47 prefectural and about
// 5,300 care-centre workbooks, the centre list and the outcome CSV) on a fresh database per iteration and reports ingest workbooks/s and seconds per stage.
//
//	go test ./pipeline -run '^$' -bench NationalCycle -benchtime 3x
func BenchmarkNationalCycle(b *testing.B) {
	ctx := context.Background()
	lib, _ := indicators.Shipped()
	fix := b.TempDir()
	start := time.Now()
	nation, err := fixtures.WriteNation(ctx, fix, lib, 2026, fixtures.NationOptions{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "fixtures-s")
	stages := map[string]float64{}
	var ingestFiles int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := nationRunner(b, filepath.Join(b.TempDir(), "k.duckdb"))
		res, err := r.Cycle(ctx, 2026, []string{fix}, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		if res.Ingest.Accepted != nation.Total()+3 { // + the centre and union lists and the outcome CSV
			b.Fatalf("ingest: %s", res.Ingest.Summary())
		}
		ingestFiles += len(res.Ingest.Files)
		for _, s := range res.Stages {
			stages[s.Name] += s.Elapsed.Seconds()
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(ingestFiles)/stages["ingest"], "workbooks/s")
	for _, s := range []string{"ingest", "score", "allocate", "export"} {
		b.ReportMetric(stages[s]/n, s+"-s")
	}
}
