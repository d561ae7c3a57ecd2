// Package exporters writes kofukin's workbooks: the survey template (調査票) generated from a
// rulebook, and the ministry's allocation workbook. Exporters never query the database: they are
// handed the rows to write, and they write the same bytes for the same rows. Every text cell they
// write is neutralised against formula injection (safeText), and the annotated copy of a rejected
// upload (Annotate) is bounded in bytes, rows, cells and time.
package exporters

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/survey"
)

// SurveyEntity is the reporting body a survey workbook is stamped for.
type SurveyEntity struct {
	Code           string
	PrefectureName string
	Name           string
}

// WriteSurvey writes the survey workbook of rulebook rb for entity e. answers, when not nil, fills
// the 回答 column (item id → value as typed: "はい", "12.5" …), as the synthetic nation does.
func WriteSurvey(w io.Writer, rb *indicators.Rulebook, e SurveyEntity, answers map[string]string) error {
	f := newBook()
	defer f.Close()
	f.SetDocProps(&excelize.DocProperties{
		Title:    rb.Title,
		Creator:  "kofukin",
		Created:  fixedTime,
		Modified: fixedTime,
		Language: "ja-JP",
	})
	if err := f.SetSheetName("Sheet1", survey.SheetGuide); err != nil {
		return err
	}
	if err := writeGuide(f, rb, e); err != nil {
		return err
	}
	if _, err := f.NewSheet(survey.SheetAnswers); err != nil {
		return err
	}
	if err := writeAnswers(f, rb, e, answers); err != nil {
		return err
	}
	if _, err := f.NewSheet(survey.SheetStamp); err != nil {
		return err
	}
	stamp := [][2]string{
		{survey.StampForm, survey.FormName},
		{survey.StampFiscalYear, strconv.Itoa(rb.FiscalYear)},
		{survey.StampLevel, string(rb.Level)},
		{survey.StampRulebookHash, rb.Hash},
		{survey.StampEntityCode, e.Code},
	}
	for i, kv := range stamp {
		f.SetCellStr(survey.SheetStamp, fmt.Sprintf("A%d", i+1), safeText(kv[0]))
		f.SetCellStr(survey.SheetStamp, fmt.Sprintf("B%d", i+1), safeText(kv[1]))
	}
	if err := f.SetSheetVisible(survey.SheetStamp, false, true); err != nil {
		return err
	}
	f.activate(survey.SheetAnswers)
	return save(w, f)
}

func writeGuide(f *book, rb *indicators.Rulebook, e SurveyEntity) error {
	s := survey.SheetGuide
	lines := []string{
		rb.Title,
		"調査票（" + rb.Level.LabelJA() + "用） 記入要領",
		"",
		"1. 「" + survey.SheetAnswers + "」シートの「" + survey.ColAnswer + "」列だけを記入してください。他の列・行・シート名は変更しないでください。",
		"2. 「はい／いいえ」の設問は、プルダウンから「はい」又は「いいえ」を選んでください（○・×、1・0 も受け付けます）。",
		"3. 数値の設問は、単位を付けずに半角数字で記入してください（例：12.5）。割合は百分率（%）の値を記入します。「回答方法」列の範囲を外れる値は入力できません。",
		"4. 回答の対象期間は取組年度（" + strconv.Itoa(rb.ActionYear) + "年度）です。",
		"5. 目標Ⅳ（成果指標）など、国が算出する指標はこの調査票に含まれません。",
		"6. 提出後、誤りがあればセル番地と理由を示したエラー一覧が返されます。修正して再提出してください（再提出すると新しい版として受け付け、以前の版は履歴として残ります）。",
		"",
		guideEntityLine(e),
		"評価指標の版：" + rb.Version + "（" + rb.Hash[:12] + "）",
		"",
		"出典・注記：" + publicNote(rb.Provenance),
	}
	const width = 120
	wrap := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	for i, l := range lines {
		cell := fmt.Sprintf("A%d", i+1)
		f.SetCellStr(s, cell, safeText(l))
		f.SetCellStyle(s, cell, cell, wrap)
		fitRow(f, s, i+1, l, width)
	}
	f.SetColWidth(s, "A", "A", width)
	return f.err
}

// guideEntityLine is the guide's line naming the entity.
func guideEntityLine(e SurveyEntity) string {
	return "団体コード：" + e.Code + "　団体名：" + e.PrefectureName + e.Name
}

// internalRef matches a parenthesised aside naming a file of kofukin's sources (「（shared/domain.md の
// FY2026 配点）」): the rulebooks' provenance notes are written for their reviewers, and a template
// does not send an official to them.
var internalRef = regexp.MustCompile(`[（(][^（）()]*[A-Za-z_][A-Za-z0-9_.-]*/[A-Za-z0-9_./-]*[A-Za-z][^（）()]*[）)]`)

// publicNote is a rulebook's provenance as the template shows it: without internal references.
func publicNote(s string) string { return internalRef.ReplaceAllString(s, "") }

// fitRow sets the height of a row whose wrapped text (the longest of texts, in columns width
// characters wide) needs more than one line, so that no renderer clips it: a wide (CJK) character
// takes two columns, and a line 18 points.
func fitRow(f *book, sheet string, row int, text string, width float64) {
	lines := textLines(text, width)
	if lines > 1 && f.err == nil {
		f.fail(f.File.SetRowHeight(sheet, row, min(float64(lines)*lineHeight, excelize.MaxRowHeight)), "set the height of %s row %d", sheet, row)
	}
}

// lineHeight is the height in points of one line of wrapped text (11-point Japanese fonts).
const lineHeight = 18

// textLines is how many lines text takes wrapped in a column width characters wide.
func textLines(text string, width float64) int {
	lines := 0
	for _, l := range strings.Split(text, "\n") {
		w := 0.0
		for _, r := range l {
			if r < 0x2E80 || (r >= 0xFF61 && r <= 0xFF9F) {
				w++
			} else {
				w += 2
			}
		}
		lines += max(1, int(math.Ceil(w/(width-1))))
	}
	return lines
}

func writeAnswers(f *book, rb *indicators.Rulebook, e SurveyEntity, answers map[string]string) error {
	s := survey.SheetAnswers
	bold := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	head := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"},
	})
	wrap := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	answer := f.NewStyle(&excelize.Style{
		Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}},
		Protection: &excelize.Protection{Locked: false},
		Alignment:  &excelize.Alignment{Vertical: "top"},
	})
	f.SetCellStr(s, "A1", safeText(rb.Title+" 調査票（"+rb.Level.LabelJA()+"用）"))
	f.SetCellStyle(s, "A1", "A1", bold)
	f.SetCellStr(s, "A2", safeText(survey.LabelEntityCode))
	f.SetCellStr(s, "B2", safeText(e.Code))
	f.SetCellStr(s, "A3", safeText(survey.LabelEntityName))
	f.SetCellStr(s, "B3", safeText(e.PrefectureName+e.Name))
	f.SetCellStr(s, "A4", safeText(survey.LabelFiscalYear))
	f.SetCellStr(s, "B4", safeText(fmt.Sprintf("%d（%s）", rb.FiscalYear, rb.EraLabel)))
	f.SetCellStr(s, "A5", safeText(survey.LabelFilledOn))
	f.SetCellStr(s, "C5", safeText("（記入した日：例 2025/5/10 又は 令和7年5月10日）"))
	for i, h := range survey.Columns {
		f.SetCellStr(s, f.cellName(i+1, survey.HeaderRow), safeText(h))
	}
	f.SetCellStyle(s, "A6", f.cellName(len(survey.Columns), survey.HeaderRow), head)
	ansCol := colLetter(survey.ColAnswer)
	widths := []float64{12, 14, 36, 6, 60, 14, 26, 6, 40}
	var yesno []string
	numbers := numberRules{}
	row := survey.HeaderRow
	for _, it := range rb.SelfItems() {
		row++
		ind, _ := rb.Indicator(it.Indicator)
		goal, _ := rb.Goal(ind.Goal)
		r := strconv.Itoa(row)
		vals := []any{it.ID, goal.Label, ind.No + " " + ind.Name, it.Branch, it.Question, nil, survey.HowToAnswer(it), it.Points, ind.Notes}
		lines := 1
		for i, v := range vals {
			if v == nil {
				continue
			}
			f.SetCellValue(s, f.cellName(i+1, row), safeValue(v))
			if t, ok := v.(string); ok {
				lines = max(lines, textLines(t, widths[i]))
			}
		}
		if lines > 1 && f.err == nil {
			f.fail(f.File.SetRowHeight(s, row, min(float64(lines)*lineHeight, excelize.MaxRowHeight)), "set the height of %s row %d", s, row)
		}
		if v, ok := answers[it.ID]; ok && v != "" {
			if x, err := strconv.ParseFloat(v, 64); err == nil && it.Rule.Type != indicators.RuleYesNo {
				f.SetCellFloat(s, ansCol+r, x, -1, 64)
			} else {
				f.SetCellStr(s, ansCol+r, safeText(v))
			}
		}
		switch it.Rule.Type {
		case indicators.RuleYesNo:
			yesno = append(yesno, ansCol+r)
		case indicators.RuleChoice:
			opts := make([]string, len(it.Rule.Options))
			for i, o := range it.Rule.Options {
				opts[i] = o.Value
			}
			dv := excelize.NewDataValidation(true)
			dv.Sqref = ansCol + r
			if err := dv.SetDropList(opts); err != nil {
				return fmt.Errorf("item %s: %w", it.ID, err)
			}
			dv.SetError(excelize.DataValidationErrorStyleStop, "入力エラー", "選択肢から1つ選んでください。")
			f.AddDataValidation(s, dv)
		default: // every other rule is answered with a number
			numbers.add(it, ansCol+r)
		}
	}
	f.SetCellStyle(s, "B5", "B5", answer)
	if row > survey.HeaderRow {
		f.SetCellStyle(s, "B7", "E"+strconv.Itoa(row), wrap)
		f.SetCellStyle(s, "G7", "I"+strconv.Itoa(row), wrap)
		f.SetCellStyle(s, ansCol+"7", ansCol+strconv.Itoa(row), answer)
	}
	if len(yesno) > 0 {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = strings.Join(yesno, " ")
		if err := dv.SetDropList([]string{survey.Yes, survey.No}); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "入力エラー", "「はい」又は「いいえ」を選択してください。")
		f.AddDataValidation(s, dv)
	}
	for _, n := range numbers.list {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = strings.Join(n.cells, " ")
		if err := dv.SetRange(n.lo, n.hi, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween); err != nil {
			return fmt.Errorf("input rule %s: %w", dv.Sqref, err)
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "入力エラー", n.message)
		f.AddDataValidation(s, dv)
	}
	// The date the survey was filled in: a date from the first grant year on. Its rule only warns,
	// for a date typed as text (令和7年5月10日) stays text where the spreadsheet does not read it as
	// a date, and the reader takes it.
	dv := excelize.NewDataValidation(true)
	dv.Sqref = survey.CellFilledOn
	if err := dv.SetRange(excelSerial(2018, 4, 1), excelSerial(2100, 12, 31), excelize.DataValidationTypeDate, excelize.DataValidationOperatorBetween); err != nil {
		return fmt.Errorf("input rule %s: %w", dv.Sqref, err)
	}
	dv.SetError(excelize.DataValidationErrorStyleWarning, "入力の確認", "日付を入力してください（例：2025/5/10 又は 令和7年5月10日）。")
	f.AddDataValidation(s, dv)
	for i, w := range widths {
		col := f.colName(i + 1)
		f.SetColWidth(s, col, col, w)
	}
	f.SetPanes(s, &excelize.Panes{Freeze: true, YSplit: survey.HeaderRow, TopLeftCell: "A7", ActivePane: "bottomLeft"})
	f.ProtectSheet(s, &excelize.SheetProtectionOptions{
		SelectLockedCells: true, SelectUnlockedCells: true, FormatColumns: true, FormatRows: true,
	})
	return f.err
}

// numberRules groups the numeric answer cells by their allowed range, in the order items come.
type numberRules struct {
	list  []*numberRule
	index map[[2]float64]*numberRule
}

// numberRule is one input rule: a decimal from lo to hi, both allowed.
type numberRule struct {
	lo, hi  float64
	message string
	cells   []string
}

// add puts item it's answer cell under the rule of its range: the rulebook's min and max where it
// gives them (a percentage is 0 to 100 there), otherwise what the store holds (less than 10¹² in
// magnitude).
func (n *numberRules) add(it *indicators.Item, cell string) {
	limit := math.Nextafter(survey.MaxAnswerMagnitude, 0)
	lo, hi := -limit, limit
	if it.Rule.Min != nil {
		lo = *it.Rule.Min
	}
	if it.Rule.Max != nil {
		hi = *it.Rule.Max
	}
	if n.index == nil {
		n.index = map[[2]float64]*numberRule{}
	}
	k := [2]float64{lo, hi}
	r, ok := n.index[k]
	if !ok {
		msg := "数値を入力してください。"
		switch {
		case it.Rule.Min != nil && it.Rule.Max != nil:
			msg = fmt.Sprintf("%s～%s の数値を入力してください。", indicators.FormatPoints(lo), indicators.FormatPoints(hi))
		case it.Rule.Min != nil:
			msg = fmt.Sprintf("%s以上の数値を入力してください。", indicators.FormatPoints(lo))
		case it.Rule.Max != nil:
			msg = fmt.Sprintf("%s以下の数値を入力してください。", indicators.FormatPoints(hi))
		}
		r = &numberRule{lo: lo, hi: hi, message: msg}
		n.index[k] = r
		n.list = append(n.list, r)
	}
	r.cells = append(r.cells, cell)
}

// excelSerial is the spreadsheet's serial day number of a date (1900 date system).
func excelSerial(y int, m time.Month, d int) int {
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// colLetter returns the column letter of a survey header in template order.
func colLetter(header string) string {
	for i, h := range survey.Columns {
		if h == header {
			c, err := excelize.ColumnNumberToName(i + 1)
			if err != nil {
				panic(err) // a column of the fixed template
			}
			return c
		}
	}
	panic("unknown survey column " + header)
}
