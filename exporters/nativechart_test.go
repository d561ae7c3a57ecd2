package exporters

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// ZipParts reads every part of a workbook, by name, and the names in the zip's order (a part
// twice is an error). It is the tests' one zip reader: exporters_test uses it too (zipParts).
func ZipParts(t *testing.T, data []byte) (map[string][]byte, []string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	var names []string
	for _, zf := range zr.File {
		if _, dup := out[zf.Name]; dup {
			t.Errorf("part %s twice", zf.Name)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		out[zf.Name] = b
		names = append(names, zf.Name)
	}
	return out, names
}

// unzipParts is ZipParts without the order.
func unzipParts(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	parts, _ := ZipParts(t, data)
	return parts
}

// TestChartTemplateIsWhatAddChartWrites: a chart rendered from a template is byte for byte the
// chart part excelize's AddChart writes for the same references — here on a sheet whose name needs
// escaping in XML (& and ') — for both templates of the 地域診断 block.
func TestChartTemplateIsWhatAddChartWrites(t *testing.T) {
	sheet := "312011 R&D's <市>"
	q := "'" + strings.ReplaceAll(sheet, "'", "''") + "'!"
	for name, c := range map[string]struct {
		t    *chartTemplate
		refs []string
	}{
		"radar": {goalRadar, []string{q + "$D$7", q + "$A$8:$A$11", q + "$D$8:$D$11", q + "$E$7", q + "$A$8:$A$11", q + "$E$8:$E$11",
			q + "$F$7", q + "$A$8:$A$11", q + "$F$8:$F$11", q + "$G$7", q + "$A$8:$A$11", q + "$G$8:$G$11"}},
		"bar": {yenBar, []string{q + "$A$30", q + "$A$31:$A$36", q + "$B$31:$B$36"}},
	} {
		got, err := c.t.Render(c.refs)
		if err != nil {
			t.Fatal(err)
		}
		f := excelize.NewFile()
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			t.Fatal(err)
		}
		if err := f.AddChart(sheet, "A1", c.t.chart(c.refs)); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			t.Fatal(err)
		}
		f.Close()
		want := unzipParts(t, b.Bytes())["xl/charts/chart1.xml"]
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the template's chart differs from AddChart's:\n%s\n%s", name, got, want)
		}
		for _, r := range c.refs {
			if !bytes.Contains(got, xmlEscaped(r)) {
				t.Errorf("%s: no reference %s in the chart", name, r)
			}
		}
		if _, err := c.t.Render(c.refs[1:]); err == nil {
			t.Errorf("%s: a chart with a reference missing was rendered", name)
		}
	}
}

// TestTemplateChartsWired writes a workbook with template charts on two sheets — one of them with
// a comment (so with relationships and a <legacyDrawing> of its own) — and a chart by AddChart on
// a third, then follows the package from each sheet: its <drawing> where the schema puts it, the
// relationship to a drawing part, the drawing's anchors and relationships to chart parts reading
// that sheet's cells, and a content type for every part. LibreOffice opening the charts is
// TestFeedbackChartsSurviveLibreOffice's.
func TestTemplateChartsWired(t *testing.T) {
	f := newExportBook()
	defer f.Close()
	sheets := []string{"A市", "B町", "C村"}
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(s); err != nil {
			t.Fatal(err)
		}
		f.SetCellStr(s, "A1", s)
	}
	f.AddComment("C村", excelize.Comment{Cell: "A1", Author: "kofukin", Text: "注記"})
	if err := f.AddChart("B町", "A3", yenBar.chart([]string{"'B町'!$A$1", "'B町'!$A$2:$A$3", "'B町'!$B$2:$B$3"})); err != nil {
		t.Fatal(err)
	}
	refs := func(s string, row int) []string {
		return []string{"'" + s + "'!$A$" + fmt.Sprint(row), "'" + s + "'!$A$2:$A$7", "'" + s + "'!$B$2:$B$7"}
	}
	f.addTemplateChart("A市", 1, 10, 420, 200, yenBar, refs("A市", 1)...)
	f.addTemplateChart("A市", 3, 30, 420, 200, yenBar, refs("A市", 9)...)
	f.addTemplateChart("C村", 2, 5, 620, 340, yenBar, refs("C村", 1)...)
	var buf bytes.Buffer
	if err := save(&buf, f); err != nil {
		t.Fatal(err)
	}
	p := unzipParts(t, buf.Bytes())
	ct := string(p["[Content_Types].xml"])
	for name := range p {
		if strings.HasPrefix(name, "xl/charts/") || (strings.HasPrefix(name, "xl/drawings/drawing") && strings.HasSuffix(name, ".xml")) {
			if !strings.Contains(ct, `PartName="/`+name+`"`) {
				t.Errorf("no content type for %s", name)
			}
		}
	}
	relTarget := regexp.MustCompile(`Id="([^"]+)"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="([^"]+)"`)
	targets := func(rels []byte) map[string]string {
		out := map[string]string{}
		for _, m := range relTarget.FindAllStringSubmatch(string(rels), -1) {
			if m[1] != "" {
				out[m[1]] = m[2]
			} else {
				out[m[4]] = m[3]
			}
		}
		return out
	}
	anchor := regexp.MustCompile(`<xdr:oneCellAnchor><xdr:from><xdr:col>(\d+)</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>(\d+)</xdr:row>.*?<xdr:ext cx="(\d+)" cy="(\d+)"/>.*?r:id="([^"]+)"`)
	for id, s := range sheets {
		sheetPart := fmt.Sprintf("xl/worksheets/sheet%d.xml", id+1)
		body := string(p[sheetPart])
		rels := targets(p[fmt.Sprintf("xl/worksheets/_rels/sheet%d.xml.rels", id+1)])
		var got []string
		for _, m := range regexp.MustCompile(`<drawing r:id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
			drawing := path.Join("xl/worksheets", rels[m[1]])
			d, ok := p[drawing]
			if !ok {
				t.Fatalf("%s: drawing %s (%s) is not in the package", s, drawing, m[1])
			}
			drels := targets(p[path.Join(path.Dir(drawing), "_rels", path.Base(drawing)+".rels")])
			for _, a := range anchor.FindAllStringSubmatch(string(d), -1) {
				chart := path.Join(path.Dir(drawing), drels[a[5]])
				c, ok := p[chart]
				if !ok {
					t.Fatalf("%s: chart %s is not in the package", s, chart)
				}
				var fs []string
				for _, x := range regexp.MustCompile(`<f>([^<]*)</f>`).FindAllStringSubmatch(string(c), -1) {
					fs = append(fs, strings.ReplaceAll(x[1], "&#39;", "'"))
				}
				got = append(got, fmt.Sprintf("col %s row %s %sx%s %s", a[1], a[2], a[3], a[4], strings.Join(fs, " ")))
			}
		}
		sort.Strings(got)
		want := map[string][]string{
			"A市": {"col 0 row 9 4000500x1905000 'A市'!$A$1 'A市'!$A$2:$A$7 'A市'!$B$2:$B$7", "col 2 row 29 4000500x1905000 'A市'!$A$9 'A市'!$A$2:$A$7 'A市'!$B$2:$B$7"},
			"B町": nil, // excelize's own anchor is a twoCellAnchor
			"C村": {"col 1 row 4 5905500x3238500 'C村'!$A$1 'C村'!$A$2:$A$7 'C村'!$B$2:$B$7"},
		}[s]
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: template charts\n%s\nwant\n%s", s, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if s == "C村" {
			if d, l := strings.Index(body, "<drawing "), strings.Index(body, "<legacyDrawing"); d < 0 || l < 0 || d > l {
				t.Errorf("C村: <drawing> at %d, <legacyDrawing> at %d: the drawing must come first", d, l)
			}
			if !strings.Contains(string(p["xl/worksheets/_rels/sheet3.xml.rels"]), "comments") {
				t.Errorf("C村: the comment's relationship was lost")
			}
		}
		if s == "B町" && strings.Count(body, "<drawing ") != 1 {
			t.Errorf("B町: excelize's chart lost its drawing: %s", body)
		}
	}
	// Another chart on B町 (which has a drawing of excelize's) is refused, not written over.
	f.addTemplateChart("B町", 1, 10, 420, 200, yenBar, refs("B町", 1)...)
	if err := save(io.Discard, f); err == nil || !strings.Contains(err.Error(), "already has a drawing") {
		t.Errorf("template chart on a sheet with a drawing: %v", err)
	}
}
