package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/marcboeker/go-duckdb"
)

// The read models of the exported sheets: one query each (queries/sheet_*.sql), returning exactly
// the rows the sheet writes, in its order. Points and totals are exact decimals in the store, handed
// over as float64 for the workbooks to print; ranks and sums are computed in SQL.

// MunicipalLine is one row of the ministry workbook's 「市町村」 sheet, with what the
// 「全国集計（市町村）」 sheet shows in its fixed columns (population, last year's 総合計 and rank).
type MunicipalLine struct {
	PrefectureCode, PrefectureName string
	Code, Name                     string
	Population, Age65Plus          int64
	Grants                         map[string]float64 // grant id → points
	Total                          float64
	Rank                           int64
	Submitted                      bool
	Yen                            map[string]int64 // grant id → Σ 確定額 over the grant's municipal pools
	PrevTotal                      *float64         // last year's 総合計, when scored in the previous run
	PrevRank                       *int64
}

// MunicipalSheet returns the rows of 「市町村」: every municipality of score run scoreRun valid in fy,
// by code, with its amounts in allocation run allocRun and its result in prevRun (0: none).
func (al *Allocations) MunicipalSheet(ctx context.Context, allocRun, scoreRun, prevRun int64, fy int) ([]MunicipalLine, error) {
	rows, err := al.s.db.QueryContext(ctx, sheetMunicipalSQL, scoreRun, allocRun, fy, fy, fy, prevRun, scoreRun)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MunicipalLine
	for rows.Next() {
		var r MunicipalLine
		var grants, yen any
		if err := rows.Scan(&r.PrefectureCode, &r.PrefectureName, &r.Code, &r.Name, &r.Population, &r.Age65Plus, &grants, &r.Total, &r.Rank, &r.Submitted, &yen,
			&r.PrevTotal, &r.PrevRank); err != nil {
			return nil, err
		}
		if r.Grants, err = mapOf[float64](grants); err != nil {
			return nil, err
		}
		if r.Yen, err = mapOf[int64](yen); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PrefectureSheetLine is one row of the ministry workbook's 「都道府県」 sheet.
type PrefectureSheetLine struct {
	Code, Name string
	Age65Plus  int64
	Grants     map[string]float64 // grant id → points
	Total      float64
	Rank       int64
	Yen        map[string]int64 // grant id → Σ 確定額 over the grant's prefectural pools
}

// PrefectureSheet returns the rows of 「都道府県」: every prefecture valid in fy, by code, with its
// result in scoreRun (zero when not scored) and its amounts in allocRun.
func (al *Allocations) PrefectureSheet(ctx context.Context, allocRun, scoreRun int64, fy int) ([]PrefectureSheetLine, error) {
	rows, err := al.s.db.QueryContext(ctx, sheetPrefecturesSQL, scoreRun, allocRun, fy, scoreRun, fy, fy)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PrefectureSheetLine
	for rows.Next() {
		var r PrefectureSheetLine
		var grants, yen any
		if err := rows.Scan(&r.Code, &r.Name, &r.Age65Plus, &grants, &r.Total, &r.Rank, &yen); err != nil {
			return nil, err
		}
		if r.Grants, err = mapOf[float64](grants); err != nil {
			return nil, err
		}
		if r.Yen, err = mapOf[int64](yen); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AmountSheetLine is one row of the ministry workbook's 「交付額」 sheet.
type AmountSheetLine struct {
	PrefectureName, Code, Name string
	Level, PoolID              string
	Score                      float64
	Weight                     int64
	ProposalYen                int64
	CapYen                     *int64
	AmountYen                  int64
}

// AmountSheet returns the rows of 「交付額」: every amount of allocRun (prefectural pools first, then
// by pool and code) with the names of its entity (a municipality as scored in scoreRun, valid in fy).
func (al *Allocations) AmountSheet(ctx context.Context, allocRun, scoreRun int64, fy int) ([]AmountSheetLine, error) {
	rows, err := al.s.db.QueryContext(ctx, sheetAmountsSQL, fy, fy, scoreRun, fy, fy, allocRun)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AmountSheetLine
	for rows.Next() {
		var r AmountSheetLine
		if err := rows.Scan(&r.PrefectureName, &r.Code, &r.Name, &r.Level, &r.PoolID, &r.Score, &r.Weight, &r.ProposalYen, &r.CapYen, &r.AmountYen); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReviewLine is one municipality's row of a review workbook's 「審査」 sheet (and of the feedback
// workbook).
type ReviewLine struct {
	PrefectureCode, Code, Name string
	Submitted                  bool
	Age65Plus                  int64
	Total, Max, Rate           float64
	NationalRank, Of           int64
	PrefRank                   int64 // 県内順位: competition ranking on 総合計 within the prefecture
	YenTotal                   int64 // Σ 確定額 over every municipal pool
	Status, Comment            string
	ReviewedAt                 *time.Time         // when the current verdict was recorded (nil: none)
	Grants                     map[string]float64 // grant id → points
}

// ReviewSheet returns the rows of 「審査」: every municipality of scoreRun valid in fy, by prefecture
// and code, with its amounts in allocRun and the current verdicts of fy.
func (sc *Scores) ReviewSheet(ctx context.Context, allocRun, scoreRun int64, fy int) ([]ReviewLine, error) {
	rows, err := sc.s.db.QueryContext(ctx, sheetReviewSQL, scoreRun, allocRun, scoreRun, fy, fy, fy, fy, scoreRun)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReviewLine
	for rows.Next() {
		var r ReviewLine
		var grants any
		var at sql.NullTime
		if err := rows.Scan(&r.PrefectureCode, &r.Code, &r.Name, &r.Submitted, &r.Age65Plus, &r.Total, &r.Max, &r.Rate, &r.NationalRank, &r.Of,
			&r.PrefRank, &r.YenTotal, &r.Status, &r.Comment, &at, &grants); err != nil {
			return nil, err
		}
		if at.Valid {
			t := at.Time.UTC()
			r.ReviewedAt = &t
		}
		if r.Grants, err = mapOf[float64](grants); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ChainSheetLine is one line of the review workbook's 「配分の説明」 sheet: a municipality's amount
// in one pool, with score × weight and its sum over the pool.
type ChainSheetLine struct {
	Code, PoolID       string
	Score              float64
	Weight             int64
	WeightedScore, Sum float64
	ProposalYen        int64
	CapYen             *int64
	AmountYen          int64
}

// ChainSheet returns the lines of 「配分の説明」: every municipal amount of allocRun, by code and pool.
func (al *Allocations) ChainSheet(ctx context.Context, allocRun int64) ([]ChainSheetLine, error) {
	rows, err := al.s.db.QueryContext(ctx, sheetReviewChainSQL, allocRun)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChainSheetLine
	for rows.Next() {
		var r ChainSheetLine
		if err := rows.Scan(&r.Code, &r.PoolID, &r.Score, &r.Weight, &r.WeightedScore, &r.Sum, &r.ProposalYen, &r.CapYen, &r.AmountYen); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CentreSheetLine is one row of the review workbook's 「センター」 sheet.
type CentreSheetLine struct {
	PrefectureCode, Code, Name, Municipality string
	Submitted                                bool
	Total, Max, Rate                         float64
}

// CentreSheet returns the rows of 「センター」: every centre valid in fy, by prefecture and code, with
// its result in scoreRun (zero when not scored).
func (sc *Scores) CentreSheet(ctx context.Context, scoreRun int64, fy int) ([]CentreSheetLine, error) {
	rows, err := sc.s.db.QueryContext(ctx, sheetReviewCentresSQL, scoreRun, fy, fy)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CentreSheetLine
	for rows.Next() {
		var r CentreSheetLine
		if err := rows.Scan(&r.PrefectureCode, &r.Code, &r.Name, &r.Municipality, &r.Submitted, &r.Total, &r.Max, &r.Rate); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// mapOf converts a DuckDB MAP(VARCHAR, V) to a Go map; NULL (no entries) gives an empty map.
func mapOf[V any](v any) (map[string]V, error) {
	out := map[string]V{}
	if v == nil {
		return out, nil
	}
	m, ok := v.(duckdb.Map)
	if !ok {
		return nil, fmt.Errorf("scan map: got %T", v)
	}
	for k, x := range m {
		ks, ok1 := k.(string)
		xv, ok2 := x.(V)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("scan map: got %T → %T", k, x)
		}
		out[ks] = xv
	}
	return out, nil
}

var (
	sheetMunicipalSQL     = query("sheet_municipal.sql")
	sheetPrefecturesSQL   = query("sheet_prefectures.sql")
	sheetAmountsSQL       = query("sheet_amounts.sql")
	sheetReviewSQL        = query("sheet_review.sql")
	sheetReviewChainSQL   = query("sheet_review_chain.sql")
	sheetReviewCentresSQL = query("sheet_review_centres.sql")
)

// ChartBin is one bin of the 「得点分布」 sheet: how many of the N municipalities have a 総合計 in it.
type ChartBin struct {
	Bin      int
	Count, N int64
}

// ChartBins returns the nation's municipalities of scoreRun counted in 16 bins of width step
// (points), by bin; empty bins are absent.
func (sc *Scores) ChartBins(ctx context.Context, scoreRun int64, step float64) ([]ChartBin, error) {
	rows, err := sc.s.db.QueryContext(ctx, sheetReviewChartSQL, step, scoreRun)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChartBin
	for rows.Next() {
		var b ChartBin
		if err := rows.Scan(&b.Bin, &b.Count, &b.N); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

var sheetReviewChartSQL = query("sheet_review_chart.sql")
