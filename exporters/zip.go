package exporters

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"sync"

	kflate "github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"
)

// save writes f to w with its zip entries in name order. excelize writes the parts of sheets made
// with its stream writer in map order, so two writes of the same workbook can differ in entry
// order only; sorting makes the same rows give the same bytes. The first error recorded while
// the workbook was written is returned before anything is. Each sheet's <dimension> is set to the
// range its cells span (worksheetDimension). A large part is compressed at a faster level
// (largePart). excelize hands its parts to a collector (parts)
// rather than to a zip writer, so that each part is compressed once, after it is edited.
func save(w io.Writer, f *book) error {
	if f.err != nil {
		return f.err
	}
	// The parts of the sheets with rows to splice in (a new workbook's sheet of id n is
	// xl/worksheets/sheet<n>.xml).
	splice := map[string]*sheetRows{}
	if len(f.rows) > 0 {
		for id, name := range f.GetSheetMap() {
			if rows, ok := f.rows[name]; ok {
				splice["xl/worksheets/sheet"+strconv.Itoa(id)+".xml"] = rows
			}
		}
		if len(splice) != len(f.rows) {
			return fmt.Errorf("rows to splice into %d sheet(s), %d found", len(f.rows), len(splice))
		}
	}
	ps := &parts{}
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return ps })
	if _, err := f.WriteToBuffer(); err != nil {
		return err
	}
	if err := wireTemplateCharts(ps, f); err != nil {
		return err
	}
	offset := 0 // excelize's shared strings, before those of the rows written as XML
	if f.sst != nil && len(f.sst.list) > 0 {
		found := false
		for k, p := range ps.list {
			if p.name == "xl/sharedStrings.xml" {
				body, own, err := appendSharedStrings(p.body.Bytes(), f.sst)
				if err != nil {
					return err
				}
				ps.list[k].body, offset, found = bytes.NewBuffer(body), own, true
			}
		}
		if !found {
			return errors.New("rows with shared strings in a workbook without a shared string table")
		}
	}
	sort.SliceStable(ps.list, func(i, j int) bool { return entryRank(ps.list[i].name) < entryRank(ps.list[j].name) })
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, p := range ps.list {
		body := p.body.Bytes()
		switch {
		case p.name == "[Content_Types].xml":
			body = sortContentTypes(body)
		case worksheetPart.MatchString(p.name):
			rows := splice[p.name]
			delete(splice, p.name)
			var err error
			if body, err = worksheetDimension(body, rows, offset); err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
		}
		if err := f.writePart(zw, p.name, body); err != nil {
			return err
		}
	}
	if len(splice) > 0 {
		return fmt.Errorf("rows to splice into %d sheet(s) without a part", len(splice))
	}
	if err := zw.Close(); err != nil {
		return err
	}
	_, err := w.Write(out.Bytes())
	return err
}

// An export workbook's parts are deflated with klauspost/compress's deflate, which took a third
// of the time of compress/flate's for the parts of the national export (small parts at level 6:
// 0.4 s against 1.2 s for 3,057 parts, 3 % more bytes; the large review sheets at level 1: 1.7 s
// against 2.6 s at compress/flate's BestSpeed, 3 % fewer bytes). A part from largePart on is
// compressed at a faster level (largePartLevel, or flate.BestSpeed for the other workbooks): the
// largest review sheet (17 MB of XML) compresses twice as fast as at partLevel into about a
// quarter more bytes. A writer reset gives the bytes a new one gives (TestCompressPartReused), so
// that which pooled writer a part gets cannot change a workbook's bytes.
const (
	largePart      = 1 << 20
	partLevel      = 6
	largePartLevel = 1
)

// partWriters are deflate writers by level (partLevel, largePartLevel), reused: making one costs
// more than compressing a small part.
var partWriters = map[int]*sync.Pool{partLevel: newWriterPool(partLevel), largePartLevel: newWriterPool(largePartLevel)}

func newWriterPool(level int) *sync.Pool {
	return &sync.Pool{New: func() any {
		w, err := kflate.NewWriter(io.Discard, level)
		if err != nil {
			panic(err) // only for a bad level
		}
		return w
	}}
}

// compressPart deflates a part's body at level (partLevel or largePartLevel) and fills in hdr's
// method, CRC and sizes, for writeRaw.
func compressPart(hdr *zip.FileHeader, body []byte, level int) ([]byte, error) {
	pool := partWriters[level]
	if pool == nil {
		return nil, fmt.Errorf("no deflate writer of level %d", level)
	}
	fw := pool.Get().(*kflate.Writer)
	defer pool.Put(fw)
	return deflateWith(hdr, body, fw)
}

// writePart adds a part to a workbook's zip: deflated by klauspost/compress for the export's
// workbooks (fastDeflate), else by compress/flate — archive/zip's own at its default level, at
// flate.BestSpeed from largePart on — as the other workbooks (survey forms, status and diff
// workbooks) always were, so that their bytes stay as they were.
func (f *book) writePart(zw *zip.Writer, name string, body []byte) error {
	hdr := zip.FileHeader{Name: name}
	var raw []byte
	var err error
	switch {
	case f.fastDeflate:
		level := partLevel
		if len(body) >= largePart {
			level = largePartLevel
		}
		raw, err = compressPart(&hdr, body, level)
	case len(body) >= largePart:
		raw, err = deflatePart(&hdr, body, flate.BestSpeed)
	default:
		hdr.Method = zip.Deflate
		w, err := zw.CreateHeader(&hdr)
		if err != nil {
			return err
		}
		_, err = w.Write(body)
		return err
	}
	if err != nil {
		return err
	}
	return writeRaw(zw, &hdr, raw)
}

// parts is an excelize.ZipWriter that keeps each part's bytes, uncompressed, in the order written.
type parts struct {
	list []part
}

type part struct {
	name string
	body *bytes.Buffer
}

// Create starts a part.
func (z *parts) Create(name string) (io.Writer, error) {
	b := new(bytes.Buffer)
	z.list = append(z.list, part{name, b})
	return b, nil
}

// AddFS is not used by excelize's writer.
func (z *parts) AddFS(fs.FS) error {
	return errors.New("exporters: adding a file system to a workbook is not supported")
}

// Close does nothing: save writes the zip.
func (z *parts) Close() error { return nil }

// entryRank orders [Content_Types].xml first (as Office expects), then the rest by name.
func entryRank(name string) string {
	if name == "[Content_Types].xml" {
		return "\x00"
	}
	return name
}

var (
	worksheetPart = regexp.MustCompile(`^xl/worksheets/sheet[0-9]+\.xml$`)
	dimensionElem = regexp.MustCompile(`<dimension ref="[^"]*"\s*(/>|></dimension>)`)
)

// worksheetDimension returns a sheet's XML with its <dimension> naming the range its cells span,
// and rows (if any) spliced in before </sheetData>, their shared strings' indexes moved by offset. The stream writer declares <dimension
// ref="A1"/> whatever it writes, and readers that trust the dimension (openpyxl in read-only
// mode, some importers) would see one cell.
func worksheetDimension(body []byte, rows *sheetRows, offset int) ([]byte, error) {
	end := -1
	if rows != nil {
		if end = bytes.Index(body, sheetDataEnd); end < 0 || bytes.Index(body[end+1:], sheetDataEnd) >= 0 {
			return nil, errors.New("no single </sheetData> to splice rows before")
		}
	}
	loc := dimensionElem.FindIndex(body)
	if loc == nil {
		if rows != nil {
			return nil, errors.New("no <dimension> before the rows to splice")
		}
		return body, nil
	}
	c := usedCells(body)
	if rows != nil && rows.row > 0 {
		c = c.union(cellRange{1, rows.firstRow, rows.lastCol, rows.lastRow})
	}
	ref := c.ref()
	var out bytes.Buffer
	grow := len(body) + len(ref)
	if rows != nil {
		grow += rows.buf.Len()
	}
	out.Grow(grow)
	out.Write(body[:loc[0]])
	out.WriteString(`<dimension ref="` + ref + `"/>`)
	if rows == nil {
		out.Write(body[loc[1]:])
		return out.Bytes(), nil
	}
	out.Write(body[loc[1]:end])
	if rows.sst != nil {
		if err := writeRenumbered(&out, rows.buf.Bytes(), offset); err != nil {
			return nil, err
		}
	} else {
		out.Write(rows.buf.Bytes())
	}
	out.Write(body[end:])
	return out.Bytes(), nil
}

var sheetDataEnd = []byte(`</sheetData>`)

// cellRange is a range of cells by first and last column and row (1-based; all 0: no cell).
type cellRange struct{ minCol, minRow, maxCol, maxRow int }

// union is the smallest range holding both.
func (c cellRange) union(d cellRange) cellRange {
	if c.maxCol == 0 {
		return d
	}
	if d.maxCol == 0 {
		return c
	}
	return cellRange{min(c.minCol, d.minCol), min(c.minRow, d.minRow), max(c.maxCol, d.maxCol), max(c.maxRow, d.maxRow)}
}

// ref names the range as Excel writes it: "A1" for no cell, one cell's name, or "A1:P9".
func (c cellRange) ref() string {
	if c.maxCol == 0 {
		return "A1"
	}
	first, last := colLetters(c.minCol)+strconv.Itoa(c.minRow), colLetters(c.maxCol)+strconv.Itoa(c.maxRow)
	if first == last {
		return first
	}
	return first + ":" + last
}

// usedRange is the range from the first to the last column and row of a sheet's cells ("A1" for
// a sheet without cells), as Excel writes it.
func usedRange(sheet []byte) string { return usedCells(sheet).ref() }

// usedCells is the range from the first to the last column and row of a sheet's cells. It scans
// for each cell's opening `<c r="` by hand: a regular expression over every cell of a large sheet
// cost more than writing it.
func usedCells(sheet []byte) cellRange {
	minCol, minRow, maxCol, maxRow := 0, 0, 0, 0
	open := []byte(`<c r="`)
	for i := 0; ; {
		k := bytes.Index(sheet[i:], open)
		if k < 0 {
			break
		}
		i += k + len(open)
		col, row, j := 0, 0, i
		for j < len(sheet) && j-i < 3 && sheet[j] >= 'A' && sheet[j] <= 'Z' {
			col = col*26 + int(sheet[j]-'A'+1)
			j++
		}
		d := j
		for j < len(sheet) && j-d < 7 && sheet[j] >= '0' && sheet[j] <= '9' {
			row = row*10 + int(sheet[j]-'0')
			j++
		}
		if j == i || j == d || j >= len(sheet) || sheet[j] != '"' {
			continue // not a cell reference
		}
		if minCol == 0 || col < minCol {
			minCol = col
		}
		if minRow == 0 || row < minRow {
			minRow = row
		}
		maxCol, maxRow = max(maxCol, col), max(maxRow, row)
	}
	return cellRange{minCol, minRow, maxCol, maxRow}
}

// colLetters is the name of column n (1-based): A, …, Z, AA, ….
func colLetters(n int) string {
	var b []byte
	for ; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return string(b)
}

func readEntry(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return body, err
}

var defaultElem = regexp.MustCompile(`<Default [^>]*?(/>|></Default>)`)

// sortContentTypes returns [Content_Types].xml with its <Default> elements in sorted order
// (excelize adds the image extensions of a chart in map order).
func sortContentTypes(body []byte) []byte {
	locs := defaultElem.FindAllIndex(body, -1)
	if len(locs) <= 1 {
		return body
	}
	elems := make([]string, len(locs))
	for i, l := range locs {
		elems[i] = string(body[l[0]:l[1]])
	}
	sort.Strings(elems)
	var out bytes.Buffer
	prev := 0
	for i, l := range locs {
		out.Write(body[prev:l[0]])
		out.WriteString(elems[i])
		prev = l[1]
	}
	out.Write(body[prev:])
	return out.Bytes()
}

// writeRaw adds a part already compressed (raw, described by hdr: method, CRC and sizes) to zw.
func writeRaw(zw *zip.Writer, hdr *zip.FileHeader, raw []byte) error {
	pw, err := zw.CreateRaw(hdr)
	if err != nil {
		return err
	}
	_, err = pw.Write(raw)
	return err
}
