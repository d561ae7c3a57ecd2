package exporters

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/indicators"
)

// SheetDiff is the sheet of the 新旧対照表 workbook.
const SheetDiff = "新旧対照表"

// DiffHeaders are the headers of the 新旧対照表 sheet.
var DiffHeaders = []string{"区分", "旧ID", "旧目標", "旧番号", "旧指標名", "旧配点", "新ID", "新目標", "新番号", "新指標名", "新配点", "変更内容"}

// DiffRows renders changes as the rows of the 新旧対照表 (without the header).
func DiffRows(from, to *indicators.Rulebook, changes []indicators.Change) [][]any {
	var rows [][]any
	for _, c := range changes {
		var oldID, oldGoal, oldNo, oldName []string
		var oldPts any = ""
		var sum float64
		for _, o := range c.Old {
			oldID = append(oldID, o.ID)
			oldGoal = append(oldGoal, from.GoalLabel(o))
			oldNo = append(oldNo, o.No)
			oldName = append(oldName, o.Name)
			sum += o.Points
		}
		if len(c.Old) > 0 {
			oldPts = sum
		}
		row := []any{c.Kind, strings.Join(oldID, "・"), strings.Join(oldGoal, "・"), strings.Join(oldNo, "・"), strings.Join(oldName, "／"), oldPts}
		if c.New != nil {
			row = append(row, c.New.ID, to.GoalLabel(c.New), c.New.No, c.New.Name, c.New.Points)
		} else {
			row = append(row, "", "", "", "", "")
		}
		rows = append(rows, append(row, strings.Join(c.Details, "\n")))
	}
	return rows
}

// WriteDiff writes the 新旧対照表 workbook of two rulebooks: 「概要」 (the two rulebooks and the count
// of each kind of change) and 「新旧対照表」 (one row per change, side by side).
func WriteDiff(w io.Writer, from, to *indicators.Rulebook, changes []indicators.Change) error {
	f := newBook()
	defer f.Close()
	f.SetDocProps(&excelize.DocProperties{Title: "新旧対照表", Creator: "kofukin", Created: fixedTime, Modified: fixedTime, Language: "ja-JP"})
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return err
	}
	s := SheetSummary
	f.SetCellStr(s, "A1", safeText(fmt.Sprintf("評価指標 新旧対照表（%s）：%d年度 → %d年度", to.Level.LabelJA(), from.FiscalYear, to.FiscalYear)))
	lines := [][2]string{
		{"旧", fmt.Sprintf("%s 版 %s（%s、%s点）", from.Title, from.Version, from.Hash[:12], indicators.FormatPoints(from.MaxPoints()))},
		{"新", fmt.Sprintf("%s 版 %s（%s、%s点）", to.Title, to.Version, to.Hash[:12], indicators.FormatPoints(to.MaxPoints()))},
	}
	count := map[string]int{}
	for _, c := range changes {
		count[c.Kind]++
	}
	for _, k := range indicators.ChangeKinds {
		lines = append(lines, [2]string{k, fmt.Sprint(count[k])})
	}
	for i, l := range lines {
		f.SetCellStr(s, fmt.Sprintf("A%d", i+3), safeText(l[0]))
		f.SetCellStr(s, fmt.Sprintf("B%d", i+3), safeText(l[1]))
	}
	f.SetColWidth(s, "A", "A", 12)
	f.SetColWidth(s, "B", "B", 100)

	if _, err := f.NewSheet(SheetDiff); err != nil {
		return err
	}
	d := SheetDiff
	head := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	wrap := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	fills := map[string]string{indicators.ChangeAdded: "E2EFDA", indicators.ChangeRetired: "FCE4D6", indicators.ChangeReplaced: "FFF2CC",
		indicators.ChangeRepointed: "FFF2CC", indicators.ChangeRescored: "FFF2CC", indicators.ChangeReworded: "EDEDED"}
	kindStyle := map[string]int{}
	for _, k := range indicators.ChangeKinds { // in a fixed order: style ids must not depend on map order
		c, ok := fills[k]
		if !ok {
			continue
		}
		kindStyle[k] = f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c}}, Alignment: &excelize.Alignment{Vertical: "top"}})
	}
	for i, h := range DiffHeaders {
		f.SetCellStr(d, f.cellName(i+1, 1), safeText(h))
	}
	f.SetCellStyle(d, "A1", "L1", head)
	for r, row := range DiffRows(from, to, changes) {
		for i, v := range row {
			f.SetCellValue(d, f.cellName(i+1, r+2), safeValue(v))
		}
		f.SetCellStyle(d, fmt.Sprintf("B%d", r+2), fmt.Sprintf("L%d", r+2), wrap)
		if st, ok := kindStyle[row[0].(string)]; ok {
			f.SetCellStyle(d, fmt.Sprintf("A%d", r+2), fmt.Sprintf("A%d", r+2), st)
		}
	}
	for i, wd := range []float64{10, 10, 14, 6, 40, 8, 10, 14, 6, 40, 8, 70} {
		col := f.colName(i + 1)
		f.SetColWidth(d, col, col, wd)
	}
	f.SetPanes(d, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	f.AutoFilter(d, fmt.Sprintf("A1:L%d", len(changes)+1), nil)
	f.activate(d)
	return save(w, f)
}
