package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kofukin/kofukin/pipeline"
)

// FY2023 has no ministry-supplied items, so its fixtures hold a header-only outcome CSV: `kofukin
// fixtures --fy 2023` then `kofukin ingest` (with or without --fy) accepts every file outside
// broken/, the header-only one with the note W002, and rejects exactly the broken ones.
func TestFixturesFY2023Ingest(t *testing.T) {
	dir := t.TempDir()
	fx := filepath.Join(dir, "f23")
	if out, err := runCmd(t, map[string]string{"KOFUKIN_LOG_LEVEL": "warn"}, "fixtures", "--fy", "2023", "--out", fx, "--prefectures", "31"); err != nil {
		t.Fatalf("fixtures: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(fx, "outcomes_2023.csv")); err != nil || string(b) != "年度,団体コード,項目ID,値\n" {
		t.Fatalf("the FY2023 outcome CSV is no longer header-only (%v): %q", err, b)
	}
	for _, fy := range []string{"", "2023"} {
		t.Run("fy="+fy, func(t *testing.T) {
			env := map[string]string{"KOFUKIN_DB": filepath.Join(t.TempDir(), "k.duckdb"), "KOFUKIN_LOG_LEVEL": "warn", "KOFUKIN_OUT": t.TempDir()}
			report := filepath.Join(t.TempDir(), "r.json")
			args := []string{"ingest", "--quarantine", "", "--report", report}
			if fy != "" {
				args = append(args, "--fy", fy)
			}
			out, err := runCmd(t, env, append(args, fx)...)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != 1 {
				t.Fatalf("ingest: %v\n%s", err, out)
			}
			data, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			var rep pipeline.IngestReport
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatal(err)
			}
			var broken, accepted int
			for _, f := range rep.Files {
				inBroken := strings.Contains(filepath.ToSlash(f.Path), "/broken/")
				switch {
				case inBroken && f.Status == pipeline.Rejected:
					broken++
				case !inBroken && f.Status == "accepted" && f.FiscalYear == 2023:
					accepted++
				default:
					t.Errorf("%s: %s FY%d %v", f.Path, f.Status, f.FiscalYear, f.Problems)
				}
				if filepath.Base(f.Path) == "outcomes_2023.csv" && (len(f.Warnings) != 1 || f.Warnings[0].Code != "W002" || f.Answers != 0) {
					t.Errorf("the header-only outcome CSV: %+v", f)
				}
			}
			// 19 municipal workbooks, the union list and the outcome CSV; three broken files.
			if accepted != 21 || broken != 3 {
				t.Errorf("%d accepted outside broken/, %d rejected in it; want 21 and 3\n%s", accepted, broken, out)
			}
			if !strings.Contains(out, "outcomes_2023.csv: 2行目 [W002] データ行がありません（0行）") {
				t.Errorf("the note is not printed:\n%s", out)
			}
		})
	}
}
