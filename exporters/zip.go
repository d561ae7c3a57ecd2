package exporters

import (
	"archive/zip"
	"bytes"
	"io"
	"regexp"
	"sort"
	"strconv"
)

// save writes f to w with its zip entries in name order. excelize writes the parts of sheets made
// with its stream writer in map order, so two writes of the same workbook can differ in entry
// order only; sorting makes the same rows give the same bytes. The first error recorded while
// the workbook was written is returned before anything is. Each sheet's <dimension> is set to the
// range its cells span (writeWorksheet).
func save(w io.Writer, f *book) error {
	if f.err != nil {
		return f.err
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return err
	}
	files := append([]*zip.File(nil), zr.File...)
	sort.SliceStable(files, func(i, j int) bool { return entryRank(files[i].Name) < entryRank(files[j].Name) })
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range files {
		if zf.Name == "[Content_Types].xml" {
			if err := writeContentTypes(zw, zf); err != nil {
				return err
			}
			continue
		}
		if worksheetPart.MatchString(zf.Name) {
			if err := writeWorksheet(zw, zf); err != nil {
				return err
			}
			continue
		}
		hdr := zf.FileHeader
		w, err := zw.CreateRaw(&hdr) // copy the compressed bytes as they are
		if err != nil {
			return err
		}
		rc, err := zf.OpenRaw()
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, rc); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	_, err = w.Write(out.Bytes())
	return err
}

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
	cellRef       = regexp.MustCompile(`<c r="([A-Z]{1,3})([0-9]{1,7})"`)
)

// writeWorksheet writes a sheet's XML with its <dimension> naming the range its cells span. The
// stream writer declares <dimension ref="A1"/> whatever it writes, and readers that trust the
// dimension (openpyxl in read-only mode, some importers) would see one cell.
func writeWorksheet(zw *zip.Writer, zf *zip.File) error {
	body, err := readEntry(zf)
	if err != nil {
		return err
	}
	if loc := dimensionElem.FindIndex(body); loc != nil {
		ref := usedRange(body)
		var out bytes.Buffer
		out.Grow(len(body) + len(ref))
		out.Write(body[:loc[0]])
		out.WriteString(`<dimension ref="` + ref + `"/>`)
		out.Write(body[loc[1]:])
		body = out.Bytes()
	}
	return writeEntry(zw, zf.Name, body)
}

// usedRange is the range from the first to the last column and row of a sheet's cells ("A1" for
// a sheet without cells), as Excel writes it.
func usedRange(sheet []byte) string {
	minCol, minRow, maxCol, maxRow := 0, 0, 0, 0
	for _, m := range cellRef.FindAllSubmatch(sheet, -1) {
		col, row := 0, 0
		for _, c := range m[1] {
			col = col*26 + int(c-'A'+1)
		}
		for _, d := range m[2] {
			row = row*10 + int(d-'0')
		}
		if minCol == 0 || col < minCol {
			minCol = col
		}
		if minRow == 0 || row < minRow {
			minRow = row
		}
		maxCol, maxRow = max(maxCol, col), max(maxRow, row)
	}
	if maxCol == 0 {
		return "A1"
	}
	first, last := colLetters(minCol)+strconv.Itoa(minRow), colLetters(maxCol)+strconv.Itoa(maxRow)
	if first == last {
		return first
	}
	return first + ":" + last
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

func writeEntry(zw *zip.Writer, name string, body []byte) error {
	hdr := zip.FileHeader{Name: name, Method: zip.Deflate}
	w, err := zw.CreateHeader(&hdr)
	if err != nil {
		return err
	}
	_, err = w.Write(body)
	return err
}

var defaultElem = regexp.MustCompile(`<Default [^>]*?(/>|></Default>)`)

// writeContentTypes writes [Content_Types].xml with its <Default> elements in sorted order
// (excelize adds the image extensions of a chart in map order).
func writeContentTypes(zw *zip.Writer, zf *zip.File) error {
	body, err := readEntry(zf)
	if err != nil {
		return err
	}
	locs := defaultElem.FindAllIndex(body, -1)
	if len(locs) > 1 {
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
		body = out.Bytes()
	}
	return writeEntry(zw, zf.Name, body)
}
