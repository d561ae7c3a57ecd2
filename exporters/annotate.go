package exporters

import (
	"bytes"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/loaders"
)

// SheetProblems is the sheet an annotated copy adds with every problem listed.
const SheetProblems = "エラー一覧"

// Annotate writes a copy of a rejected workbook for its submitter: each cell named by a problem is
// filled red and carries a comment with the message (Japanese, then English), and a sheet
// 「エラー一覧」 lists every problem, including those without a cell (a missing row). The original
// bytes are not changed.
func Annotate(w io.Writer, original []byte, problems []loaders.Problem) error {
	f, err := excelize.OpenReader(bytes.NewReader(original))
	if err != nil {
		return fmt.Errorf("open the rejected workbook: %w", err)
	}
	defer f.Close()
	red, _ := f.NewStyle(&excelize.Style{
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}},
		Font:   &excelize.Font{Color: "9C0006", Bold: true},
		Border: []excelize.Border{{Type: "left", Color: "C00000", Style: 2}, {Type: "right", Color: "C00000", Style: 2}, {Type: "top", Color: "C00000", Style: 2}, {Type: "bottom", Color: "C00000", Style: 2}},
	})
	byCell := map[string][]loaders.Problem{}
	var order []string
	for _, p := range problems {
		if p.Sheet == "" || p.Cell == "" {
			continue
		}
		if idx, _ := f.GetSheetIndex(p.Sheet); idx < 0 {
			continue
		}
		if _, _, err := excelize.CellNameToCoordinates(p.Cell); err != nil {
			continue
		}
		k := p.Sheet + "!" + p.Cell
		if _, ok := byCell[k]; !ok {
			order = append(order, k)
		}
		byCell[k] = append(byCell[k], p)
	}
	for _, k := range order {
		ps := byCell[k]
		sheet, cell := ps[0].Sheet, ps[0].Cell
		// A protected sheet keeps its protection: styles and comments are not edits of the cells.
		if err := f.SetCellStyle(sheet, cell, cell, red); err != nil {
			return err
		}
		var text string
		for i, p := range ps {
			if i > 0 {
				text += "\n"
			}
			text += fmt.Sprintf("[%s] %s\n%s", p.Code, p.MessageJA, p.MessageEN)
		}
		f.DeleteComment(sheet, cell)
		if err := f.AddComment(sheet, excelize.Comment{Cell: cell, Author: "kofukin", Paragraph: []excelize.RichTextRun{{Text: text}}}); err != nil {
			return err
		}
	}
	if idx, _ := f.GetSheetIndex(SheetProblems); idx >= 0 {
		f.DeleteSheet(SheetProblems)
	}
	if _, err := f.NewSheet(SheetProblems); err != nil {
		return err
	}
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}})
	for i, h := range []string{"コード", "シート", "セル", "項目ID", "期待される値", "入力値", "内容", "Message"} {
		c, _ := excelize.CoordinatesToCellName(i+1, 1)
		f.SetCellStr(SheetProblems, c, h)
	}
	f.SetCellStyle(SheetProblems, "A1", "H1", head)
	for r, p := range problems {
		for i, v := range []string{p.Code, p.Sheet, p.Cell, p.Item, p.Expected, p.Found, p.MessageJA, p.MessageEN} {
			c, _ := excelize.CoordinatesToCellName(i+1, r+2)
			f.SetCellStr(SheetProblems, c, v)
		}
	}
	for i, wd := range []float64{8, 10, 8, 10, 20, 20, 60, 60} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		f.SetColWidth(SheetProblems, col, col, wd)
	}
	idx, _ := f.GetSheetIndex(SheetProblems)
	f.SetActiveSheet(idx)
	return save(w, f)
}
