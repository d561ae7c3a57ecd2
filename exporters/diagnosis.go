package exporters

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// 地域診断 (community diagnosis): what a municipality's figures say beside its peers'. The same rows
// make the service's diagnosis page and the block under each municipality's feedback sheet.

// FeedbackDiagnosis is a municipality's 地域診断 beside its 得点率 by goal (FeedbackMunicipality.Goals,
// against the national, prefectural and size-band means).
type FeedbackDiagnosis struct {
	Band      string // 規模区分 (第1号被保険者数)
	PeerShare int    // the share of peers (percent) an item must have been achieved by to be listed
	PeerItems []DiagnosisItem
	// PeerItemsMore is how many more items met the share than are listed.
	PeerItemsMore int
	Outcomes      []DiagnosisOutcome
	Yen           *DiagnosisYen // nil when there is no allocation (or no 65+ population)
}

// DiagnosisItem is an item the municipality did not achieve that most of its peers (the
// municipalities of its size band that submitted, itself excepted) achieved.
type DiagnosisItem struct {
	ItemID, Goal, Indicator, Question string
	Points                            float64 // what the item is worth
	Achieved, Peers                   int64
	Share                             float64
}

// DiagnosisOutcome is one of the municipality's ministry-supplied outcome values (目標Ⅳ) against
// the same item over its size band (itself included) and the nation's median.
type DiagnosisOutcome struct {
	ItemID, Question, Unit string
	LowerIsBetter          bool
	Value                  float64
	N                      int64
	Q1, Median, Q3         float64
	Min, Max               float64
	National               float64
}

// Position says where the value lies among its size band, the better side first: 上位4分の1 (beyond
// the better quartile), 下位4分の1 (beyond the worse one), else 中位.
func (o DiagnosisOutcome) Position() string {
	better, worse := o.Value > o.Q3, o.Value < o.Q1
	if o.LowerIsBetter {
		better, worse = o.Value < o.Q1, o.Value > o.Q3
	}
	switch {
	case o.N < 4:
		return "（比較できる団体が少ない）"
	case better:
		return "上位4分の1"
	case worse:
		return "下位4分の1"
	}
	return "中位"
}

// DiagnosisYen is the municipality's yen per person aged 65+ against its size band (itself
// included), its prefecture and the nation.
type DiagnosisYen struct {
	Yen, Pop65           int64
	PerPerson            float64
	N                    int64
	Q1, Median, Q3       float64
	Min, Max             float64
	Prefecture, National float64
}

// The 地域診断 block's charts, from templates (nativechart.go): a radar of the goal table's four
// rate columns (each series: its name, the goals, its values) and a bar of the yen per person aged
// 65+ (the name, the labels, the values).
var (
	goalRadar = &chartTemplate{refs: 12, chart: func(refs []string) *excelize.Chart {
		var series []excelize.ChartSeries
		for i := 0; i+2 < len(refs); i += 3 {
			series = append(series, excelize.ChartSeries{Name: refs[i], Categories: refs[i+1], Values: refs[i+2]})
		}
		return &excelize.Chart{Type: excelize.Radar, Series: series,
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "目標別の得点率"}}},
			Legend:    excelize.ChartLegend{Position: "bottom"},
			Dimension: excelize.ChartDimension{Width: 620, Height: 340}}
	}}
	yenBar = &chartTemplate{refs: 3, chart: func(refs []string) *excelize.Chart {
		return &excelize.Chart{Type: excelize.Bar,
			Series:    []excelize.ChartSeries{{Name: refs[0], Categories: refs[1], Values: refs[2]}},
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "65歳以上1人あたり交付額（円）"}}},
			Legend:    excelize.ChartLegend{Position: "none"},
			Dimension: excelize.ChartDimension{Width: 420, Height: 200}}
	}}
)

// writeDiagnosis writes the 地域診断 block of sheet s from row r on (the goal table's header is on
// row goalHead, its n goals below it): a radar chart of the goal table, the yen per person aged 65+
// with a bar chart, the outcome values and the peers' items, into w (the sheet's rows written as
// XML, after those above). It returns the row after the block.
func writeDiagnosis(f *book, w *sheetRows, s string, r, goalHead, n int, d *FeedbackDiagnosis, st styles) (int, error) {
	ref := "'" + strings.ReplaceAll(s, "'", "''") + "'!"
	abs := func(col, row int) string { return "$" + f.colName(col) + "$" + strconv.Itoa(row) }
	var err error
	row := func(r int, ht float64, styles []int, cells ...any) {
		if err == nil {
			err = w.cells(r, ht, styles, cells...)
		}
	}
	row(r, 0, []int{st.title}, "地域診断（同規模区分: "+d.Band+"）")
	row(r+1, 0, nil, "得点率（目標別）: 自団体と全国・都道府県・同規模の平均（上の表の値）")
	r += 2
	if n > 0 {
		var refs []string
		for c := 4; c <= 7; c++ {
			refs = append(refs, ref+abs(c, goalHead), ref+abs(1, goalHead+1)+":"+abs(1, goalHead+n), ref+abs(c, goalHead+1)+":"+abs(c, goalHead+n))
		}
		f.addTemplateChart(s, 1, r, 620, 340, goalRadar, refs...)
		r += 18
	}
	// Yen per person aged 65+.
	row(r, 0, []int{st.title}, "65歳以上1人あたり交付額（円）")
	r++
	if y := d.Yen; y == nil {
		row(r, 0, nil, "算定結果がないため表示できません。")
		r += 2
	} else {
		top := r
		lines := []struct {
			label string
			v     float64
		}{{"自団体", y.PerPerson}, {fmt.Sprintf("同規模の中央値（%d団体）", y.N), y.Median}, {"同規模の第1四分位", y.Q1},
			{"同規模の第3四分位", y.Q3}, {"都道府県", y.Prefecture}, {"全国", y.National}}
		for k, l := range lines {
			row(r+k, 0, []int{0, st.stat}, l.label, l.v)
		}
		r += len(lines)
		// The labels are the bar chart's categories: short enough for one line each there (longer
		// ones wrapped into each other in LibreOffice), so what the two last ones are goes below.
		row(r, 0, nil, "都道府県・全国＝交付額の合計÷65歳以上人口の合計")
		r++
		// The bar chart compares the municipality with its band's median and quartiles, the
		// prefecture and the nation.
		f.addTemplateChart(s, 3, top, 420, 200, yenBar,
			ref+abs(1, top-1), ref+abs(1, top)+":"+abs(1, top+len(lines)-1), ref+abs(2, top)+":"+abs(2, top+len(lines)-1))
		r = max(r, top+10) + 1
	}
	// Outcome values (目標Ⅳ).
	row(r, 0, []int{st.title}, "成果指標（目標Ⅳ、国が提供する値）: 同規模の団体との比較")
	r++
	if len(d.Outcomes) == 0 {
		row(r, 0, nil, "この年度の成果指標の値はありません。")
		r += 2
	} else {
		head := []int{st.head, st.head, st.head, st.head, st.head, st.head, st.head}
		// Two lines: the header style wraps, and 「同規模の中での位置」 does not fit column G's one line.
		row(r, 2*14.5, head, "指標", "自団体", "同規模 第1四分位", "同規模 中央値", "同規模 第3四分位", "全国 中央値", "同規模の中での位置")
		r++
		for _, o := range d.Outcomes {
			q := o.Question
			if o.LowerIsBetter && !strings.Contains(q, "小さいほど") {
				q += "（小さいほど良い）"
			}
			q = o.ItemID + " " + q
			row(r, wrapHeight(q), []int{st.wrap}, q, o.Value, o.Q1, o.Median, o.Q3, o.National, o.Position())
			r++
		}
		r++
	}
	// What most peers achieve.
	row(r, 0, []int{st.title}, fmt.Sprintf("同規模の団体の%d%%以上が達成し、自団体が達成していない設問", d.PeerShare))
	r++
	if len(d.PeerItems) == 0 {
		row(r, 0, nil, "該当する設問はありません。")
		r++
	} else {
		head := []int{st.head, st.head, st.head, st.head, st.head, st.head}
		row(r, 2*14.5, head, "設問", "目標", "達成した団体の割合", "達成した団体数", "比較した団体数", "配点")
		r++
		for _, it := range d.PeerItems {
			q := it.ItemID + " " + it.Question
			row(r, wrapHeight(q), []int{st.wrap, 0, st.rate}, q, it.Goal, it.Share, it.Achieved, it.Peers, it.Points)
			r++
		}
		if d.PeerItemsMore > 0 {
			row(r, 0, nil, fmt.Sprintf("ほか%d設問（サービスの地域診断の画面に全件を表示）", d.PeerItemsMore))
			r++
		}
	}
	if err != nil {
		return 0, err
	}
	return r, nil
}

// wrapHeight is the height (points) of a row showing text wrapped in column A (34 characters wide:
// about 17 full-width characters a line), since not every reader fits a wrapped row's height itself;
// 0 for one line.
func wrapHeight(text string) float64 {
	if lines := (len([]rune(text)) + 16) / 17; lines > 1 {
		return float64(lines) * 14.5
	}
	return 0
}
