package exporters

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits of Annotate. An annotated copy is a convenience for the submitter (the JSON and text
// reports list every problem): an upload beyond any of these bounds gets no copy rather than
// unbounded memory or time. A kofukin survey template (FY2026, municipality, 90 items) has 12 zip
// entries, 70 KB inflated in all, 3 worksheets of 31 KB in all (the largest 30 KB), 115 rows and
// 853 cells; every limit is tens to hundreds of times that, far above what Excel or LibreOffice
// make of a template when it is filled in.
const (
	// AnnotateMaxFileBytes bounds the uploaded file itself.
	AnnotateMaxFileBytes = 32 << 20
	// AnnotateMaxEntries bounds the number of entries in the zip.
	AnnotateMaxEntries = 300
	// AnnotateMaxBytes bounds the sum of the entries' declared inflated sizes (excelize's
	// UnzipSizeLimit is set to it too).
	AnnotateMaxBytes = 32 << 20
	// AnnotateMaxPartBytes bounds the declared inflated size of any one part outside xl/media/
	// (worksheets, shared strings, styles, comments …): 140 times the template's largest sheet.
	// excelize's UnzipXMLSizeLimit is set to it, so excelize never spills a part to a temp file.
	AnnotateMaxPartBytes = 4 << 20
	// AnnotateMaxSheetBytes bounds the inflated sizes of the worksheets (the parts with a
	// <sheetData>) summed: excelize decodes every one into memory, at about ten times its size.
	AnnotateMaxSheetBytes = 8 << 20
	// AnnotateMaxSheets bounds the <sheet> elements of the workbook.
	AnnotateMaxSheets = 100
	// AnnotateMaxRows bounds, summed over the worksheets, the highest row number of each:
	// excelize makes every row up to the highest one when it loads a sheet.
	AnnotateMaxRows = 20_000
	// AnnotateMaxCells bounds, summed over every row of every worksheet, the cells excelize makes
	// when it loads the sheet: each row is filled up to its rightmost cell.
	AnnotateMaxCells = 50_000
	// MaxAnnotatedCells is how many cells at most are filled red and given a comment.
	MaxAnnotatedCells = 200
	// MaxListedProblems is how many problems at most 「エラー一覧」 lists.
	MaxListedProblems = 1_000
)

// Codes of NotAnnotatedError: why no annotated copy was made. They are stable.
const (
	NotAnnotatedNotXLSX    = "not_xlsx"    // not a zip (or an encrypted workbook)
	NotAnnotatedFileSize   = "file_size"   // the file is larger than AnnotateMaxFileBytes
	NotAnnotatedEntries    = "entries"     // more zip entries than AnnotateMaxEntries
	NotAnnotatedTotalSize  = "total_size"  // inflated sizes sum to more than AnnotateMaxBytes
	NotAnnotatedPartSize   = "part_size"   // a part inflates to more than AnnotateMaxPartBytes
	NotAnnotatedCorrupt    = "corrupt"     // an entry does not inflate to what the zip declares
	NotAnnotatedEncoding   = "encoding"    // an XML part declares an encoding other than UTF-8
	NotAnnotatedSheetBytes = "sheet_bytes" // worksheets inflate to more than AnnotateMaxSheetBytes in all
	NotAnnotatedSheets     = "sheets"      // more sheets than AnnotateMaxSheets
	NotAnnotatedRows       = "rows"        // worksheets reach past AnnotateMaxRows rows in all
	NotAnnotatedCells      = "cells"       // worksheets would make more than AnnotateMaxCells cells
	NotAnnotatedUnreadable = "unreadable"  // excelize could not open or change the workbook
	NotAnnotatedWrite      = "write"       // the copy could not be written to the writer
)

// ErrNotAnnotated is what every error of Annotate is (errors.Is): no annotated copy was made.
var ErrNotAnnotated = errors.New("no annotated copy made")

// NotAnnotatedError is the error of Annotate: the annotated copy was not made, and why. Every error
// Annotate returns is one. A caller tells the submitter with MessageJA, e.g.
//
//	var na *exporters.NotAnnotatedError
//	if errors.As(err, &na) {
//		note = na.MessageJA() // 「エラー箇所付きの写しは作成しませんでした（…）」
//	}
//
// The rejection itself stands: the reports list every problem.
type NotAnnotatedError struct {
	Code     string // NotAnnotated…: stable, for tools and logs
	ReasonJA string // for the submitter, e.g. 「ファイルを展開すると大きすぎます（…）」
	ReasonEN string
	Err      error // the underlying error, if any
}

func (e *NotAnnotatedError) Error() string {
	s := "no annotated copy made: " + e.ReasonEN
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *NotAnnotatedError) Unwrap() error { return e.Err }

// Is makes every NotAnnotatedError match ErrNotAnnotated.
func (e *NotAnnotatedError) Is(target error) bool { return target == ErrNotAnnotated }

// MessageJA is the sentence for the submitter: 「エラー箇所付きの写しは作成しませんでした（理由）」.
func (e *NotAnnotatedError) MessageJA() string {
	return "エラー箇所付きの写しは作成しませんでした（" + e.ReasonJA + "）"
}

func notAnnotated(code, ja, en string, err error) *NotAnnotatedError {
	return &NotAnnotatedError{Code: code, ReasonJA: ja, ReasonEN: en, Err: err}
}

// mib renders a byte count in MiB for messages.
func mib(n int64) string {
	if n >= 10<<20 || n%(1<<20) == 0 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
}

// mibU is mib of a declared (unsigned, possibly huge) size.
func mibU(n uint64) string {
	if n > 1<<50 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return mib(int64(n))
}

// checkUpload inspects an uploaded workbook before excelize opens it: the file's size, the number
// of zip entries, their declared inflated sizes (in all and per part), then it inflates every entry
// once, in a fixed buffer, to confirm the declared sizes (archive/zip fails an entry that inflates
// to more or less than it declares) and to count what excelize would build from the worksheets:
// their bytes, sheets, rows (up to the highest row number of each sheet) and cells (each row up to
// its rightmost cell). It returns nil or a *NotAnnotatedError.
func checkUpload(data []byte) *NotAnnotatedError {
	if len(data) > AnnotateMaxFileBytes {
		return notAnnotated(NotAnnotatedFileSize,
			fmt.Sprintf("ファイルが大きすぎます（%s、上限%s）", mib(int64(len(data))), mib(AnnotateMaxFileBytes)),
			fmt.Sprintf("the file is %d bytes, more than %d", len(data), AnnotateMaxFileBytes), nil)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return notAnnotated(NotAnnotatedNotXLSX, "Excelブック（.xlsx）として読み込めません", "not a readable .xlsx (zip)", err)
	}
	if len(zr.File) > AnnotateMaxEntries {
		return notAnnotated(NotAnnotatedEntries,
			fmt.Sprintf("ブックの構成部品が多すぎます（%d個、上限%d個）", len(zr.File), AnnotateMaxEntries),
			fmt.Sprintf("the zip has %d entries, more than %d", len(zr.File), AnnotateMaxEntries), nil)
	}
	var total uint64
	for _, f := range zr.File {
		size := f.UncompressedSize64
		if size > AnnotateMaxPartBytes && !isMedia(f.Name) {
			return notAnnotated(NotAnnotatedPartSize,
				fmt.Sprintf("ブックの部品「%s」が大きすぎます（展開後%s、上限%s）", f.Name, mibU(size), mib(AnnotateMaxPartBytes)),
				fmt.Sprintf("part %s inflates to %d bytes, more than %d", f.Name, size, AnnotateMaxPartBytes), nil)
		}
		total += size
		if total > AnnotateMaxBytes || total < size {
			return notAnnotated(NotAnnotatedTotalSize,
				fmt.Sprintf("ファイルを展開すると大きすぎます（上限%s）", mib(AnnotateMaxBytes)),
				fmt.Sprintf("the entries inflate to more than %d bytes", AnnotateMaxBytes), nil)
		}
	}
	sc := &partScanner{br: bufio.NewReaderSize(nil, 64<<10)}
	var sheetBytes uint64
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return notAnnotated(NotAnnotatedCorrupt, "ブックの部品を読み込めません", "an entry cannot be read: "+f.Name, err)
		}
		err = sc.scan(rc)
		rc.Close()
		var na *NotAnnotatedError
		if errors.As(err, &na) {
			return na
		}
		if err != nil {
			return notAnnotated(NotAnnotatedCorrupt, "ブックの部品が壊れています", "entry "+f.Name+" is corrupt", err)
		}
		if sc.sawSheetData { // read through: the declared size is the size
			if sheetBytes += f.UncompressedSize64; sheetBytes > AnnotateMaxSheetBytes {
				return notAnnotated(NotAnnotatedSheetBytes,
					fmt.Sprintf("シートが大きすぎます（展開後の合計が上限%sを超えています）", mib(AnnotateMaxSheetBytes)),
					fmt.Sprintf("the worksheets inflate to more than %d bytes in all", AnnotateMaxSheetBytes), nil)
			}
		}
	}
	return nil
}

// isMedia reports whether a part is an image or other binary that excelize keeps as bytes: only
// the total bounds its size. (Were a workbook to name one as a worksheet, the scanner still counts
// its rows, cells and bytes as a worksheet's.)
func isMedia(name string) bool {
	return strings.HasPrefix(strings.ToLower(strings.ReplaceAll(name, `\`, "/")), "xl/media/")
}

// partScanner counts, across the parts of one workbook, what excelize would build from them. It
// reads bytes, not XML tokens, so it allocates nothing per element; it errs on the side of counting
// more: every <sheet> element anywhere counts as a sheet, and from a <sheetData> on to the end of
// its part every <row> and <c> element counts (nothing is skipped, not even comments or CDATA, so no
// element excelize would see is missed). A part declaring an encoding other than UTF-8 is refused:
// excelize would transcode it and the bytes counted here would not be what it reads.
type partScanner struct {
	br            *bufio.Reader
	sheets        int
	rows, cells   int64 // consumed budgets, over all parts
	inSheetData   bool
	sawSheetData  bool // the part has a <sheetData>
	inRow         bool
	row, maxRow   int64 // current row number and the highest of the part
	col, maxCol   int64 // last column of the current row and its rightmost
	name, content []byte
}

const maxRowNumber = 1 << 30 // numbers are clamped here: far above any budget, no overflow

func (s *partScanner) scan(r io.Reader) error {
	s.br.Reset(r)
	s.inSheetData, s.sawSheetData, s.inRow = false, false, false
	s.row, s.maxRow, s.col, s.maxCol = 0, 0, 0, 0
	for {
		b, err := s.br.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if b != '<' {
			continue
		}
		if err := s.tag(); err != nil {
			if err == io.EOF {
				break
			}
			return err
		}
	}
	if s.inRow {
		if err := s.endRow(); err != nil {
			return err
		}
	}
	s.rows += s.maxRow
	s.maxRow = 0
	return s.checkRows()
}

// tag handles what follows a '<'.
func (s *partScanner) tag() error {
	b, err := s.br.ReadByte()
	if err != nil {
		return err
	}
	switch b {
	case '?':
		return s.procInst()
	case '!':
		return nil // comments, CDATA, directives: their content is scanned like the rest
	case '/':
		if err := s.readName(); err != nil {
			return err
		}
		if s.inSheetData && string(localName(s.name)) == "row" && s.inRow {
			return s.endRow()
		}
		return nil
	}
	if err := s.br.UnreadByte(); err != nil {
		return err
	}
	if err := s.readName(); err != nil {
		return err
	}
	switch string(localName(s.name)) {
	case "sheet":
		s.sheets++
		if s.sheets > AnnotateMaxSheets {
			return notAnnotated(NotAnnotatedSheets,
				fmt.Sprintf("シートが多すぎます（上限%d枚）", AnnotateMaxSheets),
				fmt.Sprintf("more than %d sheets", AnnotateMaxSheets), nil)
		}
	case "sheetData":
		s.inSheetData, s.sawSheetData = true, true
	case "row":
		if !s.inSheetData {
			return nil
		}
		if s.inRow {
			if err := s.endRow(); err != nil {
				return err
			}
		}
		r, _, selfClosing, err := s.refAttr(false)
		if err != nil {
			return err
		}
		if r == 0 {
			r = s.row + 1
		}
		s.row, s.col, s.maxCol, s.inRow = min(r, maxRowNumber), 0, 0, true
		s.maxRow = max(s.maxRow, s.row)
		if selfClosing {
			return s.endRow()
		}
	case "c":
		if !s.inSheetData {
			return nil
		}
		r, c, _, err := s.refAttr(true)
		if err != nil {
			return err
		}
		if c == 0 {
			c = s.col + 1
		}
		c = min(c, maxRowNumber)
		s.col = c
		if r != 0 && r != s.row || !s.inRow {
			// excelize puts the cell in the row its reference names, filled up to its column.
			s.maxRow = max(s.maxRow, min(r, maxRowNumber))
			s.cells += c
			return s.checkCells()
		}
		s.maxCol = max(s.maxCol, c)
	}
	return nil
}

func (s *partScanner) endRow() error {
	s.inRow = false
	s.cells += s.maxCol
	return s.checkCells()
}

func (s *partScanner) checkCells() error {
	if s.cells > AnnotateMaxCells {
		return notAnnotated(NotAnnotatedCells,
			fmt.Sprintf("シートのセルが多すぎます（上限%d個）", AnnotateMaxCells),
			fmt.Sprintf("the worksheets make more than %d cells", AnnotateMaxCells), nil)
	}
	return s.checkRows()
}

func (s *partScanner) checkRows() error {
	if s.rows+s.maxRow > AnnotateMaxRows {
		return notAnnotated(NotAnnotatedRows,
			fmt.Sprintf("シートの行が多すぎます（上限%d行）", AnnotateMaxRows),
			fmt.Sprintf("the worksheets reach past %d rows in all", AnnotateMaxRows), nil)
	}
	return nil
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// readName reads an element or attribute name into s.name (at most 256 bytes are kept).
func (s *partScanner) readName() error {
	s.name = s.name[:0]
	for {
		b, err := s.br.ReadByte()
		if err != nil {
			return err
		}
		if isSpace(b) || b == '>' || b == '/' || b == '=' || b == '<' || b == '?' {
			return s.br.UnreadByte()
		}
		if len(s.name) < 256 {
			s.name = append(s.name, b)
		}
	}
}

func localName(name []byte) []byte {
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// refAttr reads the attributes of a <row> or <c> start tag up to its end and returns the row and
// (for a cell) the column of its r attribute (0 when absent; the highest when repeated), and
// whether the tag closes itself.
func (s *partScanner) refAttr(cell bool) (row, col int64, selfClosing bool, err error) {
	for {
		b, err := s.br.ReadByte()
		if err != nil {
			return 0, 0, false, err
		}
		switch {
		case isSpace(b):
			continue
		case b == '>':
			return row, col, false, nil
		case b == '/':
			if b, err = s.br.ReadByte(); err != nil {
				return 0, 0, false, err
			}
			if b == '>' {
				return row, col, true, nil
			}
			continue
		case b == '<':
			// A malformed tag: excelize's decoder fails on it; scan on from here.
			return row, col, false, s.br.UnreadByte()
		}
		if err := s.br.UnreadByte(); err != nil {
			return 0, 0, false, err
		}
		if err := s.readName(); err != nil {
			return 0, 0, false, err
		}
		isR := string(localName(s.name)) == "r"
		// '=' then a quoted value.
		var q byte
		for q == 0 {
			if b, err = s.br.ReadByte(); err != nil {
				return 0, 0, false, err
			}
			switch {
			case b == '"' || b == '\'':
				q = b
			case b == '>' || b == '<':
				return row, col, false, s.br.UnreadByte()
			}
		}
		s.content = s.content[:0]
		for {
			if b, err = s.br.ReadByte(); err != nil {
				return 0, 0, false, err
			}
			if b == q {
				break
			}
			if len(s.content) < 64 {
				s.content = append(s.content, b)
			}
		}
		if !isR {
			continue
		}
		v := strings.TrimSpace(string(s.content))
		if cell {
			c, r, ok := parseRef(v)
			if !ok {
				return 0, 0, false, notAnnotated(NotAnnotatedUnreadable, "セル番地を読み取れません", "unreadable cell reference "+v, nil)
			}
			row, col = max(row, r), max(col, c)
		} else {
			r, ok := parseNumber(v)
			if !ok {
				return 0, 0, false, notAnnotated(NotAnnotatedUnreadable, "行番号を読み取れません", "unreadable row number "+v, nil)
			}
			row = max(row, r)
		}
	}
}

// parseNumber reads a non-negative decimal (an optional '+'), clamped at maxRowNumber.
func parseNumber(v string) (int64, bool) {
	v = strings.TrimPrefix(v, "+")
	if v == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = min(n*10+int64(c-'0'), maxRowNumber)
	}
	return n, true
}

// parseRef reads a cell reference such as A1, $XFD$1048576 or xfd1 into column and row numbers,
// both clamped at maxRowNumber.
func parseRef(v string) (col, row int64, ok bool) {
	v = strings.ReplaceAll(v, "$", "")
	i := 0
	for ; i < len(v); i++ {
		c := v[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		col = min(col*26+int64(c-'a'+1), maxRowNumber)
	}
	if i == 0 {
		return 0, 0, false
	}
	row, ok = parseNumber(v[i:])
	return col, row, ok
}

// procInst handles <?target …?>: an <?xml …?> declaration (anywhere in a part: Go's XML decoder
// honours one anywhere) must not name an encoding other than UTF-8.
func (s *partScanner) procInst() error {
	if err := s.readName(); err != nil {
		return err
	}
	if string(s.name) != "xml" {
		return nil
	}
	s.content = s.content[:0]
	for {
		b, err := s.br.ReadByte()
		if err != nil {
			return err
		}
		s.content = append(s.content, b)
		if bytes.HasSuffix(s.content, []byte("?>")) {
			break
		}
		if len(s.content) > 1024 {
			return notAnnotated(NotAnnotatedEncoding, "XML宣言が長すぎます", "an XML declaration longer than 1 KiB", nil)
		}
	}
	rest := string(s.content)
	for {
		i := strings.Index(rest, "encoding=")
		if i < 0 {
			return nil
		}
		rest = rest[i+len("encoding="):]
		if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
			continue
		}
		q := rest[0]
		j := strings.IndexByte(rest[1:], q)
		if j < 0 {
			return nil
		}
		if enc := rest[1 : 1+j]; !strings.EqualFold(enc, "utf-8") {
			return notAnnotated(NotAnnotatedEncoding,
				"文字コードが UTF-8 ではない部品があります",
				"a part declares encoding "+enc+", not UTF-8", nil)
		}
		rest = rest[1+j:]
	}
}
