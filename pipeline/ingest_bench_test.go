package pipeline_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/internal/benchref"
	"github.com/kofukin/kofukin/pipeline"
)

// BenchmarkIngestNation ingests the whole synthetic nation (1,741 municipal, 47 prefectural and
// about 5,300 care-centre workbooks, the centre and union lists and the outcome CSV) into a fresh
// database per iteration, and in the same iteration reads the same workbooks with the reference
// readers of internal/benchref on all cores: the bare unzip + encoding/xml token scan (XMLScan),
// inflating the same parts only (Inflate) and openpyxl in read-only mode (Openpyxl, skipped without
// python3-openpyxl). It reports the median files/s of each and the ratios issue 13 asks for
// (ingest ≥ 1.5× XMLScan, ≥ 10× Openpyxl), and the peak RSS of the process during the ingests.
//
//	go test ./pipeline -run '^$' -bench IngestNation -benchtime 3x
//
// KOFUKIN_BENCH_FIXTURES=DIR reads a nation already written by `kofukin fixtures --out DIR`
// (its broken/ folder left out) instead of writing one; KOFUKIN_BENCH_OPENPYXL=0 leaves openpyxl
// out (it takes about a minute a round on two cores).
func BenchmarkIngestNation(b *testing.B) {
	ctx := context.Background()
	fix := os.Getenv("KOFUKIN_BENCH_FIXTURES")
	if fix == "" {
		lib, _ := indicators.Shipped()
		fix = b.TempDir()
		if _, err := fixtures.WriteNation(ctx, fix, lib, 2026, fixtures.NationOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	all, err := pipeline.ExpandPaths([]string{fix})
	if err != nil {
		b.Fatal(err)
	}
	var files, books []string
	for _, f := range all {
		if strings.Contains(filepath.ToSlash(f), "/broken/") {
			continue
		}
		files = append(files, f)
		if strings.HasSuffix(f, ".xlsx") {
			books = append(books, f)
		}
	}
	withOpenpyxl := os.Getenv("KOFUKIN_BENCH_OPENPYXL") != "0"
	var ingest, scan, inflate, openpyxl []float64 // files/s of each round
	var peak int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := nationRunner(b, filepath.Join(b.TempDir(), "k.duckdb"))
		resetPeakRSS()
		start := time.Now()
		var rep *pipeline.IngestReport
		// Labelled, so that a CPU profile of the benchmark can be narrowed to the ingest:
		// go tool pprof -tagfocus phase=ingest
		pprof.Do(ctx, pprof.Labels("phase", "ingest"), func(ctx context.Context) {
			rep, err = r.Ingest(ctx, files, pipeline.IngestOptions{FiscalYear: 2026})
		})
		took := time.Since(start)
		peak = max(peak, peakRSS())
		if err != nil || rep.Rejected > 0 || rep.Accepted != len(files) {
			b.Fatalf("%v %s", err, rep.Summary())
		}
		ingest = append(ingest, float64(len(files))/took.Seconds())
		b.StopTimer()
		for _, ref := range []struct {
			read func(context.Context, []string, int) (benchref.Result, error)
			to   *[]float64
		}{{benchref.XMLScan, &scan}, {benchref.Inflate, &inflate}, {benchref.Openpyxl, &openpyxl}} {
			if ref.to == &openpyxl && !withOpenpyxl {
				continue
			}
			res, err := ref.read(ctx, books, 0)
			if errors.Is(err, benchref.ErrNoPython) {
				b.Log(err)
				withOpenpyxl = false
				continue
			}
			if err != nil {
				b.Fatal(err)
			}
			*ref.to = append(*ref.to, res.PerSecond())
		}
		b.StartTimer()
	}
	b.StopTimer()
	in := median(ingest)
	b.ReportMetric(in, "ingest-files/s")
	b.ReportMetric(median(scan), "xmlscan-files/s")
	b.ReportMetric(median(inflate), "inflate-files/s")
	b.ReportMetric(in/median(scan), "ingest/xmlscan")
	b.ReportMetric(in/median(inflate), "ingest/inflate")
	if len(openpyxl) > 0 {
		b.ReportMetric(median(openpyxl), "openpyxl-files/s")
		b.ReportMetric(in/median(openpyxl), "ingest/openpyxl")
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// resetPeakRSS resets the kernel's peak resident set size of this process (Linux).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS reads the peak resident set size of this process in bytes (Linux), 0 when unknown.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
