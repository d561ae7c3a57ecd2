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
	var probs []Problem
	add := func(line int, col string, p Problem) {
		p.File = name
		if line > 0 {
			p.Cell = fmt.Sprintf("%d行目 %s列", line, col)
		}
		probs = append(probs, p)
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	header, err := cr.Read()
	if err != nil {
		add(0, "", Problem{Code: ErrCSV, MessageJA: "CSVの見出し行を読み込めません。", MessageEN: "cannot read the CSV header: " + err.Error()})
		return nil, &Rejection{File: name, Problems: probs}
	}
	col := map[string]int{}
	for i, h := range header {
		col[NormalizeText(h)] = i
	}
	for _, c := range []string{OutcomeColFiscalYear, OutcomeColCode, OutcomeColItem, OutcomeColValue} {
		if _, ok := col[c]; !ok {
			add(1, c, Problem{Code: ErrHeader, Expected: c, MessageJA: "列「" + c + "」がありません。", MessageEN: "column " + c + " is missing"})
		}
	}
	if len(probs) > 0 {
		return nil, &Rejection{File: name, Problems: probs}
	}
	get := func(rec []string, c string) string {
		if i := col[c]; i < len(rec) {
			return rec[i]
		}
		return ""
	}
	seen := map[[2]string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			add(line, "", Problem{Code: ErrCSV, MessageJA: "CSVの行を読み込めません。", MessageEN: err.Error()})
			continue
		}
		fyText := NormalizeText(get(rec, OutcomeColFiscalYear))
		if fy, err := strconv.Atoi(fyText); err != nil || fy != rb.FiscalYear {
			add(line, OutcomeColFiscalYear, Problem{Code: ErrFiscalYear, Expected: strconv.Itoa(rb.FiscalYear), Found: fyText,
				MessageJA: fmt.Sprintf("年度が%d年度ではありません（「%s」）。", rb.FiscalYear, fyText),
				MessageEN: fmt.Sprintf("fiscal year is not %d: %q", rb.FiscalYear, fyText)})
			continue
		}
		code := NormalizeText(get(rec, OutcomeColCode))
		if len(code) == 5 && CheckDigitOK("0"+code) {
			code = "0" + code
		}
		if !CheckDigitOK(code) || (entity != nil && !entity(code)) {
			add(line, OutcomeColCode, Problem{Code: ErrEntity, Found: code,
				MessageJA: "団体コード「" + code + "」は登録されていない団体です。", MessageEN: "unknown entity code " + code})
			continue
		}
		id := NormalizeText(get(rec, OutcomeColItem))
		it, ok := rb.Item(id)
		if !ok || it.Source != indicators.SourceMinistry {
			add(line, OutcomeColItem, Problem{Code: ErrItemUnknown, Item: id, Found: id,
				MessageJA: "項目ID「" + id + "」は国が算出する項目ではありません。", MessageEN: "item " + id + " is not a ministry-supplied item of this rulebook"})
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
		raw := get(rec, OutcomeColValue)
		a, p := parseAnswer(it, raw)
		if p != nil {
			p.Item = id
			add(line, OutcomeColValue, *p)
			continue
		}
		a.ItemID, a.Cell = id, fmt.Sprintf("%d行目", line)
		out.Rows = append(out.Rows, OutcomeRow{EntityCode: code, Answer: a})
	}
	if len(probs) > 0 {
		return nil, &Rejection{File: name, Problems: probs}
	}
	return out, nil
}

// CSVYear reads the fiscal year (年度 column) of the first data row of a CSV, so that the right
// rulebook or validity year can be chosen before the file is validated.
func CSVYear(data []byte) (int, bool) {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
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

// CSVHeader returns the normalised header cells of a CSV.
func CSVHeader(data []byte) []string {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
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
