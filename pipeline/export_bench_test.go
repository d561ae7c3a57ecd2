package pipeline_test

import (
	"context"
	"path/filepath"
	"runtime/pprof"
	"testing"

	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// BenchmarkExportNation writes the national export (the ministry workbook, 47 review and 47
// feedback workbooks, the Parquet and Arrow files) of a scored and allocated synthetic nation, into
// a fresh folder per iteration. The nation is generated and run through ingest, score and allocate
// once, before the timer starts.
//
//	go test ./pipeline -run '^$' -bench ExportNation -benchtime 3x -cpuprofile /tmp/export.prof
//	go tool pprof -tagfocus phase=export -top -cum pipeline.test /tmp/export.prof
func BenchmarkExportNation(b *testing.B) {
	ctx := context.Background()
	lib, err := indicators.Shipped()
	if err != nil {
		b.Fatal(err)
	}
	fix := b.TempDir()
	if _, err := fixtures.WriteNation(ctx, fix, lib, 2026, fixtures.NationOptions{Seed: 1}); err != nil {
		b.Fatal(err)
	}
	r := nationRunner(b, filepath.Join(b.TempDir(), "k.duckdb"))
	if _, err := r.Cycle(ctx, 2026, []string{fix}, b.TempDir()); err != nil {
		b.Fatal(err)
	}
	alloc, err := r.Store.Runs().Latest(ctx, store.KindAllocate, 2026)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var res *pipeline.ExportResult
		var err error
		// go tool pprof -tagfocus phase=export: the goroutines the export starts carry the label.
		pprof.Do(ctx, pprof.Labels("phase", "export"), func(ctx context.Context) {
			res, err = r.ExportRun(ctx, alloc, b.TempDir())
		})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Files) != 102 {
			b.Fatalf("export wrote %d files, want 102", len(res.Files))
		}
	}
}
