package exporters_test

import (
	"bytes"
	"fmt"
	"html"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/exporters"
)

// The 地域診断's bar chart of yen per person aged 65+ reads its categories from the labels beside
// it: each must fit on one line of the chart's axis (in LibreOffice the two 「…（合計÷65歳以上人口）」
// labels wrapped into each other), and what the prefecture's and the nation's figures are is said
// below the labels instead.
func TestFeedbackYenChartLabels(t *testing.T) {
	var buf bytes.Buffer
	if err := exporters.WriteFeedback(&buf, sampleFeedback()); err != nil {
		t.Fatal(err)
	}
	var cats string
	for _, x := range chartParts(t, buf.Bytes()) {
		if !strings.Contains(x, "barChart") || !strings.Contains(x, "312011") {
			continue
		}
		x = strings.ReplaceAll(x, "<c:", "<") // excelize writes no prefix, LibreOffice c:
		x = strings.ReplaceAll(x, "</c:", "</")
		_, cat, _ := strings.Cut(x, "<cat>")
		_, ref, _ := strings.Cut(cat, "<f>")
		ref, _, _ = strings.Cut(ref, "</f>")
		cats = html.UnescapeString(ref)
	}
	s, rng, ok := strings.Cut(cats, "!")
	if !ok {
		t.Fatalf("no bar chart on 鳥取市's sheet")
	}
	s = strings.Trim(s, "'")
	from, to, _ := strings.Cut(strings.ReplaceAll(rng, "$", ""), ":")
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, r0, err := excelize.CellNameToCoordinates(from)
	if err != nil {
		t.Fatal(err)
	}
	_, r1, err := excelize.CellNameToCoordinates(to)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for r := r0; r <= r1; r++ {
		v, err := f.GetCellValue(s, "A"+strconv.Itoa(r))
		if err != nil {
			t.Fatal(err)
		}
		labels = append(labels, v)
		if utf8.RuneCountInString(v) > 15 {
			t.Errorf("the chart's category %q is longer than one line (15 characters)", v)
		}
	}
	if len(labels) != 6 || labels[4] != "都道府県" || labels[5] != "全国" {
		t.Errorf("categories %q", labels)
	}
	note, err := f.GetCellValue(s, "A"+strconv.Itoa(r1+1))
	if err != nil || note != "都道府県・全国＝交付額の合計÷65歳以上人口の合計" {
		t.Errorf("below the labels: %q, want what 都道府県 and 全国 are", note)
	}
}

// The 地域診断's two table headers that wrap (「同規模の中での位置」, 「達成した団体の割合」) have
// rows of two lines: at one line LibreOffice cut their second line off.
func TestFeedbackDiagnosisHeadersTwoLines(t *testing.T) {
	var buf bytes.Buffer
	if err := exporters.WriteFeedback(&buf, sampleFeedback()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := "312011 鳥取市"
	rows, err := f.GetRows(s)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for i, r := range rows {
		for _, c := range r {
			if c == "同規模の中での位置" || c == "達成した団体の割合" {
				found++
				if h, err := f.GetRowHeight(s, i+1); err != nil || h < 2*14.5 {
					t.Errorf("the header %q's row is %.1f pt high, want two lines (29)", c, h)
				}
			}
		}
	}
	if found != 2 {
		t.Errorf("%d of the two wrapping headers found", found)
	}
}

// 「公平性」's concentration curve starts a printed page: a manual row break right above its title
// (on the demo nation the chart was cut across the sheet's last two pages).
func TestMinistryEquityCurveOnItsOwnPage(t *testing.T) {
	m := sampleMinistry()
	rate := 0.35
	m.Equity = &exporters.Equity{Years: []int{2026},
		Groups:    []exporters.EquityGroupLine{{FiscalYear: 2026, Dimension: "規模区分", Label: "3千人未満", N: 2, MeanRate: &rate}},
		CurveYear: 2026, Curve: []exporters.EquityCurvePoint{{Code: "312011", X: 0.5, Y: 0.4}, {Code: "312029", X: 1, Y: 1}}}
	var out bytes.Buffer
	if err := exporters.WriteMinistry(&out, m); err != nil {
		t.Fatal(err)
	}
	f := openResult(t, out.Bytes())
	rows, err := f.GetRows(exporters.SheetEquity)
	if err != nil {
		t.Fatal(err)
	}
	title := 0
	for i, r := range rows {
		if len(r) > 0 && strings.HasPrefix(r[0], "5. 集中曲線") {
			title = i + 1
		}
	}
	if title == 0 {
		t.Fatal("no curve title")
	}
	// The worksheet's XML: the sheet of 「公平性」 is the one whose rows hold the title.
	want := fmt.Sprintf(`<brk id="%d"`, title-1)
	found := false
	all, _ := zipParts(t, out.Bytes())
	for name, b := range all {
		if strings.HasPrefix(name, "xl/worksheets/sheet") && strings.Contains(string(b), "<rowBreaks") && strings.Contains(string(b), want) {
			found = true
		}
	}
	if !found {
		t.Errorf("no page break above the curve's title (row %d)", title)
	}
}
