package exporters

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/survey"
)

// SurveyFiller writes filled survey workbooks of one rulebook from the bytes of its template, as
// the synthetic nation needs thousands of them: the template is built once with excelize
// (WriteSurvey, for a placeholder entity and no answers), and each workbook copies the template's
// unchanged parts as they are compressed, and writes anew only the two that change: the answer
// sheet (the 回答 cells) and the shared-string table (whose last entries are the entity's code,
// name and guide line, at the same index in every workbook, so that the guide and the hidden
// stamp sheets stay as the template has them). A workbook reads exactly as WriteSurvey's for the
// same entity and answers (TestSurveyFillerMatchesWriteSurvey compares every cell); where the fast
// way cannot promise that (an answer excelize would write otherwise, a name long enough to change
// a row's height), Write falls back to WriteSurvey. A filler is safe for concurrent use.
type SurveyFiller struct {
	rb    *indicators.Rulebook
	parts []fillerPart
	// The shared-string table: what comes before the first entry, the fixed entries (the
	// template's, then every answer a choice allows), and the template's entries that name the
	// entity (with the placeholders), written last.
	sstHead string
	sstBody []byte
	nFixed  int
	// The table up to its entity entries, with the counts of a workbook without answers outside the
	// table, compressed once (ending in a sync flush, so that a workbook's compressed entries can
	// follow), and its CRC-32.
	sstFixed    []byte
	sstFixedCRC uint32
	sstFixedLen int
	index       map[string]int
	entityTxt   []string
	// The answer sheet: the text around the answer cells of rb.SelfItems() (len(cells)+1 pieces)
	// and each answer cell as the template has it (empty).
	sheetSegs [][]byte
	cells     []answerCell
	guideLine string
}

// fillerPart is one zip entry of the template: copied as it is (raw), or one of the two parts
// written for each workbook.
type fillerPart struct {
	hdr  zip.FileHeader
	raw  []byte
	kind int
}

const (
	partRaw = iota
	partStrings
	partAnswers
)

type answerCell struct {
	open  string // `<c r="F9" s="4"`
	empty string // the cell as the template has it
}

// Placeholders of the entity in the template: plain ASCII, left alone by safeText and by the XML
// escaping, and unlike any text of a rulebook.
const (
	fillerCode = "KOFUKINCODEX"
	fillerName = "KOFUKINNAMEX"
)

var (
	sstEntry     = regexp.MustCompile(`(?s)<si>.*?</si>`)
	sharedRef    = regexp.MustCompile(`(<c [^>]*\bt="s"[^>]*>)<v>([0-9]+)</v>`)
	sheetOfName  = regexp.MustCompile(`<sheet [^>]*name="([^"]*)"[^>]*r:id="([^"]*)"`)
	relTarget    = regexp.MustCompile(`<Relationship [^>]*Id="([^"]*)"[^>]*Target="([^"]*)"`)
	relTargetRev = regexp.MustCompile(`<Relationship [^>]*Target="([^"]*)"[^>]*Id="([^"]*)"`)
	fastWriters  = sync.Pool{New: func() any {
		w, err := flate.NewWriter(io.Discard, flate.BestSpeed)
		if err != nil {
			panic(err) // only for a bad level
		}
		return w
	}}
)

// NewSurveyFiller builds the template of rulebook rb.
func NewSurveyFiller(rb *indicators.Rulebook) (*SurveyFiller, error) {
	var tmpl bytes.Buffer
	if err := WriteSurvey(&tmpl, rb, SurveyEntity{Code: fillerCode, Name: fillerName}, nil); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(tmpl.Bytes()), int64(tmpl.Len()))
	if err != nil {
		return nil, err
	}
	body := map[string][]byte{}
	for _, zf := range zr.File {
		if body[zf.Name], err = readEntry(zf); err != nil {
			return nil, err
		}
	}
	answersPart, err := sheetPart(body, survey.SheetAnswers)
	if err != nil {
		return nil, err
	}
	s := &SurveyFiller{rb: rb, index: map[string]int{}, guideLine: guideEntityLine(SurveyEntity{Code: fillerCode, Name: fillerName})}
	remap, err := s.sharedStrings(body["xl/sharedStrings.xml"])
	if err != nil {
		return nil, err
	}
	for _, zf := range zr.File {
		p := fillerPart{hdr: zf.FileHeader}
		switch {
		case zf.Name == "xl/sharedStrings.xml":
			p.kind = partStrings
		case zf.Name == answersPart:
			p.kind = partAnswers
			if err := s.answerCells(remapShared(body[zf.Name], remap)); err != nil {
				return nil, err
			}
		case worksheetPart.MatchString(zf.Name):
			// The guide and the stamp: fixed once their shared-string indices are renumbered.
			if p.raw, err = deflatePart(&p.hdr, remapShared(body[zf.Name], remap), flate.DefaultCompression); err != nil {
				return nil, err
			}
		default:
			rc, err := zf.OpenRaw()
			if err != nil {
				return nil, err
			}
			if p.raw, err = io.ReadAll(rc); err != nil {
				return nil, err
			}
		}
		s.parts = append(s.parts, p)
	}
	return s, nil
}

// sheetPart is the zip entry of the worksheet named name.
func sheetPart(body map[string][]byte, name string) (string, error) {
	rels := map[string]string{}
	for _, m := range relTarget.FindAllSubmatch(body["xl/_rels/workbook.xml.rels"], -1) {
		rels[string(m[1])] = string(m[2])
	}
	for _, m := range relTargetRev.FindAllSubmatch(body["xl/_rels/workbook.xml.rels"], -1) {
		rels[string(m[2])] = string(m[1])
	}
	for _, m := range sheetOfName.FindAllSubmatch(body["xl/workbook.xml"], -1) {
		if string(m[1]) == name {
			if t, ok := rels[string(m[2])]; ok {
				return "xl/" + strings.TrimPrefix(t, "/xl/"), nil
			}
		}
	}
	return "", fmt.Errorf("survey template: no sheet %s", name)
}

// sharedStrings splits the template's shared strings into the fixed ones and those naming the
// entity (moved last), adds every answer a yes/no or choice item allows, and returns the new
// index of each old one.
func (s *SurveyFiller) sharedStrings(sst []byte) ([]int, error) {
	locs := sstEntry.FindAllIndex(sst, -1)
	if len(locs) == 0 {
		return nil, fmt.Errorf("survey template: no shared strings")
	}
	head := string(sst[:locs[0][0]])
	s.sstHead = sstCounts.ReplaceAllString(head, "")
	if s.sstHead == head || !strings.HasSuffix(s.sstHead, ">") {
		return nil, fmt.Errorf("survey template: unexpected shared-string table %q", head)
	}
	s.sstHead = strings.TrimSuffix(s.sstHead, ">")
	remap := make([]int, len(locs))
	var body bytes.Buffer
	var entity []int
	for i, l := range locs {
		raw := sst[l[0]:l[1]]
		if bytes.Contains(raw, []byte(fillerCode)) || bytes.Contains(raw, []byte(fillerName)) {
			entity = append(entity, i)
			continue
		}
		remap[i] = s.nFixed
		var si struct {
			T *string    `xml:"t"`
			R []struct{} `xml:"r"`
		}
		if err := xml.Unmarshal(raw, &si); err != nil {
			return nil, fmt.Errorf("survey template: shared string %d: %w", i, err)
		}
		if si.T != nil && len(si.R) == 0 {
			if _, ok := s.index[*si.T]; !ok {
				s.index[*si.T] = s.nFixed
			}
		}
		body.Write(raw)
		s.nFixed++
	}
	for _, it := range s.rb.SelfItems() {
		var values []string
		switch it.Rule.Type {
		case indicators.RuleYesNo:
			values = []string{survey.Yes, survey.No}
		case indicators.RuleChoice:
			for _, o := range it.Rule.Options {
				values = append(values, o.Value)
			}
		}
		for _, v := range values {
			v = safeText(v)
			if _, ok := s.index[v]; ok || !plainString(v) {
				continue
			}
			s.index[v] = s.nFixed
			if err := writeSI(&body, v); err != nil {
				return nil, err
			}
			s.nFixed++
		}
	}
	for k, i := range entity {
		remap[i] = s.nFixed + k
		var si struct {
			T string `xml:"t"`
		}
		if err := xml.Unmarshal(sst[locs[i][0]:locs[i][1]], &si); err != nil {
			return nil, fmt.Errorf("survey template: shared string %d: %w", i, err)
		}
		s.entityTxt = append(s.entityTxt, si.T)
	}
	s.sstBody = body.Bytes()
	start := s.sstHeadWithCounts(0)
	var out bytes.Buffer
	fw, err := flate.NewWriter(&out, flate.DefaultCompression)
	if err != nil {
		return nil, err
	}
	for _, b := range [][]byte{[]byte(start), s.sstBody} {
		if _, err := fw.Write(b); err != nil {
			return nil, err
		}
	}
	if err := fw.Flush(); err != nil {
		return nil, err
	}
	s.sstFixed = out.Bytes()
	s.sstFixedCRC = crc32.Update(crc32.ChecksumIEEE([]byte(start)), crc32.IEEETable, s.sstBody)
	s.sstFixedLen = len(start) + len(s.sstBody)
	return remap, nil
}

// sstHeadWithCounts is the start of the shared-string table, up to its first entry, when extra
// strings are added after the entity's.
func (s *SurveyFiller) sstHeadWithCounts(extra int) string {
	n := strconv.Itoa(s.nFixed + len(s.entityTxt) + extra)
	return s.sstHead + ` count="` + n + `" uniqueCount="` + n + `">`
}

var sstCounts = regexp.MustCompile(`\s+(count|uniqueCount)="[0-9]*"`)

// remapShared renumbers a sheet's shared-string references.
func remapShared(sheet []byte, remap []int) []byte {
	return sharedRef.ReplaceAllFunc(sheet, func(m []byte) []byte {
		sub := sharedRef.FindSubmatch(m)
		old, err := strconv.Atoi(string(sub[2]))
		if err != nil || old >= len(remap) {
			return m // not the template's: left as it is (never happens)
		}
		return append(append(append([]byte{}, sub[1]...), "<v>"+strconv.Itoa(remap[old])...), "</v>"...)
	})
}

// answerCells cuts the answer sheet around the answer cell of each self-reported item.
func (s *SurveyFiller) answerCells(sheet []byte) error {
	col := colLetter(survey.ColAnswer)
	pos := 0
	for i := range s.rb.SelfItems() {
		open := `<c r="` + col + strconv.Itoa(survey.HeaderRow+1+i) + `"`
		start := bytes.Index(sheet[pos:], []byte(open))
		if start < 0 {
			return fmt.Errorf("survey template: no cell %s", open)
		}
		start += pos
		gt := bytes.IndexByte(sheet[start:], '>')
		if gt < 0 {
			return fmt.Errorf("survey template: cell %s not closed", open)
		}
		end := start + gt + 1
		attrs := string(sheet[start:end])
		if strings.HasSuffix(attrs, "/>") {
			attrs = strings.TrimSuffix(attrs, "/>")
		} else if bytes.HasPrefix(sheet[end:], []byte("</c>")) {
			attrs = strings.TrimSuffix(attrs, ">")
			end += len("</c>")
		} else {
			return fmt.Errorf("survey template: answer cell %s is not empty", open)
		}
		if strings.Contains(attrs, " t=") {
			return fmt.Errorf("survey template: answer cell %s has a type", open)
		}
		s.sheetSegs = append(s.sheetSegs, sheet[pos:start])
		s.cells = append(s.cells, answerCell{open: attrs, empty: string(sheet[start:end])})
		pos = end
	}
	s.sheetSegs = append(s.sheetSegs, sheet[pos:])
	return nil
}

// plainString reports whether excelize writes s into the shared strings as it is (no trimming,
// no xml:space, no characters XML cannot hold), so that a filled cell can hold it.
func plainString(s string) bool {
	if s == "" || len(s) > 1000 || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r == unicode.ReplacementChar || (r < 0x20) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

// writeSI writes one shared string.
func writeSI(b *bytes.Buffer, s string) error {
	b.WriteString("<si><t>")
	if err := xml.EscapeText(b, []byte(s)); err != nil {
		return err
	}
	b.WriteString("</t></si>")
	return nil
}

// Write writes the survey workbook of entity e with answers (item id → value as typed), read as
// WriteSurvey's for the same arguments.
func (s *SurveyFiller) Write(w io.Writer, e SurveyEntity, answers map[string]string) error {
	if !s.fits(e) {
		return WriteSurvey(w, s.rb, e, answers)
	}
	var sheet bytes.Buffer
	sheet.Grow(len(s.sheetSegs[0]) * 2)
	var extra []string
	extraIdx := map[string]int{}
	nEntity := len(s.entityTxt)
	for i, it := range s.rb.SelfItems() {
		sheet.Write(s.sheetSegs[i])
		c := s.cells[i]
		v, ok := answers[it.ID]
		if !ok || v == "" {
			sheet.WriteString(c.empty)
			continue
		}
		if x, err := strconv.ParseFloat(v, 64); err == nil && it.Rule.Type != indicators.RuleYesNo {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return WriteSurvey(w, s.rb, e, answers)
			}
			sheet.WriteString(c.open + "><v>" + strconv.FormatFloat(x, 'f', -1, 64) + "</v></c>")
			continue
		}
		t := safeText(v)
		idx, ok := s.index[t]
		if !ok {
			if !plainString(t) {
				return WriteSurvey(w, s.rb, e, answers)
			}
			if idx, ok = extraIdx[t]; !ok {
				idx = s.nFixed + nEntity + len(extra)
				extraIdx[t] = idx
				extra = append(extra, t)
			}
		}
		sheet.WriteString(c.open + ` t="s"><v>` + strconv.Itoa(idx) + "</v></c>")
	}
	sheet.Write(s.sheetSegs[len(s.cells)])

	// The shared strings: the fixed entries as compressed once, then the entity's (and any extra
	// answers) compressed anew. Extra answers change the counts at the start: then the whole
	// table is compressed anew.
	var tail bytes.Buffer
	if len(extra) > 0 {
		tail.Grow(len(s.sstBody) + 512)
		tail.WriteString(s.sstHeadWithCounts(len(extra)))
		tail.Write(s.sstBody)
	}
	for _, t := range s.entityTxt {
		if err := writeSI(&tail, s.entityText(t, e)); err != nil {
			return err
		}
	}
	for _, t := range extra {
		if err := writeSI(&tail, t); err != nil {
			return err
		}
	}
	tail.WriteString("</sst>")

	zw := zip.NewWriter(w)
	for _, p := range s.parts {
		hdr := p.hdr
		raw := p.raw
		var err error
		switch p.kind {
		case partStrings:
			raw, err = compressPart(&hdr, tail.Bytes(), largePartLevel)
			if err == nil && len(extra) == 0 {
				raw = append(append(make([]byte, 0, len(s.sstFixed)+len(raw)), s.sstFixed...), raw...)
				hdr.CRC32 = crc32.Update(s.sstFixedCRC, crc32.IEEETable, tail.Bytes())
				hdr.UncompressedSize64 += uint64(s.sstFixedLen)
				hdr.CompressedSize64 = uint64(len(raw))
			}
		case partAnswers:
			raw, err = compressPart(&hdr, sheet.Bytes(), largePartLevel)
		}
		if err != nil {
			return err
		}
		if err := writeRaw(zw, &hdr, raw); err != nil {
			return err
		}
	}
	return zw.Close()
}

// entityText is a template string naming the entity, for entity e: as WriteSurvey writes it.
func (s *SurveyFiller) entityText(t string, e SurveyEntity) string {
	t = strings.ReplaceAll(t, fillerCode, e.Code)
	t = strings.ReplaceAll(t, fillerName, e.PrefectureName+e.Name)
	return safeText(t)
}

// fits reports whether entity e's workbook can be written from the template: its texts are
// plain, and its guide line takes as many lines as the placeholder's (the row's height is the
// template's).
func (s *SurveyFiller) fits(e SurveyEntity) bool {
	for _, t := range []string{e.Code, e.PrefectureName + e.Name, guideEntityLine(e)} {
		if !plainString(safeText(t)) || strings.Contains(t, fillerCode) || strings.Contains(t, fillerName) {
			return false
		}
	}
	const width = 120 // the guide's column (writeGuide)
	return textLines(guideEntityLine(e), width) == textLines(s.guideLine, width)
}

// deflatePart compresses body at level into a new slice and sets hdr's method, CRC and sizes.
func deflatePart(hdr *zip.FileHeader, body []byte, level int) ([]byte, error) {
	if level == flate.BestSpeed {
		fw := fastWriters.Get().(*flate.Writer)
		defer fastWriters.Put(fw)
		return deflateWith(hdr, body, fw)
	}
	fw, err := flate.NewWriter(io.Discard, level)
	if err != nil {
		return nil, err
	}
	return deflateWith(hdr, body, fw)
}

// deflater is a deflate writer that can be reset onto a new output (compress/flate's or
// klauspost/compress's).
type deflater interface {
	io.WriteCloser
	Reset(io.Writer)
}

// deflateWith compresses body with fw (reset onto a new buffer) and sets hdr's method, CRC and
// sizes: a zip part's raw bytes for writeRaw.
func deflateWith(hdr *zip.FileHeader, body []byte, fw deflater) ([]byte, error) {
	var out bytes.Buffer
	fw.Reset(&out)
	if _, err := fw.Write(body); err != nil {
		return nil, err
	}
	if err := fw.Close(); err != nil {
		return nil, err
	}
	hdr.Method = zip.Deflate
	hdr.CRC32 = crc32.ChecksumIEEE(body)
	hdr.UncompressedSize64 = uint64(len(body))
	hdr.CompressedSize64 = uint64(out.Len())
	return out.Bytes(), nil
}
