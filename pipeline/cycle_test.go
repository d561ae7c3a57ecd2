package pipeline_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/internal/openpyxl"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
	"github.com/kofukin/kofukin/survey"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func newRunner(t testing.TB, dbPath string) *pipeline.Runner {
	t.Helper()
	return tottoriExports(nationRunner(t, dbPath))
}

// nationRunner is a Runner whose exports write every prefecture's review and feedback workbooks,
// as the command's do: the benchmarks measure those.
func nationRunner(t testing.TB, dbPath string) *pipeline.Runner {
	t.Helper()
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &pipeline.Runner{Store: st, Rulebooks: lib}
}

// tottoriExports makes r's exports write 鳥取県's review and feedback workbooks only, beside the
// whole nation's ministry workbook and tables: no test here reads another prefecture's (see
// pipeline.Runner.ReviewsOnlyOfForTest).
func tottoriExports(r *pipeline.Runner) *pipeline.Runner {
	r.ReviewsOnlyOfForTest("31")
	return r
}

// base is 鳥取県's synthetic nation (19 municipalities, written once per package run) and a
// database after one cycle over it: tests read the fixtures in place (they save edited copies
// elsewhere) and copy the database (cycled) instead of each running a cycle of their own.
var base struct {
	dirOnce, fixOnce, cycleOnce sync.Once
	dir                         string // fix/, tampered/, k.duckdb, out/, years.duckdb
	dirErr, fixErr, cycleErr    error
	cycle                       *pipeline.CycleResult // what the shared cycle did (read only)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if base.dir != "" {
		os.RemoveAll(base.dir)
	}
	os.Exit(code)
}

// baseDir is the package run's folder of shared fixtures and databases.
func baseDir(t testing.TB) string {
	t.Helper()
	base.dirOnce.Do(func() { base.dir, base.dirErr = os.MkdirTemp("", "kofukin-pipeline-test-") })
	if base.dirErr != nil {
		t.Fatal(base.dirErr)
	}
	return base.dir
}

// tottori returns the folder of 鳥取県's synthetic nation; tests must not change its files.
func tottori(t testing.TB) (string, *indicators.Rulebook) {
	t.Helper()
	lib, _ := indicators.Shipped()
	rb, _ := lib.Get(2026, indicators.Municipality)
	dir := filepath.Join(baseDir(t), "fix")
	base.fixOnce.Do(func() {
		sum, err := fixtures.WriteNation(context.Background(), dir, lib, 2026, fixtures.NationOptions{Seed: 1, Prefectures: []string{"31"}})
		if err == nil && (sum.Workbooks[indicators.Municipality] != 19 || sum.Workbooks[indicators.Prefecture] != 1 || sum.Centres < 19 || sum.OutcomeRows != 19*6) {
			err = fmt.Errorf("nation of 鳥取県: %+v", sum)
		}
		base.fixErr = err
	})
	if base.fixErr != nil {
		t.Fatal(base.fixErr)
	}
	return dir, rb
}

// tampered is the copy of 鳥取市's workbook that the shared cycle ingests beside the nation: its
// first answer is 「わからない」, so it is rejected and the rest goes on (TestCycleOnePrefecture).
func tampered(fix, dir string) (string, error) {
	orig, err := os.ReadFile(filepath.Join(fix, fixtures.SurveyFileName(2026, indicators.Municipality, "312011")))
	if err != nil {
		return "", err
	}
	f, err := excelize.OpenReader(bytes.NewReader(orig))
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := f.SetCellStr(survey.SheetAnswers, "F7", "わからない"); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bad := filepath.Join(dir, "tampered.xlsx")
	return bad, f.SaveAs(bad)
}

// cycled returns a runner on this test's copy of a database in which one cycle ran over 鳥取県's
// nation and a tampered copy of 鳥取市's workbook (rejected), the nation's folder, and the folder
// that cycle exported to (shared: read it, never write).
func cycled(t testing.TB) (r *pipeline.Runner, fix, out string) {
	t.Helper()
	fix, _ = tottori(t)
	out = filepath.Join(base.dir, "out")
	base.cycleOnce.Do(func() {
		lib, err := indicators.Shipped()
		if err != nil {
			base.cycleErr = err
			return
		}
		bad, err := tampered(fix, filepath.Join(base.dir, "tampered"))
		if err != nil {
			base.cycleErr = err
			return
		}
		st, err := store.Open(context.Background(), filepath.Join(base.dir, "k.duckdb"))
		if err != nil {
			base.cycleErr = err
			return
		}
		base.cycle, err = tottoriExports(&pipeline.Runner{Store: st, Rulebooks: lib}).Cycle(context.Background(), 2026, []string{fix, bad}, out)
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		base.cycleErr = err
	})
	if base.cycleErr != nil {
		t.Fatal(base.cycleErr)
	}
	return newRunner(t, copyDB(t, filepath.Join(base.dir, "k.duckdb"))), fix, out
}

// copyDB copies a shared database file into the test's own folder and returns the copy's path.
func copyDB(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(db, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestCycleOnePrefecture checks the package's shared cycle (cycled): 鳥取県's nation and a tampered
// copy of 鳥取市's workbook in its own folder, which is rejected while the rest goes on.
func TestCycleOnePrefecture(t *testing.T) {
	ctx := context.Background()
	r, _, out := cycled(t)
	_, rb := tottori(t)
	res := base.cycle
	// 19 municipal, 1 prefectural and 32 centre workbooks, the centre and union lists and the outcome CSV.
	if res.Ingest.Accepted != 55 || res.Ingest.Rejected != 1 || res.Ingest.Unchanged != 0 {
		t.Fatalf("ingest: %s", res.Ingest.Summary())
	}
	var rejected pipeline.FileReport
	for _, fr := range res.Ingest.Files {
		if fr.Status == pipeline.Rejected {
			rejected = fr
		}
	}
	var errs []loaders.Problem
	for _, p := range rejected.Problems {
		if !strings.HasPrefix(p.Code, "W") { // warnings (W…) ride along with the errors
			errs = append(errs, p)
		}
	}
	if len(errs) != 1 || errs[0].Cell != "F7" || errs[0].Sheet != "回答" || errs[0].Item != rb.SelfItems()[0].ID {
		t.Errorf("rejection: %+v", rejected.Problems)
	}
	if m := res.Score.Municipal(); m.Entities != 1741 || m.Submitted != 19 {
		t.Errorf("score: %+v", res.Score.ScoreSummary)
	}

	// The workbook: headers as documented, one row per municipality, amounts summing to the pools.
	wb, err := excelize.OpenFile(filepath.Join(out, exporters.MinistryFileName(2026)))
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, err := wb.GetRows(exporters.SheetMunicipal, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := "都道府県,団体コード,市町村名,第1号被保険者数,推進合計,支援合計,総合計,順位,推進交付額,支援交付額"
	if got := strings.Join(rows[0], ","); got != wantHeader {
		t.Fatalf("header %s, want %s", got, wantHeader)
	}
	if len(rows) != 1742 {
		t.Fatalf("%d rows, want 1,741 municipalities + header", len(rows))
	}
	sums := [2]int64{}
	var tottoriRows [][]string
	for _, row := range rows[1:] {
		for k, col := range []int{8, 9} {
			n, err := strconv.ParseInt(row[col], 10, 64)
			if err != nil {
				t.Fatalf("amount %q in row %v", row[col], row)
			}
			sums[k] += n
		}
		if strings.HasPrefix(row[1], "31") {
			tottoriRows = append(tottoriRows, row)
		} else if row[8] != "0" || row[6] != "0" {
			t.Fatalf("a municipality without submission got points or money: %v", row)
		}
	}
	// 推進交付額 is the municipal pool plus the extra pools taken from 推進; both sum exactly.
	for k, p := range res.Allocate.Pools {
		want := p.MunicipalYen
		for _, e := range res.Allocate.Params.ExtraPools {
			if e.FromGrant == p.Grant.ID {
				want += res.Allocate.Pool(e.ID).AmountYen
			}
		}
		if sums[k] != want || p.MunicipalYen != res.Allocate.Pool(p.Grant.ID).AmountYen {
			t.Errorf("%s: workbook sums to %d yen, want %d (pool %d)", p.Grant.Short, sums[k], want, p.MunicipalYen)
		}
	}
	// Cross-check one row against the store.
	var total float64
	var yen int64
	standings, err := r.Store.Scores().Standings(ctx, res.Score.RunID, "municipality")
	if err != nil {
		t.Fatal(err)
	}
	total = standings["312011"].Total
	amounts, err := r.Store.Allocations().Amounts(ctx, res.Allocate.RunID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range amounts {
		if a.EntityCode == "312011" && a.GrantID == "suishin" {
			yen += a.AmountYen
		}
	}
	for _, row := range tottoriRows {
		if row[1] == "312011" && (row[6] != strconv.FormatFloat(total, 'f', -1, 64) || row[8] != strconv.FormatInt(yen, 10)) {
			t.Errorf("鳥取市 row %v, store says total %g, 推進 %d yen", row, total, yen)
		}
	}

	// Golden renderings: 鳥取県's rows of 「市町村」 and 「概要」 without its version lines.
	var tsv strings.Builder
	for _, row := range append([][]string{rows[0]}, tottoriRows...) {
		tsv.WriteString(strings.Join(row, "\t") + "\n")
	}
	golden(t, "ministry_municipal_31.tsv", tsv.String())
	sum, _ := wb.GetRows(exporters.SheetSummary, excelize.Options{RawCellValue: true})
	tsv.Reset()
	for _, row := range sum {
		if len(row) > 0 && (row[0] == "プログラム版" || row[0] == "DuckDB版") {
			row = row[:1]
		}
		tsv.WriteString(strings.Join(row, "\t") + "\n")
	}
	golden(t, "ministry_summary_31.tsv", tsv.String())

	// The other sheet kinds: the header and statistics of the national sheet with 鳥取県's rows,
	// 鳥取県 in 「都道府県」, and its amounts.
	for _, sh := range []struct{ sheet, file string }{
		{exporters.SheetNational, "ministry_national_31.tsv"},
		{exporters.SheetPrefectures, "ministry_prefectures_31.tsv"},
		{exporters.SheetAmounts, "ministry_amounts_31.tsv"},
	} {
		all, err := wb.GetRows(sh.sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		tsv.Reset()
		for i, row := range all {
			keep := (sh.sheet == exporters.SheetNational && i < 16) || i == 0
			// 「交付額」: 鳥取県's 小計 rows and every pool's 合計, 千円端数 and the 総計.
			if sh.sheet == exporters.SheetAmounts && len(row) > 3 && (row[0] == "鳥取県" || row[3] == exporters.AmountTotal ||
				row[3] == exporters.AmountDifference || row[3] == exporters.AmountGrandTotal) {
				keep = true
			}
			for _, c := range row {
				if strings.HasPrefix(c, "31") && len(c) >= 6 {
					keep = true
				}
			}
			if keep {
				tsv.WriteString(strings.Join(row, "\t") + "\n")
			}
		}
		golden(t, sh.file, tsv.String())
	}
	names := map[string]string{}
	for _, p := range res.Allocate.Results {
		names[p.Name] = p.ID
	}
	// The 千円 rule: each pool's 千円 column sums to the pool in 千円 plus the difference 「概要」
	// states (no amount is returned here, so 確定額合計 is the pool).
	all, _ := wb.GetRows(exporters.SheetAmounts, excelize.Options{RawCellValue: true})
	column := map[string]int64{}
	for _, row := range all[1:] {
		if row[3] == "市町村" || row[3] == "都道府県" {
			k, _ := strconv.ParseInt(row[10], 10, 64)
			column[row[4]] += k
		}
	}
	stated := 0
	for i, row := range sum {
		if len(row) < 5 || row[0] != "配分枠" || row[1] != "確定額合計（円）" {
			continue
		}
		for _, r := range sum[i+1:] {
			if len(r) < 5 {
				break
			}
			yen, _ := strconv.ParseInt(r[1], 10, 64)
			colSum, _ := strconv.ParseInt(r[3], 10, 64)
			diff, _ := strconv.ParseInt(r[4], 10, 64)
			pool := res.Allocate.Pool(names[r[0]])
			if pool.ID == "" || yen != pool.PoolYen || column[r[0]] != colSum || colSum != pool.PoolYen/1000+diff {
				t.Errorf("概要 千円: %v; the 交付額 column sums to %d千円 (pool %v)", r, column[r[0]], pool)
			}
			stated++
		}
	}
	if stated != len(res.Allocate.Results) {
		t.Errorf("概要 states the 千円 difference of %d pools, want %d", stated, len(res.Allocate.Results))
	}
	openpyxlReadsMinistry(t, filepath.Join(out, exporters.MinistryFileName(2026)), res.Allocate)
	// The national sheet's data rows agree with the simple sheet.
	nat, _ := wb.GetRows(exporters.SheetNational, excelize.Options{RawCellValue: true})
	if got := len(nat) - 16; got != 1741 {
		t.Errorf("national sheet has %d municipality rows", got)
	}

	// 「配分の説明」 prints score × weight and its Σ over the pool's municipalities exactly: each
	// against Σ score_centi × weight / 100 in big rationals from the store's amounts. (The float-sum
	// noise this replaced, 89356080.15999998 for 89356080.16, shows only over the whole nation's
	// scores; here the check is that each printed value is the exact one.)
	amounts, err = r.Store.Allocations().Amounts(ctx, res.Allocate.RunID)
	if err != nil {
		t.Fatal(err)
	}
	exact := map[string]*big.Rat{}
	for _, a := range amounts {
		if a.Level != "municipality" {
			continue
		}
		if exact[a.PoolID] == nil {
			exact[a.PoolID] = new(big.Rat)
		}
		exact[a.PoolID].Add(exact[a.PoolID], big.NewRat(int64(math.Round(a.Score*100))*a.Weight, 100))
	}
	rv, err := excelize.OpenFile(filepath.Join(out, "review", exporters.ReviewFileName(2026, "310000", "鳥取県")))
	if err != nil {
		t.Fatal(err)
	}
	defer rv.Close()
	chain, _ := rv.GetRows("配分の説明", excelize.Options{RawCellValue: true})
	checked := 0
	for _, row := range chain[2:] {
		if len(row) < 7 {
			continue
		}
		id, ok := names[row[2]]
		if !ok {
			t.Fatalf("配分の説明: unknown pool %q", row[2])
		}
		score, _ := new(big.Rat).SetString(row[3])
		weight, _ := new(big.Rat).SetString(row[4])
		product, ok1 := new(big.Rat).SetString(row[5])
		sum, ok2 := new(big.Rat).SetString(row[6])
		if !ok1 || !ok2 || product.Cmp(new(big.Rat).Mul(score, weight)) != 0 || sum.Cmp(exact[id]) != 0 {
			t.Errorf("配分の説明 %s %s: 得点×被保険者数 %s, 全国の合計 %s; exact %s and %s", row[0], row[2], row[5], row[6],
				new(big.Rat).Mul(score, weight).FloatString(2), exact[id].FloatString(2))
		}
		checked++
	}
	if checked != 19*len(exact) {
		t.Errorf("配分の説明 checked %d lines, want %d", checked, 19*len(exact))
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pipeline -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: %d lines, want %d", name, len(gl), len(wl))
	}
}

func TestIngestVersions(t *testing.T) {
	ctx := context.Background()
	fix, _ := tottori(t)
	r := newRunner(t, "")
	path := filepath.Join(fix, fixtures.SurveyFileName(2026, indicators.Municipality, "312011"))
	rep, err := r.Ingest(ctx, []string{path}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil || rep.Accepted != 1 || rep.Files[0].Version != 1 {
		t.Fatalf("first upload: %v %+v", err, rep)
	}
	rep, _ = r.Ingest(ctx, []string{path}, pipeline.IngestOptions{})
	if rep.Unchanged != 1 || rep.Accepted != 0 {
		t.Fatalf("identical re-upload: %s", rep.Summary())
	}
	// A corrected file: version 2 becomes current, version 1 stays as superseded.
	data, _ := os.ReadFile(path)
	f, _ := excelize.OpenReader(bytes.NewReader(data))
	f.SetCellStr(survey.SheetAnswers, "F7", "いいえ")
	fixed := filepath.Join(t.TempDir(), "fixed.xlsx")
	f.SaveAs(fixed)
	f.Close()
	rep, _ = r.Ingest(ctx, []string{fixed}, pipeline.IngestOptions{})
	if rep.Accepted != 1 || rep.Files[0].Version != 2 {
		t.Fatalf("corrected upload: %+v", rep.Files)
	}
	hist, err := r.Store.Submissions().History(ctx, 2026, "312011")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Version != 2 || hist[0].Status != "current" || hist[1].Status != "superseded" {
		t.Fatalf("history %+v", hist)
	}
	var n int
	if as, err := r.Store.Submissions().Answers(ctx, hist[1].ID); err != nil {
		t.Fatal(err)
	} else {
		n = len(as)
	}
	if n == 0 {
		t.Error("the superseded version lost its answers")
	}
	// A rejected upload afterwards changes nothing.
	f, _ = excelize.OpenReader(bytes.NewReader(data))
	f.SetCellStr(survey.SheetAnswers, "F7", "??")
	broken := filepath.Join(t.TempDir(), "broken.xlsx")
	f.SaveAs(broken)
	f.Close()
	rep, _ = r.Ingest(ctx, []string{broken}, pipeline.IngestOptions{})
	hist2, _ := r.Store.Submissions().History(ctx, 2026, "312011")
	if rep.Rejected != 1 || len(hist2) != 2 || hist2[0].ID != hist[0].ID {
		t.Errorf("rejected upload touched the history: %s, %+v", rep.Summary(), hist2)
	}
}

// years is 鳥取県's synthetic nation (seed 7) of every shipped fiscal year from FY2023 to FY2026,
// each generated, ingested and scored in that order into one database, once per package run:
// TestEveryShippedYear and TestSustainedPool each copy it (yearsScored).
var years struct {
	once    sync.Once
	db      string
	ingests map[int]*pipeline.IngestReport // what each year's ingest did (read only)
	scores  map[int]*pipeline.ScoreResult  // and its score run
	err     error
}

// yearsScored returns a runner on this test's copy of the database of every shipped year, with
// each year's ingest report and score result (shared: read them, never change them).
func yearsScored(t *testing.T) (*pipeline.Runner, map[int]*pipeline.IngestReport, map[int]*pipeline.ScoreResult) {
	t.Helper()
	dir := baseDir(t)
	years.once.Do(func() {
		ctx := context.Background()
		lib, err := indicators.Shipped()
		if err != nil {
			years.err = err
			return
		}
		years.db = filepath.Join(dir, "years.duckdb")
		st, err := store.Open(ctx, years.db)
		if err != nil {
			years.err = err
			return
		}
		defer st.Close()
		r := &pipeline.Runner{Store: st, Rulebooks: lib}
		years.ingests, years.scores = map[int]*pipeline.IngestReport{}, map[int]*pipeline.ScoreResult{}
		for _, fy := range []int{2023, 2024, 2025, 2026} {
			fix := filepath.Join(dir, fmt.Sprintf("years%d", fy))
			if _, err := fixtures.WriteNation(ctx, fix, lib, fy, fixtures.NationOptions{Seed: 7, Prefectures: []string{"31"}}); err != nil {
				years.err = fmt.Errorf("FY%d fixtures: %w", fy, err)
				return
			}
			if years.ingests[fy], err = r.Ingest(ctx, []string{fix}, pipeline.IngestOptions{FiscalYear: fy}); err != nil {
				years.err = fmt.Errorf("FY%d ingest: %w", fy, err)
				return
			}
			if years.scores[fy], err = r.Score(ctx, fy); err != nil {
				years.err = fmt.Errorf("FY%d score: %w", fy, err)
				return
			}
		}
		years.err = st.Close()
	})
	if years.err != nil {
		t.Fatal(years.err)
	}
	return newRunner(t, copyDB(t, years.db)), years.ingests, years.scores
}

// TestEveryShippedYear generates, ingests and scores 鳥取県 for every shipped fiscal year with the
// same code (yearsScored): the rulebook alone decides what is asked and how it scores.
func TestEveryShippedYear(t *testing.T) {
	ctx := context.Background()
	lib, _ := indicators.Shipped()
	shipped := map[int]bool{}
	for _, rb := range lib.All() {
		shipped[rb.FiscalYear] = true
	}
	for _, fy := range []int{2023, 2024, 2025, 2026} {
		if !shipped[fy] {
			t.Fatalf("FY%d is not shipped", fy)
		}
	}
	r, ingests, scores := yearsScored(t)
	for _, fy := range []int{2023, 2024, 2025, 2026} {
		if rep := ingests[fy]; rep.Rejected > 0 {
			t.Fatalf("FY%d ingest: %s %+v", fy, rep.Summary(), rep.Files)
		}
		res := scores[fy]
		m := res.Municipal()
		rb, _ := lib.Get(fy, indicators.Municipality)
		if m.Entities != 1741 || m.Submitted != 19 || m.MaxTotal != rb.MaxPoints() {
			t.Errorf("FY%d: %+v", fy, m)
		}
		var mean float64
		standings, err := r.Store.Scores().Standings(ctx, res.RunID, "municipality")
		if err != nil {
			t.Fatal(err)
		}
		submitted := 0
		for _, st := range standings {
			if st.Submitted {
				mean += st.Rate
				submitted++
			}
		}
		mean /= float64(submitted)
		if mean < 0.3 || mean > 0.8 {
			t.Errorf("FY%d: mean 得点率 of the submitted municipalities %.2f, outside a plausible 0.3–0.8", fy, mean)
		}
		checkSubtotalsAddUp(t, r, res.RunID, rb)
	}
	// FY2026's change item read FY2025's answers of the same municipalities (a few left the rate
	// blank in one of the years: the synthetic nation leaves about 0.5% of answers blank).
	var changed, other int
	run26, err := r.Store.Runs().Latest(ctx, store.KindScore, 2026)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := r.Store.Runs().ItemScoreLines(ctx, run26.ID)
	if err != nil {
		t.Fatal(err)
	}
	computed := regexp.MustCompile(`^今年度 .* − 前年度 .* = `)
	for _, l := range lines {
		f := strings.SplitN(l, " ", 5) // code, item, points, status, reason
		if len(f) < 5 || f[1] != "S1-17-a" || !strings.HasPrefix(f[0], "31") {
			continue
		}
		switch reason := f[4]; {
		case computed.MatchString(reason):
			changed++
		case strings.HasPrefix(reason, "前年度の値なし"), strings.HasPrefix(reason, "未回答"):
			other++
		}
	}
	if changed < 15 || changed+other != 19 {
		t.Errorf("change against FY2025: %d computed, %d without a value; want 19 in all, most computed", changed, other)
	}
}

// checkSubtotalsAddUp checks, for every municipality of a score run, what an official adding the
// printed cells by hand checks: each goal subtotal in each grant is the sum of its indicators' points
// in that grant (each to 0.01, as the matrix the national sheet prints holds them), each grant total
// the sum of its goal subtotals (floored at 0) and 総合計 the sum of the grant totals. For a rulebook
// with indicators scaled to a grant (FY2023) it also counts the subtotals that rounding the goal's
// exact sum once would have put 0.01 off, which must exist for the check to mean anything.
func checkSubtotalsAddUp(t *testing.T, r *pipeline.Runner, run int64, rb *indicators.Rulebook) {
	t.Helper()
	ctx := context.Background()
	m, err := r.Store.Scores().Matrix(ctx, run, "municipality")
	if err != nil {
		t.Fatal(err)
	}
	cents := func(v float64) int64 { return int64(math.Round(v * 100)) }
	// Exact indicator points (in hundredths) for the once-rounded reading.
	exact := map[string]map[string]int64{}
	lines, err := r.Store.Runs().ScoreLines(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		// 指標 code indicator points/max status reason
		f := strings.Fields(l)
		if len(f) < 4 || f[0] != "指標" {
			continue
		}
		p, ok := new(big.Rat).SetString(strings.SplitN(f[3], "/", 2)[0])
		if !ok {
			t.Fatalf("indicator points in %q", l)
		}
		if exact[f[1]] == nil {
			exact[f[1]] = map[string]int64{}
		}
		exact[f[1]][f[2]] = indicators.RoundHalfAway(p.Mul(p, big.NewRat(100, 1))).Int64()
	}
	// Each goal's indicators in each grant, with their points there: the same for every
	// municipality, so listed once (rb.GrantPoints builds a map per call).
	type share struct {
		ind    *indicators.Indicator
		points float64
	}
	shares := map[[2]string][]share{}
	for i := range rb.Indicators {
		ind := &rb.Indicators[i]
		if ind.Points <= 0 {
			continue
		}
		for gid, p := range rb.GrantPoints(ind) {
			k := [2]string{gid, ind.Goal}
			shares[k] = append(shares[k], share{ind, p})
		}
	}
	bad, roundedOnceDiffers := 0, 0
	for code, row := range m {
		var total int64
		for _, g := range rb.Grants {
			var grant int64
			for _, goal := range rb.Goals {
				if _, ok := goal.Grants[g.ID]; !ok {
					continue
				}
				var sum int64
				once := new(big.Rat)
				for _, sh := range shares[[2]string{g.ID, goal.ID}] {
					ind, p := sh.ind, sh.points
					sum += cents(row[store.IndicatorKey(ind.ID, g.ID)])
					once.Add(once, new(big.Rat).SetFrac64(exact[code][ind.ID]*int64(math.Round(p*100)), int64(math.Round(ind.Points*100))))
				}
				sub := cents(row[store.GoalKey(goal.ID, g.ID)])
				if sub != sum {
					bad++
					if bad <= 5 {
						t.Errorf("FY%d %s goal %s in %s: subtotal %d hundredths, its indicators' printed points add up to %d", rb.FiscalYear, code, goal.ID, g.ID, sub, sum)
					}
				}
				// once is in hundredths: the goal's exact sum rounded once, half away from zero.
				if indicators.RoundHalfAway(once).Int64() != sub {
					roundedOnceDiffers++
				}
				grant += sub
			}
			if got := cents(row[store.GrantKey(g.ID)]); got != max(grant, 0) {
				t.Errorf("FY%d %s grant %s: %d hundredths, its goals add up to %d", rb.FiscalYear, code, g.ID, got, grant)
			}
			total += max(grant, 0)
		}
		if got := cents(row[store.TotalKey]); got != total {
			t.Errorf("FY%d %s 総合計 %d hundredths, its grants add up to %d", rb.FiscalYear, code, got, total)
		}
	}
	if len(m) != 1741 {
		t.Errorf("FY%d: %d municipalities in the matrix", rb.FiscalYear, len(m))
	}
	if rb.FiscalYear == 2023 && roundedOnceDiffers == 0 {
		t.Errorf("FY2023: no subtotal where rounding per indicator and rounding the goal once differ; the check proves nothing")
	}
	t.Logf("FY%d: %d goal subtotals where rounding the exact sum once would differ by 0.01", rb.FiscalYear, roundedOnceDiffers)
}

// openpyxlReadsMinistry reads the ministry workbook with openpyxl's read-only mode, which trusts each
// sheet's <dimension>: it must see every cell as written, and in what it sees each pool's 千円 column
// of 「交付額」 must be explained — Σ 千円 = the pool's yen in 千円 (truncated) + the 千円端数 row, the
// 合計 row's yen = the pool allocated (from the allocation, not the workbook).
func openpyxlReadsMinistry(t *testing.T, path string, alloc *pipeline.AllocateResult) {
	t.Helper()
	if openpyxl.Python() == "" {
		if os.Getenv("CI") != "" {
			t.Fatal(openpyxl.ErrUnavailable)
		}
		t.Log(openpyxl.ErrUnavailable, "— skipping the openpyxl check")
		return
	}
	bad, err := openpyxl.Disagreements(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range bad {
		if i == 20 {
			t.Fatalf("… and %d more", len(bad)-20)
		}
		t.Error(d)
	}
	sheets, err := openpyxl.ReadSheets(path)
	if err != nil {
		t.Fatal(err)
	}
	pools := map[string]int64{} // allocated yen by pool name
	for _, p := range alloc.Results {
		pools[p.Name] = p.AmountYen
	}
	type sums struct{ thousands, totalYen, diff int64 }
	got := map[string]*sums{}
	for _, sh := range sheets {
		if sh.Name != exporters.SheetAmounts {
			continue
		}
		for _, row := range sh.Rows[1:] {
			if len(row) < 11 {
				continue
			}
			kind, pool := openpyxl.Text(row[3]), openpyxl.Text(row[4])
			n, _ := row[10].(openpyxl.Number)
			k, _ := n.Int()
			if got[pool] == nil {
				got[pool] = &sums{}
			}
			switch kind {
			case "市町村", "都道府県":
				got[pool].thousands += k
			case exporters.AmountTotal:
				y, _ := row[9].(openpyxl.Number)
				got[pool].totalYen, _ = y.Int()
			case exporters.AmountDifference:
				got[pool].diff = k
			}
		}
	}
	if len(pools) == 0 || len(got) < len(pools) {
		t.Fatalf("openpyxl sees %d pools in 交付額, the allocation has %d", len(got), len(pools))
	}
	for name, yen := range pools {
		s := got[name]
		if s == nil || s.totalYen != yen || s.thousands != yen/1000+s.diff {
			t.Errorf("openpyxl, 交付額 %s: %+v; allocated %d yen (%d千円)", name, s, yen, yen/1000)
		}
	}
}
