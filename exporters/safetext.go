package exporters

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"
)

// safeText neutralises a text cell against formula injection, as OWASP advises for spreadsheets:
// a value that starts with = + - @, a tab or a carriage return — or with a character NFKC maps to
// one of = + - @, such as the full-width ＝ ＋ － ＠ — is prefixed with a single quote ', so that
// no spreadsheet (nor a CSV made from the sheet) takes it for a formula. A plain number written
// as text ("-5", "+2.5", "－１,２００") is left as it is: it cannot be a formula.
//
// Every string kofukin writes into a cell goes through it (see safeValue); kofukin's own fixed
// labels pass through unchanged.
func safeText(s string) string {
	if s == "" {
		return s
	}
	r, _ := utf8.DecodeRuneInString(s)
	if !formulaStart(r) || plainNumber(s) {
		return s
	}
	return "'" + s
}

// formulaStart reports whether a value starting with r could be read as a formula.
func formulaStart(r rune) bool {
	switch r {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	if r < utf8.RuneSelf {
		return false
	}
	n := norm.NFKC.String(string(r))
	return n != "" && strings.IndexByte("=+-@", n[0]) >= 0
}

var plainNumberRE = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:,[0-9]{3})*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?%?$`)

// plainNumber reports whether s, once NFKC-normalised (full-width digits and signs become ASCII),
// is a signed decimal number: digits with optional thousands separators, decimals, exponent and %.
func plainNumber(s string) bool {
	if len(s) > 64 {
		return false
	}
	return plainNumberRE.MatchString(norm.NFKC.String(s))
}

// safeValue applies safeText to a cell value that is a string, or an excelize.Cell holding one;
// any other value (numbers, nil) is returned as it is.
func safeValue(v any) any {
	switch x := v.(type) {
	case string:
		return safeText(x)
	case excelize.Cell:
		if s, ok := x.Value.(string); ok {
			x.Value = safeText(s)
		}
		return x
	case *excelize.Cell:
		if x != nil {
			if s, ok := x.Value.(string); ok {
				c := *x
				c.Value = safeText(s)
				return &c
			}
		}
	}
	return v
}

// safeRow applies safeValue to every value of a row, in place, and returns it.
func safeRow(row []any) []any {
	for i, v := range row {
		row[i] = safeValue(v)
	}
	return row
}

// UnquoteText undoes safeText for a value read back from a kofukin workbook (a reviewer's comment
// in a returned review workbook): a leading ' is removed when what follows is a value safeText
// would have quoted. Any other value is returned as it is.
func UnquoteText(s string) string {
	if rest, ok := strings.CutPrefix(s, "'"); ok && rest != "" && safeText(rest) == s {
		return rest
	}
	return s
}
