package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kofukin/kofukin/allocation"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/internal/atomicfile"
	"github.com/kofukin/kofukin/store"
)

// ExportResult names the files written.
type ExportResult struct {
	RunID         int64
	AllocateRunID int64
	Files         []string
	SHA256        map[string]string
	Municipal     int
	Elapsed       time.Duration
}

// Export writes the outputs of fiscal year fy's latest allocation run into dir.
func (r *Runner) Export(ctx context.Context, fy int, dir string) (*ExportResult, error) {
	alloc, err := r.Store.Runs().Latest(ctx, store.KindAllocate, fy)
	if err != nil {
		return nil, fmt.Errorf("export: %w (run kofukin allocate --fy %d first)", err, fy)
	}
	return r.ExportRun(ctx, alloc, dir)
}

// ExportRun writes the outputs of one allocation run into dir, as a recorded export run: the
// ministry workbook, the prefectures' review workbooks, the municipal feedback workbooks, and the
// analyst tables (Parquet, and the allocations as an Arrow IPC file). The same run gives the same
// bytes (fixed document times, ordered rows); the manifest records each file's SHA-256.
func (r *Runner) ExportRun(ctx context.Context, alloc *store.Run, dir string) (*ExportResult, error) {
	start := time.Now()
	fy := alloc.FiscalYear
	// The folder is recorded absolute, so that a rerun finds the files whatever its working folder.
	recorded := dir
	if abs, err := filepath.Abs(dir); err == nil {
		recorded = abs
	}
	runID, err := r.Store.Runs().Start(ctx, store.KindExport, fy, map[string]any{"fiscal_year": fy, "allocate_run_id": alloc.ID, "dir": recorded})
	if err != nil {
		return nil, err
	}
	res, err := r.exportRun(ctx, fy, alloc, dir)
	if err != nil {
		return nil, r.failRun(ctx, runID, err)
	}
	res.RunID = runID
	if err := r.Store.Runs().Finish(ctx, runID, ExportManifest{AllocateRunID: alloc.ID, Files: res.SHA256}, fmt.Sprintf("%d file(s)", len(res.Files)), nil); err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(start)
	r.logger().Info("export", "run", runID, "allocate_run", alloc.ID, "files", len(res.Files), "dir", dir)
	return res, nil
}

func (r *Runner) exportRun(ctx context.Context, fy int, alloc *store.Run, dir string) (res *ExportResult, err error) {
	defer func() {
		if res != nil {
			r.progress(Progress{Stage: "export", Done: len(res.Files), Unit: "files"})
		}
	}()
	var man AllocateManifest
	if err := json.Unmarshal([]byte(alloc.Manifest), &man); err != nil {
		return nil, fmt.Errorf("read manifest of run %d: %w", alloc.ID, err)
	}
	prefix := fmt.Sprintf("FY%d_run%d_", fy, alloc.ID)
	if _, _, err := r.exportRulebook(fy, alloc.ID, man); err != nil {
		return nil, err // before anything is written
	}
	// The analyst tables (Parquet, then Arrow) are written while the workbooks are: the database's
	// threads compress them while Go writes sheets. Their bytes do not depend on what runs beside
	// them (WriteParquet writes each table as one row group; WriteArrow gathers the batches). In a
	// rehearsal every query runs on its one connection in turn, so there they come first.
	analystDir := filepath.Join(dir, "parquet")
	arrow := filepath.Join(analystDir, prefix+"allocations.arrow")
	type analystFiles struct {
		parquet []string
		err     error
	}
	analyst := make(chan analystFiles, 1)
	writeAnalyst := func() {
		var a analystFiles
		a.parquet, a.err = r.Store.Analyst().WriteParquet(ctx, analystDir, prefix, man.ScoreRunID, alloc.ID, fy)
		if a.err == nil {
			a.err = r.Store.Analyst().WriteArrow(ctx, arrow, man.ScoreRunID, alloc.ID, fy)
		}
		analyst <- a
	}
	if r.Store.InRehearsal() {
		writeAnalyst()
	} else {
		go writeAnalyst()
	}
	// The review and feedback workbooks' rows are read while the ministry workbook's are (in a
	// rehearsal, after them).
	type reviewRead struct {
		rows *reviewRows
		err  error
	}
	review := make(chan reviewRead, 1)
	readReview := func() {
		rr, err := r.readReviewRows(ctx, fy, alloc, man)
		review <- reviewRead{rr, err}
	}
	if !r.Store.InRehearsal() {
		go readReview()
	}
	// The ministry workbook is written beside the 47 + 47 review and feedback workbooks: its rows are
	// read first. Each file's bytes depend on its own data only, and the files are listed in the
	// same order whatever the scheduling.
	ministryErr := make(chan error, 1)
	prefs, err := r.prefectureLines(ctx, fy, alloc.ID, man.ScoreRunID)
	var m *exporters.Ministry
	if err == nil {
		m, err = r.ministry(ctx, fy, alloc, prefs)
	}
	ministry := filepath.Join(dir, exporters.MinistryFileName(fy))
	if err != nil {
		ministryErr <- nil
	} else {
		go func() {
			var buf bytes.Buffer
			if err := exporters.WriteMinistry(&buf, *m); err != nil {
				ministryErr <- err
				return
			}
			ministryErr <- atomicfile.WriteFile(ministry, buf.Bytes())
		}()
	}
	var written []string
	if err == nil {
		if r.Store.InRehearsal() {
			readReview()
		}
		rr := <-review
		if err = rr.err; err == nil {
			written, err = r.writeReviews(ctx, fy, alloc, man, prefs, dir, rr.rows)
		}
	}
	a := <-analyst
	if err := errors.Join(err, <-ministryErr, a.err); err != nil {
		return nil, err
	}
	res = &ExportResult{AllocateRunID: alloc.ID, SHA256: map[string]string{}, Municipal: len(m.Municipal)}
	res.add(dir, ministry)
	r.progress(Progress{Stage: "export", Done: len(res.Files), Unit: "files"})
	for _, f := range a.parquet {
		res.add(dir, f)
	}
	r.progress(Progress{Stage: "export", Done: len(res.Files), Unit: "files"})
	for _, f := range written {
		res.add(dir, f)
	}
	res.add(dir, arrow)
	return res, nil
}

// ExportManifest records what an export run wrote.
type ExportManifest struct {
	AllocateRunID int64             `json:"allocate_run_id"`
	Files         map[string]string `json:"files"` // path relative to the output folder → SHA-256
}

// add records a written file with its hash, relative to the output folder.
func (e *ExportResult) add(dir, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	sum := sha256.Sum256(data)
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		rel = path
	}
	e.Files = append(e.Files, path)
	e.SHA256[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
}

// prefectureLines are the rows of the ministry workbook's prefecture sheet, which also list the
// prefectures whose review and feedback workbooks are written.
func (r *Runner) prefectureLines(ctx context.Context, fy int, allocRun, scoreRun int64) ([]exporters.PrefectureLine, error) {
	prefs, err := r.Store.Allocations().PrefectureSheet(ctx, allocRun, scoreRun, fy)
	if err != nil {
		return nil, err
	}
	var out []exporters.PrefectureLine
	for _, p := range prefs {
		out = append(out, exporters.PrefectureLine{Code: p.Code, Name: p.Name, Insured65: p.Age65Plus, Grants: p.Grants, Total: p.Total, Rank: p.Rank, Yen: p.Yen})
	}
	return out, nil
}

// exportRulebook is the municipal rulebook an allocation run is exported with, and its score
// run's manifest: the one loaded now, refused unless it is the one the score run used.
func (r *Runner) exportRulebook(fy int, allocRun int64, man AllocateManifest) (*indicators.Rulebook, ScoreManifest, error) {
	var sman ScoreManifest
	if err := json.Unmarshal(man.ScoreManifest, &sman); err != nil {
		return nil, sman, fmt.Errorf("read score manifest in run %d: %w", allocRun, err)
	}
	rb, err := r.Rulebooks.Get(fy, indicators.Municipality)
	if err != nil {
		return nil, sman, err
	}
	if ref := sman.Ref(indicators.Municipality); ref.Hash != "" && ref.Hash != rb.Hash {
		return nil, sman, fmt.Errorf("score run %d used rulebook %s (%s), the one loaded now is %s: export with the rulebook of that run", man.ScoreRunID, ref.File, ref.Hash[:12], rb.Hash[:12])
	}
	return rb, sman, nil
}

// ministry gathers everything the ministry workbook of an allocation run shows: each sheet's rows
// from its read model in the store (the prefecture sheet's given), mapped field by field to the
// exporter's rows.
func (r *Runner) ministry(ctx context.Context, fy int, alloc *store.Run, prefs []exporters.PrefectureLine) (*exporters.Ministry, error) {
	var man AllocateManifest
	if err := json.Unmarshal([]byte(alloc.Manifest), &man); err != nil {
		return nil, fmt.Errorf("read manifest of run %d: %w", alloc.ID, err)
	}
	rb, sman, err := r.exportRulebook(fy, alloc.ID, man)
	if err != nil {
		return nil, err
	}
	rows, err := r.Store.Allocations().MunicipalSheet(ctx, alloc.ID, man.ScoreRunID, man.PrevScoreRunID, fy)
	if err != nil {
		return nil, err
	}
	m := &exporters.Ministry{
		Title:      fmt.Sprintf("%s 保険者機能強化推進交付金・介護保険保険者努力支援交付金 交付額算定表", rb.EraLabel),
		FiscalYear: fy, EraLabel: rb.EraLabel,
	}
	for _, row := range rows {
		m.Municipal = append(m.Municipal, exporters.MunicipalRow{PrefectureName: row.PrefectureName, Code: row.Code, Name: row.Name, Insured65: row.Age65Plus,
			Grants: row.Grants, Total: row.Total, Rank: row.Rank, Submitted: row.Submitted, Yen: row.Yen})
	}
	pools := map[string]PoolResult{}
	for _, p := range man.Results {
		pools[p.ID] = p
		m.Pools = append(m.Pools, exporters.PoolLine{ID: p.ID, Name: p.Name, Grant: p.Grant, Level: levelJA(p.Level), PoolYen: p.PoolYen,
			ProposalYen: p.ProposalYen, AmountYen: p.AmountYen, SurplusYen: p.SurplusYen, Entities: p.Entities, Capped: p.Capped, Note: p.Note})
	}
	for _, p := range man.Pools {
		m.Grants = append(m.Grants, exporters.GrantLine{ID: p.Grant.ID, Name: p.Grant.Name, Short: p.Grant.Short, BudgetYen: p.Grant.BudgetYen,
			PrefectureYen: p.PrefectureYen, ExtraYen: p.ExtraYen, MunicipalYen: p.MunicipalYen, AllocatedYen: pools[p.Grant.ID].AmountYen})
	}
	// The national sheet: columns from the rulebook, values and statistics from the store.
	matrix, err := r.Store.Scores().Matrix(ctx, man.ScoreRunID, "municipality")
	if err != nil {
		return nil, err
	}
	stats, err := r.Store.Scores().Stats(ctx, man.ScoreRunID, "municipality")
	if err != nil {
		return nil, err
	}
	m.Columns = nationalColumns(rb, stats)
	for _, row := range rows {
		nr := exporters.NationalRow{PrefectureName: row.PrefectureName, Code: row.Code, Name: row.Name, Population: row.Population, Insured65: row.Age65Plus, Rank: row.Rank,
			PrevTotal: row.PrevTotal, PrevRank: row.PrevRank}
		for _, c := range m.Columns {
			nr.Values = append(nr.Values, matrix[row.Code][c.Key])
		}
		m.National = append(m.National, nr)
	}
	m.Prefectures = prefs
	// 「公平性」: the equity view as of this allocation run (pipeline/equity.go).
	eq, err := r.Store.Analyst().Equity(ctx, alloc.ID)
	if err != nil {
		return nil, err
	}
	m.Equity = equitySheet(eq)
	amounts, err := r.Store.Allocations().AmountSheet(ctx, alloc.ID, man.ScoreRunID, fy)
	if err != nil {
		return nil, err
	}
	for _, a := range amounts {
		m.Amounts = append(m.Amounts, exporters.AmountLine{PrefectureName: a.PrefectureName, Code: a.Code, Name: a.Name, Level: levelJA(a.Level),
			Pool: pools[a.PoolID].Name, Score: a.Score, Weight: a.Weight, ProposalYen: a.ProposalYen, CapYen: a.CapYen, AmountYen: a.AmountYen})
	}
	submitted := 0
	var totalSum float64
	for _, row := range rows {
		if row.Submitted {
			submitted++
		}
		totalSum += row.Total
	}
	mean := 0.0
	if len(rows) > 0 {
		mean = totalSum / float64(len(rows))
	}
	var refs []string
	for _, f := range man.ReferenceFiles {
		refs = append(refs, f.Name+" "+f.SHA256)
	}
	var books []string
	for _, b := range sman.Rulebooks {
		books = append(books, fmt.Sprintf("%s %s（%s）", indicators.Level(b.Level).LabelJA(), b.Version, b.Hash))
	}
	share := exporters.Percent(0)
	if x, err := strconv.ParseFloat(man.Params.PrefectureShare, 64); err == nil {
		share = exporters.Percent(x)
	}
	m.Summary = []exporters.SummaryLine{
		{Label: "算定実行ID", Value: alloc.ID},
		{Label: "採点実行ID", Value: man.ScoreRunID},
		{Label: "評価指標（市町村）", Value: fmt.Sprintf("%s 版 %s（%s）", rb.Title, sman.Ref(indicators.Municipality).Version, sman.Ref(indicators.Municipality).Hash)},
		{Label: "評価指標（全区分）", Value: strings.Join(books, "；")},
		{Label: "対象市町村数", Value: len(rows)},
		{Label: "調査票提出市町村数", Value: submitted},
		{Label: "平均総合計（点）", Value: fmt.Sprintf("%.2f / %g", mean, rb.MaxPoints())},
		{Label: "配分式", Value: "配分枠 × (得点 × 第1号被保険者数) ÷ Σ(得点 × 第1号被保険者数)。端数処理単位未満は切り捨て、残りの単位は端数の大きい順（同順は団体コード順）に1単位ずつ配分。"},
		{Label: "千円表示", Value: "確定額（千円）は確定額（円）の千円未満切り捨て（上の「千円表示の端数処理」の表を参照）。"},
		{Label: "所要見込額の上限", Value: needsCapJA(man.Params)},
		{Label: "未提出団体の扱い", Value: nonSubmittersJA(man.Params)},
		{Label: "減額分の扱い", Value: map[string]string{"return": "返還（再配分しない）", "redistribute": "減額されていない団体に繰り返し再配分"}[man.Params.Surplus]},
		{Label: "第1号被保険者数", Value: "65歳以上人口（住民基本台帳、基準日 " + man.PopulationReferenceDate + "）で代替"},
		{Label: "端数処理単位（円）", Value: man.Params.RoundingUnitYen},
		{Label: "都道府県分の割合", Value: share},
		{Label: "前提（仮定）", Value: man.Params.NoteJA},
		{Label: "入力（提出ファイル）数", Value: sman.Inputs},
		{Label: "入力ダイジェスト（SHA-256）", Value: sman.InputsDigest},
		{Label: "参照データ（SHA-256）", Value: strings.Join(refs, "；")},
		{Label: "プログラム版", Value: codeVersionJA(man.CodeVersion)},
		{Label: "DuckDB版", Value: man.DuckDBVersion},
	}
	return m, nil
}

// codeVersionJA says which build of kofukin wrote a run, for 「概要」: a development build (go run,
// go test: Go's "(devel)") is 開発版, followed by its commit when the build knows it and whether
// the work tree had changes.
func codeVersionJA(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "" || v == "unknown":
		return "不明"
	case strings.HasPrefix(v, "(devel)"):
		v = "開発版 " + strings.TrimSpace(strings.TrimPrefix(v, "(devel)"))
	}
	return strings.TrimSpace(strings.Replace(v, " (modified)", "（未コミットの変更あり）", 1))
}

// needsCapJA states, for the 概要 sheet, how a municipality's 所要見込額 limits what it is paid.
func needsCapJA(p allocation.Params) string {
	if !p.NeedsCap {
		return "適用しない（確定額＝案）"
	}
	order := "成果指向型配分枠などの追加枠を先に配分し、市町村分の配分枠の額を減らす"
	if p.CapGivesWay() == allocation.GivesWayExtra {
		order = "市町村分の配分枠を先に配分し、追加枠の額を（後に掲げる枠から）減らす"
	}
	return "所要見込額が判明している市町村は、同じ交付金のすべての配分枠（市町村分と追加枠）の確定額の合計が所要見込額を超えない。超える場合は" + order + "。"
}

// nonSubmittersJA states, for the 概要 sheet, what becomes of a municipality that submitted nothing.
func nonSubmittersJA(p allocation.Params) string {
	if p.NonSubmitterRule() == allocation.NonSubmittersExclude {
		return "調査票を提出していない団体は配分の対象外（得点は参考として表示）。"
	}
	return "調査票を提出していない団体も、その得点（自己申告の設問は0点、国が提供する値による設問は採点）で配分の対象とする。"
}

// nationalColumns lays out the score columns of the national sheet: every item under its grant(s),
// goal, group and indicator (and, for an indicator scaled to a grant, its points in each grant);
// then each goal's subtotal per grant; the grant totals; 総合計.
func nationalColumns(rb *indicators.Rulebook, colStats map[string]store.ColumnStats) []exporters.Column {
	stats := func(key string) exporters.ColumnStats {
		st := colStats[key]
		return exporters.ColumnStats{Sum: st.Sum, Mean: st.Mean, Median: st.Median, SD: st.SD, Count: st.Count, N: st.N}
	}
	shorts := map[string]string{}
	for _, g := range rb.Grants {
		shorts[g.ID] = g.Short
	}
	groups := map[string]string{}
	for _, g := range rb.Groups {
		groups[g.ID] = strings.TrimSpace(g.Label + g.Name)
	}
	grantLabel := func(goal *indicators.Goal) string {
		var parts []string
		for _, g := range rb.Grants {
			if _, ok := goal.Grants[g.ID]; ok {
				parts = append(parts, g.Short)
			}
		}
		return strings.Join(parts, "・")
	}
	var cols []exporters.Column
	for gi := range rb.Goals {
		goal := &rb.Goals[gi]
		for ii := range rb.Indicators {
			ind := &rb.Indicators[ii]
			if ind.Goal != goal.ID {
				continue
			}
			for _, it := range ind.Items {
				k := store.ItemKey(it.ID)
				cols = append(cols, exporters.Column{Key: k, Grant: grantLabel(goal), Goal: goal.Label + " " + goal.Name,
					Group: groups[ind.Group], No: ind.No, Name: ind.Name, SubLabel: it.Branch, Points: it.Points, Stats: stats(k)})
			}
			// An indicator scaled to a grant (FY2023: 55 points counting 35 in 支援) shows its points
			// in each grant, to 0.01: the goal subtotals are the sums of these printed cells.
			gp := rb.GrantPoints(ind)
			scaled := false
			for _, p := range gp {
				scaled = scaled || p != ind.Points
			}
			for _, g := range rb.Grants {
				if p, ok := gp[g.ID]; ok && scaled {
					k := store.IndicatorKey(ind.ID, g.ID)
					cols = append(cols, exporters.Column{Key: k, Grant: g.Short, Goal: goal.Label + " " + goal.Name,
						Group: groups[ind.Group], No: ind.No, Name: ind.Name, SubLabel: g.Short + "換算", Points: p, Stats: stats(k)})
				}
			}
		}
	}
	for _, goal := range rb.Goals {
		for _, g := range rb.Grants {
			if p, ok := goal.Grants[g.ID]; ok {
				k := store.GoalKey(goal.ID, g.ID)
				cols = append(cols, exporters.Column{Key: k, Grant: g.Short, Goal: goal.Label, Name: goal.Label + " 小計（" + g.Short + "）", Points: p, Stats: stats(k)})
			}
		}
	}
	for _, g := range rb.Grants {
		k := store.GrantKey(g.ID)
		cols = append(cols, exporters.Column{Key: k, Grant: g.Short, Name: g.Short + "合計", Points: g.Points, Stats: stats(k)})
	}
	cols = append(cols, exporters.Column{Key: store.TotalKey, Name: "総合計", Points: rb.MaxPoints(), Stats: stats(store.TotalKey)})
	return cols
}

func levelJA(l string) string { return indicators.Level(l).LabelJA() }
