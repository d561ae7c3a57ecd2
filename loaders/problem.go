// Package loaders reads what reporting bodies and the ministry send in (survey workbooks, outcome
// CSVs, reference data), normalises what people type and validates it against the rulebook. Every
// problem names its place (file, sheet, cell, item) with a stable code and a Japanese message.
// Loaders never touch the database.
package loaders

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kofukin/kofukin"
)

// Problem codes and the Problem type are the root package's (kofukin.Problem): loaders produces
// them; these aliases keep loaders' callers' names.
const (
	ErrNotWorkbook     = kofukin.ErrNotWorkbook
	ErrSheetMissing    = kofukin.ErrSheetMissing
	ErrStamp           = kofukin.ErrStamp
	ErrFiscalYear      = kofukin.ErrFiscalYear
	ErrLevel           = kofukin.ErrLevel
	ErrEntity          = kofukin.ErrEntity
	ErrHeader          = kofukin.ErrHeader
	ErrItemUnknown     = kofukin.ErrItemUnknown
	ErrItemDuplicate   = kofukin.ErrItemDuplicate
	ErrItemMissing     = kofukin.ErrItemMissing
	ErrAnswerInvalid   = kofukin.ErrAnswerInvalid
	ErrAnswerRange     = kofukin.ErrAnswerRange
	ErrRulebook        = kofukin.ErrRulebook
	ErrCSV             = kofukin.ErrCSV
	ErrFileTooLarge    = kofukin.ErrFileTooLarge
	ErrTemplateChanged = kofukin.ErrTemplateChanged
	ErrAnswerRequired  = kofukin.ErrAnswerRequired
	ErrCodeAsDate      = kofukin.ErrCodeAsDate
	ErrDate            = kofukin.ErrDate
	ErrTotal           = kofukin.ErrTotal
	ErrOutOfBounds     = kofukin.ErrOutOfBounds
	ErrStaleTemplate   = kofukin.ErrStaleTemplate
	ErrInternal        = kofukin.ErrInternal
	ErrClosed          = kofukin.ErrClosed
	ErrNoAnswer        = kofukin.ErrNoAnswer
	WarnPrerequisite   = kofukin.WarnPrerequisite
	WarnNoRows         = kofukin.WarnNoRows
)

// Problem is kofukin.Problem: one thing wrong with a submitted file, with its place.
type Problem = kofukin.Problem

// Rejection is kofukin.Rejection: the error of a refused file with every problem found.
type Rejection = kofukin.Rejection

// MaxProblems is kofukin.MaxProblems.
const MaxProblems = kofukin.MaxProblems

// NoRowsWarning is the note on a CSV that holds its header and no data row (a header-only list: no
// outcome values, unions or needs this year). It is accepted as 0 rows; the note says so, at the
// line where the first data row would be.
func NoRowsWarning(file string) Problem {
	return Problem{Code: WarnNoRows, File: file, Cell: "2行目", Expected: "1行以上", Found: "0行",
		MessageJA: "データ行がありません（0行）。見出し行だけのファイルとして受け付けました（読み込んだ値はありません）。",
		MessageEN: "no data rows (0 rows): accepted as a header-only file; nothing was read from it"}
}

// problemList collects the problems of one file, each given the file's name, up to MaxProblems.
type problemList struct {
	file string
	list []Problem
	full bool // MaxProblems reached: checking should stop
}

func (l *problemList) add(p Problem) {
	if l.full {
		return
	}
	if p.File == "" {
		p.File = l.file
	}
	if len(l.list) >= MaxProblems {
		l.full = true
		l.list = append(l.list, Problem{Code: ErrOutOfBounds, File: l.file, Expected: fmt.Sprintf("%d件以下", MaxProblems), Found: fmt.Sprintf("%d件超", MaxProblems),
			MessageJA: fmt.Sprintf("問題が%d件を超えたため、これ以降の確認を中止しました。ファイル全体を見直してください。", MaxProblems),
			MessageEN: fmt.Sprintf("more than %d problems: checking stopped there; review the whole file", MaxProblems)})
		return
	}
	l.list = append(l.list, p)
}

func (l *problemList) addAll(ps []Problem) {
	for _, p := range ps {
		l.add(p)
	}
}

func (l *problemList) rejection() error { return &Rejection{File: l.file, Problems: l.list} }

// clip shortens text quoted from a file for a message: at most 100 characters, invalid UTF-8
// replaced, so that a problem stays small whatever the file holds.
func clip(s string) string {
	const max = 100
	if len(s) <= max && utf8.ValidString(s) {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return strings.ToValidUTF8(s[:i], "\uFFFD") + "…"
		}
		n++
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
