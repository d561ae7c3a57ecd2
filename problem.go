package kofukin

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
	ErrOutOfBounds     = "E021" // a cell or row outside the template's area, a malformed cell reference, or a file beyond a row/cell limit
	ErrStaleTemplate   = "E022" // the template's stamped rulebook hash is not the year's rulebook
	ErrInternal        = "E023" // the file could not be processed because of an internal error (used by pipeline when it recovers a panic)
	ErrClosed          = "E024" // submissions of the entity are closed: the deadline passed, or its prefecture confirmed the submission
	ErrNoAnswer        = "E025" // the survey holds no answer at all: every answer cell is blank
	WarnPrerequisite   = "W001" // a sub-item answered yes while its prerequisite is not (it will score 0)
	WarnNoRows         = "W002" // a CSV with its header and no data row: accepted as 0 rows
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

// IsWarning reports whether the problem is a warning (codes W…): worth a look, but the file is not
// refused for it.
func (p Problem) IsWarning() bool { return strings.HasPrefix(p.Code, "W") }

// SplitProblems separates the errors of ps (the file is refused for them, and they are what the
// submitter must fix) from its warnings, each in the order of ps.
func SplitProblems(ps []Problem) (errs, warns []Problem) {
	for _, p := range ps {
		if p.IsWarning() {
			warns = append(warns, p)
		} else {
			errs = append(errs, p)
		}
	}
	return errs, warns
}

// Place renders the problem's place as file:sheet!cell.
func (p Problem) Place() string {
	var b strings.Builder
	b.WriteString(p.File)
	sep := func() {
		if p.File != "" {
			b.WriteString(": ")
		}
	}
	if p.Sheet != "" {
		sep()
		b.WriteString(p.Sheet)
		if p.Cell != "" {
			b.WriteString("!")
			b.WriteString(p.Cell)
		}
	} else if p.Cell != "" {
		sep()
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
	file := r.File
	if file == "" {
		file = "file"
	}
	return fmt.Sprintf("%s: rejected with %d problem(s):\n  %s", file, len(r.Problems), strings.Join(lines, "\n  "))
}

// MaxProblems bounds the problems listed for one file. Ordinary mistakes never come near it; a
// wholly wrong or hostile file lists the first MaxProblems and one more problem (ErrOutOfBounds)
// saying that checking stopped there.
const MaxProblems = 1000
