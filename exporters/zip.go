package exporters

import (
	"archive/zip"
	"bytes"
	"io"
	"sort"

	"github.com/xuri/excelize/v2"
)

// save writes f to w with its zip entries in name order. excelize writes the parts of sheets made
// with its stream writer in map order, so two writes of the same workbook can differ in entry
// order only; sorting makes the same rows give the same bytes.
func save(w io.Writer, f *excelize.File) error {
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
