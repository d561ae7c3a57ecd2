package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/fixtures/hostile"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/pipeline"
)

// hostileRSS is the most memory one `kofukin ingest` of a hostile file may take (peak resident set
// of the whole process: DuckDB, the reader, the report and the annotated copy in quarantine).
const hostileRSS = 512 << 20

// TestHostileFilesCLI ingests each hostile file (fixtures.Hostile) with the real command, in its
// own process, into a database that already holds 鳥取県's submissions: each is refused with exit
// status 1 and its code at its place in the JSON report, the process stays under hostileRSS, and
// the database is exactly as before.
func TestHostileFilesCLI(t *testing.T) {
	ctx := context.Background()
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := lib.Get(2026, indicators.Municipality)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fix := filepath.Join(dir, "fix")
	if _, err := fixtures.WriteNation(ctx, fix, lib, 2026, fixtures.NationOptions{Seed: 1, Prefectures: []string{"31"}}); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "k.duckdb")
	env := map[string]string{"KOFUKIN_LOG_LEVEL": "error", "KOFUKIN_OUT": filepath.Join(dir, "out")}
	if out, err := kofukinProcess(env, "ingest", "--db", db, "--fy", "2026", "--quarantine=", fix).CombinedOutput(); err != nil {
		t.Fatalf("ingest of the good files: %v\n%s", err, out)
	}
	before := digest(t, db)
	good, err := os.ReadFile(filepath.Join(fix, fixtures.SurveyFileName(2026, indicators.Municipality, "312011")))
	if err != nil {
		t.Fatal(err)
	}
	files, err := hostile.Files(good, rb, "312011")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, hostile.LocalFiles(2026, "312011")...)
	for _, h := range files {
		t.Run(h.Name, func(t *testing.T) {
			path := filepath.Join(dir, "in", h.Name)
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, h.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			report := filepath.Join(dir, h.Name+".json")
			cmd := measured(kofukinProcess(env, "ingest", "--db", db, "--fy", "2026", "--report", report, "--quarantine", filepath.Join(dir, "quarantine"), path), dir)
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit status %d, want 1 (rejected)\n%.2000s", code, out)
			}
			if rss := peakRSS(cmd); rss < 0 || rss > hostileRSS {
				t.Errorf("peak RSS %d MiB, more than %d MiB", rss>>20, hostileRSS>>20)
			} else {
				t.Logf("%s: peak RSS %d MiB", h.What, rss>>20)
			}
			data, err := os.ReadFile(report)
			if err != nil {
				t.Fatalf("no report: %v\n%.2000s", err, out)
			}
			var rep pipeline.IngestReport
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Files) != 1 || rep.Files[0].Status != pipeline.Rejected {
				t.Fatalf("report: %+v", rep)
			}
			var found *loaders.Problem
			for i, p := range rep.Files[0].Problems {
				if p.Code == h.Code {
					found = &rep.Files[0].Problems[i]
					break
				}
			}
			if found == nil {
				t.Fatalf("no %s in %v", h.Code, rep.Files[0].Problems)
			}
			if found.Sheet != h.Sheet || found.Cell != h.Cell || found.File == "" || found.MessageJA == "" {
				t.Errorf("%s at %q %q!%q, want %q!%q: %s", h.Code, found.File, found.Sheet, found.Cell, h.Sheet, h.Cell, found.MessageJA)
			}
			if after := digest(t, db); after != before {
				t.Errorf("the database changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}
