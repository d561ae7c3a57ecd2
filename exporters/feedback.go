package exporters

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/indicators"
)

// FeedbackFileName is the file of one prefecture's municipal feedback workbook.
func FeedbackFileName(fy int, prefCode, prefName string) string {
	return fmt.Sprintf("FY%d_フィードバック_%s_%s.xlsx", fy, prefCode, prefName)
}

// FeedbackGoal is one goal's 得点率 of a municipality against its comparisons.
type FeedbackGoal struct {
	Label                          string // e.g. 推進 目標Ⅰ
	Points, Max                    float64
	Rate, National, Pref, SizeBand float64
}

// PointWorth is what one more point in a grant would bring, in yen.
type PointWorth struct {
	Grant string
	Yen   int64
}

// FeedbackMunicipality is one municipality's feedback sheet.
type FeedbackMunicipality struct {
	Code, Name, Band string
	Total, Max, Rate float64
	Rank, Of         int64
	YenTotal         int64
	Goals            []FeedbackGoal
	Worth            []PointWorth
	// Diagnosis, when set, is written below as the sheet's 地域診断 block (diagnosis.go).
	Diagnosis *FeedbackDiagnosis
}

// Feedback is one prefecture's workbook of municipal feedback sheets.
type Feedback struct {
	FiscalYear     int
	EraLabel       string
	PrefCode       string
	PrefName       string
	Municipalities []FeedbackMunicipality
}

// WriteFeedback writes one sheet per municipality: 得点率 by goal against the national,
// prefectural and size-band (第1号被保険者数) means, and what one more point is worth in yen; and,
// when the municipality has one, its 地域診断 below (with a radar and a bar chart, printed on A4).
func WriteFeedback(w io.Writer, fb Feedback) error {
	f := newExportBook()
	defer f.Close()
	f.SetDocProps(&excelize.DocProperties{Title: fmt.Sprintf("%s %s 市町村フィードバック", fb.EraLabel, fb.PrefName), Creator: "kofukin", Created: fixedTime, Modified: fixedTime, Language: "ja-JP"})
	st := newStyles(f)
	for i, m := range fb.Municipalities {
		name := sheetName(m.Code + " " + m.Name)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		s := name
		f.SetCellStr(s, "A1", safeText(fmt.Sprintf("%s 評価指標の結果（%s%s）", fb.EraLabel, fb.PrefName, m.Name)))
		f.SetCellStyle(s, "A1", "A1", st.title)
		// The rows below the title are written as sheet XML (sheetRows): 1,741 sheets' cells through
		// excelize's SetCellValue, and its marshalling of them, cost more than the rest of the sheets.
		// Their texts (the same labels on every sheet) go into the workbook's shared string table.
		w := f.sharedRows()
		var err error
		row := func(r int, styles []int, cells ...any) {
			if err == nil {
				err = w.cells(r, 0, styles, cells...)
			}
		}
		row(2, nil, "総合計", fmt.Sprintf("%g / %g 点（得点率 %s）", m.Total, m.Max, indicators.FormatPercent(m.Rate, 1)))
		row(3, nil, "全国順位", fmt.Sprintf("%d / %d", m.Rank, m.Of))
		row(4, nil, "規模区分（第1号被保険者数）", m.Band)
		row(5, []int{0, st.yen}, "交付額合計（円）", m.YenTotal)
		head := []int{st.head, st.head, st.head, st.head, st.head, st.head, st.head}
		row(7, head, "目標", "得点", "満点", "得点率", "全国平均", "都道府県平均", "同規模平均")
		for k, g := range m.Goals {
			row(k+8, []int{0, 0, 0, st.rate, st.rate, st.rate, st.rate}, g.Label, g.Points, g.Max, g.Rate, g.National, g.Pref, g.SizeBand)
		}
		r := len(m.Goals) + 9
		row(r, []int{st.title}, "1点あたりの交付額（他の団体の得点が変わらない場合の試算）")
		for k, pw := range m.Worth {
			row(r+1+k, []int{0, st.yen}, pw.Grant+"で1点多い場合", pw.Yen)
		}
		if err != nil {
			return fmt.Errorf("sheet of %s: %w", m.Code, err)
		}
		f.SetColWidth(s, "A", "A", 34)
		f.SetColWidth(s, "B", "G", 14)
		if m.Diagnosis != nil {
			if _, err := writeDiagnosis(f, w, s, r+len(m.Worth)+2, 7, len(m.Goals), m.Diagnosis, st); err != nil {
				return fmt.Errorf("地域診断 of %s: %w", m.Code, err)
			}
			f.setPrint(s, printSetup{paper: paperA4, fitWidth: true, portrait: true})
		}
		f.spliceRows(s, w)
	}
	if len(fb.Municipalities) == 0 {
		f.SetCellStr("Sheet1", "A1", safeText("対象の市町村がありません"))
	}
	return save(w, f)
}

// sheetName makes a valid, at most 31-character sheet name.
func sheetName(s string) string {
	r := []rune(s)
	for i, c := range r {
		switch c {
		case ':', '\\', '/', '?', '*', '[', ']':
			r[i] = '_'
		}
	}
	if len(r) > 31 {
		r = r[:31]
	}
	return string(r)
}
