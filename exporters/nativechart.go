package exporters

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/xuri/excelize/v2"
)

// Charts by template: the 地域診断 block puts two charts on each of 1,741 feedback sheets, and
// excelize's AddChart builds and marshals each chart's whole XML tree (about a fifth of the
// national export's CPU). The charts of one kind differ only in the cells they read, so a
// chartTemplate asks excelize once for the chart's XML with placeholder references, and each
// chart is that XML with its own references put in (the same bytes AddChart would write for
// them). save wires the charts into the workbook: a drawing per sheet (one-cell anchors of the
// chart's size in pixels), its relationships, the sheet's <drawing> and the content types.

// chartTemplate is a chart's XML cut at its references.
type chartTemplate struct {
	chart func(refs []string) *excelize.Chart // the chart reading refs, in the order of Render's
	refs  int                                 // how many references chart takes

	once   sync.Once
	pieces [][]byte // refs+1 pieces of XML around the references
	err    error
}

// chartToken is the placeholder of a template's i-th reference: a reference excelize writes as
// given, and no prefix of another (fixed width).
func chartToken(i int) string { return fmt.Sprintf("'KFREF'!$ZZ$%04d", 1000+i) }

// build makes the template's pieces from the chart excelize writes for the placeholder
// references: each placeholder must be found exactly once in the XML.
func (t *chartTemplate) build() {
	tokens := make([]string, t.refs)
	for i := range tokens {
		tokens[i] = chartToken(i)
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.AddChart("Sheet1", "A1", t.chart(tokens)); err != nil {
		t.err = err
		return
	}
	ps := &parts{}
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return ps })
	if _, err := f.WriteToBuffer(); err != nil {
		t.err = err
		return
	}
	var body []byte
	for _, p := range ps.list {
		if p.name == "xl/charts/chart1.xml" {
			body = p.body.Bytes()
		}
	}
	if body == nil {
		t.err = errors.New("chart template: excelize wrote no chart part")
		return
	}
	rest := body
	for i, tok := range tokens {
		esc := xmlEscaped(tok)
		if bytes.Count(body, esc) != 1 {
			t.err = fmt.Errorf("chart template: reference %d found %d times in the chart's XML", i, bytes.Count(body, esc))
			return
		}
		k := bytes.Index(rest, esc)
		if k < 0 {
			t.err = fmt.Errorf("chart template: reference %d is not after reference %d in the chart's XML", i, i-1)
			return
		}
		t.pieces = append(t.pieces, bytes.Clone(rest[:k]))
		rest = rest[k+len(esc):]
	}
	t.pieces = append(t.pieces, bytes.Clone(rest))
}

// Render returns the chart's XML reading refs (as many as the template's references).
func (t *chartTemplate) Render(refs []string) ([]byte, error) {
	t.once.Do(t.build)
	if t.err != nil {
		return nil, t.err
	}
	if len(refs) != t.refs {
		return nil, fmt.Errorf("chart template: %d references, want %d", len(refs), t.refs)
	}
	n := 0
	for _, p := range t.pieces {
		n += len(p)
	}
	var b bytes.Buffer
	b.Grow(n + 64*len(refs))
	for i, p := range t.pieces {
		b.Write(p)
		if i < len(refs) {
			b.Write(xmlEscaped(refs[i]))
		}
	}
	return b.Bytes(), nil
}

// xmlEscaped is s as encoding/xml writes it in character data (' as &#39; …).
func xmlEscaped(s string) []byte {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // writes to a bytes.Buffer do not fail
	return b.Bytes()
}

// nativeChart is a chart of a sheet, from a template: its XML and where it goes.
type nativeChart struct {
	col, row      int // the top-left cell (1-based)
	width, height int // in pixels
	xml           []byte
}

// addTemplateChart puts on sheet, with its top-left corner at cell (col, row), the chart of
// template t reading refs, of the given size in pixels. save writes it.
func (b *book) addTemplateChart(sheet string, col, row, width, height int, t *chartTemplate, refs ...string) {
	if b.err != nil {
		return
	}
	x, err := t.Render(refs)
	if err != nil {
		b.fail(err, "chart on %s", sheet)
		return
	}
	if b.charts == nil {
		b.charts = map[string][]nativeChart{}
	}
	b.charts[sheet] = append(b.charts[sheet], nativeChart{col: col, row: row, width: width, height: height, xml: x})
}

const (
	nsSpreadsheetDrawing = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
	nsDrawingMain        = "http://schemas.openxmlformats.org/drawingml/2006/main"
	nsChart              = "http://schemas.openxmlformats.org/drawingml/2006/chart"
	nsRelationships      = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsPackageRels        = "http://schemas.openxmlformats.org/package/2006/relationships"
	relDrawing           = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
	relChart             = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart"
	ctDrawing            = "application/vnd.openxmlformats-officedocument.drawing+xml"
	ctChart              = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
	// templateDrawingRel is the id of the relationship from a sheet to its template charts'
	// drawing (excelize's own are rId1, rId2 …).
	templateDrawingRel = "rIdKfCharts"
	emuPerPixel        = 9525
)

var (
	drawingPart = regexp.MustCompile(`^xl/drawings/drawing([0-9]+)\.xml$`)
	chartPart   = regexp.MustCompile(`^xl/charts/chart([0-9]+)\.xml$`)
	// afterDrawing are the worksheet elements that come after <drawing> (ECMA-376 CT_Worksheet),
	// but for <extLst>, which may also be nested in earlier elements.
	afterDrawing = [][]byte{[]byte("<legacyDrawing"), []byte("<drawingHF"), []byte("<picture"), []byte("<oleObjects"),
		[]byte("<controls"), []byte("<webPublishItems"), []byte("<tableParts"), []byte("</worksheet>")}
)

// wireTemplateCharts adds to the parts excelize wrote the template charts of f: for each sheet
// with charts (in sheet order), a drawing part and its relationships, the chart parts (numbered
// after excelize's), the sheet's <drawing> and relationship, and their content types.
func wireTemplateCharts(ps *parts, f *book) error {
	if len(f.charts) == 0 {
		return nil
	}
	byName := map[string]int{} // part name → index in ps.list
	for k, p := range ps.list {
		byName[p.name] = k
	}
	maxOf := func(re *regexp.Regexp) int {
		n := 0
		for _, p := range ps.list {
			if m := re.FindStringSubmatch(p.name); m != nil {
				k, _ := strconv.Atoi(m[1])
				n = max(n, k)
			}
		}
		return n
	}
	nextDrawing, nextChart := maxOf(drawingPart)+1, maxOf(chartPart)+1
	ids := map[string]int{}
	for id, name := range f.GetSheetMap() {
		ids[name] = id
	}
	sheets := make([]string, 0, len(f.charts))
	for s := range f.charts {
		if _, ok := ids[s]; !ok {
			return fmt.Errorf("charts on %q, a sheet the workbook does not have", s)
		}
		sheets = append(sheets, s)
	}
	sort.Slice(sheets, func(i, j int) bool { return ids[sheets[i]] < ids[sheets[j]] })
	var types strings.Builder
	add := func(name string, body []byte) {
		byName[name] = len(ps.list)
		ps.list = append(ps.list, part{name, bytes.NewBuffer(body)})
	}
	for _, s := range sheets {
		id := strconv.Itoa(ids[s])
		sheetName := "xl/worksheets/sheet" + id + ".xml"
		k, ok := byName[sheetName]
		if !ok {
			return fmt.Errorf("charts on %q: no part %s", s, sheetName)
		}
		body, err := withDrawing(ps.list[k].body.Bytes())
		if err != nil {
			return fmt.Errorf("charts on %q: %w", s, err)
		}
		ps.list[k].body = bytes.NewBuffer(body)
		drawing := "drawing" + strconv.Itoa(nextDrawing) + ".xml"
		nextDrawing++
		rel := `<Relationship Id="` + templateDrawingRel + `" Type="` + relDrawing + `" Target="../drawings/` + drawing + `"/>`
		relsName := "xl/worksheets/_rels/sheet" + id + ".xml.rels"
		if k, ok := byName[relsName]; ok {
			rels := ps.list[k].body.Bytes()
			end := bytes.LastIndex(rels, []byte("</Relationships>"))
			if end < 0 || bytes.Contains(rels, []byte(`"`+templateDrawingRel+`"`)) {
				return fmt.Errorf("charts on %q: %s cannot take the drawing's relationship", s, relsName)
			}
			ps.list[k].body = bytes.NewBuffer(append(append(append([]byte{}, rels[:end]...), rel...), rels[end:]...))
		} else {
			add(relsName, []byte(xml.Header+`<Relationships xmlns="`+nsPackageRels+`">`+rel+`</Relationships>`))
		}
		var d, dr strings.Builder
		d.WriteString(xml.Header + `<xdr:wsDr xmlns:xdr="` + nsSpreadsheetDrawing + `" xmlns:a="` + nsDrawingMain + `">`)
		dr.WriteString(xml.Header + `<Relationships xmlns="` + nsPackageRels + `">`)
		for i, c := range f.charts[s] {
			chart := "chart" + strconv.Itoa(nextChart) + ".xml"
			nextChart++
			rid := "rId" + strconv.Itoa(i+1)
			fmt.Fprintf(&d, `<xdr:oneCellAnchor><xdr:from><xdr:col>%d</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>%d</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>`+
				`<xdr:ext cx="%d" cy="%d"/><xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="%d" name="Chart %d"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>`+
				`<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic><a:graphicData uri="%s"><c:chart xmlns:c="%s" xmlns:r="%s" r:id="%s"/></a:graphicData></a:graphic>`+
				`</xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor>`,
				c.col-1, c.row-1, c.width*emuPerPixel, c.height*emuPerPixel, i+2, i+1, nsChart, nsChart, nsRelationships, rid)
			dr.WriteString(`<Relationship Id="` + rid + `" Type="` + relChart + `" Target="../charts/` + chart + `"/>`)
			add("xl/charts/"+chart, c.xml)
			types.WriteString(`<Override PartName="/xl/charts/` + chart + `" ContentType="` + ctChart + `"/>`)
		}
		d.WriteString(`</xdr:wsDr>`)
		dr.WriteString(`</Relationships>`)
		add("xl/drawings/"+drawing, []byte(d.String()))
		add("xl/drawings/_rels/"+drawing+".rels", []byte(dr.String()))
		types.WriteString(`<Override PartName="/xl/drawings/` + drawing + `" ContentType="` + ctDrawing + `"/>`)
	}
	k, ok := byName["[Content_Types].xml"]
	if !ok {
		return errors.New("charts: no [Content_Types].xml")
	}
	ct := ps.list[k].body.Bytes()
	end := bytes.LastIndex(ct, []byte("</Types>"))
	if end < 0 {
		return errors.New("charts: [Content_Types].xml has no </Types>")
	}
	ps.list[k].body = bytes.NewBuffer(append(append(append([]byte{}, ct[:end]...), types.String()...), ct[end:]...))
	return nil
}

// withDrawing returns a sheet's XML with <drawing r:id="rIdKfCharts"/> where CT_Worksheet puts
// it: before the first element that comes after it. A sheet that already has a drawing, or an
// extension list at its end (whose nested elements a plain search cannot tell from the sheet's),
// is refused: the sheets with template charts have neither.
func withDrawing(body []byte) ([]byte, error) {
	if bytes.Contains(body, []byte("<drawing ")) {
		return nil, errors.New("the sheet already has a drawing")
	}
	if bytes.HasSuffix(bytes.TrimSpace(body), []byte("</extLst></worksheet>")) {
		return nil, errors.New("the sheet ends with an extension list")
	}
	if !bytes.Contains(body[:min(len(body), 512)], []byte(`xmlns:r="`+nsRelationships+`"`)) {
		return nil, errors.New("the sheet does not declare the relationships namespace as r")
	}
	// Every element after <drawing> comes after the cells.
	from := max(bytes.LastIndex(body, sheetDataEnd), 0)
	at := -1
	for _, e := range afterDrawing {
		if k := bytes.Index(body[from:], e); k >= 0 && (at < 0 || from+k < at) {
			at = from + k
		}
	}
	if at < 0 {
		return nil, errors.New("the sheet has no </worksheet>")
	}
	out := make([]byte, 0, len(body)+40)
	out = append(out, body[:at]...)
	out = append(out, `<drawing r:id="`+templateDrawingRel+`"/>`...)
	return append(out, body[at:]...), nil
}
