package loaders

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
)

// Review workbook layout read back (see exporters.WriteReview).
const (
	reviewForm    = "kofukin-review/1"
	reviewSheet   = "審査"
	reviewStamp   = "_stamp"
	reviewCode    = "団体コード"
	reviewStatus  = "審査状況"
	reviewComment = "審査コメント"
)

// ReviewVerdict is one row of a returned review workbook.
type ReviewVerdict struct {
	Code, Status, Comment, Cell string
}

// ReviewFile is a returned review workbook.
type ReviewFile struct {
	File, SHA256   string
	FiscalYear     int
	PrefectureCode string
	Verdicts       []ReviewVerdict
}

// ReadReview reads the reviewer's 審査状況 and コメント back from a review workbook (as written by
// kofukin and saved by Excel or LibreOffice). Every status must be one of 未確認, 確認済, 差戻し and
// every code a municipality of the workbook's prefecture (inPref); every problem names its cell.
func ReadReview(name string, data []byte, inPref func(pref, code string) bool) (*ReviewFile, error) {
	sum := sha256.Sum256(data)
	out := &ReviewFile{File: name, SHA256: hex.EncodeToString(sum[:])}
	var probs []Problem
	reject := func() error { return &Rejection{File: name, Problems: probs} }
	f, err := openXLSX(data, MaxUnzipXMLSize)
	if err != nil {
		probs = append(probs, Problem{Code: ErrNotWorkbook, File: name, MessageJA: "Excelブック（.xlsx）として読み込めません。", MessageEN: err.Error()})
		return nil, reject()
	}
	stamp := map[string]string{}
	if rows, err := sheetRows(f, reviewStamp); err == nil {
		for _, r := range rows {
			if len(r.cols) >= 2 {
				stamp[r.cols[0]] = r.cols[1]
			}
		}
	}
	if stamp["form"] != reviewForm {
		probs = append(probs, Problem{Code: ErrStamp, File: name, Sheet: reviewStamp, MessageJA: "kofukinの審査用ブックではありません。", MessageEN: "not a kofukin review workbook"})
		return nil, reject()
	}
	out.FiscalYear, _ = strconv.Atoi(stamp["fiscal_year"])
	out.PrefectureCode = stamp["prefecture_code"]
	rows, err := sheetRows(f, reviewSheet)
	if err != nil {
		probs = append(probs, Problem{Code: ErrSheetMissing, File: name, Sheet: reviewSheet, MessageJA: "「審査」シートがありません。", MessageEN: err.Error()})
		return nil, reject()
	}
	col := map[string]int{}
	statuses := map[string]bool{"未確認": true, "確認済": true, "差戻し": true}
	for _, r := range rows {
		if len(col) == 0 {
			for i, c := range r.cols {
				col[NormalizeText(c)] = i
			}
			if _, ok := col[reviewStatus]; !ok {
				col = map[string]int{}
			}
			continue
		}
		get := func(h string) (string, string) {
			i, ok := col[h]
			ref := colName(i+1) + strconv.Itoa(r.row)
			if !ok || i >= len(r.cols) {
				return "", ref
			}
			return r.cols[i], ref
		}
		code, codeRef := get(reviewCode)
		code = NormalizeText(code)
		if code == "" {
			continue
		}
		status, statusRef := get(reviewStatus)
		status = NormalizeText(status)
		comment, _ := get(reviewComment)
		if !inPref(out.PrefectureCode, code) {
			probs = append(probs, Problem{Code: ErrEntity, File: name, Sheet: reviewSheet, Cell: codeRef, Found: code,
				MessageJA: "団体コード「" + code + "」はこの都道府県の市町村ではありません。", MessageEN: "code " + code + " is not a municipality of the prefecture"})
			continue
		}
		if !statuses[status] {
			probs = append(probs, Problem{Code: ErrAnswerInvalid, File: name, Sheet: reviewSheet, Cell: statusRef, Found: status, Expected: "未確認／確認済／差戻し",
				MessageJA: "審査状況は「未確認」「確認済」「差戻し」のいずれかを選んでください。", MessageEN: "the status must be 未確認, 確認済 or 差戻し"})
			continue
		}
		if status == "差戻し" && NormalizeText(comment) == "" {
			_, ref := get(reviewComment)
			probs = append(probs, Problem{Code: ErrAnswerRequired, File: name, Sheet: reviewSheet, Cell: ref,
				MessageJA: "差戻しの場合は、市町村に伝える理由をコメントに記入してください。", MessageEN: "a return needs a comment for the municipality"})
			continue
		}
		out.Verdicts = append(out.Verdicts, ReviewVerdict{Code: code, Status: status, Comment: comment, Cell: statusRef})
	}
	if len(col) == 0 {
		probs = append(probs, Problem{Code: ErrHeader, File: name, Sheet: reviewSheet, MessageJA: "見出し行（審査状況）が見つかりません。", MessageEN: "no header row with 審査状況"})
	}
	if len(probs) > 0 {
		return nil, reject()
	}
	return out, nil
}

// String renders a verdict for logs.
func (v ReviewVerdict) String() string { return fmt.Sprintf("%s %s %q", v.Code, v.Status, v.Comment) }
