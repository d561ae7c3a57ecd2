package loaders

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A small, fast reader of the SpreadsheetML a survey workbook is made of: the zip, the workbook's
// sheet list, shared strings (without the phonetic runs Japanese Excel adds) and the cells of a
// sheet, in one pass over each part with no DOM. It reads what Excel, LibreOffice and excelize write;
// excelize stays the writer. It exists because ingest must read thousands of workbooks a second
// (see README "Performance"), which a general reader does not.

// xlsxBook is an opened workbook.
type xlsxBook struct {
	files        map[string]*zip.File
	sheets       map[string]string // sheet name → part path
	shared       []string
	styles       []int // cellXfs index → numFmtId
	fmts         map[int]string
	parsedStyles bool
	limit        int64
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

var errNotXLSX = errors.New("not an xlsx workbook")

// openXLSX opens a workbook held in memory. limit bounds the uncompressed size of any part read.
func openXLSX(data []byte, limit int64) (*xlsxBook, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotXLSX, err)
	}
	b := &xlsxBook{files: map[string]*zip.File{}, sheets: map[string]string{}, limit: limit}
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
	}
	wb, err := b.part(wbPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotXLSX, err)
	}
	dir := path.Dir(wbPath)
	targets := map[string]string{}
	if rels, err := b.part(path.Join(dir, "_rels", path.Base(wbPath)+".rels")); err == nil {
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
				if ss, err := b.part(t); err == nil {
					b.shared = sharedStrings(ss)
				} else {
					return nil, err
				}
			case strings.HasSuffix(r.typ, "/styles"):
				targets["\x00styles"] = t
			}
		}
	}
	scanTags(wb, func(name string, attrs []byte, _ bool, _ int) bool {
		if name == "sheet" {
			a := attrMap(attrs)
			if t, ok := targets[a["id"]]; ok {
				b.sheets[xmlUnescape(a["name"])] = t
			}
		}
		return true
	})
	b.fmts = map[int]string{}
	if t, ok := targets["\x00styles"]; ok {
		b.fmts[-1] = t // remembered for lazy parsing
	}
	return b, nil
}

// part returns the bytes of a part, refusing parts larger than the limit.
func (b *xlsxBook) part(name string) ([]byte, error) {
	f, ok := b.files[name]
	if !ok {
		return nil, fmt.Errorf("part %s is missing", name)
	}
	if b.limit > 0 && f.UncompressedSize64 > uint64(b.limit) {
		return nil, fmt.Errorf("part %s inflates to %d bytes, more than the limit of %d", name, f.UncompressedSize64, b.limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	lr := io.Reader(rc)
	if b.limit > 0 {
		lr = io.LimitReader(rc, b.limit+1)
	}
	buf := make([]byte, 0, f.UncompressedSize64)
	buf, err = readAll(buf, lr)
	if err != nil {
		return nil, fmt.Errorf("part %s: %w", name, err)
	}
	if b.limit > 0 && int64(len(buf)) > b.limit {
		return nil, fmt.Errorf("part %s inflates to more than the limit of %d bytes", name, b.limit)
	}
	return buf, nil
}

func readAll(buf []byte, r io.Reader) ([]byte, error) {
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

// cells calls fn for every non-empty cell of a sheet, row by row, left to right.
func (b *xlsxBook) cells(sheet string, fn func(c xlsxCell) error) error {
	p, ok := b.sheets[sheet]
	if !ok {
		return fmt.Errorf("sheet %s is missing", sheet)
	}
	data, err := b.part(p)
	if err != nil {
		return err
	}
	row, col := 0, 0
	var ferr error
	scanTags(data, func(name string, attrs []byte, self bool, end int) bool {
		switch name {
		case "row":
			if r, err := strconv.Atoi(attr(attrs, "r")); err == nil {
				row = r
			} else {
				row++
			}
			col = 0
		case "c":
			c := xlsxCell{Row: row, Col: col + 1}
			if ref := attr(attrs, "r"); ref != "" {
				if cc, rr, ok := splitRef(ref); ok {
					c.Col, c.Row = cc, rr
				}
			}
			col = c.Col
			c.Style, _ = strconv.Atoi(attr(attrs, "s"))
			if self {
				return true
			}
			body := data[end:]
			stop := indexEndTag(body, "c")
			if stop < 0 {
				ferr = fmt.Errorf("cell %s is not closed", c.Ref())
				return false
			}
			body = body[:stop]
			v, hasV := elementText(body, "v")
			switch attr(attrs, "t") {
			case "s":
				i, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || i < 0 || i >= len(b.shared) {
					ferr = fmt.Errorf("cell %s refers to shared string %q that does not exist", c.Ref(), v)
					return false
				}
				c.Text = b.shared[i]
			case "inlineStr":
				c.Text = runsText(body)
			case "b":
				c.Text = map[string]string{"1": "TRUE", "0": "FALSE"}[strings.TrimSpace(v)]
			case "str", "e", "d":
				c.Text = xmlUnescape(v)
			default:
				c.Text, c.Number = strings.TrimSpace(v), hasV
			}
			if c.Text != "" {
				if err := fn(c); err != nil {
					ferr = err
					return false
				}
			}
		}
		return true
	})
	return ferr
}

// isDate reports whether a cell's style shows a date: the cell holds a serial date, not what was
// typed (a code Excel turned into a date).
func (b *xlsxBook) isDate(style int) bool {
	if !b.parsedStyles {
		b.parsedStyles = true
		if p, ok := b.fmts[-1]; ok {
			if data, err := b.part(p); err == nil {
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

func parseStyles(data []byte) ([]int, map[int]string) {
	fmts := map[int]string{}
	var xfs []int
	inXfs := false
	scanTags(data, func(name string, attrs []byte, self bool, _ int) bool {
		switch name {
		case "numFmt":
			a := attrMap(attrs)
			if id, err := strconv.Atoi(a["numFmtId"]); err == nil {
				fmts[id] = xmlUnescape(a["formatCode"])
			}
		case "cellXfs":
			inXfs = true
		case "/cellXfs":
			inXfs = false
		case "xf":
			if inXfs {
				id, _ := strconv.Atoi(attrMap(attrs)["numFmtId"])
				xfs = append(xfs, id)
			}
		}
		return true
	})
	return xfs, fmts
}

type relationship struct{ id, typ, target string }

func relationships(data []byte) []relationship {
	var out []relationship
	scanTags(data, func(name string, attrs []byte, _ bool, _ int) bool {
		if name == "Relationship" {
			a := attrMap(attrs)
			out = append(out, relationship{a["Id"], a["Type"], xmlUnescape(a["Target"])})
		}
		return true
	})
	return out
}

// sharedStrings reads the shared-string table: the text of each <si>, runs joined, phonetic
// runs (<rPh>, furigana) left out.
func sharedStrings(data []byte) []string {
	var out []string
	for {
		i := indexStartTag(data, "si")
		if i < 0 {
			return out
		}
		data = data[i:]
		gt := bytes.IndexByte(data, '>')
		if gt < 0 {
			return out
		}
		if data[gt-1] == '/' { // <si/>
			out = append(out, "")
			data = data[gt+1:]
			continue
		}
		end := indexEndTag(data[gt+1:], "si")
		if end < 0 {
			return out
		}
		out = append(out, runsText(data[gt+1:gt+1+end]))
		data = data[gt+1+end:]
	}
}

// runsText concatenates the <t> texts of a string item, skipping phonetic runs.
func runsText(body []byte) string {
	var sb strings.Builder
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
				if e := indexEndTag(rest, name); e >= 0 {
					rest = rest[e:]
				}
			}
		case "t":
			if !self {
				if e := indexEndTag(rest, "t"); e >= 0 {
					sb.WriteString(xmlUnescape(string(rest[:closeStart(rest, e)])))
					rest = rest[e:]
				}
			}
		}
		body = rest
	}
	return sb.String()
}

// elementText returns the text of the first <name> element of body.
func elementText(body []byte, name string) (string, bool) {
	i := indexStartTag(body, name)
	if i < 0 {
		return "", false
	}
	_, _, self, end := readTag(body[i:])
	if self || end < 0 {
		return "", true
	}
	rest := body[i+end:]
	e := indexEndTag(rest, name)
	if e < 0 {
		return "", false
	}
	return string(rest[:closeStart(rest, e)]), true
}

// closeStart returns where the end tag that indexEndTag located (ending at e) begins.
func closeStart(b []byte, e int) int { return bytes.LastIndexByte(b[:e], '<') }

// scanTags calls fn for each start tag (name without prefix, raw attributes, self-closing, the
// offset just past the tag) and each end tag (name "/x"); fn returns false to stop.
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
	name := string(inner[:n])
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	if end {
		name = "/" + name
	}
	return name, inner[n:], self, gt + 1
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
		off = i + 1
	}
}

// indexEndTag returns the offset just past </name> in b (with or without a prefix), or -1.
func indexEndTag(b []byte, name string) int {
	off := 0
	for {
		i := bytes.Index(b[off:], []byte("</"))
		if i < 0 {
			return -1
		}
		i += off
		gt := bytes.IndexByte(b[i:], '>')
		if gt < 0 {
			return -1
		}
		n := strings.TrimSpace(string(b[i+2 : i+gt]))
		if j := strings.IndexByte(n, ':'); j >= 0 {
			n = n[j+1:]
		}
		if n == name {
			return i + gt + 1
		}
		off = i + 2
	}
}

// attr returns the raw value of one attribute (by local name) without building a map.
func attr(b []byte, name string) string {
	for i := 0; i < len(b); {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
			i++
		}
		eq := bytes.IndexByte(b[i:], '=')
		if eq < 0 {
			return ""
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
			return ""
		}
		q := b[k]
		end := bytes.IndexByte(b[k+1:], q)
		if end < 0 {
			return ""
		}
		if string(key) == name {
			return string(b[k+1 : k+1+end])
		}
		i = k + 2 + end
	}
	return ""
}

// attrMap parses attributes into local name → raw value.
func attrMap(b []byte) map[string]string {
	m := map[string]string{}
	s := string(b)
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return m
		}
		key := strings.TrimSpace(s[:eq])
		if i := strings.IndexByte(key, ':'); i >= 0 && !strings.HasPrefix(key, "xmlns") {
			key = key[i+1:]
		}
		rest := strings.TrimLeft(s[eq+1:], " \t\r\n")
		if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
			return m
		}
		q := rest[0]
		end := strings.IndexByte(rest[1:], q)
		if end < 0 {
			return m
		}
		m[key] = rest[1 : 1+end]
		s = rest[2+end:]
	}
}

// xmlUnescape decodes XML entities and the _xHHHH_ escapes of OOXML strings.
func xmlUnescape(s string) string {
	if !strings.ContainsAny(s, "&_") {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '&' {
			if j := strings.IndexByte(s[i:], ';'); j > 0 {
				ent := s[i+1 : i+j]
				r, ok := entity(ent)
				if ok {
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

// splitRef splits a cell reference such as F12 into column 6 and row 12.
func splitRef(ref string) (col, row int, ok bool) {
	i := 0
	for i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z' {
		col = col*26 + int(ref[i]-'A'+1)
		i++
	}
	if i == 0 || i == len(ref) {
		return 0, 0, false
	}
	row, err := strconv.Atoi(ref[i:])
	return col, row, err == nil
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
