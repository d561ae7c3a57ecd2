package loaders

import (
	"archive/zip"
	"bytes"
	"reflect"
	"testing"
)

// book zips a minimal workbook: one sheet "S" holding rows, and the shared strings si.
func book(t *testing.T, si, rows string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range []struct{ name, body string }{
		{"_rels/.rels", `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/sharedStrings.xml", `<?xml version="1.0"?><sst>` + si + `</sst>`},
		{"xl/worksheets/sheet1.xml", `<worksheet><sheetData>` + rows + `</sheetData></worksheet>`},
	} {
		w, err := zw.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(p.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReadSheetCellForms: the usual cell and shared string, read at once, and every other form,
// read tag by tag, give the texts written (hand-made workbook; expected values by reading the XML).
func TestReadSheetCellForms(t *testing.T) {
	si := `<si><t>a&amp;b</t></si>` + // 0: the usual item, an entity in it
		`<si><t xml:space="preserve"> x </t></si>` + // 1: kept spaces
		`<si><r><t>p</t></r><r><rPr><b/></rPr><t>q</t></r></si>` + // 2: rich text runs
		`<si><t>漢</t><rPh sb="0" eb="1"><t>カン</t></rPh><phoneticPr fontId="1"/></si>` + // 3: furigana left out
		`<si/>` + // 4
		`<si><t>v</t></si >` // 5: a space before the end tag's '>'
	rows := `<row r="1">` +
		`<c r="A1"><v>12</v></c>` + // the usual number
		`<c r="B1" t="s"><v>0</v></c>` +
		`<c s="0" t="s" r="C1"><v>1</v></c>` + // attributes in another order
		`<c r="D1" t="s"><v> 2 </v></c>` +
		`<c r="E1" t="s"><v>3</v></c>` +
		`<c r="F1" t="s"><v>5</v></c>` +
		`<c r="G1"><f>SUM(A1)</f><v>3.5</v></c>` + // a formula before the value
		`<c r="H1"><v>7</v></c >` + // a space in the end tag
		`<c r="I1" t="inlineStr"><is><t>in</t></is></c>` +
		`</row><row r="2">` +
		`<x:c r="A2" x:t="str"><x:v>pre&lt;fixed</x:v></x:c>` + // prefixed names
		`<c r="B2" t="s" t="str"><v>0</v></c>` + // an attribute twice: the first counts
		`<c r="C2" t="b"><v>1</v></c>` +
		`<c r="D2" t="s"><v>4</v></c>` + // an empty string: no cell kept
		`<c r="E2"/>` +
		`</row>`
	b, err := openXLSX(book(t, si, rows), 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a&b", " x ", "pq", "漢", "", "v"}; !reflect.DeepEqual(b.shared, want) {
		t.Errorf("shared strings %q, want %q", b.shared, want)
	}
	sd, err := b.readSheet("S", sheetArea{Cols: 26, Rows: 10, MaxCells: 100, MaxText: 1000, MaxIssues: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.problems) > 0 {
		t.Errorf("problems %+v", sd.problems)
	}
	want := []sheetRow{
		{row: 1, cols: []string{"12", "a&b", " x ", "pq", "漢", "v", "3.5", "7", "in"},
			numeric: []bool{true, false, false, false, false, false, true, true, false}, styles: make([]int, 9)},
		{row: 2, cols: []string{"pre<fixed", "a&b", "TRUE"}, numeric: []bool{false, false, false}, styles: make([]int, 3)},
	}
	if !reflect.DeepEqual(sd.rows, want) {
		t.Errorf("rows\n%+v\nwant\n%+v", sd.rows, want)
	}
	// A cell whose <v> is never closed is no usual cell: the reader looks for the cell's end, finds
	// it, and no value in it (nothing is kept).
	b, err = openXLSX(book(t, `<si><t>z</t></si>`, `<row r="1"><c r="A1"><v>1</c><c r="B1"><v>2</v></c></row>`), 0)
	if err != nil {
		t.Fatal(err)
	}
	sd, err = b.readSheet("S", sheetArea{Cols: 26, Rows: 10, MaxCells: 100, MaxText: 1000, MaxIssues: 10})
	if err != nil || len(sd.rows) != 1 || !reflect.DeepEqual(sd.rows[0].cols, []string{"", "2"}) {
		t.Errorf("<v> not closed: %+v %v, want A1 empty and B1 2", sd, err)
	}
}
