package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/japanese"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/allocation"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// versions is how many submission versions of a kind ("" for every kind) the store holds for
// FY2026.
func versions(t *testing.T, r *pipeline.Runner, kind string) int {
	t.Helper()
	subs, err := r.Store.Submissions().Versions(context.Background(), 2026)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range subs {
		if kind == "" || string(s.Kind) == kind {
			n++
		}
	}
	return n
}

// runCount is how many runs the store has recorded.
func runCount(t *testing.T, r *pipeline.Runner) int {
	t.Helper()
	runs, err := r.Store.Runs().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(runs)
}

// currentAnswers returns the answers of the current FY2026 submissions of an entity ("" for
// every entity), by item.
func currentAnswers(t *testing.T, r *pipeline.Runner, code string) map[string]store.AnswerRow {
	t.Helper()
	ctx := context.Background()
	subs, err := r.Store.Submissions().Current(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.AnswerRow{}
	for _, s := range subs {
		if code != "" && s.EntityCode != code {
			continue
		}
		as, err := r.Store.Submissions().Answers(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			out[a.ItemID] = a
		}
	}
	return out
}

// entity returns a municipality as the store has it for FY2026, with its population.
func entity(t *testing.T, r *pipeline.Runner, code string) store.EntityInfo {
	t.Helper()
	ents, err := r.Store.Reference().Entities(context.Background(), 2026, "municipality")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Code == code {
			return e
		}
	}
	t.Fatalf("no municipality %s in FY2026", code)
	return store.EntityInfo{}
}

func TestBrokenFilesRejectedQuarantinedAnnotated(t *testing.T) {
	ctx := context.Background()
	lib, _ := indicators.Shipped()
	dir := t.TempDir()
	sum, err := fixtures.WriteNation(ctx, dir, lib, 2026, fixtures.NationOptions{Seed: 1, Prefectures: []string{"31"}, Broken: true})
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, "")
	// The good nation first (its centre list makes the centres known).
	goodFiles, _ := pipeline.ExpandPaths([]string{dir})
	var good []string
	for _, f := range goodFiles {
		if !strings.Contains(f, "/"+fixtures.BrokenDir+"/") {
			good = append(good, f)
		}
	}
	if rep, err := r.Ingest(ctx, good, pipeline.IngestOptions{FiscalYear: 2026}); err != nil || rep.Rejected > 0 {
		t.Fatalf("good files: %v %s", err, rep.Summary())
	}
	before := versions(t, r, "")
	q := filepath.Join(t.TempDir(), "quarantine")
	rep, err := r.Ingest(ctx, []string{filepath.Join(dir, fixtures.BrokenDir)}, pipeline.IngestOptions{FiscalYear: 2026, Quarantine: q})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rejected != len(sum.Broken) || rep.Accepted != 0 {
		t.Fatalf("broken files: %s", rep.Summary())
	}
	if after := versions(t, r, ""); after != before {
		t.Errorf("broken files wrote %d submissions", after-before)
	}
	byName := map[string]pipeline.FileReport{}
	for _, f := range rep.Files {
		byName[filepath.Base(f.Path)] = f
	}
	for _, b := range sum.Broken {
		f := byName[b.File]
		got := map[string]bool{}
		for _, p := range f.Problems {
			got[p.Code] = true
			if p.MessageJA == "" || p.MessageEN == "" || p.File == "" {
				t.Errorf("%s: problem without a message or file: %+v", b.File, p)
			}
		}
		for _, c := range b.Codes {
			if !got[c] {
				t.Errorf("%s: no %s among %v", b.File, c, f.Problems)
			}
		}
		if f.Quarantined != filepath.Join(q, b.File) {
			t.Errorf("%s quarantined at %q", b.File, f.Quarantined)
		}
		if _, err := os.Stat(filepath.Join(dir, fixtures.BrokenDir, b.File)); !os.IsNotExist(err) {
			t.Errorf("%s was not moved", b.File)
		}
		for _, ext := range []string{".report.txt", ".report.json"} {
			if _, err := os.Stat(filepath.Join(q, b.File+ext)); err != nil {
				t.Errorf("%s: %v", b.File+ext, err)
			}
		}
		// The text report reads as a return to the municipality, its errors counted apart from warnings.
		if txt, err := os.ReadFile(filepath.Join(q, b.File+".report.txt")); err == nil {
			errs, _ := kofukin.SplitProblems(f.Problems)
			if head := fmt.Sprintf("受付できなかったファイル / rejected file: %s\n修正が必要なエラー %d 件", b.File, len(errs)); !strings.HasPrefix(string(txt), head) || strings.Contains(string(txt), "却下") {
				t.Errorf("%s.report.txt starts %.200q, want %q", b.File, txt, head)
			}
		}
	}
	// The annotated copy marks each bad cell with its message.
	f, err := excelize.OpenFile(filepath.Join(q, "municipality_errors_エラー箇所.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	comments, _ := f.GetComments("回答")
	marked := map[string]string{}
	for _, c := range comments {
		var text string
		for _, p := range c.Paragraph {
			text += p.Text
		}
		marked[c.Cell] = text
	}
	for cell, code := range map[string]string{"F7": "E011", "F25": "E012", "A9": "E008"} {
		if !strings.Contains(marked[cell], "["+code+"]") {
			t.Errorf("annotated copy: %s has comment %q, want %s", cell, marked[cell], code)
		}
	}
	rows, _ := f.GetRows("エラー一覧")
	listed := 0
	for _, row := range rows {
		if len(row) > 0 && len(row[0]) == 4 && strings.ContainsRune("EW", rune(row[0][0])) { // a problem's code
			listed++
		}
	}
	if listed != len(byName["municipality_errors.xlsx"].Problems) {
		t.Errorf("エラー一覧 lists %d problems of %d: %q", listed, len(byName["municipality_errors.xlsx"].Problems), rows)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	ctx := context.Background()
	r, fix, _ := cycled(t)
	subs, runs := versions(t, r, ""), runCount(t, r)
	// 鳥取市 answers yes to everything it can: a dry run shows the points it would get.
	path := filepath.Join(fix, fixtures.SurveyFileName(2026, indicators.Municipality, "312011"))
	f, _ := excelize.OpenFile(path)
	rows, _ := f.GetRows("回答")
	for i, row := range rows {
		if len(row) > 6 && strings.HasPrefix(row[6], "「はい」") {
			f.SetCellStr("回答", "F"+itoa(i+1), "はい")
		}
	}
	better := filepath.Join(t.TempDir(), "better.xlsx")
	f.SaveAs(better)
	f.Close()
	rep, err := r.DryRun(ctx, []string{better}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.DryRun || rep.Accepted != 1 || rep.Files[0].Preview == nil {
		t.Fatalf("dry run: %+v", rep)
	}
	var now float64
	if sr, err := r.Store.Runs().Latest(ctx, store.KindScore, 2026); err != nil {
		t.Fatal(err)
	} else if st, err := r.Store.Scores().Standings(ctx, sr.ID, "municipality"); err != nil {
		t.Fatal(err)
	} else {
		now = st["312011"].Total
	}
	if p := rep.Files[0].Preview; p.Total <= now || p.Of != 1741 {
		t.Errorf("preview %+v, stored total %g: more yes should preview more points", p, now)
	}
	if s, n := versions(t, r, ""), runCount(t, r); s != subs || n != runs {
		t.Errorf("dry run wrote: submissions %d → %d, runs %d → %d", subs, s, runs, n)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestCSVSurveyShiftJIS(t *testing.T) {
	ctx := context.Background()
	fix, _ := tottori(t)
	lib, _ := indicators.Shipped()
	path := filepath.Join(fix, fixtures.SurveyFileName(2026, indicators.Municipality, "312029"))
	data, _ := os.ReadFile(path)
	sv, err := loaders.ReadSurvey(path, data, lib, loaders.Expect{})
	if err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("年度,団体コード,項目ID,設問,回答\r\n")
	for _, a := range sv.Answers {
		it, _ := mustRulebook(lib).Item(a.ItemID)
		csv.WriteString("2026,312029," + a.ItemID + ",\"" + it.Question + "\"," + a.Text + "\r\n")
	}
	sjis, err := japanese.ShiftJIS.NewEncoder().String(csv.String())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "米子市.csv")
	os.WriteFile(file, []byte(sjis), 0o644)
	r := newRunner(t, "")
	rep, err := r.Ingest(ctx, []string{file}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil || rep.Accepted != 1 {
		t.Fatalf("%v %s %+v", err, rep.Summary(), rep.Files)
	}
	var got []string
	answers := currentAnswers(t, r, "")
	ids := make([]string, 0, len(answers))
	for id := range answers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		got = append(got, id+"="+answers[id].Text)
	}
	var want []string
	for _, a := range sv.Answers {
		want = append(want, a.ItemID+"="+a.Text)
	}
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("CSV answers differ from the workbook's:\n got %v\nwant %v", got, want)
	}
}

func mustRulebook(lib *indicators.Library) *indicators.Rulebook {
	rb, _ := lib.Get(2026, indicators.Municipality)
	return rb
}

func TestPopulationUpdateAndUnions(t *testing.T) {
	ctx := context.Background()
	r := newRunner(t, "")
	dir := t.TempDir()
	pop := "年度,団体コード,基準日,第1号被保険者数,出典\n2026,312011,令和7年3月31日,\"56,000\",介護保険事業状況報告\n2026,31202,2025/3/31,43000,介護保険事業状況報告\n"
	os.WriteFile(filepath.Join(dir, "pop.csv"), []byte(pop), 0o644)
	uni := "年度,広域連合コード,広域連合名,構成市町村コード\n2026,U31001,テスト広域連合,313025\n2026,U31001,テスト広域連合,313254\n"
	os.WriteFile(filepath.Join(dir, "unions.csv"), []byte(uni), 0o644)
	rep, err := r.Ingest(ctx, []string{dir}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil || rep.Accepted != 2 {
		t.Fatalf("%v %s %+v", err, rep.Summary(), rep.Files)
	}
	n65 := entity(t, r, "312029").Age65Plus
	if n65 != 43000 {
		t.Errorf("米子市 given as 31202 (Excel dropped the check digit? no: a 5-digit JIS code) 65+ = %d", n65)
	}
	h := 0
	for _, code := range []string{"312011", "312029"} {
		old, err := r.Store.Reference().ReplacedPopulations(ctx, 2026, code)
		if err != nil {
			t.Fatal(err)
		}
		h += len(old)
	}
	if h != 2 {
		t.Errorf("%d replaced figures kept, want 2", h)
	}
	if m, err := r.Store.Reference().UnionMembers(ctx, 2026, "U31001"); err != nil || len(m) != 2 {
		t.Errorf("union members %v (%v), want 2", m, err)
	}
	// The same file again changes nothing.
	rep, _ = r.Ingest(ctx, []string{dir}, pipeline.IngestOptions{FiscalYear: 2026})
	if rep.Unchanged != 2 {
		t.Errorf("re-sent reference files: %s", rep.Summary())
	}
}

func TestRerunIsByteIdentical(t *testing.T) {
	ctx := context.Background()
	r, fix, out := cycled(t)
	res := base.cycle
	// Every file the export wrote: the workbook, the Parquet tables, the Arrow file.
	if len(res.Export.SHA256) < 7 {
		t.Fatalf("export wrote %v", res.Export.SHA256)
	}
	// The export run re-created: amounts and every file's bytes as recorded. (The allocation run's
	// rerun goes through the same reallocation and export; ReportsTampering reruns both kinds and
	// checks that exactly the changed amount and files differ, so every other one is identical.)
	rep, err := r.Rerun(ctx, res.Export.RunID, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Different) > 0 || rep.Checked == 0 || len(rep.Notes) != 0 {
		t.Errorf("rerun of export run %d: %d compared, differences %v, notes %v", res.Export.RunID, rep.Checked, rep.Different, rep.Notes)
	}
	// A score run re-created after a newer version of one file arrived: the recorded inputs count.
	path := filepath.Join(fix, fixtures.SurveyFileName(2026, indicators.Municipality, "312011"))
	f, _ := excelize.OpenFile(path)
	f.SetCellStr("回答", "F7", "いいえ")
	newer := filepath.Join(t.TempDir(), "newer.xlsx")
	f.SaveAs(newer)
	f.Close()
	if rep, err := r.Ingest(ctx, []string{newer}, pipeline.IngestOptions{FiscalYear: 2026}); err != nil || rep.Accepted != 1 {
		t.Fatalf("newer version: %v", err)
	}
	rep, err = r.Rerun(ctx, res.Score.RunID, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Different) > 0 || rep.Checked == 0 {
		t.Errorf("rerun of score run: %d compared, differences %v", rep.Checked, rep.Different)
	}
	// The negative controls, on the same cycle.
	t.Run("ReportsTampering", func(t *testing.T) { rerunReportsTampering(t, r, res, out) })
}

func TestWhatIfRipple(t *testing.T) {
	ctx := context.Background()
	r, _, _ := cycled(t)
	runs := runCount(t, r)
	// 鳥取市 answers ア of P1-1 and P1-2 the other way round from what it did.
	var a string
	a = currentAnswers(t, r, "312011")["P1-1-a"].Text
	flip := map[string]string{"はい": "いいえ", "いいえ": "はい"}
	rep, err := r.WhatIf(ctx, 2026, []pipeline.Change{{Code: "312011", Item: "P1-1-a", Value: flip[a]}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Ripples) == 0 || rep.Ripples[0].Code != "312011" || rep.SumDelta != 0 {
		t.Fatalf("ripple: %+v", rep)
	}
	first := rep.Ripples[0]
	if diff := first.AfterTotal - first.BeforeTotal; (a == "はい" && diff != -4) || (a == "いいえ" && diff != 4) {
		t.Errorf("鳥取市 total moved by %g for a 4-point item answered %s → %s", diff, a, flip[a])
	}
	if (first.DeltaYen < 0) != (a == "はい") {
		t.Errorf("鳥取市's yen moved by %d", first.DeltaYen)
	}
	for _, x := range rep.Ripples[1:] {
		if (x.DeltaYen > 0) == (first.DeltaYen > 0) && x.DeltaYen != 0 && x.Level == "municipality" {
			t.Errorf("%s moved the same way as 鳥取市 (%d): in a fixed pool the others move the other way", x.Code, x.DeltaYen)
		}
	}
	if n := runCount(t, r); n != runs {
		t.Errorf("what-if stored runs: %d → %d", runs, n)
	}
	// The yen before the change are the latest allocation run's, which the cycle recorded on the same
	// inputs: a what-if computes its allocations without recording them (AllocateWith), and must come
	// to the same amounts.
	alloc, err := r.Store.Runs().Latest(ctx, store.KindAllocate, 2026)
	if err != nil {
		t.Fatal(err)
	}
	var man pipeline.AllocateManifest
	if err := json.Unmarshal([]byte(alloc.Manifest), &man); err != nil {
		t.Fatal(err)
	}
	lines, err := r.Store.Allocations().AmountSheet(ctx, alloc.ID, man.ScoreRunID, 2026)
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]int64{}
	for _, l := range lines {
		recorded[l.Code] += l.AmountYen
	}
	for _, x := range rep.Ripples {
		if x.BeforeYen != recorded[x.Code] {
			t.Errorf("%s before the change: %d yen, the allocation run %d recorded %d", x.Code, x.BeforeYen, alloc.ID, recorded[x.Code])
		}
	}
	if len(rep.Ripples) < 2 {
		t.Errorf("%d ripples compared with the recorded amounts", len(rep.Ripples))
	}
	if _, err := r.WhatIf(ctx, 2026, []pipeline.Change{{Code: "312011", Item: "P1-1-a", Value: "たぶん"}}); err == nil {
		t.Error("an unreadable value was accepted")
	}
	// A ministry-supplied value changes the ministry's file, keeping every other value of it: set to
	// what it is, nothing moves (a file of that one value would move every municipality).
	subs, err := r.Store.Submissions().History(ctx, 2026, store.MinistryCode)
	if err != nil {
		t.Fatal(err)
	}
	var same *pipeline.Change
	for _, x := range subs {
		if x.Status != "current" || same != nil {
			continue
		}
		rows, err := r.Store.Submissions().Answers(ctx, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			if row.EntityCode == "312011" && row.Answer.Text != "" {
				same = &pipeline.Change{Code: "312011", Item: row.Answer.ItemID, Value: row.Answer.Text}
				break
			}
		}
	}
	if same == nil {
		t.Fatal("no ministry-supplied value of 鳥取市")
	}
	rep, err = r.WhatIf(ctx, 2026, []pipeline.Change{*same})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Ripples) != 0 || rep.Unchanged == 0 {
		t.Errorf("the ministry's %s of 鳥取市 set to what it is (%s): %d entities moved, e.g. %+v", same.Item, same.Value, len(rep.Ripples), rep.Ripples[:min(2, len(rep.Ripples))])
	}
}

func TestReviewWorkbookRoundTripAndFeedback(t *testing.T) {
	ctx := context.Background()
	r, _, out := cycled(t)
	path := filepath.Join(out, "review", exporters.ReviewFileName(2026, "310000", "鳥取県"))
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(exporters.SheetReview)
	if len(rows) != 4+19 {
		t.Fatalf("審査 sheet has %d rows, want 4 header rows and 19 municipalities", len(rows))
	}
	items, _ := f.GetRows(exporters.SheetReviewItems)
	if len(items) != 1+19*len(mustRulebook(mustLib()).Items()) {
		t.Errorf("回答と得点 has %d rows", len(items))
	}
	// The reviewer confirms 鳥取市 (row 5) and returns 米子市 (row 6) with a comment.
	f.SetCellStr(exporters.SheetReview, "L5", "確認済")
	f.SetCellStr(exporters.SheetReview, "L6", "差戻し")
	f.SetCellStr(exporters.SheetReview, "M6", "P1-7 の回収率を確認してください。")
	returned := filepath.Join(t.TempDir(), "returned.xlsx")
	f.SaveAs(returned)
	f.SetCellStr(exporters.SheetReview, "M6", "")
	incomplete := filepath.Join(t.TempDir(), "incomplete.xlsx")
	f.SaveAs(incomplete)
	f.Close()
	op := kofukin.Operator("test")
	data, _ := os.ReadFile(incomplete)
	if res, err := r.ImportReview(ctx, op, 2026, "", "incomplete.xlsx", data); err != nil || res.Rejection == nil || !strings.Contains(res.Rejection.Error(), "審査!M6") {
		t.Errorf("a return without a comment should be rejected at 審査!M6: %v %+v", err, res)
	}
	// Codes outside the workbook's prefecture, codes that do not exist and a forged stamp are
	// refused with their cells, and nothing of such a workbook is recorded.
	forge := func(name string, edit func(f *excelize.File)) []byte {
		g, err := excelize.OpenFile(returned)
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		edit(g)
		p := filepath.Join(t.TempDir(), name)
		if err := g.SaveAs(p); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		return b
	}
	stampRows, _ := excelize.OpenFile(returned)
	sr, _ := stampRows.GetRows("_stamp")
	stampRows.Close()
	prefRow := 0
	for i, row := range sr {
		if len(row) > 0 && row[0] == "prefecture_code" {
			prefRow = i + 1
		}
	}
	for _, c := range []struct {
		name, cell string
		data       []byte
	}{
		{"another prefecture's municipality", "A7", forge("other.xlsx", func(f *excelize.File) { f.SetCellStr(exporters.SheetReview, "A7", "322016") })},
		{"a code that does not exist", "A7", forge("none.xlsx", func(f *excelize.File) { f.SetCellStr(exporters.SheetReview, "A7", "319996") })},
		{"the prefecture itself", "A7", forge("self.xlsx", func(f *excelize.File) { f.SetCellStr(exporters.SheetReview, "A7", "310000") })},
		{"a stamp naming another prefecture", "A5", forge("stamp.xlsx", func(f *excelize.File) { f.SetCellStr("_stamp", fmt.Sprintf("B%d", prefRow), "320005") })},
	} {
		res, err := r.ImportReview(ctx, op, 2026, "", c.name+".xlsx", c.data)
		if err != nil || res.Rejection == nil {
			t.Errorf("%s: accepted (%v)", c.name, err)
			continue
		}
		found := false
		for _, p := range res.Rejection.Problems {
			found = found || (p.Code == loaders.ErrEntity && p.Cell == c.cell)
		}
		if !found {
			t.Errorf("%s: no E006 at %s in %v", c.name, c.cell, res.Rejection.Problems)
		}
	}
	// A workbook stamped with another year is refused: its verdicts would land in that year.
	yearRow := 0
	for i, row := range sr {
		if len(row) > 0 && row[0] == "fiscal_year" {
			yearRow = i + 1
		}
	}
	for _, y := range []string{"2025", "", "x"} {
		forged := forge("year"+y+".xlsx", func(f *excelize.File) { f.SetCellStr("_stamp", fmt.Sprintf("B%d", yearRow), y) })
		res, err := r.ImportReview(ctx, op, 2026, "", "year.xlsx", forged)
		if err != nil || res.Rejection == nil || res.Rejection.Problems[0].Code != loaders.ErrFiscalYear {
			t.Errorf("a workbook stamped with year %q: %v %+v", y, err, res)
		}
	}
	if got, _ := r.Store.Submissions().Reviews(ctx, 2026); len(got) != 0 {
		t.Errorf("refused workbooks recorded %d verdicts", len(got))
	}
	if got, _ := r.Store.Submissions().Reviews(ctx, 2025); len(got) != 0 {
		t.Errorf("a forged year recorded %d verdicts in FY2025", len(got))
	}
	// Another prefecture may not import this one's workbook.
	data, _ = os.ReadFile(returned)
	if res, err := r.ImportReview(ctx, kofukin.Principal{Role: kofukin.RolePrefecture, EntityCode: "320005"}, 2026, "", "returned.xlsx", data); err == nil && res.Rejection == nil {
		t.Error("another prefecture imported 鳥取県's verdicts")
	}
	res, err := r.ImportReview(ctx, op, 2026, "", "returned.xlsx", data)
	if err != nil || res.Rejection != nil {
		t.Fatalf("import: %v %+v", err, res)
	}
	got, _ := r.Store.Submissions().Reviews(ctx, 2026)
	if got["312011"].Status != "確認済" || got["312029"].Status != "差戻し" || got["312029"].Comment != "P1-7 の回収率を確認してください。" || got["312037"].Status != "" || res.Unchanged != 17 {
		t.Errorf("verdicts stored: %+v", got)
	}
	// The next export shows the verdicts in the review workbook.
	out2 := t.TempDir()
	if _, err := r.Export(ctx, 2026, out2); err != nil {
		t.Fatal(err)
	}
	g, _ := excelize.OpenFile(filepath.Join(out2, "review", exporters.ReviewFileName(2026, "310000", "鳥取県")))
	if v, _ := g.GetCellValue(exporters.SheetReview, "L6"); v != "差戻し" {
		t.Errorf("re-exported review shows %q for 米子市", v)
	}
	g.Close()
	// Feedback: one sheet per municipality, goals against the comparisons, the worth of a point.
	fb, err := excelize.OpenFile(filepath.Join(out, "feedback", exporters.FeedbackFileName(2026, "310000", "鳥取県")))
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	if n := len(fb.GetSheetList()); n != 19 {
		t.Errorf("feedback has %d sheets, want 19", n)
	}
	sheet := fb.GetSheetList()[0]
	rowsFB, _ := fb.GetRows(sheet)
	var goals, worth int
	for _, row := range rowsFB {
		if len(row) > 0 && (strings.HasPrefix(row[0], "推進 目標") || strings.HasPrefix(row[0], "支援 目標") || strings.HasPrefix(row[0], "目標Ⅳ")) {
			goals++
		}
		if len(row) > 1 && strings.HasSuffix(row[0], "で1点多い場合") && row[1] != "0" {
			worth++
		}
	}
	if goals != 8 || worth != 2 {
		t.Errorf("feedback sheet %s: %d goal rows (want 8: 6 goals and 目標Ⅳ in both grants), %d point values (want 2)", sheet, goals, worth)
	}
}

func mustLib() *indicators.Library { lib, _ := indicators.Shipped(); return lib }

// TestSustainedPool: an extra pool for municipalities in the top of this year's pool score and of
// last year's 総合計 goes to exactly those, and sums to its budget. FY2025 and FY2026 are those of
// the package's database of every shipped year (yearsScored), each ingested and scored.
func TestSustainedPool(t *testing.T) {
	ctx := context.Background()
	r, _, _ := yearsScored(t)
	params, _ := allocation.Load(2026)
	params.ExtraPools = append(params.ExtraPools, allocation.ExtraPool{ID: "sustained", Name: "継続的な上位団体", FromGrant: "shien", BudgetYen: 100_000_000, TopPercent: 0.5, SustainedYears: 1})
	run, _ := r.Store.Runs().Latest(ctx, store.KindScore, 2026)
	res, err := r.AllocateWith(ctx, 2026, run, params)
	if err != nil {
		t.Fatal(err)
	}
	// The top 0.5% of 1,741 is rank ≤ 8: this year's 支援 score and last year's 総合計.
	var want int
	m, err := r.Store.Scores().Matrix(ctx, run.ID, "municipality")
	if err != nil {
		t.Fatal(err)
	}
	prev, err := r.Store.Runs().Latest(ctx, store.KindScore, 2025)
	if err != nil {
		t.Fatal(err)
	}
	last, err := r.Store.Scores().Standings(ctx, prev.ID, "municipality")
	if err != nil {
		t.Fatal(err)
	}
	for code, row := range m {
		shien, ok := row[store.GrantKey("shien")]
		if !ok {
			continue
		}
		rank := 1 // competition rank by 支援 points, highest first
		for _, other := range m {
			if v, ok := other[store.GrantKey("shien")]; ok && v > shien {
				rank++
			}
		}
		if p, ok := last[code]; ok && rank <= 8 && p.Rank <= 8 {
			want++
		}
	}
	p := res.Pool("sustained")
	if p.Entities != want || want == 0 {
		t.Errorf("sustained pool went to %d municipalities, want %d (in the top 8 both years)", p.Entities, want)
	}
	if p.AmountYen+p.SurplusYen != 100_000_000 || p.SurplusYen != 0 {
		t.Errorf("sustained pool: %+v", p)
	}
}

// TestEntityListMerger: two towns merge in FY2027 into a new code; FY2026 is untouched.
func TestEntityListMerger(t *testing.T) {
	ctx := context.Background()
	r := newRunner(t, "")
	if err := r.EnsureReference(ctx, 2026); err != nil {
		t.Fatal(err)
	}
	newCode := "31399" + string(kofukin.CheckDigit("31399"))
	csv := "団体コード,区分,名称,都道府県コード,有効開始年度,有効終了年度\n" +
		"313254,市町村,若桜町,31,2018,2026\n" +
		"313289,市町村,智頭町,31,2018,2026\n" +
		newCode + ",市町村,八頭南町（合併の例）,31,2027,\n"
	path := filepath.Join(t.TempDir(), "entities.csv")
	os.WriteFile(path, []byte(csv), 0o644)
	rep, err := r.Ingest(ctx, []string{path}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil || rep.Accepted != 1 {
		t.Fatalf("%v %s %+v", err, rep.Summary(), rep.Files)
	}
	count := func(fy int) (int, map[string]bool) {
		es, _ := r.Store.Reference().Entities(ctx, fy, "municipality")
		m := map[string]bool{}
		for _, e := range es {
			m[e.Code] = true
		}
		return len(es), m
	}
	n26, m26 := count(2026)
	n27, m27 := count(2027)
	if n26 != 1741 || !m26["313254"] || m26[newCode] {
		t.Errorf("FY2026: %d municipalities", n26)
	}
	if n27 != 1740 || m27["313254"] || m27["313289"] || !m27[newCode] {
		t.Errorf("FY2027: %d municipalities, want 1,740 with %s and without the two towns", n27, newCode)
	}
	// A bad row is reported with its place and nothing is applied.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("団体コード,区分,名称,都道府県コード,有効開始年度,有効終了年度\n313999,市町村,誤り,31,2027,\n"), 0o644)
	rep, _ = r.Ingest(ctx, []string{bad}, pipeline.IngestOptions{FiscalYear: 2026})
	if rep.Rejected != 1 || !strings.Contains(rep.Files[0].Problems[0].Cell, "2行目") {
		t.Errorf("bad entity list: %+v", rep.Files)
	}
}
