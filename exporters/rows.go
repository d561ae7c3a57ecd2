package exporters

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// sheetRows are rows of a sheet written as worksheet XML by kofukin, byte for byte as excelize's
// stream writer (StreamWriter.SetRow) writes the same values — inline strings escaped and
// trimmed as excelize does (cellText), numbers as strconv 'f' -1 — for a sheet of hundreds of
// thousands of cells (「回答と得点」), where SetRow's reflection, cell names and allocations cost
// more than the rest of the workbook. The sheet itself (its columns, panes, filter, print setup
// and any rows before these) is made by excelize; save splices these rows into the sheet's part
// before </sheetData> (book.spliceRows). Rows started by book.sharedRows write their texts as
// indexes into the workbook's shared string table instead of inline (sharedstrings.go).
type sheetRows struct {
	buf               bytes.Buffer
	row, col          int // the current row (0 before the first) and the next cell's column
	firstRow, lastRow int
	lastCol           int
	rowName           string   // the current row's number, as cell names end
	colNames          []string // column letters by column (1-based), made once
	num               []byte   // scratch for numbers
	// sst, when set, is the workbook's table the texts go into (book.sharedRows): a text cell is
	// written as an index (t="s"), renumbered by save.
	sst *sharedStrings
}

// cellText is a string as a cell's inline text: its XML (escaped) and whether it keeps its
// spaces (xml:space="preserve").
type cellText struct {
	xml      string
	preserve bool
}

// textOf is s, neutralised against formula injection (safeText), as inline cell text.
func textOf(s string) cellText {
	x, p := inlineText(safeText(s))
	return cellText{x, p}
}

// startRow starts row r (1-based), which must come after the rows written so far.
func (w *sheetRows) startRow(r int) error { return w.startRowHeight(r, 0) }

// startRowHeight starts row r as startRow does, with a custom height in points (0: the default).
func (w *sheetRows) startRowHeight(r int, ht float64) error {
	if r <= w.row {
		return fmt.Errorf("row %d after row %d", r, w.row)
	}
	if w.row == 0 {
		w.firstRow = r
	}
	w.row, w.lastRow, w.col = r, r, 1
	w.rowName = strconv.Itoa(r)
	w.buf.WriteString(`<row r="`)
	w.buf.WriteString(w.rowName)
	if ht == 0 {
		w.buf.WriteString(`">`)
		return nil
	}
	w.buf.WriteString(`" ht="`)
	w.buf.WriteString(strconv.FormatFloat(ht, 'f', -1, 64))
	w.buf.WriteString(`" customHeight="1">`)
	return nil
}

// endRow ends the current row.
func (w *sheetRows) endRow() { w.buf.WriteString(`</row>`) }

// open writes a cell's start tag (t: its type, "" for a number).
func (w *sheetRows) open(style int, t string) {
	w.lastCol = max(w.lastCol, w.col)
	for len(w.colNames) <= w.col {
		w.colNames = append(w.colNames, colLetters(len(w.colNames)))
	}
	w.buf.WriteString(`<c r="`)
	w.buf.WriteString(w.colNames[w.col])
	w.buf.WriteString(w.rowName)
	w.buf.WriteByte('"')
	if style != 0 {
		w.buf.WriteString(` s="`)
		w.num = strconv.AppendInt(w.num[:0], int64(style), 10)
		w.buf.Write(w.num)
		w.buf.WriteByte('"')
	}
	if t != "" {
		w.buf.WriteString(` t="`)
		w.buf.WriteString(t)
		w.buf.WriteByte('"')
	}
	w.buf.WriteByte('>')
	w.col++
}

// text writes a text cell already made inline text.
func (w *sheetRows) text(style int, t cellText) {
	if w.sst != nil {
		w.open(style, "s")
		w.buf.WriteString(`<v>`)
		w.buf.WriteByte(sharedMark)
		w.num = strconv.AppendInt(w.num[:0], int64(w.sst.add(t)), 10)
		w.buf.Write(w.num)
		w.buf.WriteString(`</v></c>`)
		return
	}
	w.open(style, "inlineStr")
	if t.preserve {
		w.buf.WriteString(`<is><t xml:space="preserve">`)
	} else {
		w.buf.WriteString(`<is><t>`)
	}
	w.buf.WriteString(t.xml)
	w.buf.WriteString(`</t></is></c>`)
}

// str writes a text cell (safeText applied).
func (w *sheetRows) str(style int, s string) { w.text(style, textOf(s)) }

// number writes a number cell, as excelize writes a float64 (NaN and infinities as text).
func (w *sheetRows) number(style int, x float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		t, p := inlineText(fmt.Sprint(x))
		w.text(style, cellText{t, p})
		return
	}
	w.open(style, "")
	w.buf.WriteString(`<v>`)
	w.num = strconv.AppendFloat(w.num[:0], x, 'f', -1, 64)
	w.buf.Write(w.num)
	w.buf.WriteString(`</v></c>`)
}

// cells writes row r (a custom height ht in points, 0 for the default) with the given cells —
// string (safeText applied), float64, int64, or nil for an empty cell — each with its style
// (styles shorter than cells: 0).
func (w *sheetRows) cells(r int, ht float64, styles []int, cells ...any) error {
	if err := w.startRowHeight(r, ht); err != nil {
		return err
	}
	for k, c := range cells {
		style := 0
		if k < len(styles) {
			style = styles[k]
		}
		switch x := c.(type) {
		case nil:
			w.col++
		case string:
			w.str(style, x)
		case float64:
			w.number(style, x)
		case int64:
			w.number(style, float64(x))
		default:
			return fmt.Errorf("row %d: a cell of type %T", r, c)
		}
	}
	w.endRow()
	return nil
}

// value writes a float64 as a number and a string as text (answerValue's results).
func (w *sheetRows) value(style int, v any) error {
	switch x := v.(type) {
	case float64:
		w.number(style, x)
	case string:
		w.str(style, x)
	default:
		return fmt.Errorf("cell value of type %T", v)
	}
	return nil
}

// inlineText is what excelize makes of a string written into a cell as an inline string
// (xlsxC.setInlineStr → trimCellValue(value, true)): cut to excelize.TotalCellChars UTF-16
// units, xml:space="preserve" when it starts or ends with a tab, newline, carriage return or
// space, escaped by encoding/xml with newlines kept, and excelize's _xHHHH_ escaping (bstrMarshal).
func inlineText(s string) (string, bool) {
	if len(s) > excelize.TotalCellChars { // fewer bytes cannot make more UTF-16 units
		s = truncateUTF16(s, excelize.TotalCellChars)
	}
	preserve := false
	if s != "" {
		for _, c := range []byte{'\t', '\n', '\r', ' '} {
			if s[0] == c || s[len(s)-1] == c {
				preserve = true
				break
			}
		}
		if needsEscape(s) {
			var b strings.Builder
			if err := xml.EscapeText(&b, []byte(s)); err == nil { // a strings.Builder never fails
				s = strings.ReplaceAll(b.String(), "&#xA;", "\n")
			}
		}
	}
	if strings.Contains(s, "_x") {
		s = bstrMarshal(s)
	}
	return s, preserve
}

// needsEscape reports whether xml.EscapeText would change s.
func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\'' || c == '&' || c == '<' || c == '>' || c < 0x20:
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !(r >= 0x80 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return true
		}
		i += n
	}
	return false
}

// truncateUTF16 cuts s to at most n UTF-16 code units, at a rune (excelize's truncateUTF16Units).
func truncateUTF16(s string, n int) string {
	k := 0
	for i, r := range s {
		if k += utf16.RuneLen(r); k > n {
			return s[:i]
		}
	}
	return s
}

var (
	bstrExp       = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)
	bstrEscapeExp = regexp.MustCompile(`x[a-fA-F\d]{4}_`)
)

// bstrMarshal escapes the text that Office would read as an _xHHHH_ escape, as excelize does
// (its lib.go bstrMarshal, copied: excelize does not export it).
func bstrMarshal(s string) (result string) {
	matches, l, cursor := bstrExp.FindAllStringSubmatchIndex(s, -1), len(s), 0
	for _, match := range matches {
		result += s[cursor:match[0]]
		subStr := s[match[0]:match[1]]
		if subStr == "_x005F_" {
			cursor = match[1]
			if match[1]+6 <= l && bstrEscapeExp.MatchString(s[match[1]:match[1]+6]) {
				_, err := strconv.Unquote(`"\u` + s[match[1]+1:match[1]+5] + `"`)
				if err == nil {
					result += subStr + "x005F" + subStr
					continue
				}
			}
			result += subStr + "x005F_"
			continue
		}
		if bstrExp.MatchString(subStr) {
			cursor = match[1]
			if _, err := strconv.Unquote(`"\u` + s[match[0]+2:match[1]-1] + `"`); err == nil {
				result += "_x005F" + subStr
				continue
			}
		}
	}
	if cursor < l {
		result += s[cursor:]
	}
	return result
}
