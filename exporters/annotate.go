package exporters

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/kofukin/kofukin"
)

// SheetProblems is the sheet an annotated copy adds with every problem listed.
const SheetProblems = "エラー一覧"

// Bounds of what one annotated cell and one listed value show; the reports keep everything.
const (
	maxProblemsPerComment = 10     // problems written into one cell's comment
	maxListedRunes        = 1000   // characters of one value in 「エラー一覧」
	replaceBudget         = 50_000 // drawing shapes decoded to replace cells' own comments
)

// Annotate writes a copy of a rejected workbook for its submitter: each cell named by a problem is
// filled red and carries a comment with the message in Japanese, and a sheet 「エラー一覧」 lists the
// problems, including those without a cell (a missing row): first the errors under a line saying
// the file could not be taken in and how many there are, then the warnings under theirs, each
// table with its header; the English messages are a hidden last column. The original bytes are not
// changed.
//
// It is bounded in bytes, rows, cells and time, whatever the upload: before excelize opens it the
// zip is inspected (see the Annotate… limits: entries, inflated sizes in all and per part, sheets,
// rows and cells excelize would build) and excelize is given the same size limits. At most
// MaxAnnotatedCells cells are marked (the first named; cells beyond row AnnotateMaxRows or column
// IV are listed only) and at most MaxListedProblems problems are listed; when there are more, the
// line under the title of 「エラー一覧」 says so, and the JSON report has them all. Every error it returns is a *NotAnnotatedError (errors.Is(err, ErrNotAnnotated)) saying why
// no copy was made.
func Annotate(w io.Writer, original []byte, problems []kofukin.Problem) error {
	if na := checkUpload(original); na != nil {
		return na
	}
	x, err := excelize.OpenReader(bytes.NewReader(original), excelize.Options{UnzipSizeLimit: AnnotateMaxBytes, UnzipXMLSizeLimit: AnnotateMaxPartBytes})
	if err != nil {
		return notAnnotated(NotAnnotatedUnreadable, "Excelブック（.xlsx）として読み込めません", "open the rejected workbook", err)
	}
	defer x.Close()
	f := &book{File: x} // its first failed edit is returned below, before the copy is written
	fail := func(what string, err error) error {
		return notAnnotated(NotAnnotatedUnreadable, "ブックを処理できませんでした", what, err)
	}
	red := f.NewStyle(&excelize.Style{
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}},
		Font:   &excelize.Font{Color: "9C0006", Bold: true},
		Border: []excelize.Border{{Type: "left", Color: "C00000", Style: 2}, {Type: "right", Color: "C00000", Style: 2}, {Type: "top", Color: "C00000", Style: 2}, {Type: "bottom", Color: "C00000", Style: 2}},
	})
	sheets := map[string]string{} // lower case → name (excelize matches sheet names so)
	for _, s := range f.GetSheetList() {
		sheets[strings.ToLower(s)] = s
	}
	// The cells to mark, in the order problems name them: the first MaxAnnotatedCells.
	type marked struct {
		sheet, cell string
		problems    []kofukin.Problem
		more        int // problems of the cell beyond maxProblemsPerComment
	}
	byCell := map[string]*marked{}
	var order []*marked
	unmarked := 0 // problems with a cell that is not marked
	for _, p := range problems {
		sheet, ok := sheets[strings.ToLower(p.Sheet)]
		if p.Sheet == "" || p.Cell == "" || !ok {
			continue
		}
		col, row, err := excelize.CellNameToCoordinates(p.Cell)
		if err != nil {
			continue
		}
		// excelize makes every row up to the cell's and every cell of the row up to its column.
		if row > AnnotateMaxRows || col > 256 {
			unmarked++
			continue
		}
		cell := f.cellName(col, row)
		k := sheet + "!" + cell
		m, ok := byCell[k]
		if !ok {
			if len(order) == MaxAnnotatedCells {
				unmarked++
				continue
			}
			m = &marked{sheet: sheet, cell: cell}
			byCell[k] = m
			order = append(order, m)
		}
		if len(m.problems) < maxProblemsPerComment {
			m.problems = append(m.problems, p)
		} else {
			m.more++
		}
	}
	// A cell's own comment is replaced by the problems'. excelize's DeleteComment decodes every
	// shape of the sheet's drawing, so deleting is bounded: past replaceBudget shapes decoded, a
	// cell keeps its comment (and is still filled red; 「エラー一覧」 lists its problems).
	existing := map[string]map[string]bool{}
	budget := replaceBudget
	for _, m := range order {
		if _, ok := existing[m.sheet]; !ok {
			existing[m.sheet] = map[string]bool{}
			for _, c := range f.GetComments(m.sheet) {
				existing[m.sheet][c.Cell] = true
			}
		}
	}
	for _, m := range order {
		// A protected sheet keeps its protection: styles and comments are not edits of the cells.
		f.SetCellStyle(m.sheet, m.cell, m.cell, red)
		var text strings.Builder
		for i, p := range m.problems {
			if i > 0 {
				text.WriteString("\n")
			}
			label := "エラー"
			if p.IsWarning() {
				label = "注意"
			}
			fmt.Fprintf(&text, "%s [%s] %s", label, p.Code, p.MessageJA)
		}
		if m.more > 0 {
			fmt.Fprintf(&text, "\nほか %s 件（「%s」と報告書を参照）", Commas(m.more), SheetProblems)
		}
		if own := existing[m.sheet]; own[m.cell] {
			if budget -= len(own); budget < 0 {
				continue
			}
			f.DeleteComment(m.sheet, m.cell)
		}
		f.AddComment(m.sheet, excelize.Comment{Cell: m.cell, Author: "kofukin", Paragraph: []excelize.RichTextRun{{Text: safeText(text.String())}}})
	}
	if f.err != nil {
		return fail("mark the cells", f.err)
	}
	if old, ok := sheets[strings.ToLower(SheetProblems)]; ok {
		// excelize keeps the last sheet of a workbook (nil error), which NewSheet then reuses.
		if err := f.DeleteSheet(old); err != nil {
			return fail("remove the old "+SheetProblems, err)
		}
	}
	if _, err := f.NewSheet(SheetProblems); err != nil {
		return fail("add "+SheetProblems, err)
	}
	s := SheetProblems
	// Errors first (what must be fixed), then warnings, each under its own heading and count; the
	// English message is a hidden last column, for whoever helps the submitter.
	errs, warns := kofukin.SplitProblems(problems)
	listed := min(len(problems), MaxListedProblems)
	listedErrs := min(len(errs), listed)
	listedWarns := listed - listedErrs
	var notes []string
	if listed < len(problems) {
		notes = append(notes, fmt.Sprintf("問題が %s 件あります。ここには最初の %s 件を表示しています。すべての問題は報告書（JSON）にあります。", Commas(len(problems)), Commas(listed)))
	}
	if unmarked > 0 {
		notes = append(notes, fmt.Sprintf("赤い印とコメントは最初の %s か所までのセルに付けています（印のない問題が %s 件あります）。", Commas(MaxAnnotatedCells), Commas(unmarked)))
	}
	head := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}})
	warnHead := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFEB9C"}}})
	title := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}})
	headers := []string{"コード", "シート", "セル", "項目ID", "内容", "期待される値", "入力値", "Message (English)"}
	row := 1
	line := func(text string, style int) {
		cell := f.cellName(1, row)
		f.SetCellStr(s, cell, safeText(text))
		f.SetCellStyle(s, cell, cell, style)
		row++
	}
	table := func(ps []kofukin.Problem, style int) {
		for i, h := range headers {
			f.SetCellStr(s, f.cellName(i+1, row), safeText(h))
		}
		f.SetCellStyle(s, f.cellName(1, row), f.cellName(len(headers), row), style)
		row++
		for _, p := range ps {
			for i, v := range []string{p.Code, p.Sheet, p.Cell, p.Item, p.MessageJA, p.Expected, p.Found, p.MessageEN} {
				f.SetCellStr(s, f.cellName(i+1, row), safeText(clip(v)))
			}
			row++
		}
	}
	if len(errs) > 0 {
		line(fmt.Sprintf("この調査票は受付できませんでした。次のエラー %s 件を修正して、もう一度提出してください。", Commas(len(errs))), title)
	}
	if len(notes) > 0 {
		line(strings.Join(notes, ""), 0)
	}
	if len(errs) > 0 {
		table(errs[:listedErrs], head)
	}
	if len(warns) > 0 {
		if len(errs) > 0 {
			row++
		}
		line(fmt.Sprintf("注意 %s 件（受付には影響しません。内容を確認してください）", Commas(len(warns))), title)
		if listedWarns > 0 {
			table(warns[:listedWarns], warnHead)
		}
	}
	for i, wd := range []float64{8, 10, 8, 10, 60, 20, 20, 60} {
		col := f.colName(i + 1)
		f.SetColWidth(s, col, col, wd)
	}
	if f.err == nil {
		f.fail(f.File.SetColVisible(s, f.colName(len(headers)), false), "hide the English column of %s", s)
	}
	wrap := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if row > 1 {
		f.SetCellStyle(s, "E1", "E"+fmt.Sprint(row), wrap)
	}
	// SetActiveSheet loads every worksheet of the workbook: checkUpload bounded their rows and cells.
	f.activate(s)
	if f.err != nil {
		return fail("list the problems", f.err)
	}
	if err := save(w, f); err != nil {
		return notAnnotated(NotAnnotatedWrite, "写しを書き出せませんでした", "write the annotated copy", err)
	}
	return nil
}

// clip shortens a listed value to maxListedRunes characters.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxListedRunes {
		return s
	}
	r := []rune(s)
	return string(r[:maxListedRunes]) + "…"
}

// Commas renders n with thousands separators as officials read numbers: 208000 → 208,000.
func Commas[N ~int | ~int64](n N) string { return jaPrinter.Sprintf("%d", n) }

var jaPrinter = message.NewPrinter(language.Japanese)
