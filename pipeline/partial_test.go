package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// headerOnly is one header-only file of every list kofukin reads, as the ministry would send it
// in a year with nothing to list.
var headerOnly = map[string]string{
	"outcomes.csv":   "年度,団体コード,項目ID,値\n",
	"unions.csv":     "年度,広域連合コード,広域連合名,構成市町村コード\n",
	"needs.csv":      "年度,団体コード,交付金,所要見込額\n",
	"population.csv": "年度,団体コード,基準日,第1号被保険者数,出典\n",
	"centres.csv":    "年度,センターコード,市町村コード,センター名,運営形態\n",
	"entities.csv":   "団体コード,区分,名称,都道府県コード,有効開始年度,有効終了年度\n",
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func fileReport(t *testing.T, rep *pipeline.IngestReport, name string) pipeline.FileReport {
	t.Helper()
	for _, f := range rep.Files {
		if filepath.Base(f.Path) == name {
			return f
		}
	}
	t.Fatalf("%s is not in the report: %+v", name, rep.Files)
	return pipeline.FileReport{}
}

// A header-only list is accepted as 0 rows with the note W002 at its second line, for the fiscal
// year of the ingest — never "fiscal year 0" (E013) or "expected 0, found 0" (E004).
func TestHeaderOnlyListsAreZeroRows(t *testing.T) {
	ctx := context.Background()
	files := map[string]string{}
	for name, body := range headerOnly {
		files[name] = body
	}
	// The same in Shift_JIS and with a UTF-8 byte-order mark, as Excel saves them.
	sjis, _ := japanese.ShiftJIS.NewEncoder().String(headerOnly["needs.csv"])
	files["needs_sjis.csv"] = sjis
	files["unions_bom.csv"] = "\ufeff" + strings.Replace(headerOnly["unions.csv"], "\n", "\r\n\r\n", 1)

	r := newRunner(t, "")
	rep, err := r.Ingest(ctx, []string{writeFiles(t, files)}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != len(files) || rep.Rejected != 0 {
		t.Fatalf("%s: %+v", rep.Summary(), rep.Files)
	}
	for name := range files {
		fr := fileReport(t, rep, name)
		if fr.Answers != 0 || len(fr.Warnings) != 1 {
			t.Errorf("%s: %d rows, warnings %+v", name, fr.Answers, fr.Warnings)
			continue
		}
		w := fr.Warnings[0]
		if w.Code != "W002" || w.Cell != "2行目" || w.File != fr.Path || w.MessageJA != "データ行がありません（0行）。見出し行だけのファイルとして受け付けました（読み込んだ値はありません）。" {
			t.Errorf("%s: warning %+v", name, w)
		}
		if name != "entities.csv" && fr.FiscalYear != 2026 { // an entity list has no 年度
			t.Errorf("%s: fiscal year %d, want 2026 (the ingest's)", name, fr.FiscalYear)
		}
	}
	// The header-only outcome file is a version of the ministry's values holding none.
	if n := versions(t, r, "outcomes"); n != 1 {
		t.Errorf("%d outcome submissions, want 1", n)
	}
	// Sent again: unchanged, still with the note.
	rep, err = r.Ingest(ctx, []string{writeFiles(t, headerOnly)}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil || rep.Unchanged != len(headerOnly) {
		t.Fatalf("%v %s %+v", err, rep.Summary(), rep.Files)
	}
}

// Without --fy, a header-only list takes the one fiscal year of the other files of the ingest;
// when there is none, or several, it is rejected at its place, saying to give --fy.
func TestHeaderOnlyListsWithoutFiscalYear(t *testing.T) {
	ctx := context.Background()
	pop2026 := "年度,団体コード,基準日,第1号被保険者数\n2026,312011,2025/3/31,56000\n"
	pop2025 := "年度,団体コード,基準日,第1号被保険者数\n2025,312011,2024/3/31,55000\n"

	t.Run("the year of the other files", func(t *testing.T) {
		r := newRunner(t, "")
		dir := writeFiles(t, map[string]string{"a_outcomes.csv": headerOnly["outcomes.csv"], "b_unions.csv": headerOnly["unions.csv"], "z_pop.csv": pop2026})
		rep, err := r.Ingest(ctx, []string{dir}, pipeline.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Accepted != 3 {
			t.Fatalf("%s: %+v", rep.Summary(), rep.Files)
		}
		for _, name := range []string{"a_outcomes.csv", "b_unions.csv"} {
			if fr := fileReport(t, rep, name); fr.FiscalYear != 2026 || len(fr.Warnings) != 1 || fr.Warnings[0].Code != loaders.WarnNoRows {
				t.Errorf("%s: %+v", name, fr)
			}
		}
		if n := versions(t, r, "outcomes"); n != 1 {
			t.Errorf("%d outcome submissions for 2026, want 1", n)
		}
	})
	for _, tc := range []struct {
		name  string
		files map[string]string
		found string
	}{
		{"alone", map[string]string{"outcomes.csv": headerOnly["outcomes.csv"]}, "データ行なし（他のファイルなし）"},
		{"two years", map[string]string{"outcomes.csv": headerOnly["outcomes.csv"], "p25.csv": pop2025, "p26.csv": pop2026}, "データ行なし（他のファイルの年度 2025・2026）"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t, "")
			rep, err := r.Ingest(ctx, []string{writeFiles(t, tc.files)}, pipeline.IngestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			fr := fileReport(t, rep, "outcomes.csv")
			if fr.Status != pipeline.Rejected || len(fr.Problems) != 1 {
				t.Fatalf("%+v", fr)
			}
			p := fr.Problems[0]
			if p.Code != loaders.ErrFiscalYear || p.Cell != "2行目" || p.Found != tc.found || !strings.Contains(p.MessageJA, "--fy で年度を指定して") || strings.Contains(p.Found+p.Expected, "0年度") {
				t.Errorf("%+v", p)
			}
			if rep.Rejected != 1 || rep.Accepted != len(tc.files)-1 {
				t.Errorf("%s", rep.Summary())
			}
		})
	}
	// A first row whose 年度 cannot be read is said at its place, not as "expected 0, found 0".
	t.Run("unreadable year", func(t *testing.T) {
		r := newRunner(t, "")
		rep, err := r.Ingest(ctx, []string{writeFiles(t, map[string]string{
			"pop.csv":      "年度,団体コード,基準日,第1号被保険者数\n令和八,312011,2025/3/31,56000\n",
			"outcomes.csv": "年度,団体コード,項目ID,値\n\n\n,312011,O-1-a,3\n",
		})}, pipeline.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]string{"pop.csv": "2行目 年度列", "outcomes.csv": "4行目 年度列"} {
			fr := fileReport(t, rep, name)
			if fr.Status != pipeline.Rejected || len(fr.Problems) != 1 || fr.Problems[0].Code != loaders.ErrCSV || fr.Problems[0].Cell != want || fr.Problems[0].MessageEN == "" {
				t.Errorf("%s: %+v", name, fr)
			}
		}
	})
}

// A population update keeps 65+ ≤ total: against the row's own 総人口, or, without one, the total
// recorded (鳥取市: 183,269 on 2023-01-01). A 総人口 that cannot be read is a problem at its cell,
// never a silent 0.
func TestPopulationTotalChecked(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, csv string
		cell      string // "" accepted
		total     int64  // the total stored once accepted
	}{
		{"no 総人口 column, within the recorded total", "年度,団体コード,基準日,第1号被保険者数\n2026,312011,2025/3/31,60000\n", "", 183269},
		{"no 総人口 column, beyond the recorded total", "年度,団体コード,基準日,第1号被保険者数\n2026,312011,2025/3/31,183270\n", "2行目 第1号被保険者数列", 0},
		{"blank 総人口, beyond the recorded total", "年度,団体コード,基準日,第1号被保険者数,総人口\n2026,312029,2025/3/31,1000,120000\n2026,312011,2025/3/31,200000,\n", "3行目 第1号被保険者数列", 0},
		{"unreadable 総人口", "年度,団体コード,基準日,第1号被保険者数,総人口\n2026,312011,2025/3/31,60000,不明\n", "2行目 総人口列", 0},
		{"negative 総人口", "年度,団体コード,基準日,第1号被保険者数,総人口\n2026,312011,2025/3/31,60000,-5\n", "2行目 総人口列", 0},
		{"65+ beyond its own 総人口", "年度,団体コード,基準日,第1号被保険者数,総人口\n2026,312011,2025/3/31,60000,59999\n", "2行目 第1号被保険者数列", 0},
		{"a new 総人口 above the recorded one", "年度,団体コード,基準日,第1号被保険者数,総人口\n2026,312011,2025/3/31,190000,\"200,000\"\n", "", 200000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t, "")
			rep, err := r.Ingest(ctx, []string{writeFiles(t, map[string]string{"pop.csv": tc.csv})}, pipeline.IngestOptions{FiscalYear: 2026})
			if err != nil {
				t.Fatal(err)
			}
			fr := rep.Files[0]
			if tc.cell == "" {
				if fr.Status != store.Accepted {
					t.Fatalf("rejected: %+v", fr.Problems)
				}
				if got := entity(t, r, "312011").Population; got != tc.total {
					t.Errorf("total %d, want %d", got, tc.total)
				}
				return
			}
			if fr.Status != pipeline.Rejected || len(fr.Problems) != 1 || fr.Problems[0].Cell != tc.cell || fr.Problems[0].Code != loaders.ErrCSV {
				t.Fatalf("want one E014 at %s: %+v", tc.cell, fr)
			}
			if n := entity(t, r, "312011").Age65Plus; n != 55547 {
				t.Errorf("65+ of 鳥取市 is %d after a rejected file, want the reference 55,547", n)
			}
		})
	}
}

// A list of another fiscal year than the ingest's is rejected at the 年度 cell of its first row.
func TestListOfAnotherYear(t *testing.T) {
	r := newRunner(t, "")
	rep, err := r.Ingest(context.Background(), []string{writeFiles(t, map[string]string{
		"unions.csv":   "年度,広域連合コード,広域連合名,構成市町村コード\n\n2025,U31001,テスト広域連合,313025\n",
		"outcomes.csv": "年度,団体コード,項目ID,値\n2025,312011,O-1-a,3\n",
	})}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil {
		t.Fatal(err)
	}
	for name, cell := range map[string]string{"unions.csv": "3行目 年度列", "outcomes.csv": "2行目 年度列"} {
		fr := fileReport(t, rep, name)
		if fr.Status != pipeline.Rejected || len(fr.Problems) != 1 {
			t.Fatalf("%s: %+v", name, fr)
		}
		if p := fr.Problems[0]; p.Code != loaders.ErrFiscalYear || p.Cell != cell || p.Expected != "2026" || p.Found != "2025" ||
			p.MessageJA != "このファイルは2025年度のものです。2026年度のファイルを使用してください。" {
			t.Errorf("%s: %+v", name, p)
		}
	}
}
