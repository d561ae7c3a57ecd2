package exporters

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/store"
)

// Sheet names and the fixed headers of the ministry workbook's 「市町村」 sheet. Other programs
// read the sheet by these header texts: keep them.
const (
	SheetSummary       = "概要"
	SheetMunicipal     = "市町村"
	ColPrefecture      = "都道府県"
	ColCode            = "団体コード"
	ColMunicipality    = "市町村名"
	ColInsured65       = "第1号被保険者数"
	ColTotal           = "総合計"
	ColRank            = "順位"
	grantTotalSuffix   = "合計"
	grantAmountSuffix  = "交付額"
	MinistryFileFormat = "FY%d_交付額算定表.xlsx"
)

// MinistryFileName is the file name of the ministry workbook of a fiscal year.
func MinistryFileName(fy int) string { return fmt.Sprintf(MinistryFileFormat, fy) }

// GrantLine is one grant's budget, pools and what was allocated.
type GrantLine struct {
	ID            string
	Name          string
	Short         string // 推進, 支援: column labels are Short+"合計" and Short+"交付額"
	BudgetYen     int64
	PrefectureYen int64
	MunicipalYen  int64
	AllocatedYen  int64 // Σ of the municipal amounts
}

// Ministry is everything the ministry workbook shows. The rows must be ordered (by code).
type Ministry struct {
	Title      string
	FiscalYear int
	EraLabel   string
	Grants     []GrantLine
	Rows       []store.MinistryRow
	// Summary lines of 「概要」 after the budget table (label, value), e.g. the run manifest.
	Summary [][2]string
}

// WriteMinistry writes the ministry workbook: 「概要」 (budget, pools, reconciliation, manifest)
// and 「市町村」 (one row per municipality with the fixed headers).
func WriteMinistry(w io.Writer, m Ministry) error {
	f := excelize.NewFile()
	defer f.Close()
	f.SetDocProps(&excelize.DocProperties{Title: m.Title, Creator: "kofukin", Created: fixedTime, Modified: fixedTime, Language: "ja-JP"})
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return err
	}
	if err := writeSummary(f, m); err != nil {
		return fmt.Errorf("write %s: %w", SheetSummary, err)
	}
	if _, err := f.NewSheet(SheetMunicipal); err != nil {
		return err
	}
	if err := writeMunicipal(f, m); err != nil {
		return fmt.Errorf("write %s: %w", SheetMunicipal, err)
	}
	_, err := f.WriteTo(w)
	return err
}

// MunicipalHeaders returns the headers of the 「市町村」 sheet for the given grants.
func MunicipalHeaders(grants []GrantLine) []string {
	h := []string{ColPrefecture, ColCode, ColMunicipality, ColInsured65}
	for _, g := range grants {
		h = append(h, g.Short+grantTotalSuffix)
	}
	h = append(h, ColTotal, ColRank)
	for _, g := range grants {
		h = append(h, g.Short+grantAmountSuffix)
	}
	return h
}

func writeMunicipal(f *excelize.File, m Ministry) error {
	sw, err := f.NewStreamWriter(SheetMunicipal)
	if err != nil {
		return err
	}
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true}})
	yen, _ := f.NewStyle(&excelize.Style{NumFmt: 3})                 // #,##0
	pts, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.00")}) // points
	text, _ := f.NewStyle(&excelize.Style{NumFmt: 49})               // @: codes stay text
	headers := MunicipalHeaders(m.Grants)
	widths := []float64{10, 10, 14, 14}
	for range m.Grants {
		widths = append(widths, 10)
	}
	widths = append(widths, 10, 8)
	for range m.Grants {
		widths = append(widths, 16)
	}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 3, YSplit: 1, TopLeftCell: "D2", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	row := make([]any, len(headers))
	for i, h := range headers {
		row[i] = excelize.Cell{Value: h, StyleID: head}
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	for n, r := range m.Rows {
		row := []any{
			excelize.Cell{Value: r.PrefectureName},
			excelize.Cell{Value: r.Code, StyleID: text},
			excelize.Cell{Value: r.Name},
			excelize.Cell{Value: r.Age65Plus, StyleID: yen},
		}
		for _, g := range m.Grants {
			row = append(row, excelize.Cell{Value: r.Grants[g.ID], StyleID: pts})
		}
		row = append(row, excelize.Cell{Value: r.Total, StyleID: pts}, excelize.Cell{Value: r.Rank})
		for _, g := range m.Grants {
			row = append(row, excelize.Cell{Value: r.Yen[g.ID], StyleID: yen})
		}
		cell, _ := excelize.CoordinatesToCellName(1, n+2)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(headers), len(m.Rows)+1)
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.AutoFilter(SheetMunicipal, "A1:"+last, nil)
}

func writeSummary(f *excelize.File, m Ministry) error {
	s := SheetSummary
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}})
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	yen, _ := f.NewStyle(&excelize.Style{NumFmt: 3})
	f.SetCellStr(s, "A1", m.Title)
	f.SetCellStyle(s, "A1", "A1", bold)
	f.SetCellStr(s, "A2", "年度")
	f.SetCellStr(s, "B2", fmt.Sprintf("%d（%s）", m.FiscalYear, m.EraLabel))
	hdr := []string{"交付金", "予算額（円）", "都道府県分（円）", "市町村分（円）", "市町村交付額合計（円）", "差（市町村分−合計）"}
	for i, h := range hdr {
		c, _ := excelize.CoordinatesToCellName(i+1, 4)
		f.SetCellStr(s, c, h)
	}
	f.SetCellStyle(s, "A4", "F4", head)
	r := 5
	for _, g := range m.Grants {
		vals := []any{g.Name + "（" + g.Short + "）", g.BudgetYen, g.PrefectureYen, g.MunicipalYen, g.AllocatedYen, g.MunicipalYen - g.AllocatedYen}
		for i, v := range vals {
			c, _ := excelize.CoordinatesToCellName(i+1, r)
			f.SetCellValue(s, c, v)
		}
		f.SetCellStyle(s, fmt.Sprintf("B%d", r), fmt.Sprintf("F%d", r), yen)
		r++
	}
	r++
	for _, kv := range m.Summary {
		f.SetCellStr(s, fmt.Sprintf("A%d", r), kv[0])
		f.SetCellStr(s, fmt.Sprintf("B%d", r), kv[1])
		r++
	}
	f.SetColWidth(s, "A", "A", 36)
	f.SetColWidth(s, "B", "F", 22)
	return nil
}

func ptr[T any](v T) *T { return &v }
