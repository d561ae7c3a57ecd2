package exporters_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/survey"
)

// template writes the shipped rulebook's template for fy and level and opens it.
func template(t *testing.T, fy int, level indicators.Level) (*indicators.Rulebook, *excelize.File) {
	t.Helper()
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := lib.Get(fy, level)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := exporters.WriteSurvey(&b, rb, exporters.SurveyEntity{Code: "312011", PrefectureName: "鳥取県", Name: "鳥取市"}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return rb, f
}

// shippedTemplates are the rulebooks a template is made for.
var shippedTemplates = []struct {
	fy    int
	level indicators.Level
}{{2023, indicators.Municipality}, {2024, indicators.Municipality}, {2025, indicators.Municipality}, {2026, indicators.Municipality},
	{2026, indicators.Prefecture}, {2026, indicators.Centre}}

// Every answer cell of the template has an input rule: a drop-down for はい／いいえ and choices, and
// for a number the rulebook's range (a percentage 0 to 100), so that a % cell refuses 150 before the
// file is ever sent; the 記入日 cell takes a date.
func TestSurveyInputRules(t *testing.T) {
	for _, c := range shippedTemplates {
		t.Run(fmt.Sprintf("%d %s", c.fy, c.level), func(t *testing.T) {
			rb, f := template(t, c.fy, c.level)
			dvs, err := f.GetDataValidations(survey.SheetAnswers)
			if err != nil {
				t.Fatal(err)
			}
			rules := map[string]*excelize.DataValidation{}
			for _, dv := range dvs {
				for _, cell := range strings.Fields(dv.Sqref) {
					if rules[cell] != nil {
						t.Errorf("%s has two input rules", cell)
					}
					rules[cell] = dv
				}
			}
			row := survey.HeaderRow
			for _, it := range rb.SelfItems() {
				row++
				cell := "F" + strconv.Itoa(row)
				dv := rules[cell]
				if dv == nil {
					t.Errorf("%s (%s, %s): no input rule", cell, it.ID, it.Rule.Type)
					continue
				}
				if dv.ShowErrorMessage != true || dv.ErrorStyle == nil || *dv.ErrorStyle != "stop" || !utf8.ValidString(*dv.Error) || *dv.Error == "" {
					t.Errorf("%s: the rule does not stop a wrong value with a message: %+v", cell, dv)
				}
				switch it.Rule.Type {
				case indicators.RuleYesNo:
					if dv.Type != "list" || dv.Formula1 != `"はい,いいえ"` {
						t.Errorf("%s (%s): %s %q", cell, it.ID, dv.Type, dv.Formula1)
					}
				case indicators.RuleChoice:
					if dv.Type != "list" || !strings.Contains(dv.Formula1, it.Rule.Options[0].Value) {
						t.Errorf("%s (%s): %s %q", cell, it.ID, dv.Type, dv.Formula1)
					}
				default:
					if dv.Type != "decimal" || dv.Operator != "between" {
						t.Errorf("%s (%s): %s %s, want decimal between", cell, it.ID, dv.Type, dv.Operator)
						continue
					}
					lo, err1 := strconv.ParseFloat(dv.Formula1, 64)
					hi, err2 := strconv.ParseFloat(dv.Formula2, 64)
					if err1 != nil || err2 != nil {
						t.Errorf("%s: bounds %q %q", cell, dv.Formula1, dv.Formula2)
						continue
					}
					if it.Rule.Min != nil && lo != *it.Rule.Min || it.Rule.Max != nil && hi != *it.Rule.Max {
						t.Errorf("%s (%s): %v–%v, rulebook %v–%v", cell, it.ID, lo, hi, it.Rule.Min, it.Rule.Max)
					}
					if it.Unit == "%" && (lo < 0 || hi > 100) {
						t.Errorf("%s (%s): a percentage takes %v–%v", cell, it.ID, lo, hi)
					}
					if hi >= survey.MaxAnswerMagnitude || lo <= -survey.MaxAnswerMagnitude {
						t.Errorf("%s (%s): %v–%v takes numbers the store cannot hold", cell, it.ID, lo, hi)
					}
					if it.Unit == "%" && !strings.Contains(*dv.Error, "0～100") {
						t.Errorf("%s (%s): message %q", cell, it.ID, *dv.Error)
					}
				}
			}
			if dv := rules[survey.CellFilledOn]; dv == nil || dv.Type != "date" {
				t.Errorf("記入日 %s: rule %+v, want a date", survey.CellFilledOn, dv)
			}
		})
	}
}

// Long text (設問, 指標, 回答方法, 留意点) wraps, and its row is tall enough for its lines: nothing is
// clipped, in the answer sheet or the 記入要領.
func TestSurveyWrapsLongText(t *testing.T) {
	_, f := template(t, 2026, indicators.Municipality)
	rows, err := f.GetRows(survey.SheetAnswers)
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string]string{"C": survey.ColIndicator, "E": survey.ColQuestion, "G": survey.ColHow, "I": survey.ColNotes}
	tall := 0
	for r := survey.HeaderRow + 1; r <= len(rows); r++ {
		h, err := f.GetRowHeight(survey.SheetAnswers, r)
		if err != nil {
			t.Fatal(err)
		}
		for col, name := range cols {
			cell := col + strconv.Itoa(r)
			v, _ := f.GetCellValue(survey.SheetAnswers, cell)
			if v == "" {
				continue
			}
			if !wraps(t, f, survey.SheetAnswers, cell) {
				t.Errorf("%s (%s) does not wrap", cell, name)
			}
			w, _ := f.GetColWidth(survey.SheetAnswers, col)
			if need := float64(displayWidth(v))/w*15 - 15; h < need {
				t.Errorf("row %d is %.0f pt, too short for %s (%s, %d columns in a %.0f-wide column): %q", r, h, cell, name, displayWidth(v), w, v)
			}
		}
		if h > 20 {
			tall++
		}
	}
	if tall == 0 {
		t.Error("no row is taller than one line")
	}
	guide, _ := f.GetRows(survey.SheetGuide)
	for r, row := range guide {
		if len(row) == 0 || displayWidth(row[0]) <= 120 {
			continue
		}
		cell := "A" + strconv.Itoa(r+1)
		h, _ := f.GetRowHeight(survey.SheetGuide, r+1)
		if !wraps(t, f, survey.SheetGuide, cell) || h < 30 {
			t.Errorf("記入要領 %s (%d columns) wraps %v in %.0f pt", cell, displayWidth(row[0]), wraps(t, f, survey.SheetGuide, cell), h)
		}
	}
}

func wraps(t *testing.T, f *excelize.File, sheet, cell string) bool {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st.Alignment != nil && st.Alignment.WrapText
}

// displayWidth counts a wide (Japanese) character as two columns.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x2E80 {
			n++
		}
	}
	return n
}

// The template speaks to the official filling it in: no file of kofukin's sources, no English
// internals.
func TestSurveyGuideHasNoInternalReferences(t *testing.T) {
	path := regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_.-]*/[A-Za-z0-9_./-]*[A-Za-z]|\.md\b|\.json\b|\bFY\d{4}`)
	for _, c := range shippedTemplates {
		_, f := template(t, c.fy, c.level)
		for _, sheet := range []string{survey.SheetGuide, survey.SheetAnswers} {
			rows, err := f.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			for r, row := range rows {
				for i, v := range row {
					if m := path.FindString(v); m != "" {
						cell, _ := excelize.CoordinatesToCellName(i+1, r+1)
						t.Errorf("%d %s %s!%s names %q: %q", c.fy, c.level, sheet, cell, m, v)
					}
				}
			}
		}
		if c.fy == 2026 && c.level == indicators.Municipality {
			note, _ := f.GetCellValue(survey.SheetGuide, "A14")
			if !strings.HasPrefix(note, "出典・注記：") || !strings.Contains(note, "公表資料の分析による。") {
				t.Errorf("the provenance note lost more than its internal reference: %q", note)
			}
		}
	}
}
