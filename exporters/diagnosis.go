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

// writeDiagnosis writes the 地域診断 block of sheet s from row r on (the goal table's header is on
// row goalHead, its n goals below it): a radar chart of the goal table, the yen per person aged 65+
// with a bar chart, the outcome values and the peers' items. It returns the row after the block.
func writeDiagnosis(f *book, s string, r, goalHead, n int, d *FeedbackDiagnosis, st styles) (int, error) {
	ref := "'" + strings.ReplaceAll(s, "'", "''") + "'!"
	abs := func(col, row int) string { return "$" + f.colName(col) + "$" + strconv.Itoa(row) }
	f.SetCellStr(s, f.cellName(1, r), "地域診断（同規模区分: "+safeText(d.Band)+"）")
	f.SetCellStyle(s, f.cellName(1, r), f.cellName(1, r), st.title)
	f.SetCellStr(s, f.cellName(1, r+1), "得点率（目標別）: 自団体と全国・都道府県・同規模の平均（上の表の値）")
	r += 2
	if n > 0 {
		var series []excelize.ChartSeries
		for c := 4; c <= 7; c++ {
			series = append(series, excelize.ChartSeries{Name: ref + abs(c, goalHead),
				Categories: ref + abs(1, goalHead+1) + ":" + abs(1, goalHead+n), Values: ref + abs(c, goalHead+1) + ":" + abs(c, goalHead+n)})
		}
		if err := f.AddChart(s, f.cellName(1, r), &excelize.Chart{Type: excelize.Radar, Series: series,
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "目標別の得点率"}}},
			Legend:    excelize.ChartLegend{Position: "bottom"},
			Dimension: excelize.ChartDimension{Width: 620, Height: 340}}); err != nil {
			return 0, err
		}
		r += 18
	}
	// Yen per person aged 65+.
	f.SetCellStr(s, f.cellName(1, r), "65歳以上1人あたり交付額（円）")
	f.SetCellStyle(s, f.cellName(1, r), f.cellName(1, r), st.title)
	r++
	if y := d.Yen; y == nil {
		f.SetCellStr(s, f.cellName(1, r), "算定結果がないため表示できません。")
		r += 2
	} else {
		top := r
		lines := [][2]any{{"自団体", y.PerPerson}, {fmt.Sprintf("同規模の中央値（%d団体）", y.N), y.Median}, {"同規模の第1四分位", y.Q1},
			{"同規模の第3四分位", y.Q3}, {"都道府県（合計÷65歳以上人口）", y.Prefecture}, {"全国（合計÷65歳以上人口）", y.National}}
		for k, l := range lines {
			f.SetCellStr(s, f.cellName(1, r+k), safeText(l[0].(string)))
			f.SetCellValue(s, f.cellName(2, r+k), l[1])
		}
		f.SetCellStyle(s, f.cellName(2, r), f.cellName(2, r+len(lines)-1), st.stat)
		r += len(lines)
		// The bar chart compares the municipality with the band's median, the prefecture and the
		// nation (the quartiles stay in the table).
		if err := f.AddChart(s, f.cellName(3, top), &excelize.Chart{Type: excelize.Bar,
			Series: []excelize.ChartSeries{{Name: ref + abs(1, top-1),
				Categories: ref + abs(1, top) + ":" + abs(1, top+len(lines)-1), Values: ref + abs(2, top) + ":" + abs(2, top+len(lines)-1)}},
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "65歳以上1人あたり交付額（円）"}}},
			Legend:    excelize.ChartLegend{Position: "none"},
			Dimension: excelize.ChartDimension{Width: 420, Height: 200}}); err != nil {
			return 0, err
		}
		r = max(r, top+10) + 1
	}
	// Outcome values (目標Ⅳ).
	f.SetCellStr(s, f.cellName(1, r), "成果指標（目標Ⅳ、国が提供する値）: 同規模の団体との比較")
	f.SetCellStyle(s, f.cellName(1, r), f.cellName(1, r), st.title)
	r++
	if len(d.Outcomes) == 0 {
		f.SetCellStr(s, f.cellName(1, r), "この年度の成果指標の値はありません。")
		r += 2
	} else {
		for k, h := range []string{"指標", "自団体", "同規模 第1四分位", "同規模 中央値", "同規模 第3四分位", "全国 中央値", "同規模の中での位置"} {
			f.SetCellStr(s, f.cellName(k+1, r), h)
		}
		f.SetCellStyle(s, f.cellName(1, r), f.cellName(7, r), st.head)
		r++
		for _, o := range d.Outcomes {
			q := o.Question
			if o.LowerIsBetter && !strings.Contains(q, "小さいほど") {
				q += "（小さいほど良い）"
			}
			for k, v := range []any{o.ItemID + " " + q, o.Value, o.Q1, o.Median, o.Q3, o.National, o.Position()} {
				f.SetCellValue(s, f.cellName(k+1, r), safeValue(v))
			}
			f.SetCellStyle(s, f.cellName(1, r), f.cellName(1, r), st.wrap)
			wrapHeight(f, s, r, o.ItemID+" "+q)
			r++
		}
		r++
	}
	// What most peers achieve.
	f.SetCellStr(s, f.cellName(1, r), fmt.Sprintf("同規模の団体の%d%%以上が達成し、自団体が達成していない設問", d.PeerShare))
	f.SetCellStyle(s, f.cellName(1, r), f.cellName(1, r), st.title)
	r++
	if len(d.PeerItems) == 0 {
		f.SetCellStr(s, f.cellName(1, r), "該当する設問はありません。")
		return r + 1, nil
	}
	for k, h := range []string{"設問", "目標", "達成した団体の割合", "達成した団体数", "比較した団体数", "配点"} {
		f.SetCellStr(s, f.cellName(k+1, r), h)
	}
	f.SetCellStyle(s, f.cellName(1, r), f.cellName(6, r), st.head)
	r++
	for _, it := range d.PeerItems {
		for k, v := range []any{it.ItemID + " " + it.Question, it.Goal, it.Share, it.Achieved, it.Peers, it.Points} {
			f.SetCellValue(s, f.cellName(k+1, r), safeValue(v))
		}
		f.SetCellStyle(s, f.cellName(1, r), f.cellName(1, r), st.wrap)
		f.SetCellStyle(s, f.cellName(3, r), f.cellName(3, r), st.rate)
		wrapHeight(f, s, r, it.ItemID+" "+it.Question)
		r++
	}
	if d.PeerItemsMore > 0 {
		f.SetCellStr(s, f.cellName(1, r), fmt.Sprintf("ほか%d設問（サービスの地域診断の画面に全件を表示）", d.PeerItemsMore))
		r++
	}
	return r, nil
}

// wrapHeight sets the height of row r to show text wrapped in column A (34 characters wide: about
// 17 full-width characters a line), since not every reader fits a wrapped row's height itself.
func wrapHeight(f *book, s string, r int, text string) {
	lines := (len([]rune(text)) + 16) / 17
	if lines > 1 && f.err == nil {
		f.fail(f.SetRowHeight(s, r, float64(lines)*14.5), "set the height of %s row %d", s, r)
	}
}
