package loaders

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
	// VerdictsAsOf is the stamp's verdicts_as_of: when the newest verdict the workbook was written
	// with was recorded (RFC 3339), "none", or "" in a workbook written before it was stamped.
	VerdictsAsOf string
	// ScoreRunID is the stamp's score run: the versions of the surveys the workbook's scores (and
	// so its verdicts) were given on (0 when the stamp does not say).
	ScoreRunID int64
	Verdicts   []ReviewVerdict
}

// The areas of a review workbook that are read: its stamp, and the 審査 sheet (a header and one
// row per municipality, at most a few hundred, in columns A to M), with a margin.
var (
	reviewStampArea = sheetArea{Cols: stampCols, Rows: stampRows, MaxCells: stampCols * stampRows, MaxText: maxStampText, MaxIssues: maxSheetIssues}
	reviewArea      = sheetArea{Cols: reviewLastColumn, Rows: maxReviewRows, MaxCells: reviewLastColumn * maxReviewRows, MaxText: maxReviewText, MaxIssues: maxSheetIssues}
)

// ReadReview reads the reviewer's 審査状況 and コメント back from a review workbook (as written by
// kofukin and saved by Excel or LibreOffice). Every status must be one of 未確認, 確認済, 差戻し and
// every code a municipality of the workbook's prefecture (inPref), once; every problem names its
// cell.
func ReadReview(name string, data []byte, inPref func(pref, code string) bool) (*ReviewFile, error) {
	sum := sha256.Sum256(data)
	out := &ReviewFile{File: name, SHA256: hex.EncodeToString(sum[:])}
	ps := &problemList{file: name}
	add, reject := ps.add, ps.rejection
	if int64(len(data)) > MaxFileSize {
		add(Problem{Code: ErrFileTooLarge, Expected: fmt.Sprintf("%d bytes or less", MaxFileSize), Found: fmt.Sprintf("%d bytes", len(data)),
			MessageJA: fmt.Sprintf("ファイルが大きすぎます（%dバイト、上限%dバイト）。", len(data), MaxFileSize),
			MessageEN: fmt.Sprintf("the file is %d bytes, more than the limit of %d", len(data), MaxFileSize)})
		return nil, reject()
	}
	f, err := openXLSX(data, MaxUnzipXMLSize)
	if err != nil {
		add(workbookProblem(err, ""))
		return nil, reject()
	}
	stamp := map[string]string{}
	sd, err := f.readSheet(reviewStamp, reviewStampArea)
	var pe *partError
	if errors.As(err, &pe) {
		add(workbookProblem(err, reviewStamp))
		return nil, reject()
	}
	if err == nil {
		for _, r := range sd.rows {
			if len(r.cols) >= 2 {
				stamp[r.cols[0]] = r.cols[1]
			}
		}
	}
	if stamp["form"] != reviewForm {
		add(Problem{Code: ErrStamp, Sheet: reviewStamp, MessageJA: "kofukinの審査用ブックではありません。", MessageEN: "not a kofukin review workbook"})
		return nil, reject()
	}
	if len(sd.problems) > 0 {
		ps.addAll(sd.problems)
		return nil, reject()
	}
	out.FiscalYear, _ = strconv.Atoi(stamp["fiscal_year"])
	out.PrefectureCode = clip(stamp["prefecture_code"])
	out.VerdictsAsOf = clip(stamp["verdicts_as_of"])
	if id, err := strconv.ParseInt(stamp["score_run_id"], 10, 64); err == nil && id > 0 {
		out.ScoreRunID = id
	}
	if !f.hasSheet(reviewSheet) {
		add(Problem{Code: ErrSheetMissing, Sheet: reviewSheet, MessageJA: "「審査」シートがありません。", MessageEN: "the sheet 審査 is missing"})
		return nil, reject()
	}
	sd, err = f.readSheet(reviewSheet, reviewArea)
	if err != nil {
		add(workbookProblem(err, reviewSheet))
		return nil, reject()
	}
	ps.addAll(sd.problems)
	if sd.stopped {
		return nil, reject()
	}
	col := map[string]int{}
	statuses := map[string]bool{"未確認": true, "確認済": true, "差戻し": true}
	seen := map[string]string{}
	for _, r := range sd.rows {
		if ps.full {
			break
		}
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
			add(Problem{Code: ErrEntity, Sheet: reviewSheet, Cell: codeRef, Found: clip(code),
				MessageJA: "団体コード「" + clip(code) + "」はこの都道府県の市町村ではありません。", MessageEN: "code " + clip(code) + " is not a municipality of the prefecture"})
			continue
		}
		if prev, dup := seen[code]; dup {
			add(Problem{Code: ErrItemDuplicate, Sheet: reviewSheet, Cell: codeRef, Found: code,
				MessageJA: "団体コード「" + code + "」の行が重複しています（" + prev + " と同じ）。", MessageEN: "code " + code + " appears twice (also at " + prev + ")"})
			continue
		}
		seen[code] = codeRef
		if !statuses[status] {
			add(Problem{Code: ErrAnswerInvalid, Sheet: reviewSheet, Cell: statusRef, Found: clip(status), Expected: "未確認／確認済／差戻し",
				MessageJA: "審査状況は「未確認」「確認済」「差戻し」のいずれかを選んでください。", MessageEN: "the status must be 未確認, 確認済 or 差戻し"})
			continue
		}
		if status == "差戻し" && NormalizeText(comment) == "" {
			_, ref := get(reviewComment)
			add(Problem{Code: ErrAnswerRequired, Sheet: reviewSheet, Cell: ref,
				MessageJA: "差戻しの場合は、市町村に伝える理由をコメントに記入してください。", MessageEN: "a return needs a comment for the municipality"})
			continue
		}
		out.Verdicts = append(out.Verdicts, ReviewVerdict{Code: code, Status: status, Comment: comment, Cell: statusRef})
	}
	if len(col) == 0 {
		add(Problem{Code: ErrHeader, Sheet: reviewSheet, MessageJA: "見出し行（審査状況）が見つかりません。", MessageEN: "no header row with 審査状況"})
	}
	if len(ps.list) > 0 {
		return nil, reject()
	}
	return out, nil
}

// String renders a verdict for logs.
func (v ReviewVerdict) String() string { return fmt.Sprintf("%s %s %q", v.Code, v.Status, v.Comment) }
