package exporters

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// SheetStatus is the only sheet of a prefecture's 提出状況 workbook.
const SheetStatus = "提出状況"

// Status is a prefecture's 提出状況 as its page shows it, one line per municipality and centre.
type Status struct {
	FiscalYear int
	EraLabel   string
	PrefCode   string
	PrefName   string
	Deadline   string // YYYY-MM-DD, "" when none is set
	Lines      []StatusLine
}

// StatusLine is one municipality or centre of 提出状況.
type StatusLine struct {
	Code, Name string
	Kind       string // 市町村 or センター
	Submitted  bool
	Version    int       // of its current survey (0: none)
	Received   time.Time // when that version was received
	Total      *float64  // 総合計 in the latest score run (nil: not scored)
	Rate       *float64  // 得点率 (a fraction)
	Rank, Of   int64     // 全国順位 out of Of (0: none)
	Stale      string    // the score predates the current version (see pipeline.StaleNote)
	Flags      []string  // 確認すべき点, naming 目標・指標・設問
	Verdict    string    // the verdict with its version, e.g. 確認済（第2版）
	Comment    string
}

// StatusHeaders are the columns of 提出状況, as the prefecture's page shows them.
var StatusHeaders = []string{"団体コード", "団体名", "区分", "提出", "版", "受付日時", "総合計", "得点率", "全国順位", "全国順位の母数", "採点後の再提出", "確認すべき点", "審査状況", "審査コメント"}

// StatusFileName is the file name of prefecture prefCode's 提出状況 workbook of fy.
func StatusFileName(fy int, prefCode, prefName string) string {
	return fmt.Sprintf("FY%d_提出状況_%s_%s.xlsx", fy, prefCode, prefName)
}

// jst is the time zone the received times are written in.
var jst = time.FixedZone("JST", 9*3600)

// statusHeadRow is the header row of 提出状況 (a title and a line of notes above it).
const statusHeadRow = 3

// WriteStatus writes a prefecture's 提出状況: a title, one header row (frozen, filtered, repeated
// on every printed page) and a line per municipality and centre, numbers as numbers; it prints on
// A4 landscape, fitted to the page's width.
func WriteStatus(w io.Writer, st Status) error {
	f := newBook()
	defer f.Close()
	f.SetDocProps(&excelize.DocProperties{Title: fmt.Sprintf("%s %s 提出状況", st.EraLabel, st.PrefName), Creator: "kofukin", Created: fixedTime, Modified: fixedTime, Language: "ja-JP"})
	s := SheetStatus
	if err := f.SetSheetName("Sheet1", s); err != nil {
		return err
	}
	styles := newStyles(f)
	top := topStyles(f)
	wrap := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	when := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd hh:mm"), Alignment: &excelize.Alignment{Vertical: "top"}})
	warn := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "9C5700"}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	flag := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "9C0006"}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})

	f.SetCellStr(s, "A1", safeText(fmt.Sprintf("%s %s 提出状況（%d年度）", st.EraLabel, st.PrefName, st.FiscalYear)))
	f.SetCellStyle(s, "A1", "A1", styles.title)
	deadline := "未設定"
	if st.Deadline != "" {
		deadline = st.Deadline
	}
	var munis, subMunis, centres, subCentres int
	for _, l := range st.Lines {
		if l.Kind == "センター" {
			centres++
			if l.Submitted {
				subCentres++
			}
		} else {
			munis++
			if l.Submitted {
				subMunis++
			}
		}
	}
	f.SetCellStr(s, "A2", safeText(fmt.Sprintf("提出期限：%s。市町村 %d のうち提出済 %d、未提出 %d。センター %d のうち提出済 %d、未提出 %d。得点は最新の採点実行によるもの（「採点後の再提出」がある団体は、最新版が未採点）。",
		deadline, munis, subMunis, munis-subMunis, centres, subCentres, centres-subCentres)))
	for i, h := range StatusHeaders {
		f.SetCellStr(s, f.cellName(i+1, statusHeadRow), safeText(h))
	}
	f.SetCellStyle(s, f.cellName(1, statusHeadRow), f.cellName(len(StatusHeaders), statusHeadRow), styles.head)
	f.fail(f.File.SetRowHeight(s, statusHeadRow, 32), "set the height of %s!%d", s, statusHeadRow)
	for n, l := range st.Lines {
		r := statusHeadRow + 1 + n
		sub := "未提出"
		if l.Submitted {
			sub = "提出済"
		}
		vals := []any{l.Code, l.Name, l.Kind, sub, "", "", "", "", "", "", l.Stale, strings.Join(l.Flags, "\n"), l.Verdict, l.Comment}
		if l.Version > 0 {
			vals[4] = l.Version
		}
		if !l.Received.IsZero() {
			vals[5] = l.Received.In(jst)
		}
		if l.Total != nil {
			vals[6] = *l.Total
		}
		if l.Rate != nil {
			vals[7] = *l.Rate
		}
		if l.Rank > 0 {
			vals[8], vals[9] = l.Rank, l.Of
		}
		for i, v := range vals {
			if str, ok := v.(string); ok && str == "" {
				continue // an empty cell, not an empty string
			}
			if t, ok := v.(time.Time); ok {
				// Excel has no zones: the time is written as the wall clock of JST.
				f.SetCellValue(s, f.cellName(i+1, r), time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC))
				continue
			}
			f.SetCellValue(s, f.cellName(i+1, r), safeValue(v))
		}
		for i, style := range []int{top.text, top.plain, top.plain, top.plain, top.count, when, top.pts, top.rate, top.count, top.count, warn, flag, wrap, wrap} {
			f.SetCellStyle(s, f.cellName(i+1, r), f.cellName(i+1, r), style)
		}
		if h := statusHeight(l); h > 0 {
			f.fail(f.File.SetRowHeight(s, r, h), "set the height of %s!%d", s, r)
		}
	}
	for i, wd := range []float64{11, 16, 9, 8, 5, 16, 9, 8, 9, 9, staleWidth, flagsWidth, verdictWidth, commentWidth} {
		f.SetColWidth(s, f.colName(i+1), f.colName(i+1), wd)
	}
	f.SetPanes(s, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: statusHeadRow, TopLeftCell: f.cellName(3, statusHeadRow+1), ActivePane: "bottomRight"})
	f.filter(s, statusHeadRow, len(StatusHeaders), statusHeadRow+len(st.Lines))
	f.setPrint(s, printSetup{paper: paperA4, fitWidth: true, titleRows: [2]int{statusHeadRow, statusHeadRow}, titleCols: 2})
	return save(w, f)
}

// The widths of 提出状況's wrapped columns (in Excel's character widths).
const (
	staleWidth   = 22
	verdictWidth = 24
	commentWidth = 30
)

// statusHeight is the height of a line of 提出状況 whose wrapped cells take more than one line (0:
// the default): the tallest of its flags, stale note, verdict and comment.
func statusHeight(l StatusLine) float64 {
	lines := func(text string, width int) int {
		perLine := max(1, width/2-1) // full-width characters in a line
		n := 0
		for _, part := range strings.Split(text, "\n") {
			n += max(1, (utf8.RuneCountInString(part)+perLine-1)/perLine)
		}
		return n
	}
	n := max(lines(l.Stale, staleWidth), lines(l.Verdict, verdictWidth), lines(l.Comment, commentWidth))
	if h := flagsHeight(l.Flags); h > 0 {
		n = max(n, int((h-3)/15))
	}
	if n <= 1 {
		return 0
	}
	return min(float64(n)*15+3, excelize.MaxRowHeight)
}
