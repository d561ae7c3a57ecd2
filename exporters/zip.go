package exporters

import (
	"archive/zip"
	"bytes"
	"io"
	"regexp"
	"sort"
)

// save writes f to w with its zip entries in name order. excelize writes the parts of sheets made
// with its stream writer in map order, so two writes of the same workbook can differ in entry
// order only; sorting makes the same rows give the same bytes. The first error recorded while
// the workbook was written is returned before anything is.
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

var defaultElem = regexp.MustCompile(`<Default [^>]*?(/>|></Default>)`)

// writeContentTypes writes [Content_Types].xml with its <Default> elements in sorted order
// (excelize adds the image extensions of a chart in map order).
func writeContentTypes(zw *zip.Writer, zf *zip.File) error {
	rc, err := zf.Open()
	if err != nil {
		return err
	}
	body, err := io.ReadAll(rc)
	rc.Close()
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
	hdr := zip.FileHeader{Name: zf.Name, Method: zip.Deflate}
	w, err := zw.CreateHeader(&hdr)
	if err != nil {
		return err
	}
	_, err = w.Write(body)
	return err
}
