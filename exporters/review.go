package exporters

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/indicators"
)

// The prefectural review workbook: its sheets, the reviewer's columns and the stamp that the
// import of a returned workbook (web upload, or `kofukin review import`) reads back.
const (
	ReviewForm        = "kofukin-review/1"
	SheetReview       = "審査"
	SheetReviewItems  = "回答と得点"
	SheetReviewOut    = "外れ値"
	SheetReviewChain  = "配分の説明"
	SheetReviewCentre = "センター"
	SheetReviewChart  = "得点分布"
	SheetReviewStamp  = "_stamp"
	ColReviewStatus   = "審査状況"
	ColReviewComment  = "審査コメント"
	// StampVerdictsAsOf is the stamp's key for when the newest verdict the workbook shows was
	// recorded (RFC 3339, UTC), or VerdictsNone: a verdict recorded later is newer than the
	// workbook, and its import must not overwrite it.
	StampVerdictsAsOf = "verdicts_as_of"
	VerdictsNone      = "none"
)

// ReviewStatuses are the verdicts a reviewer can give.
var ReviewStatuses = []string{"未確認", "確認済", "差戻し"}

// ReviewFileName is the file of one prefecture's review workbook.
func ReviewFileName(fy int, prefCode, prefName string) string {
	return fmt.Sprintf("FY%d_審査_%s_%s.xlsx", fy, prefCode, prefName)
}

// ItemLabel describes an item for people.
type ItemLabel struct {
	Goal, Indicator, Branch, Question string
	No                                string // the indicator's number within its goal
	Points                            float64
}

// flagQuestionRunes is how much of a question a flag of 「審査」 quotes.
const flagQuestionRunes = 18

// Name names an item as a reviewer finds it in the survey — goal, indicator, question and the
// start of the question — e.g. 「推進 目標Ⅰ 指標1 設問ア：介護予防・日常生活圏域ニーズ調査等…」;
// the item id when the label is unknown.
func (l ItemLabel) Name(id string) string {
	if l.Goal == "" && l.No == "" {
		return id
	}
	var b strings.Builder
	b.WriteString(l.Goal)
	if l.No != "" {
		b.WriteString(" 指標" + l.No)
	}
	if l.Branch != "" {
		b.WriteString(" 設問" + l.Branch)
	}
	if q := []rune(strings.TrimSpace(l.Question)); len(q) > 0 {
		b.WriteString("：")
		if len(q) > flagQuestionRunes {
			q = append(q[:flagQuestionRunes], '…')
		}
		b.WriteString(string(q))
	}
	return strings.TrimSpace(b.String())
}

// ChainLine explains one amount: answer → points → score → share → yen.
type ChainLine struct {
	Pool                 string
	Score                float64
	Weight               int64
	WeightedScore        float64 // score × weight
	Sum                  float64 // Σ score × weight over the pool
	PoolYen, ProposalYen int64
	CapYen               *int64
	AmountYen            int64
}

// ReviewItem is one row of 「回答と得点」: a municipality's answer and points for one item, with
// what a prefectural reviewer compares it with.
type ReviewItem struct {
	ItemID         string
	Answer         string // "" when blank or not submitted
	Points, Max    float64
	Status, Reason string
	NationalRate   float64  // share of the nation's municipalities that scored the item (全国該当率)
	PrefRate       float64  // the same within the prefecture (県内該当率)
	PrevAnswer     *string  // last fiscal year's answer, when there is one
	Z              *float64 // (value − national mean) / SD for numeric answers
}

// ReviewMunicipality is one municipality of a review workbook.
type ReviewMunicipality struct {
	Code, Name       string
	Submitted        bool
	Insured65        int64
	Total, Max, Rate float64
	NationalRank, Of int64
	PrefRank         int
	YenTotal         int64
	Items            []ReviewItem
	Chain            []ChainLine
	Status, Comment  string // the current verdict, if any
	Flags            []string
}

// CentreLine is one care centre of the prefecture.
type CentreLine struct {
	Code, Name, Municipality string
	Submitted                bool
	Total, Max, Rate         float64
}

// Review is one prefecture's review workbook.
type Review struct {
	FiscalYear     int
	EraLabel       string
	PrefCode       string
	PrefName       string
	ScoreRunID     int64
	AllocateRunID  int64
	VerdictsAsOf   *time.Time // when the newest verdict shown was recorded (nil: none)
	Municipalities []ReviewMunicipality
	Centres        []CentreLine
	Labels         map[string]ItemLabel
	ChartBins      []string
	NationBins     []float64 // share of the nation's municipalities in each bin
	PrefBins       []float64 // share of the prefecture's
}

// WriteReview writes a prefectural review workbook: 「審査」 (one row per municipality with its
// flags and the reviewer's 審査状況 and コメント, the only cells to edit), 「回答と得点」 (every answer
// and its points with the national and prefectural 該当率, answers that changed since last year,
// items most peers score but this municipality does not), 「外れ値」, 「配分の説明」 (answer → points →
// score → share → yen), 「センター」, 「得点分布」 (a chart) and a hidden stamp.
func WriteReview(w io.Writer, rv Review) error {
	f := newExportBook()
	defer f.Close()
	f.SetDocProps(&excelize.DocProperties{Title: fmt.Sprintf("%s %s 審査用", rv.EraLabel, rv.PrefName), Creator: "kofukin", Created: fixedTime, Modified: fixedTime, Language: "ja-JP"})
	st := newStyles(f)
	input := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}}, Protection: &excelize.Protection{Locked: false},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	share := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.000000%")})
	top := topStyles(f)
	flag := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "9C0006"}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err := f.SetSheetName("Sheet1", SheetReview); err != nil {
		return err
	}
	// Every sheet is made, and the stamp hidden, before any sheet is streamed: hiding a sheet later
	// would make excelize read the streamed sheets back.
	for _, name := range []string{SheetReviewItems, SheetReviewOut, SheetReviewChain, SheetReviewCentre, SheetReviewChart, SheetReviewStamp} {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	for i, kv := range [][2]string{{"form", ReviewForm}, {"fiscal_year", strconv.Itoa(rv.FiscalYear)}, {"prefecture_code", rv.PrefCode},
		{"score_run_id", strconv.FormatInt(rv.ScoreRunID, 10)}, {"allocate_run_id", strconv.FormatInt(rv.AllocateRunID, 10)}, {StampVerdictsAsOf, verdictsAsOf(rv.VerdictsAsOf)}} {
		f.SetCellStr(SheetReviewStamp, f.cellName(1, i+1), safeText(kv[0]))
		f.SetCellStr(SheetReviewStamp, f.cellName(2, i+1), safeText(kv[1]))
	}
	if err := f.SetSheetVisible(SheetReviewStamp, false, true); err != nil {
		return err
	}
	// 審査
	s := SheetReview
	f.SetCellStr(s, "A1", safeText(fmt.Sprintf("%s 保険者機能強化推進交付金・介護保険保険者努力支援交付金 審査用（%s）", rv.EraLabel, rv.PrefName)))
	f.SetCellStyle(s, "A1", "A1", st.title)
	f.SetCellStr(s, "A2", safeText(fmt.Sprintf("採点実行ID %d／算定実行ID %d。黄色の「%s」と「%s」だけを記入して保存し、このブックを kofukin のウェブサービス（都道府県のページ）からアップロードして返送してください。", rv.ScoreRunID, rv.AllocateRunID, ColReviewStatus, ColReviewComment)))
	of := int64(0)
	for _, m := range rv.Municipalities {
		of = max(of, m.Of)
	}
	head := []string{"団体コード", "市町村名", "提出", "総合計", "満点", "得点率", fmt.Sprintf("全国順位（%s団体中）", Commas(of)), "県内順位", "第1号被保険者数", "交付額合計（円）", "確認すべき点", ColReviewStatus, ColReviewComment}
	for i, h := range head {
		f.SetCellStr(s, f.cellName(i+1, 4), safeText(h))
	}
	f.SetCellStyle(s, "A4", f.cellName(len(head), 4), st.head)
	f.fail(f.File.SetRowHeight(s, 4, 32), "set the height of %s!4", s)
	for n, m := range rv.Municipalities {
		r := n + 5
		sub := "未提出"
		if m.Submitted {
			sub = "提出済"
		}
		status := m.Status
		if status == "" {
			status = ReviewStatuses[0]
		}
		vals := []any{m.Code, m.Name, sub, m.Total, m.Max, m.Rate, m.NationalRank, m.PrefRank, m.Insured65, m.YenTotal, strings.Join(m.Flags, "\n"), status, m.Comment}
		for i, v := range vals {
			f.SetCellValue(s, f.cellName(i+1, r), safeValue(v))
		}
		// Every cell of a row at its top, beside its flags (which may take several lines).
		for i, style := range []int{top.text, top.plain, top.plain, top.pts, top.pts, top.rate, top.count, top.count, top.yen, top.yen, flag} {
			f.SetCellStyle(s, f.cellName(i+1, r), f.cellName(i+1, r), style)
		}
		f.SetCellStyle(s, f.cellName(12, r), f.cellName(13, r), input)
		if h := flagsHeight(m.Flags); h > 0 {
			f.fail(f.File.SetRowHeight(s, r, h), "set the height of %s!%d", s, r)
		}
	}
	if len(rv.Municipalities) > 0 {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = f.cellName(12, 5) + ":" + f.cellName(12, 4+len(rv.Municipalities))
		if err := dv.SetDropList(ReviewStatuses); err != nil {
			return err
		}
		f.AddDataValidation(s, dv)
	}
	for i, wd := range []float64{10, 16, 8, 9, 7, 8, 14, 8, 12, 16, flagsWidth, 10, 40} {
		f.SetColWidth(s, f.colName(i+1), f.colName(i+1), wd)
	}
	f.SetPanes(s, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: 4, TopLeftCell: "C5", ActivePane: "bottomRight"})
	f.filter(s, 4, len(head), 4+len(rv.Municipalities))
	f.setPrint(s, printSetup{paper: paperA3, fitWidth: true, titleRows: [2]int{4, 4}, titleCols: 2})
	f.ProtectSheet(s, &excelize.SheetProtectionOptions{SelectLockedCells: true, SelectUnlockedCells: true, FormatColumns: true, FormatRows: true, AutoFilter: true, Sort: true})

	// 回答と得点
	if f.err != nil {
		return f.err // the first error, before a sheet is streamed
	}
	outliers, err := writeReviewItems(f, rv, st)
	if err != nil {
		return fmt.Errorf("write %s: %w", SheetReviewItems, err)
	}

	// 外れ値
	o := SheetReviewOut
	f.SetCellStr(o, "A1", safeText("全国の値から標準偏差の3倍以上離れた数値の回答（入力誤りの可能性）"))
	for i, h := range []string{"団体コード", "市町村名", "項目", "設問", "回答", "偏差（標準偏差の何倍か）"} {
		f.SetCellStr(o, f.cellName(i+1, 2), safeText(h))
	}
	f.SetCellStyle(o, "A2", "F2", st.head)
	for n, r := range outliers {
		for i, v := range r {
			f.SetCellValue(o, f.cellName(i+1, n+3), safeValue(v))
		}
	}
	f.SetColWidth(o, "A", "B", 11)
	f.SetColWidth(o, "C", "C", 30)
	f.SetColWidth(o, "D", "D", 50)
	f.SetColWidth(o, "E", "F", 14)

	// 配分の説明
	c := SheetReviewChain
	f.SetCellStr(c, "A1", safeText("配分の説明：回答 → 得点（「回答と得点」シート）→ 交付金ごとの得点 × 第1号被保険者数 ÷ 全国の合計 × 配分枠 → 交付見込額（案）→ 所要見込額による上限 → 確定額"))
	ch := []string{"団体コード", "市町村名", "配分枠", "得点", "第1号被保険者数", "得点×被保険者数", "全国の合計", "持分", "配分枠（円）", "交付見込額（案）（円）", "所要見込額（円）", "確定額（円）"}
	for i, h := range ch {
		f.SetCellStr(c, f.cellName(i+1, 2), safeText(h))
	}
	f.SetCellStyle(c, "A2", f.cellName(len(ch), 2), st.head)
	r := 3
	for _, m := range rv.Municipalities {
		for _, x := range m.Chain {
			var cp any = ""
			if x.CapYen != nil {
				cp = *x.CapYen
			}
			vals := []any{m.Code, m.Name, x.Pool, x.Score, x.Weight, x.WeightedScore, x.Sum, ratio(x.WeightedScore, x.Sum), x.PoolYen, x.ProposalYen, cp, x.AmountYen}
			for i, v := range vals {
				f.SetCellValue(c, f.cellName(i+1, r), safeValue(v))
			}
			f.SetCellStyle(c, f.cellName(1, r), f.cellName(1, r), st.text)
			f.SetCellStyle(c, f.cellName(4, r), f.cellName(4, r), st.pts)
			f.SetCellStyle(c, f.cellName(5, r), f.cellName(7, r), st.yen)
			f.SetCellStyle(c, f.cellName(8, r), f.cellName(8, r), share)
			f.SetCellStyle(c, f.cellName(9, r), f.cellName(12, r), st.yen)
			r++
		}
	}
	for i, wd := range []float64{10, 12, 34, 9, 12, 16, 18, 12, 16, 18, 16, 16} {
		f.SetColWidth(c, f.colName(i+1), f.colName(i+1), wd)
	}

	// センター
	ce := SheetReviewCentre
	for i, h := range []string{"センターコード", "センター名", "市町村", "提出", "総合計", "満点", "得点率"} {
		f.SetCellStr(ce, f.cellName(i+1, 1), safeText(h))
	}
	f.SetCellStyle(ce, "A1", "G1", st.head)
	for n, x := range rv.Centres {
		sub := "未提出"
		if x.Submitted {
			sub = "提出済"
		}
		for i, v := range []any{x.Code, x.Name, x.Municipality, sub, x.Total, x.Max, x.Rate} {
			f.SetCellValue(ce, f.cellName(i+1, n+2), safeValue(v))
		}
		f.SetCellStyle(ce, f.cellName(1, n+2), f.cellName(1, n+2), st.text)
		f.SetCellStyle(ce, f.cellName(7, n+2), f.cellName(7, n+2), st.rate)
	}
	f.SetColWidth(ce, "A", "A", 12)
	f.SetColWidth(ce, "B", "B", 36)
	f.SetColWidth(ce, "C", "C", 12)

	// 得点分布 with a chart
	d := SheetReviewChart
	for i, h := range []string{"総合計", "全国", rv.PrefName} {
		f.SetCellStr(d, f.cellName(i+1, 1), safeText(h))
	}
	f.SetCellStyle(d, "A1", "C1", st.head)
	for n, b := range rv.ChartBins {
		f.SetCellStr(d, f.cellName(1, n+2), safeText(b))
		f.SetCellValue(d, f.cellName(2, n+2), rv.NationBins[n])
		f.SetCellValue(d, f.cellName(3, n+2), rv.PrefBins[n])
		f.SetCellStyle(d, f.cellName(2, n+2), f.cellName(3, n+2), st.rate)
	}
	if k := len(rv.ChartBins); k > 0 {
		last := strconv.Itoa(k + 1)
		err := f.AddChart(d, "E2", &excelize.Chart{
			Type: excelize.Col,
			Series: []excelize.ChartSeries{
				{Name: d + "!$B$1", Categories: d + "!$A$2:$A$" + last, Values: d + "!$B$2:$B$" + last},
				{Name: d + "!$C$1", Categories: d + "!$A$2:$A$" + last, Values: d + "!$C$2:$C$" + last},
			},
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "総合計の分布（市町村の割合）"}}},
			Legend:    excelize.ChartLegend{Position: "bottom"},
			Dimension: excelize.ChartDimension{Width: 640, Height: 360},
		})
		if err != nil {
			return err
		}
	}
	return save(w, f)
}

// verdictsAsOf is the stamp's value of StampVerdictsAsOf.
func verdictsAsOf(t *time.Time) string {
	if t == nil {
		return VerdictsNone
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// reviewItemHeaders are the columns of 「回答と得点」.
var reviewItemHeaders = []string{"団体コード", "市町村名", "項目ID", "目標", "指標", "枝番", "設問", "回答", "前年度の回答", "得点", "配点", "状態", "理由", "全国該当率", "県内該当率", "確認すべき点"}

// writeReviewItems streams 「回答と得点」 and returns the outlying answers it met.
func writeReviewItems(f *book, rv Review, st styles) ([][]any, error) {
	n := 0
	for _, m := range rv.Municipalities {
		n += len(m.Items)
	}
	f.filter(SheetReviewItems, 1, len(reviewItemHeaders), n+1)
	f.setPrint(SheetReviewItems, printSetup{paper: paperA3, fitWidth: true, titleRows: [2]int{1, 1}, titleCols: 2})
	sw, err := f.NewStreamWriter(SheetReviewItems)
	if err != nil {
		return nil, err
	}
	ih := reviewItemHeaders
	for i, wd := range []float64{10, 12, 9, 12, 24, 5, 40, 12, 12, 7, 7, 9, 40, 10, 10, 30} {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 3, YSplit: 1, TopLeftCell: "D2", ActivePane: "bottomRight"}); err != nil {
		return nil, err
	}
	row := make([]any, len(ih))
	for i, h := range ih {
		row[i] = excelize.Cell{Value: h, StyleID: st.head}
	}
	if err := sw.SetRow("A1", safeRow(row)); err != nil {
		return nil, err
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	// The rows under the header, as the stream writer would write them (sheetRows), spliced into
	// the sheet by save. A municipality's and an item's texts are made once, not once a row.
	rows := f.sharedRows()
	rows.buf.Grow(n * 900)
	type itemTexts struct{ id, goal, indicator, branch, question cellText }
	texts := map[string]*itemTexts{}
	line := 2
	var outliers [][]any
	for _, m := range rv.Municipalities {
		code, name := textOf(m.Code), textOf(m.Name)
		for _, it := range m.Items {
			lb := rv.Labels[it.ItemID]
			tx := texts[it.ItemID]
			if tx == nil {
				tx = &itemTexts{textOf(it.ItemID), textOf(lb.Goal), textOf(lb.Indicator), textOf(lb.Branch), textOf(lb.Question)}
				texts[it.ItemID] = tx
			}
			prev, note := "", itemFlags(it)
			if it.PrevAnswer != nil {
				prev = *it.PrevAnswer
			}
			if err := rows.startRow(line); err != nil {
				return nil, err
			}
			rows.text(st.text, code)
			rows.text(0, name)
			rows.text(0, tx.id)
			rows.text(0, tx.goal)
			rows.text(0, tx.indicator)
			rows.text(0, tx.branch)
			rows.text(0, tx.question)
			if err := rows.value(0, answerValue(it.Answer)); err != nil {
				return nil, err
			}
			if err := rows.value(0, answerValue(prev)); err != nil {
				return nil, err
			}
			rows.number(st.pts, it.Points)
			rows.number(st.pts, it.Max)
			rows.str(0, statusJA(it.Status))
			rows.str(0, it.Reason)
			rows.number(st.rate, it.NationalRate)
			rows.number(st.rate, it.PrefRate)
			rows.str(0, strings.Join(note, "／"))
			rows.endRow()
			line++
			if it.Z != nil && (*it.Z > 3 || *it.Z < -3) {
				outliers = append(outliers, []any{m.Code, m.Name, lb.Name(it.ItemID), lb.Question, answerValue(it.Answer), *it.Z})
			}
		}
	}
	f.spliceRows(SheetReviewItems, rows)
	return outliers, nil
}

// itemFlags says what a reviewer should look at for one answer.
func itemFlags(it ReviewItem) []string {
	var out []string
	if it.Points == 0 && it.Max > 0 && it.PrefRate >= 0.8 {
		out = append(out, "県内の"+indicators.FormatPercent(it.PrefRate, 0)+"が得点しているが未得点")
	}
	if it.PrevAnswer != nil && *it.PrevAnswer != it.Answer && (it.Answer == "はい" || it.Answer == "いいえ") {
		out = append(out, "前年度から回答が変化（"+*it.PrevAnswer+"→"+it.Answer+"）")
	}
	if it.Z != nil && (*it.Z > 3 || *it.Z < -3) {
		out = append(out, fmt.Sprintf("外れ値（全国平均から標準偏差の%.1f倍）", *it.Z))
	}
	return out
}

// ReviewFlags summarises a municipality's items for the 審査 sheet, naming items by id.
func ReviewFlags(items []ReviewItem, submitted bool) []string {
	return ReviewFlagsNamed(items, submitted, nil)
}

// maxFlagItems is how many items one flag of 「審査」 names; the rest are counted.
const maxFlagItems = 5

// ReviewFlagsNamed summarises a municipality's items for the 審査 sheet: each kind of flag on its
// line, with the items it concerns named by goal, indicator and question (labels; the item id
// when an item has no label), at most maxFlagItems of them and a count of the rest.
func ReviewFlagsNamed(items []ReviewItem, submitted bool, labels map[string]ItemLabel) []string {
	if !submitted {
		return []string{"調査票が未提出"}
	}
	var gaps, flips, outs []string
	for _, it := range items {
		gap := it.Points == 0 && it.Max > 0 && it.PrefRate >= 0.8
		flip := it.PrevAnswer != nil && *it.PrevAnswer != it.Answer && (it.Answer == "はい" || it.Answer == "いいえ")
		out := it.Z != nil && (*it.Z > 3 || *it.Z < -3)
		if !gap && !flip && !out {
			continue // named only when flagged
		}
		name := labels[it.ItemID].Name(it.ItemID)
		if gap {
			gaps = append(gaps, name)
		}
		if flip {
			flips = append(flips, name)
		}
		if out {
			outs = append(outs, name)
		}
	}
	var out []string
	for _, f := range []struct {
		what  string
		names []string
	}{{"多くの団体が得点する項目が未得点", gaps}, {"前年度から回答が変化", flips}, {"外れ値", outs}} {
		if len(f.names) == 0 {
			continue
		}
		line := f.what + "："
		if labels == nil {
			line += strings.Join(f.names, "・")
		} else {
			shown := f.names[:min(len(f.names), maxFlagItems)]
			line += "\n・" + strings.Join(shown, "\n・")
			if rest := len(f.names) - len(shown); rest > 0 {
				line += fmt.Sprintf("\n　ほか%d項目（「%s」シートの「確認すべき点」欄）", rest, SheetReviewItems)
			}
		}
		out = append(out, line)
	}
	return out
}

// flagsWidth is the width of 「審査」's 確認すべき点 column.
const flagsWidth = 60

// reviewTop are the styles of 「審査」's rows, aligned at the top of the cell.
type reviewTop struct{ plain, text, pts, rate, count, yen int }

func topStyles(f *book) reviewTop {
	top := &excelize.Alignment{Vertical: "top"}
	return reviewTop{
		plain: f.NewStyle(&excelize.Style{Alignment: top}),
		text:  f.NewStyle(&excelize.Style{NumFmt: 49, Alignment: top}),
		pts:   f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.00"), Alignment: top}),
		rate:  f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.0%"), Alignment: top}),
		count: f.NewStyle(&excelize.Style{NumFmt: 1, Alignment: top}),
		yen:   f.NewStyle(&excelize.Style{NumFmt: 3, Alignment: top}),
	}
}

// flagsHeight is the height of a 「審査」 row whose flags take more than one line (0: the default).
func flagsHeight(flags []string) float64 {
	perLine := flagsWidth/2 - 2 // full-width characters in a line as Excel draws them (LibreOffice fits more)
	lines := 0
	for _, f := range flags {
		for _, part := range strings.Split(f, "\n") {
			lines += max(1, (utf8.RuneCountInString(part)+perLine-1)/perLine)
		}
	}
	if lines <= 1 {
		return 0
	}
	// Excel's tallest row; the rest of a longer text is seen in the cell (or its 項目 sheet).
	return min(float64(lines)*15+3, excelize.MaxRowHeight)
}

// answerValue is an answer as a cell value: a number when it is one (so it sorts and sums as a
// number), the text otherwise. Text a number cannot round-trip (leading zeros, a plus sign, an
// exponent) stays text.
func answerValue(a string) any {
	if a == "" || strings.ContainsAny(a, "+eE") || (len(a) > 1 && a[0] == '0' && a[1] != '.') {
		return a
	}
	x, err := strconv.ParseFloat(a, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return a
	}
	return x
}

func statusJA(s string) string {
	return map[string]string{"met": "達成", "not_done": "未実施", "not_met": "要件未達", "unanswered": "未回答", "na": "対象外", "partial": "一部達成"}[s]
}
