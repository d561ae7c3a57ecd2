package exporters

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// SheetImpact is the impact assessment's sheet (効果検証), in the ministry workbook when the export
// is given one (Ministry.Impact) or alone in its own workbook (WriteImpact).
const SheetImpact = "効果検証"

// ImpactSheet is everything 「効果検証」 shows; the rows come as they are printed (pipeline maps
// its report onto them).
type ImpactSheet struct {
	Action, Outcome string // "S1-8-a 通いの場に参加している高齢者の割合", with the item id first
	Rule            string // when an answer counts as adopted, e.g. "10 以上"
	Years           string // e.g. "2024–2026年度"
	Unit            string // the outcome's unit (%)
	ChangeUnit      string // the unit of its differences (ポイント)
	Method          []SummaryLine
	Rows            []ImpactSheetYear // per year, then 全体
	Estimates       []ImpactSheetEstimate
	Trends          []ImpactSheetTrend // the groups' means by year
	Relations       []ImpactSheetRelation
	Notes, Caveats  []string
}

// ImpactSheetYear is one row of the contrasts' table.
type ImpactSheetYear struct {
	Label                     string // "2025" or "全体（延べ）" (the pooled row: municipality-years)
	Treated, Controls         int64
	MeanTreated, MeanControls *float64
	Raw, Band                 *float64
	PreTreated, PreControls   int64
	PreBand                   *float64
}

// ImpactSheetEstimate is one estimate with its 95 % interval.
type ImpactSheetEstimate struct {
	Label            string
	Estimate, Lo, Hi *float64
	Reading          string // what it says, in a sentence
}

// ImpactSheetTrend is one group's outcome mean in one year (the chart's points).
type ImpactSheetTrend struct {
	FY    int
	Group string // its label: 途中から実施, 実施なし, 当初から実施
	N     int64
	Mean  *float64
}

// ImpactSheetRelation is one indicator's points against the outcome's change the next year.
type ImpactSheetRelation struct {
	FY           int
	ID, No, Name string
	N            int64
	MeanPoints   float64
	Slope, Corr  *float64
}

// ImpactFileName is the workbook of an impact assessment the demo writes beside the export.
func ImpactFileName(fy int) string { return fmt.Sprintf("FY%d_効果検証.xlsx", fy) }

// WriteImpact writes a workbook of the one sheet 「効果検証」.
func WriteImpact(w io.Writer, s ImpactSheet) error {
	f := newBook()
	defer f.Close()
	f.SetDocProps(&excelize.DocProperties{Title: SheetImpact, Creator: "kofukin", Created: fixedTime, Modified: fixedTime, Language: "ja-JP"})
	if err := f.SetSheetName("Sheet1", SheetImpact); err != nil {
		return err
	}
	if err := writeImpactSheet(f, s, newStyles(f)); err != nil {
		return fmt.Errorf("write %s: %w", SheetImpact, err)
	}
	return save(w, f)
}

// opt is a cell's value: the number, or empty for none.
func opt(v *float64) any {
	if v == nil {
		return "—"
	}
	return *v
}

// writeImpactSheet writes 「効果検証」 (the sheet exists): the title and method, the estimates, the
// contrasts by year, the groups' means with a line chart of them, the indicators' relations, and
// the cautions.
func writeImpactSheet(f *book, s ImpactSheet, st styles) error {
	sh := SheetImpact
	row := 1
	put := func(col int, v any, style int) {
		c := f.cellName(col, row)
		f.SetCellValue(sh, c, safeValue(v))
		if style != 0 {
			f.SetCellStyle(sh, c, c, style)
		}
	}
	diff := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("+0.00;-0.00;0.00")})
	coef := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("+0.000;-0.000;0.000")})
	put(1, "効果検証（差の差の推定）", st.title)
	row++
	for _, l := range append([]SummaryLine{{"取組", s.Action}, {"実施の判定", s.Rule}, {"成果", s.Outcome + "（" + s.Unit + "）"}, {"年度", s.Years}}, s.Method...) {
		put(1, l.Label, st.sub)
		put(2, l.Value, 0)
		row++
	}
	row++
	put(1, "推定", st.title)
	row++
	for i, h := range []string{s.ChangeUnit, "推定値", "95%区間 下限", "上限", "読み方"} {
		put(i+1, h, st.head)
	}
	row++
	for _, e := range s.Estimates {
		put(1, e.Label, 0)
		put(2, opt(e.Estimate), diff)
		put(3, opt(e.Lo), diff)
		put(4, opt(e.Hi), diff)
		put(5, e.Reading, 0)
		row++
	}
	row++
	put(1, "年度ごとの比較（市町村数と、前年度からの変化の平均、"+s.ChangeUnit+"。事前＝前々年度から前年度の変化、規模区分調整）", st.title)
	row++
	for i, h := range []string{"年度", "新規実施", "対照", "実施群の変化", "対照群の変化", "差の差", "規模区分調整", "事前:実施", "事前:対照", "事前の差"} {
		put(i+1, h, st.head)
	}
	row++
	for _, y := range s.Rows {
		put(1, y.Label, st.text)
		put(2, y.Treated, st.yen)
		put(3, y.Controls, st.yen)
		for i, v := range []*float64{y.MeanTreated, y.MeanControls, y.Raw, y.Band} {
			put(4+i, opt(v), diff)
		}
		put(8, y.PreTreated, st.yen)
		put(9, y.PreControls, st.yen)
		put(10, opt(y.PreBand), diff)
		row++
	}
	row++
	// The groups' means: one row per year, one column per group, for the chart.
	put(1, "各群の成果の平均（"+s.Unit+"）", st.title)
	row++
	var years []int
	var groups []string
	mean := map[[2]string]*float64{}
	for _, t := range s.Trends {
		if len(years) == 0 || years[len(years)-1] != t.FY {
			years = append(years, t.FY)
		}
		known := false
		for _, g := range groups {
			known = known || g == t.Group
		}
		if !known {
			groups = append(groups, t.Group)
		}
		mean[[2]string{strconv.Itoa(t.FY), t.Group}] = t.Mean
	}
	head := row
	put(1, "年度", st.head)
	for i, g := range groups {
		put(2+i, g, st.head)
	}
	row++
	for _, y := range years {
		put(1, strconv.Itoa(y), st.text)
		for i, g := range groups {
			put(2+i, opt(mean[[2]string{strconv.Itoa(y), g}]), st.pts)
		}
		row++
	}
	if len(years) > 0 && len(groups) > 0 {
		var series []excelize.ChartSeries
		cats := fmt.Sprintf("'%s'!$A$%d:$A$%d", sh, head+1, head+len(years))
		for i := range groups {
			col := f.colName(2 + i)
			series = append(series, excelize.ChartSeries{Name: fmt.Sprintf("'%s'!$%s$%d", sh, col, head), Categories: cats,
				Values: fmt.Sprintf("'%s'!$%s$%d:$%s$%d", sh, col, head+1, col, head+len(years)),
				Marker: excelize.ChartMarker{Symbol: "circle", Size: 6}})
		}
		if err := f.AddChart(sh, f.cellName(6, head), &excelize.Chart{
			Type:      excelize.Line,
			Series:    series,
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "各群の成果の平均（年度別）"}}},
			Legend:    excelize.ChartLegend{Position: "bottom"},
			Dimension: excelize.ChartDimension{Width: 520, Height: 280},
		}); err != nil {
			return err
		}
	}
	if row < head+16 {
		row = head + 16 // below the chart
	}
	row++
	put(1, "指標の得点と翌年度の成果の変化", st.title)
	row++
	for i, h := range []string{"年度", "指標", "番号", "名称", "市町村", "平均得点", "傾き（1点あたり）", "相関係数"} {
		put(i+1, h, st.head)
	}
	row++
	for _, r := range s.Relations {
		put(1, fmt.Sprintf("%d→%d", r.FY, r.FY+1), st.text)
		put(2, r.ID, st.text)
		put(3, r.No, st.text)
		put(4, r.Name, 0)
		put(5, r.N, st.yen)
		put(6, r.MeanPoints, st.pts)
		put(7, opt(r.Slope), coef)
		put(8, opt(r.Corr), coef)
		row++
	}
	row++
	for _, part := range []struct {
		title string
		lines []string
	}{{"補足", s.Notes}, {"読み方の注意", s.Caveats}} {
		if len(part.lines) == 0 {
			continue
		}
		put(1, part.title, st.title)
		row++
		for _, l := range part.lines {
			put(1, "・"+l, 0)
			row++
		}
	}
	f.SetColWidth(sh, "A", "A", 36)
	f.SetColWidth(sh, "B", "J", 14)
	f.SetColWidth(sh, "D", "D", 48)
	f.setPrint(sh, printSetup{paper: paperA4, fitWidth: true})
	return nil
}
