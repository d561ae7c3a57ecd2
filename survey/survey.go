// Package survey defines the layout of the survey workbook (調査票) that reporting bodies fill in:
// its sheet names, header labels and stamp keys, shared by the template writer (exporters) and the
// reader (loaders) so that the two always agree.
package survey

import (
	"fmt"
	"strings"

	"github.com/kofukin/kofukin/indicators"
)

// Sheet names.
const (
	SheetGuide   = "記入要領"
	SheetAnswers = "回答"
	SheetStamp   = "_stamp" // hidden; key/value pairs in columns A and B
)

// Column headers of the answer table, found by text when reading.
const (
	ColItemID    = "項目ID"
	ColGoal      = "目標"
	ColIndicator = "指標"
	ColBranch    = "枝番"
	ColQuestion  = "設問"
	ColAnswer    = "回答"
	ColHow       = "回答方法"
	ColPoints    = "配点"
	ColNotes     = "留意点"
)

// Columns lists the answer table's headers in template order.
var Columns = []string{ColItemID, ColGoal, ColIndicator, ColBranch, ColQuestion, ColAnswer, ColHow, ColPoints, ColNotes}

// Labels of the entity block above the table (label in column A, value in column B).
const (
	LabelEntityCode = "団体コード"
	LabelEntityName = "団体名"
	LabelFiscalYear = "年度"
	LabelFilledOn   = "記入日"
)

// HeaderRow is the row of the answer table's header in templates (readers search for it).
const HeaderRow = 6

// Cells of the answer sheet's block above the table, as templates write them: the title (which
// names the level) and the fiscal year. Problems with the workbook as a whole (another year's or
// level's template) are located there, where the submitter can see them, rather than at the hidden
// stamp.
const (
	CellTitle      = "A1"
	CellFiscalYear = "B4"
	CellFilledOn   = "B5"
)

// MaxAnswerMagnitude bounds a numeric answer: the store keeps numbers as DECIMAL(18,6), which holds
// less than 10¹²; a larger number is out of range wherever it is read, and the template's input
// rules refuse it.
const MaxAnswerMagnitude = 1e12

// FiscalYearJA names fiscal year fy as officials write it: 2026 → 令和8年度, 2019 → 令和元年度,
// 2018 → 平成30年度.
func FiscalYearJA(fy int) string {
	switch {
	case fy == 2019:
		return "令和元年度"
	case fy > 2019:
		return fmt.Sprintf("令和%d年度", fy-2018)
	case fy == 1989:
		return "平成元年度"
	case fy > 1989:
		return fmt.Sprintf("平成%d年度", fy-1988)
	}
	return fmt.Sprintf("%d年度", fy)
}

// Stamp keys.
const (
	StampForm         = "form"
	StampFiscalYear   = "fiscal_year"
	StampLevel        = "level"
	StampRulebookHash = "rulebook_hash"
	StampEntityCode   = "entity_code"
	// FormName is the value of the form key: what the workbook is.
	FormName = "kofukin-survey/1"
)

// Yes and No are the answers written for yes/no items.
const (
	Yes = "はい"
	No  = "いいえ"
)

// HowToAnswer describes in Japanese the allowed answers of an item.
func HowToAnswer(it *indicators.Item) string {
	switch it.Rule.Type {
	case indicators.RuleYesNo:
		s := "「はい」又は「いいえ」を選択"
		if it.Blank == indicators.BlankNA {
			s += "（該当しない場合は空欄）"
		}
		return s
	case indicators.RuleChoice:
		opts := make([]string, len(it.Rule.Options))
		for i, o := range it.Rule.Options {
			opts[i] = "「" + o.Value + "」"
		}
		return "次から1つ選択：" + strings.Join(opts, "／")
	}
	s := "数値"
	if it.Unit != "" {
		s += "（単位：" + it.Unit + "）"
	}
	switch r := it.Rule; {
	case r.Min != nil && r.Max != nil:
		s += fmt.Sprintf("、%s～%s", indicators.FormatPoints(*r.Min), indicators.FormatPoints(*r.Max))
	case r.Min != nil:
		s += fmt.Sprintf("、%s以上", indicators.FormatPoints(*r.Min))
	}
	return s
}
