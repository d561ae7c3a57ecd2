package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kofukin/kofukin/exporters"
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

// Export writes the ministry workbook of fiscal year fy's latest allocation run into dir.
func (r *Runner) Export(ctx context.Context, fy int, dir string) (*ExportResult, error) {
	start := time.Now()
	alloc, err := r.Store.LatestRun(ctx, store.KindAllocate, fy)
	if err != nil {
		return nil, fmt.Errorf("export: %w (run kofukin allocate --fy %d first)", err, fy)
	}
	runID, err := r.Store.StartRun(ctx, store.KindExport, fy, map[string]any{"fiscal_year": fy, "allocate_run_id": alloc.ID, "dir": dir})
	if err != nil {
		return nil, err
	}
	res, err := r.exportRun(ctx, fy, alloc, dir)
	if err != nil {
		r.Store.FinishRun(ctx, runID, nil, "", err)
		return nil, err
	}
	res.RunID = runID
	if err := r.Store.FinishRun(ctx, runID, map[string]any{"files": res.SHA256}, fmt.Sprintf("%d file(s)", len(res.Files)), nil); err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(start)
	r.logger().Info("export", "run", runID, "allocate_run", alloc.ID, "files", res.Files)
	return res, nil
}

func (r *Runner) exportRun(ctx context.Context, fy int, alloc *store.Run, dir string) (*ExportResult, error) {
	var man AllocateManifest
	if err := json.Unmarshal([]byte(alloc.Manifest), &man); err != nil {
		return nil, fmt.Errorf("read manifest of run %d: %w", alloc.ID, err)
	}
	var sman ScoreManifest
	json.Unmarshal(man.ScoreManifest, &sman)
	rows, err := r.Store.MinistryRows(ctx, alloc.ID, man.ScoreRunID, fy)
	if err != nil {
		return nil, err
	}
	rb, err := r.Rulebooks.Get(fy, "municipality")
	if err != nil {
		return nil, err
	}
	m := exporters.Ministry{
		Title:      fmt.Sprintf("%s 保険者機能強化推進交付金・介護保険保険者努力支援交付金 交付額算定表（市町村分）", rb.EraLabel),
		FiscalYear: fy, EraLabel: rb.EraLabel, Rows: rows,
	}
	submitted := 0
	var totalSum float64
	for _, row := range rows {
		if row.Submitted {
			submitted++
		}
		totalSum += row.Total
	}
	for _, p := range man.Pools {
		g := exporters.GrantLine{ID: p.Grant.ID, Name: p.Grant.Name, Short: p.Grant.Short, BudgetYen: p.Grant.BudgetYen,
			PrefectureYen: p.PrefectureYen, MunicipalYen: p.MunicipalYen}
		for _, row := range rows {
			g.AllocatedYen += row.Yen[p.Grant.ID]
		}
		m.Grants = append(m.Grants, g)
	}
	mean := 0.0
	if len(rows) > 0 {
		mean = totalSum / float64(len(rows))
	}
	m.Summary = [][2]string{
		{"算定実行ID（allocation run）", fmt.Sprint(alloc.ID)},
		{"採点実行ID（score run）", fmt.Sprint(man.ScoreRunID)},
		{"評価指標", fmt.Sprintf("%s 版 %s（%s）", rb.Title, sman.Ref("municipality").Version, sman.Ref("municipality").Hash)},
		{"対象市町村数", fmt.Sprint(len(rows))},
		{"調査票提出市町村数", fmt.Sprint(submitted)},
		{"平均総合計（点）", fmt.Sprintf("%.2f / %g", mean, rb.MaxPoints())},
		{"配分式", "市町村分 × (交付金ごとの得点 × 第1号被保険者数) ÷ Σ(得点 × 第1号被保険者数)。1円未満は切り捨て、残りの円は端数の大きい順（同順は団体コード順）に1円ずつ配分。"},
		{"第1号被保険者数", "65歳以上人口（住民基本台帳、基準日 " + man.PopulationReferenceDate + "）で代替"},
		{"端数処理単位（円）", fmt.Sprint(man.Params.RoundingUnitYen)},
		{"都道府県分の割合", man.Params.PrefectureShare + "（都道府県分は本表では配分しない）"},
		{"前提（仮定）", man.Params.NoteJA},
		{"入力（提出ファイル）数", fmt.Sprint(sman.Inputs)},
		{"入力ダイジェスト（SHA-256）", sman.InputsDigest},
		{"プログラム版", man.CodeVersion},
		{"DuckDB版", man.DuckDBVersion},
	}
	var buf bytes.Buffer
	if err := exporters.WriteMinistry(&buf, m); err != nil {
		return nil, err
	}
	name := filepath.Join(dir, exporters.MinistryFileName(fy))
	if err := WriteFileAtomic(name, buf.Bytes()); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	return &ExportResult{AllocateRunID: alloc.ID, Files: []string{name}, SHA256: map[string]string{filepath.Base(name): hex.EncodeToString(sum[:])}, Municipal: len(rows)}, nil
}

// WriteFileAtomic writes data to a temporary file in the target folder, syncs it and renames it
// over name, so that readers see the old file or the new one, never half of one.
func WriteFileAtomic(name string, data []byte) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
