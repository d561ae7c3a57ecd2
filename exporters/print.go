package exporters

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Paper sizes of excelize's page layout (the OOXML paperSize codes).
const (
	paperA3 = 8
	paperA4 = 9
)

// printSetup is how a sheet prints: on A4 or A3 in landscape (or portrait), scaled to the page's width (or not,
// for a sheet too wide to be read that small), with rows and columns repeated on every page and
// the page number in the footer.
type printSetup struct {
	paper     int
	fitWidth  bool
	titleRows [2]int // first and last row repeated at the top of each page (0: none)
	titleCols int    // columns A… repeated at the left of each page (0: none)
	portrait  bool   // portrait instead of landscape
}

// setPrint sets a sheet's print setup. On a sheet to be streamed it must come before
// NewStreamWriter, which reads the sheet's settings once and writes them when it is flushed; and
// after filter, whose AutoFilter replaces the sheet's properties (fit to page among them).
func (b *book) setPrint(sheet string, p printSetup) {
	if b.err != nil {
		return
	}
	orient := "landscape"
	if p.portrait {
		orient = "portrait"
	}
	lo := &excelize.PageLayoutOptions{Size: &p.paper, Orientation: &orient}
	if p.fitWidth {
		lo.FitToWidth, lo.FitToHeight = ptr(1), ptr(0)
		b.fail(b.File.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: ptr(true)}), "fit %s to the page", sheet)
	}
	b.fail(b.File.SetPageLayout(sheet, lo), "set the page layout of %s", sheet)
	b.fail(b.File.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: ptr(0.4), Right: ptr(0.4), Top: ptr(0.6), Bottom: ptr(0.6),
		Header: ptr(0.3), Footer: ptr(0.3), Horizontally: ptr(p.fitWidth)}), "set the margins of %s", sheet)
	b.fail(b.File.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: "&L&A&R&P / &N"}), "set the footer of %s", sheet)
	var titles []string
	q := "'" + strings.ReplaceAll(sheet, "'", "''") + "'!"
	if p.titleCols > 0 {
		titles = append(titles, q+"$A:$"+b.colName(p.titleCols))
	}
	if p.titleRows[0] > 0 {
		titles = append(titles, fmt.Sprintf("%s$%d:$%d", q, p.titleRows[0], p.titleRows[1]))
	}
	if len(titles) > 0 {
		b.fail(b.File.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: strings.Join(titles, ","), Scope: sheet}),
			"set the print titles of %s", sheet)
	}
}

// filter puts the filter buttons on the header row of a sheet's table (header row first, last
// column and row given). On a sheet to be streamed it must come before NewStreamWriter.
func (b *book) filter(sheet string, headerRow, lastCol, lastRow int) {
	if b.err == nil && lastRow > headerRow {
		b.AutoFilter(sheet, b.cellName(1, headerRow)+":"+b.cellName(lastCol, lastRow), nil)
	}
}
