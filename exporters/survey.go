// Package exporters writes kofukin's workbooks: the survey template (調査票) generated from a
// rulebook, and the ministry's allocation workbook. Exporters never query the database: they are
// handed the rows to write, and they write the same bytes for the same rows. Every text cell they
// write is neutralised against formula injection (safeText), and the annotated copy of a rejected
// upload (Annotate) is bounded in bytes, rows, cells and time.
package exporters

import (
	"fmt"
	"io"
	"strconv"
	"strings"

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
		"3. 数値の設問は、単位を付けずに半角数字で記入してください（例：12.5）。割合は百分率（%）の値を記入します。",
		"4. 回答の対象期間は取組年度（" + strconv.Itoa(rb.ActionYear) + "年度）です。",
		"5. 目標Ⅳ（成果指標）など、国が算出する指標はこの調査票に含まれません。",
		"6. 提出後、誤りがあればセル番地と理由を示したエラー一覧が返されます。修正して再提出してください（再提出すると新しい版として受け付け、以前の版は履歴として残ります）。",
		"",
		"団体コード：" + e.Code + "　団体名：" + e.PrefectureName + e.Name,
		"評価指標の版：" + rb.Version + "（" + rb.Hash[:12] + "）",
		"",
		"出典・注記：" + rb.Provenance,
	}
	for i, l := range lines {
		f.SetCellStr(s, fmt.Sprintf("A%d", i+1), safeText(l))
	}
	f.SetColWidth(s, "A", "A", 120)
	return f.err
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
	var yesno []string
	row := survey.HeaderRow
	for _, it := range rb.SelfItems() {
		row++
		ind, _ := rb.Indicator(it.Indicator)
		goal, _ := rb.Goal(ind.Goal)
		r := strconv.Itoa(row)
		vals := []any{it.ID, goal.Label, ind.No + " " + ind.Name, it.Branch, it.Question, nil, survey.HowToAnswer(it), it.Points, ind.Notes}
		for i, v := range vals {
			if v == nil {
				continue
			}
			f.SetCellValue(s, f.cellName(i+1, row), safeValue(v))
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
		}
	}
	f.SetCellStyle(s, "B5", "B5", answer)
	if row > survey.HeaderRow {
		f.SetCellStyle(s, "C7", "E"+strconv.Itoa(row), wrap)
		f.SetCellStyle(s, "I7", "I"+strconv.Itoa(row), wrap)
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
	for i, w := range []float64{12, 14, 36, 6, 60, 14, 26, 6, 40} {
		col := f.colName(i + 1)
		f.SetColWidth(s, col, col, w)
	}
	f.SetPanes(s, &excelize.Panes{Freeze: true, YSplit: survey.HeaderRow, TopLeftCell: "A7", ActivePane: "bottomLeft"})
	f.ProtectSheet(s, &excelize.SheetProtectionOptions{
		SelectLockedCells: true, SelectUnlockedCells: true, FormatColumns: true, FormatRows: true,
	})
	return f.err
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
