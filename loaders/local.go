package loaders

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kofukin/kofukin"
)

// A local indicator CSV (地域の指標) holds indicators a municipality's users bring for its
// community diagnosis — 高齢者の独居率, 所得段階別の割合, JAGES-style survey rates — one row per
// municipality, one column per indicator, read by header:
//
//	年度, 市町村コード, 基準日, 出典, 高齢者の独居率（%）, 閉じこもり傾向のある高齢者の割合（%）, …
//
// Every column other than the four named is an indicator; a unit may close its name in brackets
// (（%）, (人/千人)). A blank cell is no value. Values are decimal numbers with at most six decimal
// places (a trailing % is allowed and dropped). The reference date (基準日) and source (出典) are
// recorded with each value, as population figures are.

// Local indicator CSV headers.
const (
	LocalColFiscalYear = "年度"
	LocalColCode       = "市町村コード"
	LocalColDate       = "基準日"
	LocalColSource     = "出典"
)

// Bounds of a local indicator CSV.
const (
	MaxLocalIndicators    = 100 // indicator columns of one file
	MaxLocalIndicatorName = 60  // characters of an indicator's name with its unit
)

// LocalValue is one municipality's value of one indicator a user brought.
type LocalValue struct {
	FiscalYear int
	Code       string
	Indicator  string // the name, without its unit
	Unit       string // "" when the header gives none
	// Value is the number in its shortest decimal form ("23.4"), at most six decimal places.
	Value  string
	AsOf   time.Time
	Source string
	Cell   string // where it was read ("3行目 高齢者の独居率(%)列")
}

// LocalColumn splits a header into an indicator's name and unit: "高齢者の独居率(%)" → 高齢者の独居率, %.
// (NormalizeText has turned full-width brackets into ASCII ones.)
func LocalColumn(h string) (name, unit string) {
	if strings.HasSuffix(h, ")") {
		if i := strings.LastIndex(h, "("); i > 0 {
			return strings.TrimSpace(h[:i]), strings.TrimSpace(h[i+1 : len(h)-1])
		}
	}
	return h, ""
}

// ReadLocalIndicators reads and validates a local indicator CSV for fiscal year fy. known reports
// whether a code is a municipality of that year (nil accepts any valid code). Any problem rejects
// the whole file, each named at its row and column.
func ReadLocalIndicators(name string, data []byte, fy int, known func(code string) bool) ([]LocalValue, error) {
	ps := &problemList{file: name}
	if len(data) > MaxCSVSize {
		ps.add(Problem{Code: ErrFileTooLarge, Expected: fmt.Sprintf("%d bytes or less", MaxCSVSize), Found: fmt.Sprintf("%d bytes", len(data)),
			MessageJA: fmt.Sprintf("ファイルが大きすぎます（%dバイト、上限%dバイト）。", len(data), MaxCSVSize),
			MessageEN: fmt.Sprintf("the file is %d bytes, more than the limit of %d", len(data), MaxCSVSize)})
		return nil, ps.rejection()
	}
	text, _, err := DecodeText(data)
	if err != nil {
		return nil, err
	}
	reserved := map[string]bool{LocalColFiscalYear: true, LocalColCode: true, LocalColDate: true, LocalColSource: true}
	// The indicator columns, from the header; readCSV below checks the rest of the file.
	var cols []string
	seen, names := map[string]int{}, map[string]int{}
	for i, h := range CSVHeader(text) {
		at := fmt.Sprintf("1行目 %d列目", i+1)
		switch {
		case h == "":
			ps.add(Problem{Code: ErrHeader, Cell: at, Expected: "列名",
				MessageJA: fmt.Sprintf("%d列目の見出しが空です。指標の名前を書いてください。", i+1), MessageEN: fmt.Sprintf("column %d has no header", i+1)})
			continue
		case seen[h] > 0:
			ps.add(Problem{Code: ErrHeader, Cell: at, Found: clip(h),
				MessageJA: fmt.Sprintf("見出し「%s」が重複しています（%d列目と同じ）。", clip(h), seen[h]), MessageEN: fmt.Sprintf("header %q repeats column %d", clip(h), seen[h])})
			continue
		}
		seen[h] = i + 1
		if reserved[h] {
			continue
		}
		if utf8.RuneCountInString(h) > MaxLocalIndicatorName {
			ps.add(Problem{Code: ErrHeader, Cell: at, Expected: fmt.Sprintf("%d文字以下", MaxLocalIndicatorName), Found: clip(h),
				MessageJA: fmt.Sprintf("見出し「%s」が長すぎます（%d文字以下）。", clip(h), MaxLocalIndicatorName), MessageEN: "header too long: " + clip(h)})
			continue
		}
		if n, _ := LocalColumn(h); names[n] > 0 {
			ps.add(Problem{Code: ErrHeader, Cell: at, Found: clip(h),
				MessageJA: fmt.Sprintf("指標「%s」が重複しています（%d列目と同じ。単位が違っても同じ指標です）。", clip(n), names[n]), MessageEN: fmt.Sprintf("indicator %q repeats column %d", clip(n), names[n])})
			continue
		}
		n, _ := LocalColumn(h)
		names[n] = i + 1
		cols = append(cols, h)
	}
	if len(cols) > MaxLocalIndicators {
		ps.add(Problem{Code: ErrOutOfBounds, Cell: "1行目", Expected: fmt.Sprintf("%d列以下", MaxLocalIndicators), Found: fmt.Sprintf("%d列", len(cols)),
			MessageJA: fmt.Sprintf("指標の列が多すぎます（%d列、上限%d列）。", len(cols), MaxLocalIndicators),
			MessageEN: fmt.Sprintf("%d indicator columns, more than %d", len(cols), MaxLocalIndicators)})
	}
	t := readCSV(ps, data, csvOptions{need: []string{LocalColFiscalYear, LocalColCode, LocalColDate, LocalColSource}, optional: cols})
	if t == nil || !t.complete || len(ps.list) > 0 {
		return nil, ps.rejection()
	}
	if len(cols) == 0 {
		ps.add(Problem{Code: ErrHeader, Cell: "1行目", Expected: "指標の列（例: 高齢者の独居率（%））",
			MessageJA: "指標の列がありません（年度・市町村コード・基準日・出典のほかに、指標ごとに1列）。", MessageEN: "no indicator column"})
		return nil, ps.rejection()
	}
	var out []LocalValue
	rowOf := map[string]int{}
	for i := range t.rows {
		if ps.full {
			break
		}
		bad := func(c, ja, en string) {
			ps.add(Problem{Code: ErrCSV, Cell: t.place(i, c), MessageJA: ja, MessageEN: en})
		}
		fyText := NormalizeText(t.get(i, LocalColFiscalYear))
		if y, err := strconv.Atoi(fyText); err != nil || y != fy {
			ps.add(Problem{Code: ErrFiscalYear, Cell: t.place(i, LocalColFiscalYear), Expected: strconv.Itoa(fy), Found: clip(fyText),
				MessageJA: fmt.Sprintf("年度が%d年度ではありません（「%s」）。", fy, clip(fyText)), MessageEN: fmt.Sprintf("fiscal year is not %d: %q", fy, clip(fyText))})
			continue
		}
		raw := NormalizeText(t.get(i, LocalColCode))
		code := kofukin.ResolveCode(kofukin.Municipality, raw, known)
		if !kofukin.ValidCode(kofukin.Municipality, code) || (known != nil && !known(code)) {
			bad(LocalColCode, "市町村コード「"+clip(raw)+"」は登録されていない市町村です。", "unknown municipality code "+clip(raw))
			continue
		}
		if prev, dup := rowOf[code]; dup {
			bad(LocalColCode, fmt.Sprintf("市町村コード%sの行が重複しています（%d行目と同じ）。", code, prev), fmt.Sprintf("%s repeats line %d", code, prev))
			continue
		}
		rowOf[code] = t.line[i]
		asOf, ok := ParseDate(t.get(i, LocalColDate))
		if !ok {
			bad(LocalColDate, "基準日を日付として読み取れません（「"+clip(t.get(i, LocalColDate))+"」）。", "cannot read the reference date")
			continue
		}
		src := NormalizeText(t.get(i, LocalColSource))
		if src == "" {
			bad(LocalColSource, "出典が空です。データの出典（調査名・作成者）を書いてください。", "the source is blank")
			continue
		}
		for _, c := range cols {
			cell := NormalizeText(t.get(i, c))
			if cell == "" {
				continue
			}
			text, ok := ParseDecimal(cell, 6, 1e12)
			if !ok {
				ps.add(Problem{Code: ErrCSV, Cell: t.place(i, c), Expected: "数値（小数点以下6桁まで）", Found: clip(cell),
					MessageJA: "数値として読み取れません（「" + clip(cell) + "」）。数値（小数点以下6桁まで）を記入するか、空欄にしてください。",
					MessageEN: "not a number (at most six decimal places): " + strconv.Quote(clip(cell))})
				continue
			}
			ind, unit := LocalColumn(c)
			out = append(out, LocalValue{FiscalYear: fy, Code: code, Indicator: ind, Unit: unit, Value: text, AsOf: asOf, Source: src, Cell: t.place(i, c)})
		}
	}
	if len(ps.list) > 0 {
		return nil, ps.rejection()
	}
	return out, nil
}
