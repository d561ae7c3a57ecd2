package exporters

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Sheet names and the fixed headers of the ministry workbook's 「市町村」 sheet. Other programs
// read the sheet by these header texts: keep them.
const (
	SheetSummary       = "概要"
	SheetNational      = "全国集計（市町村）"
	SheetMunicipal     = "市町村"
	SheetPrefectures   = "都道府県"
	SheetAmounts       = "交付額"
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
	ExtraYen      int64 // extra pools taken from the grant
	MunicipalYen  int64
	AllocatedYen  int64 // Σ of the municipal amounts of the grant's municipal pool
}

// PoolLine is one pool's reconciliation: pool = 確定 + 返還.
type PoolLine struct {
	ID, Name, Grant, Level string
	PoolYen, ProposalYen   int64
	AmountYen, SurplusYen  int64
	Entities, Capped       int
	Note                   string
}

// Column is one score column of the national sheet, with its 8-row header and its statistics.
type Column struct {
	Key                                    string // the score column it shows (the store's matrix key)
	Grant, Goal, Group, No, Name, SubLabel string // header rows 2–7
	Points                                 float64
	Stats                                  ColumnStats
}

// ColumnStats are the statistics printed under a column of the national sheet, over the
// municipalities (display values: no decision is taken on them).
type ColumnStats struct {
	Sum    float64
	Mean   float64
	Median float64
	SD     float64 // population standard deviation
	Count  int     // municipalities with points > 0 (該当数)
	N      int     // municipalities
}

// MunicipalRow is one municipality of the 「市町村」 sheet.
type MunicipalRow struct {
	PrefectureName, Code, Name string
	Insured65                  int64
	Grants                     map[string]float64 // grant id → points
	Total                      float64
	Rank                       int64
	Submitted                  bool
	Yen                        map[string]int64 // grant id → 確定額 in the grant's pools
}

// NationalRow is one municipality of the national sheet.
type NationalRow struct {
	PrefectureName, Code, Name string
	Population, Insured65      int64
	PrevTotal                  *float64
	PrevRank                   *int64
	Values                     []float64 // aligned with Ministry.Columns
	Rank                       int64
}

// AmountLine is one entity's amounts of one pool.
type AmountLine struct {
	PrefectureName, Code, Name, Level string
	Pool                              string
	Score                             float64
	Weight                            int64
	ProposalYen                       int64
	CapYen                            *int64
	AmountYen                         int64
}

// PrefectureLine is one prefecture's scores and amounts.
type PrefectureLine struct {
	Code, Name string
	Insured65  int64
	Grants     map[string]float64
	Total      float64
	Rank       int64
	Yen        map[string]int64 // grant id → 確定額 of its prefectural pool
}

// Ministry is everything the ministry workbook shows. Municipal must be ordered (by code).
type Ministry struct {
	Title       string
	FiscalYear  int
	EraLabel    string
	Grants      []GrantLine
	Pools       []PoolLine
	Municipal   []MunicipalRow
	Columns     []Column
	National    []NationalRow
	Prefectures []PrefectureLine
	Amounts     []AmountLine
	// Summary lines of 「概要」 after the reconciliation: the run manifest.
	Summary []SummaryLine
	// Equity is 「公平性」 (written when not nil).
	Equity *Equity
	// Impact, when set, adds the sheet 「効果検証」 (impact.go) after the others.
	Impact *ImpactSheet
}

// SummaryLine is one line of 「概要」's manifest: a label and its value, written as what it is —
// text (string), a count or an amount (int, int64: a number with separators) or a share (Percent).
type SummaryLine struct {
	Label string
	Value any
}

// Percent is a share written as a number with a percent format (0.05 shows as 5%).
type Percent float64

// WriteMinistry writes the ministry workbook: 「概要」 (budget, pools, a reconciliation proving
// Σ = pool, the manifest), 「全国集計（市町村）」 (the published layout: 8-row header, statistics rows,
// one row per municipality with every item), 「市町村」 (the simple sheet with fixed headers),
// 「都道府県」 and 「交付額」 (案/確定 of every pool, in yen and 千円).
func WriteMinistry(w io.Writer, m Ministry) error {
	f := newExportBook()
	defer f.Close()
	f.SetDocProps(&excelize.DocProperties{Title: m.Title, Creator: "kofukin", Created: fixedTime, Modified: fixedTime, Language: "ja-JP"})
	st := newStyles(f)
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return err
	}
	steps := []struct {
		sheet string
		fn    func(*book, Ministry, styles) error
	}{
		{SheetSummary, writeSummary},
		{SheetNational, writeNational},
		{SheetMunicipal, writeMunicipal},
		{SheetPrefectures, writePrefectures},
		{SheetAmounts, writeAmounts},
	}
	if m.Equity != nil {
		steps = append(steps, struct {
			sheet string
			fn    func(*book, Ministry, styles) error
		}{SheetEquity, writeEquity})
	}
	if m.Impact != nil {
		steps = append(steps, struct {
			sheet string
			fn    func(*book, Ministry, styles) error
		}{SheetImpact, func(f *book, m Ministry, st styles) error { return writeImpactSheet(f, *m.Impact, st) }})
	}
	for i, s := range steps {
		if i > 0 {
			if _, err := f.NewSheet(s.sheet); err != nil {
				return err
			}
		}
		err := s.fn(f, m, st)
		if f.err != nil {
			err = f.err // the first error, or the cause of a stream writer's
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", s.sheet, err)
		}
	}
	return save(w, f)
}

type styles struct {
	head, title, yen, pts, text, rate, stat, statCount   int
	pct, pct1, wrap, count, sub, subYen, total, totalYen int
	// The same on a grey fill: the row of a municipality that submitted no survey (未提出).
	greyPlain, greyYen, greyPts, greyText int
}

// unsubmittedFill is the fill of a 未提出 municipality's row in 「市町村」.
var unsubmittedFill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9D9D9"}}

// Unsubmitted is the mark of a municipality that submitted no survey, in 「交付額」's
// ColSubmission column.
const (
	Unsubmitted   = "未提出"
	ColSubmission = "提出状況"
)

func newStyles(f *book) styles {
	var s styles
	s.head = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "7F7F7F", Style: 1}, {Type: "right", Color: "BFBFBF", Style: 1}}})
	s.title = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}})
	s.yen = f.NewStyle(&excelize.Style{NumFmt: 3})
	s.pts = f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.00")})
	s.text = f.NewStyle(&excelize.Style{NumFmt: 49})
	s.rate = f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.0%")})
	s.stat = f.NewStyle(&excelize.Style{CustomNumFmt: ptr("#,##0.00"), Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}})
	s.statCount = f.NewStyle(&excelize.Style{NumFmt: 3, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}})
	s.pct = f.NewStyle(&excelize.Style{NumFmt: 9, Alignment: &excelize.Alignment{Horizontal: "left"}})
	s.pct1 = f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.0#%"), Alignment: &excelize.Alignment{Horizontal: "left"}})
	s.count = f.NewStyle(&excelize.Style{NumFmt: 3, Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top"}})
	s.wrap = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	subFill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EDEDED"}}
	totalFill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}
	s.sub = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: subFill})
	s.subYen = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: subFill, NumFmt: 3})
	s.total = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: totalFill, Border: []excelize.Border{{Type: "top", Color: "7F7F7F", Style: 1}}})
	s.totalYen = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: totalFill, NumFmt: 3, Border: []excelize.Border{{Type: "top", Color: "7F7F7F", Style: 1}}})
	s.greyPlain = f.NewStyle(&excelize.Style{Fill: unsubmittedFill})
	s.greyYen = f.NewStyle(&excelize.Style{NumFmt: 3, Fill: unsubmittedFill})
	s.greyPts = f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.00"), Fill: unsubmittedFill})
	s.greyText = f.NewStyle(&excelize.Style{NumFmt: 49, Fill: unsubmittedFill})
	return s
}

// unsubmitted counts the municipalities of the workbook that submitted no survey and says, by
// code, which they are.
func unsubmitted(m Ministry) (int, map[string]bool) {
	codes := map[string]bool{}
	for _, r := range m.Municipal {
		if !r.Submitted {
			codes[r.Code] = true
		}
	}
	return len(codes), codes
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

func writeMunicipal(f *book, m Ministry, st styles) error {
	headers := MunicipalHeaders(m.Grants)
	f.filter(SheetMunicipal, 1, len(headers), len(m.Municipal)+1)
	f.setPrint(SheetMunicipal, printSetup{paper: paperA4, fitWidth: true, titleRows: [2]int{1, 1}})
	sw, err := f.NewStreamWriter(SheetMunicipal)
	if err != nil {
		return err
	}
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
		row[i] = excelize.Cell{Value: h, StyleID: st.head}
	}
	if err := sw.SetRow("A1", safeRow(row)); err != nil {
		return err
	}
	for n, r := range m.Municipal {
		// A municipality that submitted no survey (未提出) keeps its values and gets a grey row:
		// the sheet's columns stay exactly those documented (other programs read them by name).
		plain, text, yen, pts := 0, st.text, st.yen, st.pts
		if !r.Submitted {
			plain, text, yen, pts = st.greyPlain, st.greyText, st.greyYen, st.greyPts
		}
		row := []any{
			excelize.Cell{Value: r.PrefectureName, StyleID: plain},
			excelize.Cell{Value: r.Code, StyleID: text},
			excelize.Cell{Value: r.Name, StyleID: plain},
			excelize.Cell{Value: r.Insured65, StyleID: yen},
		}
		for _, g := range m.Grants {
			row = append(row, excelize.Cell{Value: r.Grants[g.ID], StyleID: pts})
		}
		row = append(row, excelize.Cell{Value: r.Total, StyleID: pts}, excelize.Cell{Value: r.Rank, StyleID: plain})
		for _, g := range m.Grants {
			row = append(row, excelize.Cell{Value: r.Yen[g.ID], StyleID: yen})
		}
		if err := sw.SetRow(f.cellName(1, n+2), safeRow(row)); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// noPrevious is shown in the national sheet's 前年度 columns of a municipality without last year's
// score.
const noPrevious = "－"

// nationalFixed are the fixed columns of the national sheet before the score columns.
var nationalFixed = []string{"都道府県", "団体コード", "市町村名", "人口", "第1号被保険者数", "前年度得点", "前年度順位"}

// statRows are the statistics rows under the header of the national sheet.
var statRows = []string{"配点", "全国合計", "平均点", "平均得点率", "中央値", "標準偏差", "該当市町村数", "該当率"}

func writeNational(f *book, m Ministry, st styles) error {
	s := SheetNational
	nf := len(nationalFixed)
	last := nf + len(m.Columns) + 1 // + 今年度順位
	// Hundreds of columns: A3, not scaled to one page's width (it would be unreadable), with the
	// header, the statistics and the names on every page.
	f.setPrint(s, printSetup{paper: paperA3, titleRows: [2]int{2, 8 + len(statRows)}, titleCols: 3})
	sw, err := f.NewStreamWriter(s)
	if err != nil {
		return err
	}
	for i := 1; i <= last; i++ {
		wd := 9.0
		switch {
		case i <= 3:
			wd = []float64{10, 10, 14}[i-1]
		case i <= nf:
			wd = 12
		}
		if err := sw.SetColWidth(i, i, wd); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 3, YSplit: 8 + len(statRows), TopLeftCell: f.cellName(4, 9+len(statRows)), ActivePane: "bottomRight"}); err != nil {
		return err
	}
	// The 8-row header: title, grant, goal, group, indicator no., indicator name, sub-item, column.
	header := make([][]any, 8)
	for r := range header {
		header[r] = make([]any, last)
		for c := range header[r] {
			header[r][c] = excelize.Cell{StyleID: st.head}
		}
	}
	header[0][0] = excelize.Cell{Value: m.Title + " 全国集計（市町村）", StyleID: st.title}
	for i, h := range nationalFixed {
		header[1][i] = excelize.Cell{Value: h, StyleID: st.head} // merged down to row 8
	}
	for j, c := range m.Columns {
		k := nf + j
		for r, v := range []string{c.Grant, c.Goal, c.Group, c.No, c.Name, c.SubLabel} {
			header[r+1][k] = excelize.Cell{Value: v, StyleID: st.head}
		}
		header[7][k] = excelize.Cell{Value: columnLabel(c), StyleID: st.head}
	}
	header[1][last-1] = excelize.Cell{Value: "今年度順位", StyleID: st.head}
	for r, row := range header {
		if err := sw.SetRow(f.cellName(1, r+1), safeRow(row), excelize.RowOpts{Height: []float64{18, 16, 30, 16, 14, 45, 30, 30}[r]}); err != nil {
			return err
		}
	}
	// Merge equal neighbours of the header rows 2–5 (grant, goal, group, indicator no.) and the
	// fixed columns' header downwards, as the published workbook does.
	for r := 2; r <= 6; r++ {
		start := nf
		for j := 1; j <= len(m.Columns); j++ {
			if j == len(m.Columns) || headerValue(m.Columns[j], r) != headerValue(m.Columns[start-nf], r) {
				if j-1 > start-nf && headerValue(m.Columns[start-nf], r) != "" {
					if err := sw.MergeCell(f.cellName(start+1, r), f.cellName(nf+j, r)); err != nil {
						return err
					}
				}
				start = nf + j
			}
		}
	}
	for i := 1; i <= nf; i++ {
		if err := sw.MergeCell(f.cellName(i, 2), f.cellName(i, 8)); err != nil {
			return err
		}
	}
	if err := sw.MergeCell(f.cellName(last, 2), f.cellName(last, 8)); err != nil {
		return err
	}
	for k, label := range statRows {
		row := make([]any, last)
		row[0] = excelize.Cell{Value: label, StyleID: st.head}
		for j, c := range m.Columns {
			var v any
			x := c.Stats
			switch label {
			case "配点":
				v = c.Points
			case "全国合計":
				v = x.Sum
			case "平均点":
				v = x.Mean
			case "平均得点率":
				v = ratio(x.Mean, c.Points)
			case "中央値":
				v = x.Median
			case "標準偏差":
				v = x.SD
			case "該当市町村数":
				v = x.Count
			case "該当率":
				v = ratio(float64(x.Count), float64(x.N))
			}
			style := st.stat
			switch label {
			case "平均得点率", "該当率":
				style = st.rate
			case "該当市町村数":
				style = st.statCount
			}
			row[nf+j] = excelize.Cell{Value: v, StyleID: style}
		}
		if err := sw.SetRow(f.cellName(1, 9+k), safeRow(row)); err != nil {
			return err
		}
	}
	first := 9 + len(statRows)
	for n, r := range m.National {
		row := make([]any, 0, last)
		row = append(row, safeRow([]any{excelize.Cell{Value: r.PrefectureName}, excelize.Cell{Value: r.Code, StyleID: st.text}, excelize.Cell{Value: r.Name},
			excelize.Cell{Value: r.Population, StyleID: st.yen}, excelize.Cell{Value: r.Insured65, StyleID: st.yen}})...)
		if r.PrevTotal != nil {
			row = append(row, excelize.Cell{Value: *r.PrevTotal, StyleID: st.pts}, excelize.Cell{Value: *r.PrevRank})
		} else {
			// kofukin's own placeholder, not passed through safeText (which would quote the
			// full-width minus): a lone sign cannot be a formula.
			row = append(row, excelize.Cell{Value: noPrevious}, excelize.Cell{Value: noPrevious})
		}
		for _, v := range r.Values {
			row = append(row, excelize.Cell{Value: v, StyleID: st.pts})
		}
		row = append(row, excelize.Cell{Value: r.Rank})
		if err := sw.SetRow(f.cellName(1, first+n), row); err != nil { // its text was made safe above
			return err
		}
	}
	// No filter on this sheet: its header is 8 merged rows, as published; 「市町村」 and 「交付額」 filter.
	return sw.Flush()
}

// headerValue is what makes neighbouring header cells of a row one merged cell: the grant; the
// goal within it; the group within the goal; the indicator (number and name) within the group.
func headerValue(c Column, row int) string {
	switch row {
	case 2:
		return c.Grant
	case 3:
		return c.Grant + "\x00" + c.Goal
	case 4:
		return c.Grant + "\x00" + c.Goal + "\x00" + c.Group
	case 5, 6:
		if c.SubLabel == "" {
			return "" // subtotals and totals are not merged
		}
		return c.Grant + "\x00" + c.Goal + "\x00" + c.Group + "\x00" + c.No
	}
	return ""
}

// columnLabel is the bottom header of a score column: the sub-item or the subtotal's name.
func columnLabel(c Column) string {
	if c.SubLabel != "" {
		return c.No + c.SubLabel
	}
	return c.Name
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func writePrefectures(f *book, m Ministry, st styles) error {
	s := SheetPrefectures
	h := []string{ColCode, "都道府県名", ColInsured65}
	for _, g := range m.Grants {
		h = append(h, g.Short+grantTotalSuffix)
	}
	h = append(h, ColTotal, ColRank)
	for _, g := range m.Grants {
		h = append(h, g.Short+grantAmountSuffix)
	}
	for i, v := range h {
		f.SetCellStr(s, f.cellName(i+1, 1), safeText(v))
	}
	f.SetCellStyle(s, "A1", f.cellName(len(h), 1), st.head)
	for n, p := range m.Prefectures {
		r := n + 2
		vals := []any{p.Code, p.Name, p.Insured65}
		for _, g := range m.Grants {
			vals = append(vals, p.Grants[g.ID])
		}
		vals = append(vals, p.Total, p.Rank)
		for _, g := range m.Grants {
			vals = append(vals, p.Yen[g.ID])
		}
		for i, v := range vals {
			f.SetCellValue(s, f.cellName(i+1, r), safeValue(v))
		}
		f.SetCellStyle(s, f.cellName(1, r), f.cellName(1, r), st.text)
		f.SetCellStyle(s, f.cellName(len(h)-len(m.Grants)+1, r), f.cellName(len(h), r), st.yen)
	}
	f.SetColWidth(s, "A", "B", 12)
	f.SetColWidth(s, "C", f.colName(len(h)), 14)
	f.SetPanes(s, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: 1, TopLeftCell: "C2", ActivePane: "bottomRight"})
	f.filter(s, 1, len(h), len(m.Prefectures)+1)
	f.setPrint(s, printSetup{paper: paperA4, fitWidth: true, titleRows: [2]int{1, 1}})
	return f.err
}

// Kinds of the 「交付額」 rows that are not an entity's (its 区分 column), so a filter can keep or
// drop them.
const (
	AmountSubtotal   = "小計"
	AmountTotal      = "合計"
	AmountDifference = "千円端数"
	AmountGrandTotal = "総計"
)

// amountHeaders are the columns of 「交付額」.
var amountHeaders = []string{ColPrefecture, ColCode, "団体名", "区分", "配分枠", "得点", ColInsured65, "交付見込額（案）（円）", "所要見込額（円）", "確定額（円）", "確定額（千円）", "減額（円）", ColSubmission}

// Thousands is an amount in 千円 as 「交付額」 shows it: the yen truncated to whole thousands
// (千円未満切り捨て). The yen amounts are the decided ones; the 千円 column is for reading.
func Thousands(yen int64) int64 { return yen / 1000 }

// poolGroup is one pool's rows of 「交付額」 with their sums.
type poolGroup struct {
	pool  PoolLine
	lines []AmountLine
}

// amountGroups orders the amounts by grant (the order of Ministry.Grants), within a grant the
// municipal pools before the prefectural one (each in the order of Ministry.Pools), and within a
// pool by code (so by prefecture). Amounts of a pool the workbook does not list come last, under
// their own name.
func amountGroups(m Ministry) []poolGroup {
	var order []PoolLine
	seen := map[string]bool{}
	for _, g := range m.Grants {
		for _, pref := range []bool{false, true} {
			for _, p := range m.Pools {
				if p.Grant == g.ID && (p.Level == "都道府県") == pref && !seen[p.Name] {
					order, seen[p.Name] = append(order, p), true
				}
			}
		}
	}
	for _, p := range m.Pools {
		if !seen[p.Name] {
			order, seen[p.Name] = append(order, p), true
		}
	}
	for _, a := range m.Amounts {
		if !seen[a.Pool] {
			order, seen[a.Pool] = append(order, PoolLine{Name: a.Pool, Level: a.Level}), true
		}
	}
	groups := make([]poolGroup, len(order))
	at := map[string]int{}
	for i, p := range order {
		groups[i].pool, at[p.Name] = p, i
	}
	for _, a := range m.Amounts {
		g := &groups[at[a.Pool]]
		g.lines = append(g.lines, a)
	}
	for _, g := range groups {
		sort.SliceStable(g.lines, func(i, j int) bool { return g.lines[i].Code < g.lines[j].Code })
	}
	return groups
}

// amountSums are the summed columns of a run of 「交付額」 rows.
type amountSums struct {
	n                                  int
	weight, proposal, amount, thousand int64
}

func (s *amountSums) add(a AmountLine) {
	s.n++
	s.weight += a.Weight
	s.proposal += a.ProposalYen
	s.amount += a.AmountYen
	s.thousand += Thousands(a.AmountYen)
}

// thousandsDifference is what truncating each amount to 千円 costs a pool's 千円 column: the sum of
// the column less the pool's 確定額合計 truncated to 千円 (zero or negative).
func (s amountSums) thousandsDifference() int64 { return s.thousand - Thousands(s.amount) }

// writeAmounts writes 「交付額」: every amount, by grant and pool; in a municipal pool a 小計 after
// each prefecture's municipalities; after each pool its 合計 and, on the next row, the difference
// its 千円 column shows against the total (千円未満切り捨て); a 総計 at the end.
func writeAmounts(f *book, m Ministry, st styles) error {
	h := amountHeaders
	_, absent := unsubmitted(m)
	groups := amountGroups(m)
	rows := len(m.Amounts) + 1
	for _, g := range groups {
		if len(g.lines) > 0 {
			rows += 2 + len(prefectureRuns(g))
		}
	}
	f.filter(SheetAmounts, 1, len(h), rows+1)
	f.setPrint(SheetAmounts, printSetup{paper: paperA3, fitWidth: true, titleRows: [2]int{1, 1}})
	sw, err := f.NewStreamWriter(SheetAmounts)
	if err != nil {
		return err
	}
	// 配分枠 is as wide as its longest name (a full-width character is two units).
	poolWidth := 26.0
	for _, g := range groups {
		poolWidth = max(poolWidth, float64(2*utf8.RuneCountInString(g.pool.Name)+2))
	}
	for i, wd := range []float64{10, 11, 22, 8, poolWidth, 9, 14, 18, 16, 16, 14, 12, 10} {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 3, YSplit: 1, TopLeftCell: "D2", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	row := make([]any, len(h))
	for i, v := range h {
		row[i] = excelize.Cell{Value: v, StyleID: st.head}
	}
	if err := sw.SetRow("A1", safeRow(row)); err != nil {
		return err
	}
	line := 2
	put := func(row []any) error {
		err := sw.SetRow(f.cellName(1, line), safeRow(row))
		line++
		return err
	}
	sums := func(pref, label, kind, pool string, s amountSums, plain, yen int) []any {
		return []any{excelize.Cell{Value: pref, StyleID: plain}, excelize.Cell{StyleID: plain}, excelize.Cell{Value: label, StyleID: plain},
			excelize.Cell{Value: kind, StyleID: plain}, excelize.Cell{Value: pool, StyleID: plain}, excelize.Cell{StyleID: plain},
			excelize.Cell{Value: s.weight, StyleID: yen}, excelize.Cell{Value: s.proposal, StyleID: yen}, excelize.Cell{StyleID: plain},
			excelize.Cell{Value: s.amount, StyleID: yen}, excelize.Cell{Value: s.thousand, StyleID: yen},
			excelize.Cell{Value: s.proposal - s.amount, StyleID: yen}, excelize.Cell{StyleID: plain}}
	}
	var all amountSums
	for _, g := range groups {
		if len(g.lines) == 0 {
			continue
		}
		var pool amountSums
		runs := prefectureRuns(g)
		for k, a := range g.lines {
			var cp any = ""
			if a.CapYen != nil {
				cp = excelize.Cell{Value: *a.CapYen, StyleID: st.yen}
			}
			row := []any{a.PrefectureName, excelize.Cell{Value: a.Code, StyleID: st.text}, a.Name, a.Level, a.Pool,
				excelize.Cell{Value: a.Score, StyleID: st.pts}, excelize.Cell{Value: a.Weight, StyleID: st.yen},
				excelize.Cell{Value: a.ProposalYen, StyleID: st.yen}, cp, excelize.Cell{Value: a.AmountYen, StyleID: st.yen},
				excelize.Cell{Value: Thousands(a.AmountYen), StyleID: st.yen}, excelize.Cell{Value: a.ProposalYen - a.AmountYen, StyleID: st.yen}}
			if absent[a.Code] {
				row = append(row, Unsubmitted)
			}
			if err := put(row); err != nil {
				return err
			}
			pool.add(a)
			all.add(a)
			if end, ok := runs[k]; ok {
				label := fmt.Sprintf("%s %s（%s団体）", a.PrefectureName, AmountSubtotal, Commas(end.n))
				if err := put(sums(a.PrefectureName, label, AmountSubtotal, g.pool.Name, end, st.sub, st.subYen)); err != nil {
					return err
				}
			}
		}
		if err := put(sums("", fmt.Sprintf("%s（%s団体）", AmountTotal, Commas(pool.n)), AmountTotal, g.pool.Name, pool, st.total, st.totalYen)); err != nil {
			return err
		}
		diff := []any{"", "", "千円未満切り捨ての差", AmountDifference, g.pool.Name, "", "", "", "", "", excelize.Cell{Value: pool.thousandsDifference(), StyleID: st.yen},
			fmt.Sprintf("確定額合計 %s千円 との差", Commas(Thousands(pool.amount)))}
		if err := put(diff); err != nil {
			return err
		}
	}
	grand := sums("", AmountGrandTotal+"（すべての配分枠）", AmountGrandTotal, "", all, st.total, st.totalYen)
	grand[6] = excelize.Cell{StyleID: st.total} // an entity is in several pools: its weight would count more than once
	if err := put(grand); err != nil {
		return err
	}
	return sw.Flush()
}

// prefectureRuns returns, for a municipal pool, the index of each prefecture's last row with the
// prefecture's sums (a 小計 follows it); none for a prefectural pool (one row per prefecture).
func prefectureRuns(g poolGroup) map[int]amountSums {
	out := map[int]amountSums{}
	var cur amountSums
	for k, a := range g.lines {
		if a.Level == "都道府県" {
			return nil
		}
		cur.add(a)
		if k+1 == len(g.lines) || prefectureOf(g.lines[k+1].Code) != prefectureOf(a.Code) {
			out[k], cur = cur, amountSums{}
		}
	}
	return out
}

// prefectureOf is the prefecture part (first two digits) of an entity code.
func prefectureOf(code string) string {
	if len(code) < 2 {
		return code
	}
	return code[:2]
}

// ThousandsRule states how 「交付額」 shows amounts in 千円, for 「概要」.
const ThousandsRule = "交付額は円単位で確定している。「交付額」シートの確定額（千円）は各団体の確定額（円）の千円未満を切り捨てた表示であり、" +
	"配分枠ごとの千円欄の合計は確定額合計の千円表示より小さくなることがある（差は配分枠ごとに下表と「交付額」シートの合計行の次の行に示す）。"

func writeSummary(f *book, m Ministry, st styles) error {
	s := SheetSummary
	f.setPrint(s, printSetup{paper: paperA4, fitWidth: true})
	f.SetCellStr(s, "A1", safeText(m.Title))
	f.SetCellStyle(s, "A1", "A1", st.title)
	f.SetCellStr(s, "A2", safeText("年度"))
	f.SetCellStr(s, "B2", safeText(fmt.Sprintf("%d（%s）", m.FiscalYear, m.EraLabel)))
	hdr := []string{"交付金", "予算額（円）", "都道府県分（円）", "追加配分枠（円）", "市町村分（円）", "市町村交付額合計（円）", "差（市町村分−合計）"}
	for i, h := range hdr {
		f.SetCellStr(s, f.cellName(i+1, 4), safeText(h))
	}
	f.SetCellStyle(s, "A4", f.cellName(len(hdr), 4), st.head)
	f.headRow(s, 4)
	r := 5
	for _, g := range m.Grants {
		vals := []any{g.Name + "（" + g.Short + "）", g.BudgetYen, g.PrefectureYen, g.ExtraYen, g.MunicipalYen, g.AllocatedYen, g.MunicipalYen - g.AllocatedYen}
		for i, v := range vals {
			f.SetCellValue(s, f.cellName(i+1, r), safeValue(v))
		}
		f.SetCellStyle(s, f.cellName(2, r), f.cellName(len(hdr), r), st.yen)
		r++
	}
	r++
	f.SetCellStr(s, f.cellName(1, r), safeText("照合（配分枠ごと）：配分枠 ＝ 確定額合計 ＋ 返還額（所要見込額による減額・配分対象なし）"))
	f.SetCellStyle(s, f.cellName(1, r), f.cellName(1, r), st.title)
	r++
	ph := []string{"配分枠", "区分", "配分枠（円）", "交付見込額（案）合計", "確定額合計（円）", "返還額（円）", "差（配分枠−確定−返還）", "対象団体数", "減額団体数", "備考"}
	for i, h := range ph {
		f.SetCellStr(s, f.cellName(i+1, r), safeText(h))
	}
	f.SetCellStyle(s, f.cellName(1, r), f.cellName(len(ph), r), st.head)
	f.headRow(s, r)
	r++
	groups := amountGroups(m)
	for _, g := range groups {
		p := g.pool
		if p.ID == "" && p.PoolYen == 0 {
			continue // amounts of a pool the workbook does not list
		}
		vals := []any{p.Name, p.Level, p.PoolYen, p.ProposalYen, p.AmountYen, p.SurplusYen, p.PoolYen - p.AmountYen - p.SurplusYen, p.Entities, p.Capped, p.Note}
		for i, v := range vals {
			f.SetCellValue(s, f.cellName(i+1, r), safeValue(v))
		}
		f.SetCellStyle(s, f.cellName(3, r), f.cellName(9, r), st.yen)
		r++
	}
	r++
	// The 千円 rule and what it costs each pool's 千円 column.
	f.SetCellStr(s, f.cellName(1, r), safeText("千円表示の端数処理（千円未満切り捨て）"))
	f.SetCellStyle(s, f.cellName(1, r), f.cellName(1, r), st.title)
	r++
	f.summaryText(s, r, ThousandsRule, st)
	r++
	th := []string{"配分枠", "確定額合計（円）", "確定額合計（千円、千円未満切り捨て）", "「交付額」の確定額（千円）の合計", "差（千円）"}
	for i, h := range th {
		f.SetCellStr(s, f.cellName(i+1, r), safeText(h))
	}
	f.SetCellStyle(s, f.cellName(1, r), f.cellName(len(th), r), st.head)
	f.headRow(s, r)
	r++
	for _, g := range groups {
		var sum amountSums
		for _, a := range g.lines {
			sum.add(a)
		}
		for i, v := range []any{g.pool.Name, sum.amount, Thousands(sum.amount), sum.thousand, sum.thousandsDifference()} {
			f.SetCellValue(s, f.cellName(i+1, r), safeValue(v))
		}
		f.SetCellStyle(s, f.cellName(2, r), f.cellName(len(th), r), st.yen)
		r++
	}
	r++
	if n, _ := unsubmitted(m); n > 0 {
		f.SetCellStr(s, f.cellName(1, r), safeText("調査票未提出の市町村"))
		f.SetCellStr(s, f.cellName(2, r), safeText(fmt.Sprintf("%s団体（「%s」シートでは行を灰色で、「%s」シートでは「%s」欄に「%s」と表示）", Commas(n), SheetMunicipal, SheetAmounts, ColSubmission, Unsubmitted)))
		r += 2
	}
	for _, kv := range m.Summary {
		f.SetCellStr(s, f.cellName(1, r), safeText(kv.Label))
		switch v := kv.Value.(type) {
		case string:
			f.summaryText(s, r, v, st)
		case Percent:
			style := st.pct
			if x := float64(v) * 100; x != float64(int64(x)) {
				style = st.pct1
			}
			f.SetCellFloat(s, f.cellName(2, r), float64(v), -1, 64)
			f.SetCellStyle(s, f.cellName(2, r), f.cellName(2, r), style)
		default:
			f.SetCellValue(s, f.cellName(2, r), safeValue(v))
			f.SetCellStyle(s, f.cellName(2, r), f.cellName(2, r), st.count)
		}
		f.SetCellStyle(s, f.cellName(1, r), f.cellName(1, r), st.wrap)
		r++
	}
	f.SetColWidth(s, "A", "A", 38)
	f.SetColWidth(s, "B", "J", summaryColWidth)
	return f.err
}

// headRow makes a header row of 「概要」 two lines high: its wrapped headings show whole.
func (b *book) headRow(sheet string, row int) {
	if b.err == nil {
		b.fail(b.File.SetRowHeight(sheet, row, 32), "set the height of %s!%d", sheet, row)
	}
}

// summaryColWidth is the width of 「概要」's columns B to J.
const summaryColWidth = 16

// summaryText writes a text value of 「概要」 in column B, across B:J and wrapped, with the row high
// enough for its lines.
func (b *book) summaryText(sheet string, row int, text string, st styles) {
	from, to := b.cellName(2, row), b.cellName(10, row)
	b.SetCellStr(sheet, from, safeText(text))
	if b.err != nil {
		return
	}
	b.fail(b.File.MergeCell(sheet, from, to), "merge %s!%s:%s", sheet, from, to)
	b.SetCellStyle(sheet, from, to, st.wrap)
	// A full-width character takes two units of width; 9 columns of summaryColWidth hold this many.
	perLine := int(9*summaryColWidth/2.4) - 2
	lines := 0
	for _, part := range strings.Split(text, "\n") {
		lines += max(1, (utf8.RuneCountInString(part)+perLine-1)/perLine)
	}
	if lines > 1 {
		b.fail(b.File.SetRowHeight(sheet, row, float64(lines)*15+3), "set the height of %s!%d", sheet, row)
	}
}

func ptr[T any](v T) *T { return &v }
