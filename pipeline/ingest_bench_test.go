package pipeline_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/pipeline"
)

// BenchmarkIngestNation ingests the whole synthetic nation (1,741 municipal, 47 prefectural and
// about 5,300 care-centre workbooks, the centre list and the outcome CSV) into a fresh database per
// iteration, and in the same run measures a bare unzip + XML token scan of the same files (every
// part inflated, every token read by encoding/xml) as the floor to compare with.
//
//	go test ./pipeline -run '^$' -bench IngestNation -benchtime 3x
func BenchmarkIngestNation(b *testing.B) {
	ctx := context.Background()
	lib, _ := indicators.Shipped()
	fix := b.TempDir()
	if _, err := fixtures.WriteNation(ctx, fix, lib, 2026, fixtures.NationOptions{Seed: 1}); err != nil {
		b.Fatal(err)
	}
	files, _ := pipeline.ExpandPaths([]string{fix})
	var size int64
	for _, f := range files {
		st, _ := os.Stat(f)
		size += st.Size()
	}
	resetPeakRSS()
	var ingest time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := newRunner(b, filepath.Join(b.TempDir(), "k.duckdb"))
		start := time.Now()
		rep, err := r.Ingest(ctx, []string{fix}, pipeline.IngestOptions{FiscalYear: 2026})
		ingest += time.Since(start)
		if err != nil || rep.Rejected > 0 || rep.Accepted != len(files) {
			b.Fatalf("%v %s", err, rep.Summary())
		}
	}
	b.StopTimer()
	peak := peakRSS()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			if err := bareScan(f); err != nil {
				b.Fatal(err)
			}
		}
	}
	scan := time.Since(start)
	n := float64(b.N)
	b.ReportMetric(float64(len(files))*n/ingest.Seconds(), "workbooks/s")
	b.ReportMetric(float64(size)*n/ingest.Seconds()/1e6, "MB/s")
	b.ReportMetric(float64(len(files))*n/scan.Seconds(), "scan-workbooks/s")
	b.ReportMetric(scan.Seconds()/ingest.Seconds(), "ingest/scan-speed")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
}

// bareScan inflates every part of a file and reads every XML token: the least any reader must do.
func bareScan(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !strings.HasSuffix(path, ".xlsx") {
		return nil
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			return err
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		if strings.HasSuffix(zf.Name, ".xml") || strings.HasSuffix(zf.Name, ".rels") {
			d := xml.NewDecoder(bytes.NewReader(body))
			for {
				if _, err := d.RawToken(); err == io.EOF {
					break
				} else if err != nil {
					return err
				}
			}
		}
	}
	return nil
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
