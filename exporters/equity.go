package exporters

import (
	"fmt"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// SheetEquity is the ministry workbook's equity sheet (issue 14).
const SheetEquity = "公平性"

// Equity is what 「公平性」 shows: the figures by group over the years, the gap between the
// smallest and largest municipalities, the concentration index and curve, and the support list.
// Numbers are given (the store computed them exactly); nil is a blank cell.
type Equity struct {
	Years     []int
	Notes     []string // Japanese: definitions and limits, one line each
	Groups    []EquityGroupLine
	Gaps      []EquityGapLine
	Indexes   []EquityIndexLine
	Support   []EquitySupportLine
	Local     []EquityLocalLine // 地域の指標 by group; none: no table
	CurveYear int               // the year of Curve (0: no curve)
	Curve     []EquityCurvePoint
}

// EquityGroupLine is one group (全国, a size band, a 高齢化率 quintile, a prefecture) in one year.
type EquityGroupLine struct {
	FiscalYear        int
	Dimension, Label  string
	N, Low, Allocated int
	MeanRate          *float64 // 平均得点率 (each municipality once)
	WeightedRate      *float64 // 得点率 weighted by 65+
	SDRate            *float64
	Yen, Age65Plus    int64
	MeanYenPer65      *float64 // mean of the municipalities' yen per 65+
	PooledYenPer65    *float64 // Σ yen ÷ Σ 65+
	MeanAging         *float64
}

// EquityGapLine is one year's gap smallest (<3千人) − largest (10万人以上).
type EquityGapLine struct {
	FiscalYear                                   int
	SmallRate, LargeRate, GapRate, GapRateChange *float64
	SmallYen, LargeYen, GapYen, GapYenChange     *float64
}

// EquityIndexLine is one year's concentration index.
type EquityIndexLine struct {
	FiscalYear     int
	N              int
	Age65Plus, Yen int64
	Index          *float64
}

// EquitySupportLine is one municipality of the support list.
type EquitySupportLine struct {
	FiscalYear                 int
	PrefectureName, Code, Name string
	Rate                       float64
	Persistent                 bool // below in this year and the year before
	PrevKnown                  bool // the year before was scored (else persistence is not known)
}

// EquityLocalLine is one indicator users brought (地域の指標) over one group in one year: its
// mean over the group's municipalities with a value, beside the group's 得点率 and yen per 65+.
type EquityLocalLine struct {
	FiscalYear                                int
	Indicator, Unit, Dimension, Label         string
	N, NValue                                 int
	MeanValue, MeanRate, PooledYenPer65, Corr *float64
	Sources, AsOf                             string // 出典 and 基準日 (a range when the values differ)
}

// EquityCurvePoint is one point of the concentration curve: running shares of 65+ and yen.
type EquityCurvePoint struct {
	Code string
	X, Y float64
}

// writeEquity writes 「公平性」: notes, then one table under another, and the concentration curve
// as a native scatter chart beside its table.
func writeEquity(f *book, m Ministry, st styles) error {
	s, e := SheetEquity, m.Equity
	row := 1
	f.SetCellStr(s, "A1", "公平性：得点率と第1号被保険者1人当たり交付額（規模区分・高齢化率五分位・都道府県別）")
	f.SetCellStyle(s, "A1", "A1", st.title)
	row++
	for _, n := range e.Notes {
		f.SetCellStr(s, f.cellName(1, row), safeText(n))
		row++
	}
	row++
	heading := func(text string, headers []string) {
		f.SetCellStr(s, f.cellName(1, row), safeText(text))
		f.SetCellStyle(s, f.cellName(1, row), f.cellName(1, row), st.title)
		row++
		for i, h := range headers {
			f.SetCellStr(s, f.cellName(i+1, row), safeText(h))
		}
		f.SetCellStyle(s, f.cellName(1, row), f.cellName(len(headers), row), st.head)
		if f.err == nil {
			f.fail(f.File.SetRowHeight(s, row, 45), "set the height of %s!%d", s, row)
		}
		row++
	}
	// put writes one row of values with a style per column (0: none).
	put := func(vals []any, styles []int) {
		for i, v := range vals {
			switch x := v.(type) {
			case *float64:
				if x == nil {
					continue
				}
				f.SetCellFloat(s, f.cellName(i+1, row), *x, -1, 64)
			default:
				f.SetCellValue(s, f.cellName(i+1, row), safeValue(v))
			}
			if i < len(styles) && styles[i] != 0 {
				f.SetCellStyle(s, f.cellName(i+1, row), f.cellName(i+1, row), styles[i])
			}
		}
		row++
	}
	yen2 := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("#,##0.00")})
	rate1 := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.0%")})
	index := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.0000")})

	heading("1. 区分別の得点率と1人当たり交付額", []string{"交付年度", "区分", "群", "市町村数", "平均得点率", "得点率（65歳以上人口で加重）", "得点率の標準偏差",
		"全国平均−2SD未満の市町村数", "交付額のある市町村数", "交付額（円）", "65歳以上人口", "1人当たり交付額（市町村の平均、円）", "1人当たり交付額（合計÷合計、円）", "平均高齢化率"})
	for _, g := range e.Groups {
		put([]any{g.FiscalYear, g.Dimension, g.Label, g.N, g.MeanRate, g.WeightedRate, g.SDRate, g.Low, g.Allocated, g.Yen, g.Age65Plus, g.MeanYenPer65, g.PooledYenPer65, g.MeanAging},
			[]int{0, 0, 0, st.yen, rate1, rate1, rate1, st.yen, st.yen, st.yen, st.yen, yen2, yen2, rate1})
	}
	row++
	heading("2. 小規模（3千人未満）と大規模（10万人以上）の差と前年度からの変化", []string{"交付年度", "平均得点率（3千人未満）", "平均得点率（10万人以上）", "差（小−大）", "差の前年度からの変化",
		"1人当たり交付額（3千人未満、円）", "1人当たり交付額（10万人以上、円）", "差（小−大、円）", "差の前年度からの変化（円）"})
	for _, g := range e.Gaps {
		put([]any{g.FiscalYear, g.SmallRate, g.LargeRate, g.GapRate, g.GapRateChange, g.SmallYen, g.LargeYen, g.GapYen, g.GapYenChange},
			[]int{0, rate1, rate1, rate1, rate1, yen2, yen2, yen2, yen2})
	}
	row++
	heading("3. 集中度指数（交付額の65歳以上人口に対する集中、高齢化率の低い順に並べた場合）", []string{"交付年度", "市町村数", "65歳以上人口", "交付額（円）", "集中度指数"})
	for _, x := range e.Indexes {
		put([]any{x.FiscalYear, x.N, x.Age65Plus, x.Yen, x.Index}, []int{0, st.yen, st.yen, st.yen, index})
	}
	if len(e.Indexes) == 0 {
		f.SetCellStr(s, f.cellName(1, row), "交付額の算定がある年度がないため、集中度指数はありません。")
		row++
	}
	row++
	heading("4. 支援対象の候補（得点率が全国平均−2SD未満の市町村）", []string{"交付年度", "都道府県", "団体コード", "市町村名", "得点率", "前年度も該当（継続）"})
	for _, sp := range e.Support {
		mark := "前年度の採点なし"
		switch {
		case sp.Persistent:
			mark = "継続"
		case sp.PrevKnown:
			mark = "単年"
		}
		put([]any{sp.FiscalYear, sp.PrefectureName, sp.Code, sp.Name, sp.Rate, mark}, []int{0, 0, st.text, 0, rate1, 0})
	}
	if len(e.Support) == 0 {
		f.SetCellStr(s, f.cellName(1, row), "該当する市町村はありません。")
		row++
	}
	row++
	if len(e.Local) > 0 {
		heading("5. 地域の指標（利用者が持ち込んだデータ。採点・交付額には使用していません）", []string{"交付年度", "指標", "単位", "区分", "群", "市町村数",
			"値のある市町村数", "指標の平均", "平均得点率", "1人当たり交付額（合計÷合計、円）", "得点率との相関係数", "出典", "基準日"})
		for _, l := range e.Local {
			put([]any{l.FiscalYear, l.Indicator, l.Unit, l.Dimension, l.Label, l.N, l.NValue, l.MeanValue, l.MeanRate, l.PooledYenPer65, l.Corr, l.Sources, l.AsOf},
				[]int{0, 0, 0, 0, 0, st.yen, st.yen, index, rate1, yen2, index, 0, 0})
		}
		row++
	}
	printLast := row
	if e.CurveYear > 0 && len(e.Curve) > 0 {
		// The chart under the tables (columns A–N, printed); its points to the right, from column P
		// (not printed: 1,741 rows of cumulative shares).
		// The chart starts a printed page: wherever the tables above end (47 prefectures × the
		// years), it would otherwise be cut across two pages.
		if f.err == nil {
			f.fail(f.File.InsertPageBreak(s, f.cellName(1, row)), "break the page before %s!A%d", s, row)
		}
		f.SetCellStr(s, f.cellName(1, row), fmt.Sprintf("%d. 集中曲線（%d年度、高齢化率の低い順の累積）", 5+min(len(e.Local), 1), e.CurveYear))
		f.SetCellStyle(s, f.cellName(1, row), f.cellName(1, row), st.title)
		chartRow := row + 1
		const col = 16 // P
		for i, h := range []string{"順位", "団体コード", "65歳以上人口の累積割合", "交付額の累積割合", "均等線"} {
			f.SetCellStr(s, f.cellName(col+i, chartRow), h)
		}
		f.SetCellStyle(s, f.cellName(col, chartRow), f.cellName(col+4, chartRow), st.head)
		points := append([]EquityCurvePoint{{}}, e.Curve...)
		for i, p := range points {
			r := chartRow + 1 + i
			f.SetCellValue(s, f.cellName(col, r), i)
			f.SetCellStr(s, f.cellName(col+1, r), safeText(p.Code))
			f.SetCellFloat(s, f.cellName(col+2, r), p.X, -1, 64)
			f.SetCellFloat(s, f.cellName(col+3, r), p.Y, -1, 64)
			f.SetCellFloat(s, f.cellName(col+4, r), p.X, -1, 64)
		}
		first, last := strconv.Itoa(chartRow+1), strconv.Itoa(chartRow+len(points))
		xs := s + "!$R$" + first + ":$R$" + last
		err := f.AddChart(s, f.cellName(1, chartRow), &excelize.Chart{
			Type: excelize.Scatter,
			Series: []excelize.ChartSeries{
				{Name: s + "!$S$" + strconv.Itoa(chartRow), Categories: xs, Values: s + "!$S$" + first + ":$S$" + last, Marker: excelize.ChartMarker{Symbol: "none"},
					Line: excelize.LineOptions{Type: excelize.LineSolid, Width: 2}},
				{Name: s + "!$T$" + strconv.Itoa(chartRow), Categories: xs, Values: s + "!$T$" + first + ":$T$" + last, Marker: excelize.ChartMarker{Symbol: "none"},
					Line: excelize.LineOptions{Type: excelize.LineSolid, Width: 1, Dash: excelize.LineDashDash}},
			},
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: fmt.Sprintf("集中曲線（%d年度）：横軸 65歳以上人口の累積割合、縦軸 交付額の累積割合", e.CurveYear)}}},
			Legend:    excelize.ChartLegend{Position: "bottom"},
			XAxis:     excelize.ChartAxis{Maximum: ptr(1.0), Minimum: ptr(0.0)},
			YAxis:     excelize.ChartAxis{Maximum: ptr(1.0), Minimum: ptr(0.0)},
			Dimension: excelize.ChartDimension{Width: 560, Height: 480},
		})
		if err != nil {
			return err
		}
		printLast = chartRow + 25
	}
	if f.err == nil {
		f.fail(f.File.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", Scope: s, RefersTo: "'" + s + "'!$A$1:$N$" + strconv.Itoa(printLast)}), "set the print area of %s", s)
	}
	f.SetColWidth(s, "A", "A", 10)
	f.SetColWidth(s, "B", "C", 16)
	f.SetColWidth(s, "D", "N", 14)
	f.setPrint(s, printSetup{paper: paperA4, fitWidth: true})
	return f.err
}
