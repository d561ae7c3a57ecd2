package loaders

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
)

// A small, fast reader of the SpreadsheetML a survey workbook is made of: the zip, the workbook's
// sheet list, shared strings (without the phonetic runs Japanese Excel adds) and the cells of a
// sheet, in one pass over each part with no DOM. It reads what Excel, LibreOffice and excelize write;
// excelize stays the writer. It exists because ingest must read thousands of workbooks a second
// (see README "Performance"), which a general reader does not.
//
// Every upload may be hostile, so everything is bounded before it is allocated: the number of zip
// entries, each part and all parts together once inflated, the shared strings, styles and
// relationships kept, and for each sheet the area whose cells are kept (a non-empty cell outside it
// is a located problem, an empty one is skipped without allocating). Only the five predefined XML
// entities and numeric references are decoded; a part carrying a DTD is refused, so no entity is
// ever expanded.

// Limits of the workbook reader, besides MaxFileSize and MaxUnzipXMLSize.
const (
	MaxUnzipTotal = 64 << 20 // all the parts read from one workbook together, once inflated
	MaxZipEntries = 10000    // entries of the zip; a workbook has a few dozen
)

const (
	excelMaxRow   = 1048576 // Excel's last row
	excelMaxCol   = 16384   // Excel's last column, XFD
	maxCellChars  = 32767   // characters Excel lets a cell hold
	maxShared     = 1 << 20 // shared strings kept
	maxStyles     = 65536   // cell formats kept (Excel allows about 64,000)
	maxRelsSheets = MaxZipEntries
)

// xlsxBook is an opened workbook.
type xlsxBook struct {
	files        map[string]*zip.File
	sheets       map[string]string // sheet name → part path
	shared       []string
	styles       []int // cellXfs index → numFmtId
	fmts         map[int]string
	stylesPart   string
	parsedStyles bool
	limit        int64 // bytes any one part may inflate to
	used         int64 // bytes inflated so far, all parts together
}

// xlsxCell is one cell: its row and column (1-based), its text (shared strings resolved, numbers
// as written), whether it holds a number, and its style index.
type xlsxCell struct {
	Row, Col int
	Text     string
	Number   bool
	Style    int
}

// Ref renders the cell's reference, e.g. F12.
func (c xlsxCell) Ref() string { return colName(c.Col) + strconv.Itoa(c.Row) }

var (
	errNotXLSX      = errors.New("not an xlsx workbook")
	errTooManyParts = fmt.Errorf("more than %d zip entries", MaxZipEntries)
	errPartTooLarge = fmt.Errorf("inflates to more than %d bytes", MaxUnzipXMLSize)
	errTotalTooBig  = fmt.Errorf("the parts read inflate to more than %d bytes together", MaxUnzipTotal)
	errDTD          = errors.New("carries a document type definition (<!DOCTYPE>), which workbooks never have")
	errPartMissing  = errors.New("is missing")
	errSheetMissing = errors.New("sheet is missing")
)

// partError is a part of the workbook that could not be read.
type partError struct {
	part string
	err  error
}

func (e *partError) Error() string { return "part " + e.part + " " + e.err.Error() }
func (e *partError) Unwrap() error { return e.err }

var zipDirSignature = []byte("PK\x01\x02")

// openXLSX opens a workbook held in memory. limit bounds the uncompressed size of any part read.
func openXLSX(data []byte, limit int64) (*xlsxBook, error) {
	// Every entry the zip reader would list starts with a central-directory signature: counting
	// them bounds, before anything is allocated, what a directory of 100,000 entries would cost.
	if bytes.Count(data, zipDirSignature) > MaxZipEntries {
		return nil, fmt.Errorf("%w: %w", errNotXLSX, errTooManyParts)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotXLSX, err)
	}
	zr.RegisterDecompressor(zip.Deflate, inflater)
	if len(zr.File) > MaxZipEntries {
		return nil, fmt.Errorf("%w: %w", errNotXLSX, errTooManyParts)
	}
	if limit <= 0 || limit > MaxUnzipXMLSize {
		limit = MaxUnzipXMLSize
	}
	b := &xlsxBook{files: make(map[string]*zip.File, len(zr.File)), sheets: map[string]string{}, limit: limit}
	for _, f := range zr.File {
		b.files[strings.TrimPrefix(f.Name, "/")] = f
	}
	wbPath := "xl/workbook.xml"
	if rels, err := b.part("_rels/.rels"); err == nil {
		for _, r := range relationships(rels) {
			if strings.HasSuffix(r.typ, "/officeDocument") {
				wbPath = strings.TrimPrefix(r.target, "/")
			}
		}
	} else if !errors.Is(err, errPartMissing) {
		return nil, err
	}
	wb, err := b.part(wbPath)
	if err != nil {
		if errors.Is(err, errPartMissing) {
			return nil, fmt.Errorf("%w: %v", errNotXLSX, err)
		}
		return nil, err
	}
	dir := path.Dir(wbPath)
	targets := map[string]string{}
	rels, err := b.part(path.Join(dir, "_rels", path.Base(wbPath)+".rels"))
	if err != nil && !errors.Is(err, errPartMissing) {
		return nil, err
	}
	for _, r := range relationships(rels) {
		t := r.target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join(dir, t)
		}
		targets[r.id] = t
		switch {
		case strings.HasSuffix(r.typ, "/sharedStrings"):
			ss, err := b.part(t)
			if err != nil {
				return nil, err
			}
			if b.shared, err = sharedStrings(ss); err != nil {
				return nil, &partError{part: t, err: err}
			}
		case strings.HasSuffix(r.typ, "/styles"):
			b.stylesPart = t
		}
	}
	scanTags(wb, func(name string, attrs []byte, _ bool, _ int) bool {
		if name == "sheet" {
			if t, ok := targets[attr(attrs, "id")]; ok {
				b.sheets[xmlUnescape(attr(attrs, "name"))] = t
			}
		}
		return len(b.sheets) < maxRelsSheets
	})
	return b, nil
}

// part returns the bytes of a part, refusing parts larger than the limit, parts that would take
// the workbook's inflated total beyond MaxUnzipTotal, corrupt parts (a zip entry that inflates to
// more or less than its directory says is corrupt) and parts with a DTD.
func (b *xlsxBook) part(name string) ([]byte, error) {
	f, ok := b.files[name]
	if !ok {
		return nil, &partError{part: name, err: errPartMissing}
	}
	if f.UncompressedSize64 > uint64(b.limit) {
		return nil, &partError{part: name, err: errPartTooLarge}
	}
	if uint64(b.used)+f.UncompressedSize64 > MaxUnzipTotal {
		return nil, &partError{part: name, err: errTotalTooBig}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, &partError{part: name, err: err}
	}
	defer rc.Close()
	room := min(b.limit, MaxUnzipTotal-b.used)
	// The directory's size is only a hint: never allocate more than the compressed bytes could
	// inflate to (deflate expands at most 1,032 times).
	// One byte more than the part holds, so that reading to its end (the EOF probe of ReadAllInto)
	// needs no larger buffer.
	hint := min(f.UncompressedSize64, f.CompressedSize64*1032+512, uint64(room)) + 1
	buf, err := ReadAllInto(make([]byte, 0, hint), io.LimitReader(rc, room+1))
	b.used += int64(len(buf))
	if err != nil {
		return nil, &partError{part: name, err: err}
	}
	if int64(len(buf)) > room {
		if room < b.limit {
			return nil, &partError{part: name, err: errTotalTooBig}
		}
		return nil, &partError{part: name, err: errPartTooLarge}
	}
	if bytes.Contains(buf, []byte("<!DOCTYPE")) {
		return nil, &partError{part: name, err: errDTD}
	}
	return buf, nil
}

// inflater is the workbook reader's deflate decompressor: klauspost/compress's, which inflated the
// parts of a national fixture workbook about three times as fast as compress/flate when measured
// (issue 13), fed through a bufio.Reader of our own (else it makes a new one for every part). Both
// are kept in pools. archive/zip still checks each part's size and CRC-32 as it reads. One
// difference: a deflate stream cut off exactly at a block boundary, whose data is all there (size
// and CRC-32 match the directory), is read, where compress/flate says "unexpected EOF"; a stream
// cut anywhere else, or missing data, is refused as before.
func inflater(r io.Reader) io.ReadCloser {
	br, _ := bufReaders.Get().(*bufio.Reader)
	if br == nil {
		br = bufio.NewReaderSize(r, 4096)
	} else {
		br.Reset(r)
	}
	if fr, ok := flateReaders.Get().(io.ReadCloser); ok {
		if err := fr.(flate.Resetter).Reset(br, nil); err == nil {
			return &pooledInflater{ReadCloser: fr, fr: fr, br: br}
		}
	}
	fr := flate.NewReader(br)
	return &pooledInflater{ReadCloser: fr, fr: fr, br: br}
}

var flateReaders, bufReaders sync.Pool

// pooledInflater reads through the flate reader it embeds until closed, and then reads nothing
// (the flate reader is back in the pool, another part's).
type pooledInflater struct {
	io.ReadCloser
	fr io.ReadCloser
	br *bufio.Reader
}

// Close puts the readers back in their pools (once).
func (p *pooledInflater) Close() error {
	if p.fr == nil {
		return nil
	}
	err := p.fr.Close()
	p.br.Reset(nil)
	flateReaders.Put(p.fr)
	bufReaders.Put(p.br)
	p.ReadCloser, p.fr, p.br = closedPart, nil, nil
	return err
}

// closedPart is what a closed part reads: nothing (io.EOF), which archive/zip reports as a part
// cut short.
var closedPart = io.NopCloser(bytes.NewReader(nil))

// ReadAllInto is io.ReadAll appending to buf: given a buffer of the size to come and one byte more,
// it reads to the end without growing it (io.ReadAll and bytes.Buffer.ReadFrom grow theirs).
func ReadAllInto(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// hasSheet reports whether the workbook has a sheet of that name.
func (b *xlsxBook) hasSheet(name string) bool { _, ok := b.sheets[name]; return ok }

// sheetArea bounds the reading of one sheet: the cells kept are those of columns 1..Cols and rows
// 1..Rows (a non-empty cell outside is a problem); reading stops once MaxCells cells or MaxText
// bytes of text are kept, or MaxIssues problems are found.
type sheetArea struct {
	Cols, Rows int
	MaxCells   int
	MaxText    int
	MaxIssues  int
}

// sheetRow is one row of a sheet: the texts of its cells by column (0 = A), with whether each
// held a number and its style.
type sheetRow struct {
	row     int
	cols    []string
	numeric []bool
	styles  []int
}

// sheetData is what was read of a sheet: the non-empty rows of its area in file order, and the
// problems found (code ErrOutOfBounds, file left for the caller). stopped says reading stopped at a
// limit, so the rows may be incomplete.
type sheetData struct {
	rows     []sheetRow
	problems []Problem
	stopped  bool
}

// readSheet reads the cells of a sheet within area. An error says the sheet is missing or cannot
// be read at all (a *partError for its part).
func (b *xlsxBook) readSheet(sheet string, area sheetArea) (*sheetData, error) {
	p, ok := b.sheets[sheet]
	if !ok {
		return nil, errSheetMissing
	}
	data, err := b.part(p)
	if err != nil {
		return nil, err
	}
	sd := &sheetData{}
	last := colName(area.Cols) + strconv.Itoa(area.Rows)
	stop := func(cell, ja, en string) {
		sd.stopped = true
		sd.problems = append(sd.problems, Problem{Code: ErrOutOfBounds, Sheet: sheet, Cell: cell, MessageJA: ja, MessageEN: en})
	}
	// issue records one problem; false once there are too many to go on.
	issue := func(p Problem) bool {
		p.Code, p.Sheet = ErrOutOfBounds, sheet
		sd.problems = append(sd.problems, p)
		if len(sd.problems) >= area.MaxIssues {
			stop(p.Cell, fmt.Sprintf("「%s」シートに範囲外又は不正なセルが%d件あるため、これ以降は読み込みませんでした。様式の範囲（A1:%s）の外の内容を削除してください。", sheet, area.MaxIssues, last),
				fmt.Sprintf("%d cells of sheet %s are outside A1:%s or malformed: reading stopped there", area.MaxIssues, sheet, last))
			return false
		}
		return true
	}
	kept, text := 0, 0
	ar := rowArena{rows: &sd.rows}
	row, col, rowOK := 0, 0, true
	pos := 0
	for pos < len(data) {
		lt := bytes.IndexByte(data[pos:], '<')
		if lt < 0 {
			break
		}
		pos += lt
		if pos+1 < len(data) && (data[pos+1] == '?' || data[pos+1] == '!') {
			gt := bytes.IndexByte(data[pos:], '>')
			if gt < 0 {
				break
			}
			pos += gt + 1
			continue
		}
		name, attrs, self, end := readTag(data[pos:])
		if end < 0 {
			break
		}
		pos += end
		switch name {
		case "row":
			col = 0
			rb := attrBytes(attrs, "r")
			if len(rb) == 0 {
				row++ // a row without its number follows the one before
				rowOK = row <= excelMaxRow
			} else {
				row, rowOK = parseRowNumber(rb)
			}
			if rowOK {
				continue
			}
			r := string(rb)
			if len(rb) == 0 {
				r = strconv.Itoa(row)
			}
			if !issue(Problem{Cell: "行" + clipRef(r), Found: clipRef(r), Expected: "1～1048576",
				MessageJA: fmt.Sprintf("「%s」シートの行番号「%s」が不正です（1～1048576）。ファイルが壊れているか、Excel以外の方法で書き換えられています。", sheet, clipRef(r)),
				MessageEN: fmt.Sprintf("row number %q of sheet %s is not valid (1 to 1048576): the file is damaged or was not written by a spreadsheet program", clipRef(r), sheet)}) {
				return sd, nil
			}
		case "c":
			var body []byte
			if !self {
				stopAt := -1
				// The usual cell, <c …><v>text</v></c>, is recognised at once; any other body
				// is searched for its end tag.
				if rest := data[pos:]; bytes.HasPrefix(rest, []byte("<v>")) {
					if k := bytes.IndexByte(rest[3:], '<'); k >= 0 && bytes.HasPrefix(rest[3+k:], []byte("</v></c>")) {
						body, stopAt = rest[:3+k+4], 3+k+8
					}
				}
				if stopAt < 0 {
					stopAt = indexEndTag(data[pos:], "c")
					if stopAt < 0 {
						return nil, fmt.Errorf("cell %s of sheet %s is not closed", clipRef(attr(attrs, "r")), sheet)
					}
					body = data[pos : pos+closeStart(data[pos:], stopAt)]
				}
				pos += stopAt
			}
			c := xlsxCell{Row: row, Col: col + 1}
			refb, style, kind := cellAttrs(attrs)
			if len(refb) > 0 {
				cc, rr, ok := splitRef(refb)
				if !ok {
					ref := string(refb)
					if !issue(Problem{Cell: clipRef(ref), Found: clipRef(ref), Expected: "A1～XFD1048576",
						MessageJA: fmt.Sprintf("セル番地「%s」が不正です（Excelの範囲 A1～XFD1048576 の外か、番地の形式ではありません）。ファイルが壊れているか、Excel以外の方法で書き換えられています。", clipRef(ref)),
						MessageEN: fmt.Sprintf("cell reference %q is malformed or outside Excel's grid A1:XFD1048576: the file is damaged or was not written by a spreadsheet program", clipRef(ref))}) {
						return sd, nil
					}
					continue
				}
				c.Col, c.Row = cc, rr
			} else if !rowOK {
				continue // its row was reported
			}
			col = c.Col
			if self {
				continue
			}
			if c.Col > excelMaxCol || c.Row < 1 {
				if !issue(Problem{Cell: c.Ref(), Found: c.Ref(), Expected: "A1～XFD1048576",
					MessageJA: fmt.Sprintf("セル %s はExcelの範囲（A1～XFD1048576）の外です。ファイルが壊れているか、Excel以外の方法で書き換えられています。", c.Ref()),
					MessageEN: fmt.Sprintf("cell %s is outside Excel's grid A1:XFD1048576", c.Ref())}) {
					return sd, nil
				}
				continue
			}
			if err := b.cellText(&c, style, kind, body); err != nil {
				return nil, fmt.Errorf("sheet %s: %w", sheet, err)
			}
			if c.Text == "" {
				continue
			}
			if len(c.Text) > maxCellChars && utf8.RuneCountInString(c.Text) > maxCellChars {
				if !issue(Problem{Cell: c.Ref(), Expected: fmt.Sprintf("%d文字以内", maxCellChars), Found: fmt.Sprintf("%d文字", utf8.RuneCountInString(c.Text)),
					MessageJA: fmt.Sprintf("セル %s の文字数が上限（%d文字）を超えています。", c.Ref(), maxCellChars),
					MessageEN: fmt.Sprintf("cell %s holds more than %d characters", c.Ref(), maxCellChars)}) {
					return sd, nil
				}
				continue
			}
			if c.Col > area.Cols || c.Row > area.Rows {
				if !issue(Problem{Cell: c.Ref(), Found: clip(c.Text), Expected: "A1:" + last,
					MessageJA: fmt.Sprintf("様式の範囲（A1:%s）の外のセル %s に入力があります（「%s」）。範囲外のセルの内容は削除してください。", last, c.Ref(), clip(c.Text)),
					MessageEN: fmt.Sprintf("cell %s is outside the template's area A1:%s and is not empty (%q): clear it", c.Ref(), last, clip(c.Text))}) {
					return sd, nil
				}
				continue
			}
			kept++
			text += len(c.Text)
			if kept > area.MaxCells || text > area.MaxText {
				stop(c.Ref(), fmt.Sprintf("「%s」シートのセルの数又は文字数が上限（%dセル、%dバイト）を超えたため、セル %s 以降は読み込みませんでした。", sheet, area.MaxCells, area.MaxText, c.Ref()),
					fmt.Sprintf("sheet %s holds more than %d cells or %d bytes of text in its area: reading stopped at %s", sheet, area.MaxCells, area.MaxText, c.Ref()))
				return sd, nil
			}
			ar.put(c)
		}
	}
	return sd, nil
}

// rowArena holds the cells of a sheet's rows in three slices shared by all rows (a row's cells are
// a contiguous run at their end while it is read), so that reading a sheet allocates a few growing
// slices instead of three per row. rows points at the sheetData's rows, whose slices it sets.
type rowArena struct {
	rows    *[]sheetRow
	start   int // where the last row's cells begin
	cols    []string
	numeric []bool
	styles  []int
}

// put stores a cell kept from the area: in the last row if it is that row's, else in a new row.
// Cells come in file order; a cell left of one already stored in its row overwrites that column.
func (a *rowArena) put(c xlsxCell) {
	rows := *a.rows
	if len(rows) == 0 || rows[len(rows)-1].row != c.Row {
		a.start = len(a.cols)
		rows = append(rows, sheetRow{row: c.Row})
		*a.rows = rows
	}
	r := &rows[len(rows)-1]
	for len(a.cols)-a.start < c.Col {
		a.cols = append(a.cols, "")
		a.numeric = append(a.numeric, false)
		a.styles = append(a.styles, 0)
	}
	i := a.start + c.Col - 1
	a.cols[i], a.numeric[i], a.styles[i] = c.Text, c.Number, c.Style
	// The row's slices end where its cells end (full slice expressions: nothing appended later
	// can reach another row's cells). They are set again whenever a cell is stored, because the
	// arena's slices may have moved while growing: earlier rows keep their copies, which are
	// final.
	n := len(a.cols)
	r.cols, r.numeric, r.styles = a.cols[a.start:n:n], a.numeric[a.start:n:n], a.styles[a.start:n:n]
}

// cellText fills in the text, kind and style of a cell from its attributes s (style) and t (kind)
// and its body.
func (b *xlsxBook) cellText(c *xlsxCell, style, kind, body []byte) error {
	c.Style, _ = atoi(style) // errcheck: a style that is no number is taken as strconv.Atoi leaves it (0, or clamped), as ever
	v, hasV := elementBytes(body, "v")
	switch string(kind) {
	case "s":
		i, err := atoi(bytes.TrimSpace(v))
		if err != nil || i < 0 || i >= len(b.shared) {
			return fmt.Errorf("cell %s refers to shared string %q that does not exist", c.Ref(), clip(string(v)))
		}
		c.Text = b.shared[i]
	case "inlineStr":
		c.Text = runsText(body)
	case "b":
		switch string(bytes.TrimSpace(v)) {
		case "1":
			c.Text = "TRUE"
		case "0":
			c.Text = "FALSE"
		}
	case "str", "e", "d":
		c.Text = xmlUnescape(string(v))
	default:
		c.Text, c.Number = string(bytes.TrimSpace(v)), hasV
	}
	return nil
}

// atoi is strconv.Atoi of b, without making a string of the short unsigned numbers that cells'
// styles and shared-string indexes are.
func atoi(b []byte) (int, error) {
	if n := len(b); n > 0 && n < 10 {
		v := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return strconv.Atoi(string(b))
			}
			v = v*10 + int(c-'0')
		}
		return v, nil
	}
	return strconv.Atoi(string(b))
}

// isDate reports whether a cell's style shows a date: the cell holds a serial date, not what was
// typed (a code Excel turned into a date).
func (b *xlsxBook) isDate(style int) bool {
	if !b.parsedStyles {
		b.parsedStyles = true
		if b.stylesPart != "" {
			if data, err := b.part(b.stylesPart); err == nil {
				b.styles, b.fmts = parseStyles(data)
			}
		}
	}
	if style < 0 || style >= len(b.styles) {
		return false
	}
	id := b.styles[style]
	if (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) || (id >= 50 && id <= 58) {
		return true
	}
	code, ok := b.fmts[id]
	if !ok {
		return false
	}
	return isDateFormat(code)
}

// isDateFormat reports whether a number format code shows dates: it has y, m, d, e or g outside
// quotes and brackets (and is not a pure elapsed-time or number format).
func isDateFormat(code string) bool {
	code = strings.ReplaceAll(strings.ToLower(code), "general", "")
	inQuote, inBracket := false, false
	for i := 0; i < len(code); i++ {
		ch := code[i]
		switch {
		case ch == '"':
			inQuote = !inQuote
		case inQuote:
		case ch == '[':
			inBracket = true
		case ch == ']':
			inBracket = false
		case inBracket:
		case ch == '\\':
			i++
		case strings.ContainsRune("ymdegYMDEG", rune(ch)):
			return true
		}
	}
	return false
}

// parseStyles reads the number format of each cell format (cellXfs) and the custom number formats,
// keeping at most maxStyles of each.
func parseStyles(data []byte) ([]int, map[int]string) {
	fmts := map[int]string{}
	var xfs []int
	inXfs := false
	scanTags(data, func(name string, attrs []byte, self bool, _ int) bool {
		switch name {
		case "numFmt":
			if id, err := strconv.Atoi(attr(attrs, "numFmtId")); err == nil && len(fmts) < maxStyles {
				fmts[id] = xmlUnescape(clip(attr(attrs, "formatCode")))
			}
		case "cellXfs":
			inXfs = !self
		case "/cellXfs":
			inXfs = false
		case "xf":
			if inXfs && len(xfs) < maxStyles {
				id, _ := strconv.Atoi(attr(attrs, "numFmtId"))
				xfs = append(xfs, id)
			}
		}
		return true
	})
	return xfs, fmts
}

type relationship struct{ id, typ, target string }

// relationships reads a relationships part (at most maxRelsSheets of them).
func relationships(data []byte) []relationship {
	var out []relationship
	scanTags(data, func(name string, attrs []byte, _ bool, _ int) bool {
		if name == "Relationship" {
			out = append(out, relationship{attr(attrs, "Id"), attr(attrs, "Type"), xmlUnescape(attr(attrs, "Target"))})
		}
		return len(out) < maxRelsSheets
	})
	return out
}

// sharedStrings reads the shared-string table: the text of each <si>, runs joined, phonetic
// runs (<rPh>, furigana) left out. A table of more than maxShared strings is refused.
func sharedStrings(data []byte) ([]string, error) {
	var out []string
	for {
		i := indexStartTag(data, "si")
		if i < 0 {
			return out, nil
		}
		if len(out) >= maxShared {
			return nil, fmt.Errorf("holds more than %d shared strings", maxShared)
		}
		data = data[i:]
		gt := bytes.IndexByte(data, '>')
		if gt < 0 {
			return out, nil
		}
		if data[gt-1] == '/' { // <si/>
			out = append(out, "")
			data = data[gt+1:]
			continue
		}
		// The usual item, <si><t>text</t></si>, at once; any other is read run by run.
		body := data[gt+1:]
		if n := siText(body); n > 0 {
			k := bytes.IndexByte(body[n:], '<')
			if k >= 0 && bytes.HasPrefix(body[n+k:], []byte("</t></si>")) {
				out = append(out, xmlUnescape(string(body[n:n+k])))
				data = body[n+k+9:]
				continue
			}
		}
		end := indexEndTag(body, "si")
		if end < 0 {
			return out, nil
		}
		out = append(out, runsText(body[:end]))
		data = body[end:]
	}
}

// siText is the length of the <t> or <t xml:space="preserve"> tag body starts with, 0 if none.
func siText(body []byte) int {
	for _, open := range []string{"<t>", `<t xml:space="preserve">`} {
		if bytes.HasPrefix(body, []byte(open)) {
			return len(open)
		}
	}
	return 0
}

// runsText concatenates the <t> texts of a string item, skipping phonetic runs.
func runsText(body []byte) string {
	// Most items are one run: its text is returned as it is, and a builder is made only for a
	// second one.
	var sb strings.Builder
	first, pieces := "", 0
	text := func() string {
		if pieces == 1 {
			return first
		}
		return sb.String()
	}
	for len(body) > 0 {
		lt := bytes.IndexByte(body, '<')
		if lt < 0 {
			break
		}
		name, _, self, end := readTag(body[lt:])
		if end < 0 {
			break
		}
		rest := body[lt+end:]
		switch name {
		case "rPh", "phoneticPr":
			if !self {
				e := indexEndTag(rest, name)
				if e < 0 {
					return text() // never closed: nothing after it is text
				}
				rest = rest[e:]
			}
		case "t":
			if !self {
				e := indexEndTag(rest, "t")
				if e < 0 {
					return text() // never closed, and no later <t> can be either
				}
				piece := xmlUnescape(string(rest[:closeStart(rest, e)]))
				switch pieces {
				case 0:
					first = piece
				case 1:
					sb.WriteString(first)
					fallthrough
				default:
					sb.WriteString(piece)
				}
				pieces++
				rest = rest[e:]
			}
		}
		body = rest
	}
	return text()
}

// elementBytes returns the text of the first <name> element of body (nil when empty), in body.
func elementBytes(body []byte, name string) ([]byte, bool) {
	// <v>text</v>, the body of most cells, at once.
	if name == "v" && bytes.HasPrefix(body, []byte("<v>")) {
		if k := bytes.IndexByte(body[3:], '<'); k >= 0 && bytes.HasPrefix(body[3+k:], []byte("</v>")) {
			return body[3 : 3+k], true
		}
	}
	i := indexStartTag(body, name)
	if i < 0 {
		return nil, false
	}
	_, _, self, end := readTag(body[i:])
	if self || end < 0 {
		return nil, true
	}
	rest := body[i+end:]
	e := indexEndTag(rest, name)
	if e < 0 {
		return nil, false
	}
	return rest[:closeStart(rest, e)], true
}

// closeStart returns where the end tag that indexEndTag located (ending at e) begins.
func closeStart(b []byte, e int) int { return bytes.LastIndexByte(b[:e], '<') }

// scanTags calls fn for each start tag (name without prefix, raw attributes, self-closing, the
// offset just past the tag) and each end tag (name "/x"); fn returns false to stop. Declarations,
// processing instructions and comments are skipped.
func scanTags(data []byte, fn func(name string, attrs []byte, self bool, end int) bool) {
	pos := 0
	for pos < len(data) {
		lt := bytes.IndexByte(data[pos:], '<')
		if lt < 0 {
			return
		}
		pos += lt
		if pos+1 < len(data) && (data[pos+1] == '?' || data[pos+1] == '!') {
			gt := bytes.IndexByte(data[pos:], '>')
			if gt < 0 {
				return
			}
			pos += gt + 1
			continue
		}
		name, attrs, self, end := readTag(data[pos:])
		if end < 0 {
			return
		}
		if !fn(name, attrs, self, pos+end) {
			return
		}
		pos += end
	}
}

// readTag parses the tag at the start of b: its local name ("/name" for an end tag), attributes,
// whether it closes itself, and its length (-1 when malformed).
func readTag(b []byte) (string, []byte, bool, int) {
	if len(b) < 2 || b[0] != '<' {
		return "", nil, false, -1
	}
	gt := -1
	var q byte
	for i := 1; i < len(b); i++ {
		c := b[i]
		if q != 0 {
			if c == q {
				q = 0
			}
			continue
		}
		if c == '"' || c == '\'' {
			q = c
		} else if c == '>' {
			gt = i
			break
		}
	}
	if gt < 0 {
		return "", nil, false, -1
	}
	inner := b[1:gt]
	self := len(inner) > 0 && inner[len(inner)-1] == '/'
	if self {
		inner = inner[:len(inner)-1]
	}
	end := false
	if len(inner) > 0 && inner[0] == '/' {
		end, inner = true, inner[1:]
	}
	n := 0
	for n < len(inner) && inner[n] != ' ' && inner[n] != '\t' && inner[n] != '\n' && inner[n] != '\r' {
		n++
	}
	name := inner[:n]
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	return tagName(name, end), inner[n:], self, gt + 1
}

// tagName is the name readTag returns ("/name" for an end tag): the names of SpreadsheetML's
// sheets, shared strings and parts' skeletons are constants, so that scanning them allocates
// nothing; any other name is made.
func tagName(name []byte, end bool) string {
	if end {
		switch string(name) {
		case "c":
			return "/c"
		case "v":
			return "/v"
		case "t":
			return "/t"
		case "f":
			return "/f"
		case "is":
			return "/is"
		case "r":
			return "/r"
		case "row":
			return "/row"
		case "si":
			return "/si"
		case "rPh":
			return "/rPh"
		case "rPr":
			return "/rPr"
		case "sheetData":
			return "/sheetData"
		case "cellXfs":
			return "/cellXfs"
		}
		return "/" + string(name)
	}
	switch string(name) {
	case "c":
		return "c"
	case "v":
		return "v"
	case "t":
		return "t"
	case "f":
		return "f"
	case "is":
		return "is"
	case "r":
		return "r"
	case "row":
		return "row"
	case "si":
		return "si"
	case "rPh":
		return "rPh"
	case "rPr":
		return "rPr"
	case "phoneticPr":
		return "phoneticPr"
	}
	return string(name)
}

// indexStartTag finds <name (with or without a prefix) followed by a space, > or /.
func indexStartTag(b []byte, name string) int {
	off := 0
	for {
		i := bytes.IndexByte(b[off:], '<')
		if i < 0 {
			return -1
		}
		i += off
		n, _, _, end := readTag(b[i:])
		if end < 0 {
			return -1
		}
		if n == name {
			return i
		}
		off = i + end // past the whole tag: a '<' inside its quoted attributes starts no tag
	}
}

// indexEndTag returns the offset just past </name> in b (with or without a prefix), or -1. Only a
// short name is looked at after each "</", so that a run of "</" costs no more than its length.
func indexEndTag(b []byte, name string) int {
	off := 0
	for {
		i := bytes.Index(b[off:], []byte("</"))
		if i < 0 {
			return -1
		}
		i += off
		j := i + 2
		k := j
		for k < len(b) && k-j < 64 && b[k] != '>' && b[k] != '<' && b[k] != '/' && !isSpace(b[k]) {
			k++
		}
		n := b[j:k]
		if c := bytes.IndexByte(n, ':'); c >= 0 {
			n = n[c+1:]
		}
		m := k
		for m < len(b) && m-k < 64 && isSpace(b[m]) {
			m++
		}
		if m < len(b) && b[m] == '>' && string(n) == name {
			return m + 1
		}
		off = i + 2
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// attr returns the raw value of one attribute (by local name) without building a map.
func attr(b []byte, name string) string { return string(attrBytes(b, name)) }

// cellAttrs is attrBytes of a cell's r, s and t attributes, read in one pass.
func cellAttrs(b []byte) (r, s, t []byte) {
	var found [3]bool
	for i := 0; i < len(b); {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		eq := bytes.IndexByte(b[i:], '=')
		if eq < 0 {
			return
		}
		key := bytes.TrimSpace(b[i : i+eq])
		if j := bytes.IndexByte(key, ':'); j >= 0 {
			key = key[j+1:]
		}
		k := i + eq + 1
		for k < len(b) && b[k] != '"' && b[k] != '\'' {
			k++
		}
		if k >= len(b) {
			return
		}
		q := b[k]
		end := bytes.IndexByte(b[k+1:], q)
		if end < 0 {
			return
		}
		if len(key) == 1 {
			v := b[k+1 : k+1+end]
			switch {
			case key[0] == 'r' && !found[0]:
				r, found[0] = v, true
			case key[0] == 's' && !found[1]:
				s, found[1] = v, true
			case key[0] == 't' && !found[2]:
				t, found[2] = v, true
			}
		}
		i = k + 2 + end
	}
	return
}

// attrBytes is attr's value in b (nil when the attribute is absent).
func attrBytes(b []byte, name string) []byte {
	for i := 0; i < len(b); {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		eq := bytes.IndexByte(b[i:], '=')
		if eq < 0 {
			return nil
		}
		key := bytes.TrimSpace(b[i : i+eq])
		if j := bytes.IndexByte(key, ':'); j >= 0 {
			key = key[j+1:]
		}
		k := i + eq + 1
		for k < len(b) && b[k] != '"' && b[k] != '\'' {
			k++
		}
		if k >= len(b) {
			return nil
		}
		q := b[k]
		end := bytes.IndexByte(b[k+1:], q)
		if end < 0 {
			return nil
		}
		if string(key) == name {
			return b[k+1 : k+1+end]
		}
		i = k + 2 + end
	}
	return nil
}

// xmlUnescape decodes the five predefined XML entities, numeric character references and the
// _xHHHH_ escapes of OOXML strings. No other entity is known, so none is ever expanded.
func xmlUnescape(s string) string {
	if !strings.ContainsAny(s, "&_") {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '&' {
			// The longest reference known, &#x10FFFF;, is 10 bytes: look no further for its ';'.
			if j := strings.IndexByte(s[i:min(len(s), i+12)], ';'); j > 0 {
				if r, ok := entity(s[i+1 : i+j]); ok {
					sb.WriteString(r)
					i += j
					continue
				}
			}
		}
		if c == '_' && i+6 < len(s) && s[i+1] == 'x' && s[i+6] == '_' {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
				sb.WriteRune(rune(v))
				i += 6
				continue
			}
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

func entity(e string) (string, bool) {
	switch e {
	case "lt":
		return "<", true
	case "gt":
		return ">", true
	case "amp":
		return "&", true
	case "quot":
		return `"`, true
	case "apos":
		return "'", true
	}
	if strings.HasPrefix(e, "#x") || strings.HasPrefix(e, "#X") {
		if v, err := strconv.ParseUint(e[2:], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
			return string(rune(v)), true
		}
	} else if strings.HasPrefix(e, "#") {
		if v, err := strconv.ParseUint(e[1:], 10, 32); err == nil && utf8.ValidRune(rune(v)) {
			return string(rune(v)), true
		}
	}
	return "", false
}

// splitRef splits a cell reference such as F12 into column 6 and row 12. Only references inside
// Excel's grid (A1 to XFD1048576) are accepted.
func splitRef[S ~string | ~[]byte](ref S) (col, row int, ok bool) {
	i := 0
	for i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z' {
		if i == 3 {
			return 0, 0, false
		}
		col = col*26 + int(ref[i]-'A'+1)
		i++
	}
	if i == 0 || col > excelMaxCol {
		return 0, 0, false
	}
	row, ok = parseRowFrom(ref, i)
	return col, row, ok
}

// parseRowNumber reads a row number of Excel's grid: 1 to 1048576, digits only.
func parseRowNumber[S ~string | ~[]byte](s S) (int, bool) { return parseRowFrom(s, 0) }

// parseRowFrom is parseRowNumber of s from byte from on.
func parseRowFrom[S ~string | ~[]byte](s S, from int) (int, bool) {
	if len(s) == from || len(s)-from > 7 {
		return 0, false
	}
	n := 0
	for i := from; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n >= 1 && n <= excelMaxRow
}

// colName renders a 1-based column number as letters (1 → A, 27 → AA).
func colName(n int) string {
	var b []byte
	for n > 0 {
		n--
		b = append([]byte{byte('A' + n%26)}, b...)
		n /= 26
	}
	return string(b)
}

// clipRef shows a cell or row reference as written, shortened and with anything unprintable
// replaced, for a message.
func clipRef(s string) string {
	const max = 24
	var b strings.Builder
	for i, r := range s {
		if i >= max {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
