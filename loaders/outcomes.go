package loaders

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
)

// Outcome CSV headers (UTF-8, one row per entity × item).
const (
	OutcomeColFiscalYear = "年度"
	OutcomeColCode       = "団体コード"
	OutcomeColItem       = "項目ID"
	OutcomeColValue      = "値"
)

// Outcomes is a validated file of ministry-supplied values (目標Ⅳ 成果指標).
type Outcomes struct {
	File       string
	SHA256     string
	Size       int64
	FiscalYear int
	Rows       []OutcomeRow
}

// OutcomeRow is one value for one entity and item.
type OutcomeRow struct {
	EntityCode string
	Answer
}

// ReadOutcomes reads and validates the ministry's outcome CSV for rulebook rb. entity reports
// whether a code is a known entity (nil accepts any 6-digit code with a valid check digit).
func ReadOutcomes(name string, data []byte, rb *indicators.Rulebook, entity func(string) bool) (*Outcomes, error) {
	sum := sha256.Sum256(data)
	out := &Outcomes{File: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), FiscalYear: rb.FiscalYear}
	ps := &problemList{file: name}
	add := func(line int, col string, p Problem) {
		if line > 0 {
			p.Cell = fmt.Sprintf("%d行目 %s列", line, col)
		}
		ps.add(p)
	}
	t := readCSV(ps, data, csvOptions{need: []string{OutcomeColFiscalYear, OutcomeColCode, OutcomeColItem, OutcomeColValue}, strict: true})
	if t == nil || !t.complete {
		return nil, ps.rejection()
	}
	seen := map[[2]string]int{}
	for i := range t.rows {
		if ps.full {
			break
		}
		line := t.line[i]
		fyText := NormalizeText(t.get(i, OutcomeColFiscalYear))
		if fy, err := strconv.Atoi(fyText); err != nil || fy != rb.FiscalYear {
			add(line, OutcomeColFiscalYear, Problem{Code: ErrFiscalYear, Expected: strconv.Itoa(rb.FiscalYear), Found: clip(fyText),
				MessageJA: fmt.Sprintf("年度が%d年度ではありません（「%s」）。", rb.FiscalYear, clip(fyText)),
				MessageEN: fmt.Sprintf("fiscal year is not %d: %q", rb.FiscalYear, clip(fyText))})
			continue
		}
		code := NormalizeText(t.get(i, OutcomeColCode))
		if len(code) == 5 && kofukin.CheckDigitOK("0"+code) {
			code = "0" + code
		}
		if !kofukin.CheckDigitOK(code) || (entity != nil && !entity(code)) {
			add(line, OutcomeColCode, Problem{Code: ErrEntity, Found: clip(code),
				MessageJA: "団体コード「" + clip(code) + "」は登録されていない団体です。", MessageEN: "unknown entity code " + clip(code)})
			continue
		}
		id := NormalizeText(t.get(i, OutcomeColItem))
		it, ok := rb.Item(id)
		if !ok || it.Source != indicators.SourceMinistry {
			add(line, OutcomeColItem, Problem{Code: ErrItemUnknown, Item: clip(id), Found: clip(id),
				MessageJA: "項目ID「" + clip(id) + "」は国が算出する項目ではありません。", MessageEN: "item " + clip(id) + " is not a ministry-supplied item of this rulebook"})
			continue
		}
		k := [2]string{code, id}
		if prev, dup := seen[k]; dup {
			add(line, OutcomeColItem, Problem{Code: ErrItemDuplicate, Item: id,
				MessageJA: fmt.Sprintf("団体コード%s・項目ID%sが重複しています（%d行目と同じ）。", code, id, prev),
				MessageEN: fmt.Sprintf("%s/%s repeats line %d", code, id, prev)})
			continue
		}
		seen[k] = line
		a, p := parseAnswer(it, t.get(i, OutcomeColValue))
		if p != nil {
			p.Item = id
			add(line, OutcomeColValue, *p)
			continue
		}
		a.ItemID, a.Cell = id, fmt.Sprintf("%d行目", line)
		out.Rows = append(out.Rows, OutcomeRow{EntityCode: code, Answer: a})
	}
	if len(ps.list) > 0 {
		return nil, ps.rejection()
	}
	return out, nil
}

// CSVYear reads the fiscal year (年度 column) of the first data row of a CSV, so that the right
// rulebook or validity year can be chosen before the file is validated.
func CSVYear(data []byte) (int, bool) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if csvTooWide(data, MaxCSVFields, 2) > 0 {
		return 0, false
	}
	cr := csv.NewReader(bytes.NewReader(data))
	header, err := cr.Read()
	if err != nil {
		return 0, false
	}
	col := -1
	for i, h := range header {
		if NormalizeText(h) == OutcomeColFiscalYear {
			col = i
		}
	}
	rec, err := cr.Read()
	if err != nil || col < 0 || col >= len(rec) {
		return 0, false
	}
	fy, err := strconv.Atoi(NormalizeText(rec[col]))
	return fy, err == nil
}

// CSVFirstYear reads the fiscal year of a CSV (decoded text) from the 年度 column of its first data
// row, for choosing the rulebook or validity year before the file is read, and the line of that
// row. line 0 (with no problem) is a header-only file: it holds no data row, and its year must
// come from the ingest (--fy). When the year cannot be read — no header, a header without 年度,
// a first record that is broken or whose 年度 is not a year — p is the problem at its place (its
// File left for the caller); the readers report the same, and every other row, when they are
// given a year to read the file for.
func CSVFirstYear(data []byte) (fy, line int, p *Problem) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if l := csvTooWide(data, MaxCSVFields, 2); l > 0 {
		return 0, l, &Problem{Code: ErrOutOfBounds, Cell: fmt.Sprintf("%d行目", l), Expected: fmt.Sprintf("%d列以下", MaxCSVFields),
			MessageJA: fmt.Sprintf("%d行目の列が多すぎます（上限%d列）。CSVの形式を確かめてください。", l, MaxCSVFields),
			MessageEN: fmt.Sprintf("line %d has more than %d fields", l, MaxCSVFields)}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return 0, 1, &Problem{Code: ErrCSV, Cell: "1行目", MessageJA: "CSVが空です（見出し行がありません）。", MessageEN: "the CSV is empty: no header"}
	}
	if err != nil {
		l := csvErrorLine(err, 1)
		return 0, l, &Problem{Code: ErrCSV, Cell: fmt.Sprintf("%d行目", l), MessageJA: csvErrorJA(err, "CSVの見出し行を読み込めません"), MessageEN: "cannot read the CSV header: " + clip(err.Error())}
	}
	col := -1
	for i, h := range header {
		if NormalizeText(h) == OutcomeColFiscalYear {
			col = i
			break
		}
	}
	rec, err := cr.Read()
	switch {
	case err == io.EOF:
		return 0, 0, nil
	case err != nil:
		l := csvErrorLine(err, 2)
		return 0, l, &Problem{Code: ErrCSV, Cell: fmt.Sprintf("%d行目", l), MessageJA: csvErrorJA(err, "CSVの行を読み込めません"), MessageEN: clip(err.Error())}
	case col < 0:
		return 0, 1, &Problem{Code: ErrHeader, Cell: "1行目", Expected: OutcomeColFiscalYear,
			MessageJA: "列「" + OutcomeColFiscalYear + "」がありません。", MessageEN: "column " + OutcomeColFiscalYear + " is missing"}
	}
	line, _ = cr.FieldPos(0)
	text := ""
	if col < len(rec) {
		text = NormalizeText(rec[col])
	}
	fy, err = strconv.Atoi(text)
	if err != nil || fy <= 0 {
		return 0, line, &Problem{Code: ErrCSV, Cell: fmt.Sprintf("%d行目 %s列", line, OutcomeColFiscalYear), Expected: "年度（例: 2026）", Found: clip(text),
			MessageJA: "年度を読み取れません（「" + clip(text) + "」）。", MessageEN: "cannot read the fiscal year " + strconv.Quote(clip(text))}
	}
	return fy, line, nil
}

// CSVHeader returns the normalised header cells of a CSV.
func CSVHeader(data []byte) []string {
	data = bytes.TrimPrefix(data, utf8BOM)
	if csvTooWide(data, MaxCSVFields, 1) > 0 {
		return nil
	}
	cr := csv.NewReader(bytes.NewReader(data))
	h, err := cr.Read()
	if err != nil {
		return nil
	}
	for i := range h {
		h[i] = NormalizeText(h[i])
	}
	return h
}

// WriteOutcomesHeader is the header line of an outcome CSV.
func WriteOutcomesHeader(w io.Writer) error {
	_, err := io.WriteString(w, strings.Join([]string{OutcomeColFiscalYear, OutcomeColCode, OutcomeColItem, OutcomeColValue}, ",")+"\n")
	return err
}
