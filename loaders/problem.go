// Package loaders reads what reporting bodies and the ministry send in (survey workbooks, outcome
// CSVs, reference data), normalises what people type and validates it against the rulebook. Every
// problem names its place (file, sheet, cell, item) with a stable code and a Japanese message.
// Loaders never touch the database.
package loaders

import (
	"fmt"
	"strings"
)

// Problem codes. They are stable: tools and people may match on them.
const (
	ErrNotWorkbook     = "E001" // not a readable .xlsx
	ErrSheetMissing    = "E002" // a required sheet is missing
	ErrStamp           = "E003" // the hidden stamp is missing or unreadable: not a kofukin template
	ErrFiscalYear      = "E004" // template of another fiscal year
	ErrLevel           = "E005" // template of another level
	ErrEntity          = "E006" // unknown entity code, or code and stamp disagree
	ErrHeader          = "E007" // the answer table's header was not found or changed
	ErrItemUnknown     = "E008" // a row names an item the rulebook does not have
	ErrItemDuplicate   = "E009" // an item appears twice
	ErrItemMissing     = "E010" // an item of the rulebook has no row
	ErrAnswerInvalid   = "E011" // the answer is not of the expected kind
	ErrAnswerRange     = "E012" // the number is outside the allowed range
	ErrRulebook        = "E013" // no rulebook for the stamped year/level
	ErrCSV             = "E014" // a CSV row is malformed
	ErrFileTooLarge    = "E015" // the upload is larger than allowed
	ErrTemplateChanged = "E016" // the template was edited outside the answer column
	ErrAnswerRequired  = "E017" // a required answer is blank
	ErrCodeAsDate      = "E018" // a code Excel turned into a date
	ErrDate            = "E019" // a date that cannot be read
	ErrTotal           = "E020" // counts that must add up do not
	WarnPrerequisite   = "W001" // a sub-item answered yes while its prerequisite is not (it will score 0)
)

// Problem is one thing wrong with a submitted file, with its place.
type Problem struct {
	Code      string `json:"code"`
	File      string `json:"file"`
	Sheet     string `json:"sheet,omitempty"`
	Cell      string `json:"cell,omitempty"`
	Item      string `json:"item,omitempty"`
	Expected  string `json:"expected,omitempty"`
	Found     string `json:"found,omitempty"`
	MessageJA string `json:"message_ja"`
	MessageEN string `json:"message_en"`
}

// Place renders the problem's place as file:sheet!cell.
func (p Problem) Place() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Sheet != "" {
		b.WriteString(": ")
		b.WriteString(p.Sheet)
		if p.Cell != "" {
			b.WriteString("!")
			b.WriteString(p.Cell)
		}
	} else if p.Cell != "" {
		b.WriteString(": ")
		b.WriteString(p.Cell)
	}
	return b.String()
}

// String renders the problem on one line, Japanese first.
func (p Problem) String() string {
	s := fmt.Sprintf("%s [%s] %s", p.Place(), p.Code, p.MessageJA)
	if p.Item != "" {
		s += "（項目 " + p.Item + "）"
	}
	return s + " / " + p.MessageEN
}

// Rejection is the error of a file that was refused: every problem found, none left out.
type Rejection struct {
	File     string
	Problems []Problem
}

func (r *Rejection) Error() string {
	lines := make([]string, len(r.Problems))
	for i, p := range r.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%s: rejected with %d problem(s):\n  %s", r.File, len(r.Problems), strings.Join(lines, "\n  "))
}
