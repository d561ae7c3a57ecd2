package exporters

import (
	"fmt"

	"github.com/xuri/excelize/v2"
)

// book is a workbook being written that keeps the first error of its writes, as bufio.Writer
// does: its methods named like excelize's record the error with the place (sheet and cell, or
// what was being written) and return nothing, and once one has failed the others do nothing.
// save returns the error before writing a byte, so a writer's many cell writes read as plain
// statements and no error is dropped. Calls excelize reports through other results (NewSheet,
// SetSheetName, AddChart …) are checked where they are made.
type book struct {
	*excelize.File
	err  error                 // the first error, with its place
	rows map[string]*sheetRows // rows written as XML, by sheet, for save to splice in
	// charts are the charts from templates, by sheet, for save to add (addTemplateChart).
	charts map[string][]nativeChart
	// sst holds the texts of rows written with a shared string table (sharedRows), for save to
	// add to excelize's.
	sst *sharedStrings
	// fastDeflate: save compresses the parts with klauspost/compress (the export's workbooks,
	// newExportBook), not compress/flate.
	fastDeflate bool
}

// newBook starts an empty workbook.
func newBook() *book { return &book{File: excelize.NewFile()} }

// newExportBook starts an empty workbook of the export (the ministry, review and feedback
// workbooks), whose parts save deflates the faster way (book.writePart).
func newExportBook() *book { return &book{File: excelize.NewFile(), fastDeflate: true} }

// fail records err, placed by what, unless an error is already recorded.
func (b *book) fail(err error, what string, args ...any) {
	if err != nil && b.err == nil {
		b.err = fmt.Errorf(what+": %w", append(args, err)...)
	}
}

// SetDocProps sets the document properties.
func (b *book) SetDocProps(p *excelize.DocProperties) {
	if b.err == nil {
		b.fail(b.File.SetDocProps(p), "set the document properties")
	}
}

// spliceRows has save add rows (written as XML) to a sheet, after the rows excelize wrote into it
// (a sheet streamed by excelize's stream writer and flushed).
func (b *book) spliceRows(sheet string, rows *sheetRows) {
	if b.rows == nil {
		b.rows = map[string]*sheetRows{}
	}
	b.rows[sheet] = rows
}

// NewStyle adds a style and returns its id (0 after an error).
func (b *book) NewStyle(s *excelize.Style) int {
	if b.err != nil {
		return 0
	}
	id, err := b.File.NewStyle(s)
	b.fail(err, "add a style")
	return id
}

// SetCellStr writes a text cell.
func (b *book) SetCellStr(sheet, cell, value string) {
	if b.err == nil {
		b.fail(b.File.SetCellStr(sheet, cell, value), "write %s!%s", sheet, cell)
	}
}

// SetCellValue writes a cell of any type excelize knows.
func (b *book) SetCellValue(sheet, cell string, value any) {
	if b.err == nil {
		b.fail(b.File.SetCellValue(sheet, cell, value), "write %s!%s", sheet, cell)
	}
}

// SetCellFloat writes a number cell.
func (b *book) SetCellFloat(sheet, cell string, value float64, precision, bitSize int) {
	if b.err == nil {
		b.fail(b.File.SetCellFloat(sheet, cell, value, precision, bitSize), "write %s!%s", sheet, cell)
	}
}

// SetCellStyle styles the cells from top left to bottom right.
func (b *book) SetCellStyle(sheet, topLeft, bottomRight string, style int) {
	if b.err == nil {
		b.fail(b.File.SetCellStyle(sheet, topLeft, bottomRight, style), "style %s!%s:%s", sheet, topLeft, bottomRight)
	}
}

// SetColWidth sets the width of the columns from start to end.
func (b *book) SetColWidth(sheet, start, end string, width float64) {
	if b.err == nil {
		b.fail(b.File.SetColWidth(sheet, start, end, width), "set the width of %s!%s:%s", sheet, start, end)
	}
}

// SetPanes freezes or splits a sheet's panes.
func (b *book) SetPanes(sheet string, panes *excelize.Panes) {
	if b.err == nil {
		b.fail(b.File.SetPanes(sheet, panes), "set the panes of %s", sheet)
	}
}

// AutoFilter adds the filter buttons to a range.
func (b *book) AutoFilter(sheet, rangeRef string, opts []excelize.AutoFilterOptions) {
	if b.err == nil {
		b.fail(b.File.AutoFilter(sheet, rangeRef, opts), "filter %s!%s", sheet, rangeRef)
	}
}

// AddDataValidation adds a validation to the cells dv names.
func (b *book) AddDataValidation(sheet string, dv *excelize.DataValidation) {
	if b.err == nil {
		b.fail(b.File.AddDataValidation(sheet, dv), "validate %s!%s", sheet, dv.Sqref)
	}
}

// ProtectSheet protects a sheet.
func (b *book) ProtectSheet(sheet string, opts *excelize.SheetProtectionOptions) {
	if b.err == nil {
		b.fail(b.File.ProtectSheet(sheet, opts), "protect %s", sheet)
	}
}

// GetComments returns a sheet's comments (none after an error).
func (b *book) GetComments(sheet string) []excelize.Comment {
	if b.err != nil {
		return nil
	}
	cs, err := b.File.GetComments(sheet)
	b.fail(err, "read the comments of %s", sheet)
	return cs
}

// AddComment adds a comment to a cell.
func (b *book) AddComment(sheet string, c excelize.Comment) {
	if b.err == nil {
		b.fail(b.File.AddComment(sheet, c), "comment %s!%s", sheet, c.Cell)
	}
}

// DeleteComment deletes a cell's comment.
func (b *book) DeleteComment(sheet, cell string) {
	if b.err == nil {
		b.fail(b.File.DeleteComment(sheet, cell), "delete the comment of %s!%s", sheet, cell)
	}
}

// activate makes sheet the one the workbook opens on.
func (b *book) activate(sheet string) {
	if b.err != nil {
		return
	}
	idx, err := b.File.GetSheetIndex(sheet)
	if err == nil && idx < 0 {
		err = fmt.Errorf("no sheet %q", sheet)
	}
	b.fail(err, "activate %s", sheet)
	if err == nil {
		b.File.SetActiveSheet(idx)
	}
}

// cellName is the name of the cell at col and row (1-based), "A1" for (1, 1).
func (b *book) cellName(col, row int) string {
	c, err := excelize.CoordinatesToCellName(col, row)
	b.fail(err, "name the cell of column %d, row %d", col, row)
	return c
}

// colName is the name of column n (1-based), "A" for 1.
func (b *book) colName(n int) string {
	c, err := excelize.ColumnNumberToName(n)
	b.fail(err, "name column %d", n)
	return c
}
