package loaders

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/survey"
)

// Survey is a survey workbook that passed validation.
type Survey struct {
	File         string
	SHA256       string
	Size         int64
	FiscalYear   int
	Level        indicators.Level
	EntityCode   string
	RulebookHash string    // the rulebook the answers were validated against
	StampedHash  string    // the rulebook hash stamped in the template
	FilledOn     time.Time // 記入日, when given (zero otherwise)
	Answers      []Answer
	// Warnings are problems that do not reject the file (codes W…), e.g. an item answered yes whose
	// prerequisite is not: it is stored and will score 0.
	Warnings []Problem
}

// Answer is one answered (or blank) sub-item.
type Answer struct {
	ItemID string
	Text   string  // normalised text, "" when blank
	Num    float64 // 1/0 for yes/no, the number otherwise
	Blank  bool
	Cell   string // e.g. 回答!F12
}

// Expect is what the reader checks a survey against.
type Expect struct {
	FiscalYear int
	Level      indicators.Level
	// Entity reports whether code is a known entity of the level in fiscal year fy (nil accepts
	// any code with a valid check digit).
	Entity func(fy int, level indicators.Level, code string) bool
}

// MaxAnswerMagnitude bounds a numeric answer: the store keeps numbers as DECIMAL(18,6), which holds
// less than 10¹²; a larger number is out of range (ErrAnswerRange, E012) wherever it is read.
const MaxAnswerMagnitude = survey.MaxAnswerMagnitude

// Limits that bound what an upload can make the reader take in and inflate.
const (
	MaxFileSize     = 16 << 20 // the workbook file itself
	MaxUnzipXMLSize = 16 << 20 // any one part once inflated
)

// The area of the answer sheet 「回答」 whose cells are read: the template's rows (the entity
// block, the header and one row per answerable item) and columns (survey.Columns, A to I), with a
// margin for notes people add around them. A non-empty cell outside it is a problem (E021).
const (
	answerLastCol    = 26 // Z
	answerRowMargin  = 50
	maxSheetIssues   = 100     // problems of cells outside the area before a sheet is no longer read
	maxAnswerText    = 8 << 20 // bytes of text kept from the answer sheet
	stampRows        = 50
	stampCols        = 2
	maxStampText     = 64 << 10
	maxReviewRows    = 5000
	maxReviewText    = 8 << 20
	reviewLastColumn = 26 // Z
)

// answerArea is the area of the answer sheet for rulebook rb.
func answerArea(rb *indicators.Rulebook) sheetArea {
	rows := survey.HeaderRow + len(rb.SelfItems()) + answerRowMargin
	return sheetArea{Cols: answerLastCol, Rows: rows, MaxCells: answerLastCol * rows, MaxText: maxAnswerText, MaxIssues: maxSheetIssues}
}

var stampArea = sheetArea{Cols: stampCols, Rows: stampRows, MaxCells: stampCols * stampRows, MaxText: maxStampText, MaxIssues: maxSheetIssues}

// ReadSurvey reads and validates a survey workbook. A bad workbook yields a *Rejection listing
// every problem; nothing of it is to be stored.
func ReadSurvey(name string, data []byte, lib *indicators.Library, want Expect) (*Survey, error) {
	sum := sha256.Sum256(data)
	sv := &Survey{File: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
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

	stamp, stampProbs, err := readStamp(f)
	var pe *partError
	if errors.As(err, &pe) {
		add(workbookProblem(err, survey.SheetStamp))
		return nil, reject()
	}
	// Problems with the workbook as a whole name no sheet, or the answer sheet's title and year
	// cells the submitter can see: never the hidden stamp.
	if err != nil || stamp[survey.StampForm] != survey.FormName {
		add(Problem{Code: ErrStamp,
			MessageJA: "配布された調査票の様式ではありません（様式の情報が見つかりません）。このページからダウンロードした調査票に記入してください。",
			MessageEN: "not a kofukin survey template: the hidden stamp sheet is missing or altered"})
		return nil, reject()
	}
	if len(stampProbs) > 0 {
		ps.addAll(stampProbs)
		return nil, reject()
	}
	fy, _ := strconv.Atoi(stamp[survey.StampFiscalYear])
	sv.FiscalYear = fy
	sv.Level = indicators.Level(clip(stamp[survey.StampLevel]))
	sv.StampedHash = clip(stamp[survey.StampRulebookHash])
	if want.FiscalYear != 0 && fy != want.FiscalYear {
		this := "この調査票は年度が読み取れません。"
		if fy > 0 {
			this = "この調査票は" + survey.FiscalYearJA(fy) + "用です。"
		}
		add(Problem{Code: ErrFiscalYear, Sheet: survey.SheetAnswers, Cell: survey.CellFiscalYear, Expected: strconv.Itoa(want.FiscalYear), Found: clip(stamp[survey.StampFiscalYear]),
			MessageJA: this + survey.FiscalYearJA(want.FiscalYear) + "の調査票をダウンロードして記入してください。",
			MessageEN: fmt.Sprintf("this is the FY%d template; use FY%d", fy, want.FiscalYear)})
	}
	if want.Level != "" && sv.Level != want.Level {
		add(Problem{Code: ErrLevel, Sheet: survey.SheetAnswers, Cell: survey.CellTitle, Expected: want.Level.LabelJA() + "用", Found: sv.Level.LabelJA() + "用",
			MessageJA: fmt.Sprintf("この調査票は%s用です。%s用の調査票をダウンロードして記入してください。", sv.Level.LabelJA(), want.Level.LabelJA()),
			MessageEN: fmt.Sprintf("this is the %s template; use the %s template", sv.Level, want.Level)})
	}
	if len(ps.list) > 0 {
		return nil, reject()
	}
	rb, err := lib.Get(fy, sv.Level)
	if err != nil {
		add(Problem{Code: ErrRulebook, Sheet: survey.SheetAnswers, Cell: survey.CellFiscalYear, Found: fmt.Sprintf("%d/%s", fy, sv.Level),
			MessageJA: fmt.Sprintf("%s・%s用の評価指標が登録されていないため、この調査票は受け付けられません。今年度の調査票をダウンロードして記入してください。", survey.FiscalYearJA(fy), sv.Level.LabelJA()),
			MessageEN: clip(err.Error())})
		return nil, reject()
	}
	sv.RulebookHash = rb.Hash
	// A template stamped with another version of the year's rulebook asks other questions (or the
	// same ones worded otherwise): its answers cannot be read against this one. Templates made
	// before the stamp carried the hash have none, and are read as they are.
	if sv.StampedHash != "" && sv.StampedHash != rb.Hash {
		add(Problem{Code: ErrStaleTemplate, Sheet: survey.SheetAnswers, Cell: survey.CellTitle, Expected: rb.Hash, Found: sv.StampedHash,
			MessageJA: "この調査票は古い様式です（評価指標が改訂されました）。最新の調査票をダウンロードし、回答を写して提出してください。",
			MessageEN: fmt.Sprintf("this template was made for an earlier version of the FY%d rulebook (stamped %s, current %s): download the current template, copy your answers into it and send it again",
				fy, clipRef(sv.StampedHash), rb.Hash[:min(12, len(rb.Hash))])})
		return nil, reject()
	}

	if !f.hasSheet(survey.SheetAnswers) {
		add(Problem{Code: ErrSheetMissing, Sheet: survey.SheetAnswers, Expected: survey.SheetAnswers,
			MessageJA: "「" + survey.SheetAnswers + "」シートがありません。シート名を変更しないでください。",
			MessageEN: "the answer sheet " + survey.SheetAnswers + " is missing"})
		return nil, reject()
	}
	sd, err := f.readSheet(survey.SheetAnswers, answerArea(rb))
	if err != nil {
		add(workbookProblem(err, survey.SheetAnswers))
		return nil, reject()
	}
	ps.addAll(sd.problems)
	if sd.stopped {
		return nil, reject() // the rows read are incomplete: what is missing cannot be told
	}

	stampCode := stamp[survey.StampEntityCode]
	var header map[string]int
	seen := map[string]string{}
	for _, r := range sd.rows {
		if ps.full {
			return nil, reject()
		}
		rowNo, cols := r.row, r.cols
		if header == nil {
			label := ""
			if len(cols) >= 1 {
				label = NormalizeText(cols[0])
			}
			switch {
			case label == survey.LabelEntityCode && len(cols) >= 2:
				code, p := readEntityCode(cols[1], stampCode, sv, want)
				if p == nil && r.numeric[1] && f.isDate(r.styles[1]) {
					p = &Problem{Code: ErrCodeAsDate, Found: clip(cols[1]), Expected: clip(stampCode),
						MessageJA: "団体コードが日付に変換されています（Excelの自動変換）。セルの書式を「文字列」にして、団体コードを入力し直してください。",
						MessageEN: "the entity code was turned into a date by Excel; format the cell as text and type the code again"}
				}
				if p != nil {
					p.Sheet, p.Cell = survey.SheetAnswers, fmt.Sprintf("B%d", rowNo)
					add(*p)
				}
				sv.EntityCode = code
			case label == survey.LabelFilledOn && len(cols) >= 2 && NormalizeText(cols[1]) != "":
				d, ok := ParseDate(cols[1])
				if !ok {
					add(Problem{Code: ErrDate, Sheet: survey.SheetAnswers, Cell: fmt.Sprintf("B%d", rowNo), Found: clip(cols[1]), Expected: "2025/4/1, 令和7年4月1日, R7.4.1",
						MessageJA: "記入日を日付として読み取れません（入力値：「" + clip(cols[1]) + "」）。例：2025/4/1、令和7年4月1日。",
						MessageEN: "the date filled in cannot be read as a date; found " + strconv.Quote(clip(cols[1]))})
				} else {
					sv.FilledOn = d
				}
			}
			if h := findHeader(cols); h != nil {
				header = h
				if missing := missingColumns(h); len(missing) > 0 {
					found := make([]string, len(cols))
					for i, c := range cols {
						found[i] = clip(c)
					}
					add(Problem{Code: ErrHeader, Sheet: survey.SheetAnswers, Cell: fmt.Sprintf("A%d", rowNo),
						Expected: strings.Join(survey.Columns, ","), Found: strings.Join(found, ","),
						MessageJA: "見出し行の列（" + strings.Join(missing, "・") + "）が見つかりません。列を削除・変更しないでください。",
						MessageEN: "header row lacks column(s) " + strings.Join(missing, ", ")})
					return nil, reject()
				}
			}
			continue
		}
		cell := func(h string) (string, string) {
			i := header[h]
			ref := colName(i+1) + strconv.Itoa(rowNo)
			if i < len(cols) {
				return cols[i], ref
			}
			return "", ref
		}
		id, idRef := cell(survey.ColItemID)
		id = NormalizeText(id)
		if id == "" {
			continue
		}
		it, ok := rb.Item(id)
		if !ok || it.Source != indicators.SourceSelf {
			add(Problem{Code: ErrItemUnknown, Sheet: survey.SheetAnswers, Cell: idRef, Item: clip(id), Found: clip(id),
				MessageJA: "項目ID「" + clip(id) + "」はこの年度の評価指標にありません。項目IDを変更しないでください。",
				MessageEN: "item id " + clip(id) + " is not in this year's rulebook"})
			continue
		}
		if prev, dup := seen[id]; dup {
			add(Problem{Code: ErrItemDuplicate, Sheet: survey.SheetAnswers, Cell: idRef, Item: id,
				MessageJA: "項目ID「" + id + "」が重複しています（" + prev + " と同じ）。",
				MessageEN: "item " + id + " appears twice (also at " + prev + ")"})
			continue
		}
		seen[id] = idRef
		if q, qRef := cell(survey.ColQuestion); q != it.Question && NormalizeText(q) != NormalizeText(it.Question) {
			add(Problem{Code: ErrTemplateChanged, Sheet: survey.SheetAnswers, Cell: qRef, Item: id, Expected: it.Question, Found: clip(q),
				MessageJA: "設問の文言が様式と異なります。「回答」列以外は変更しないでください。",
				MessageEN: "the question text differs from the template; only the answer column may be edited"})
		}
		raw, ref := cell(survey.ColAnswer)
		a, p := parseAnswer(it, raw)
		a.ItemID, a.Cell = id, survey.SheetAnswers+"!"+ref
		if p != nil {
			p.Sheet, p.Cell, p.Item = survey.SheetAnswers, ref, id
			add(*p)
			continue
		}
		sv.Answers = append(sv.Answers, a)
	}
	if header == nil {
		add(Problem{Code: ErrHeader, Sheet: survey.SheetAnswers, Expected: strings.Join(survey.Columns, ","),
			MessageJA: "「回答」シートに見出し行（項目ID・回答 など）が見つかりません。",
			MessageEN: "no header row (項目ID, 回答 …) found on the answer sheet"})
	}
	if sv.EntityCode == "" && header != nil {
		add(Problem{Code: ErrEntity, Sheet: survey.SheetAnswers, Cell: "B2",
			MessageJA: "団体コードが見つかりません。", MessageEN: "entity code not found"})
	}
	ps.addAll(crossChecks(name, rb, sv.Answers))
	for _, it := range rb.SelfItems() {
		if _, ok := seen[it.ID]; !ok && header != nil {
			add(Problem{Code: ErrItemMissing, Sheet: survey.SheetAnswers, Item: it.ID, Expected: it.ID,
				MessageJA: "項目ID「" + it.ID + "」の行がありません。行を削除しないでください。",
				MessageEN: "the row of item " + it.ID + " is missing"})
		}
	}
	if header != nil {
		ps.addAll(noAnswer(survey.SheetAnswers, rb, sv.Answers, ps.list))
	}
	if hasErrors(ps.list) {
		return nil, reject()
	}
	sv.Warnings = warnings(ps.list)
	return sv, nil
}

// workbookProblem says why a workbook, or a part of it, cannot be read: E015 when a part or the
// parts together inflate beyond the limits, E001 otherwise. sheet names the sheet being read, if
// any.
func workbookProblem(err error, sheet string) Problem {
	var pe *partError
	part := ""
	if errors.As(err, &pe) {
		part = clipRef(pe.part)
	}
	p := Problem{Code: ErrNotWorkbook, Sheet: sheet, Found: part, MessageEN: "not a readable .xlsx workbook: " + clip(err.Error())}
	switch {
	case errors.Is(err, errTooManyParts):
		p.MessageJA = fmt.Sprintf("Excelブック（.xlsx）として読み込めません（ファイル内の部品が%d個を超えています）。", MaxZipEntries)
	case errors.Is(err, errPartTooLarge):
		p.Code, p.Expected = ErrFileTooLarge, fmt.Sprintf("%d bytes or less", MaxUnzipXMLSize)
		p.MessageJA = fmt.Sprintf("ブック内の部品「%s」が展開すると大きすぎます（上限%dバイト）。", part, MaxUnzipXMLSize)
		p.MessageEN = fmt.Sprintf("part %s inflates to more than %d bytes", part, MaxUnzipXMLSize)
	case errors.Is(err, errTotalTooBig):
		p.Code, p.Expected = ErrFileTooLarge, fmt.Sprintf("%d bytes or less", MaxUnzipTotal)
		p.MessageJA = fmt.Sprintf("ブックを展開すると大きすぎます（部品「%s」までの合計が上限%dバイトを超えます）。", part, MaxUnzipTotal)
		p.MessageEN = fmt.Sprintf("the parts read, up to %s, inflate to more than %d bytes together", part, MaxUnzipTotal)
	case errors.Is(err, errDTD):
		p.MessageJA = fmt.Sprintf("Excelブック（.xlsx）として読み込めません（部品「%s」に文書型定義（DTD）が含まれています）。", part)
	case part != "":
		p.MessageJA = fmt.Sprintf("Excelブック（.xlsx）として読み込めません（部品「%s」が壊れています）。", part)
	case sheet != "":
		p.MessageJA = "「" + sheet + "」シートを読み込めません。"
		p.MessageEN = clip(err.Error())
	default:
		p.MessageJA = "Excelブック（.xlsx）として読み込めません。"
	}
	return p
}

// MatchOption finds the option a person meant: the exact text, or the part before "：" (段階3).
func MatchOption(opts []indicators.Option, text string) (int, bool) {
	t := NormalizeText(text)
	for k, o := range opts {
		if NormalizeText(o.Value) == t {
			return k, true
		}
	}
	found := -1
	for k, o := range opts {
		head, _, ok := strings.Cut(NormalizeText(o.Value), ":")
		if ok && head == t {
			if found >= 0 {
				return 0, false
			}
			found = k
		}
	}
	return found, found >= 0
}

// readStamp reads the hidden stamp's key/value pairs, with the problems of cells outside its two
// columns.
func readStamp(f *xlsxBook) (map[string]string, []Problem, error) {
	sd, err := f.readSheet(survey.SheetStamp, stampArea)
	if err != nil {
		return nil, nil, err
	}
	m := map[string]string{}
	for _, r := range sd.rows {
		if len(r.cols) >= 2 {
			m[strings.TrimSpace(r.cols[0])] = strings.TrimSpace(r.cols[1])
		}
	}
	return m, sd.problems, nil
}

// readEntityCode normalises the visible entity code and checks it against the stamp and the
// entity list. A code that lost its leading zero (Excel stored it as a number) is restored only when
// the check digit proves it.
func readEntityCode(raw, stampCode string, sv *Survey, want Expect) (string, *Problem) {
	code := kofukin.RestoreCode(sv.Level, NormalizeText(raw))
	if code != stampCode {
		return code, &Problem{Code: ErrEntity, Expected: clip(stampCode), Found: clip(code),
			MessageJA: "団体コード「" + clip(code) + "」が様式に記録された団体コード「" + clip(stampCode) + "」と一致しません。自団体用の様式を使用してください。",
			MessageEN: "entity code " + clip(code) + " does not match the template's stamped code " + clip(stampCode)}
	}
	if !kofukin.ValidCode(sv.Level, code) || (want.Entity != nil && !want.Entity(sv.FiscalYear, sv.Level, code)) {
		return code, &Problem{Code: ErrEntity, Found: clip(code),
			MessageJA: "団体コード「" + clip(code) + "」は登録されていない団体です。",
			MessageEN: "entity code " + clip(code) + " is not a known " + string(sv.Level)}
	}
	return code, nil
}

func findHeader(cols []string) map[string]int {
	h := map[string]int{}
	for i, c := range cols {
		h[NormalizeText(c)] = i
	}
	_, a := h[survey.ColItemID]
	_, b := h[survey.ColAnswer]
	if a && b {
		return h
	}
	return nil
}

func missingColumns(h map[string]int) []string {
	var m []string
	for _, c := range []string{survey.ColItemID, survey.ColQuestion, survey.ColAnswer} {
		if _, ok := h[c]; !ok {
			m = append(m, c)
		}
	}
	return m
}

// ParseAnswer reads one answer as people type it, according to its item's rule (for what-if
// values and any other answer given outside a file). A problem says why it cannot be read.
func ParseAnswer(it *indicators.Item, raw string) (Answer, *Problem) { return parseAnswer(it, raw) }

// parseAnswer reads one answer cell according to its item's rule.
func parseAnswer(it *indicators.Item, raw string) (Answer, *Problem) {
	t := NormalizeText(raw)
	if t == "" {
		if it.Blank == indicators.BlankRequired {
			return Answer{}, &Problem{Code: ErrAnswerRequired, Expected: survey.HowToAnswer(it),
				MessageJA: "この設問は回答が必須です（空欄は認められません）。",
				MessageEN: "this answer is required; the cell is blank"}
		}
		return Answer{Blank: true}, nil
	}
	if it.Rule.Type == indicators.RuleChoice {
		if k, ok := MatchOption(it.Rule.Options, t); ok {
			return Answer{Text: it.Rule.Options[k].Value, Num: float64(k + 1)}, nil
		}
		return Answer{}, &Problem{Code: ErrAnswerInvalid, Expected: survey.HowToAnswer(it), Found: clip(raw),
			MessageJA: "選択肢の中から1つ選んでください（入力値：「" + clip(raw) + "」）。",
			MessageEN: "choose one of the listed options; found " + strconv.Quote(clip(raw))}
	}
	if it.Rule.Type == indicators.RuleYesNo {
		yes, ok := ParseYesNo(t)
		if !ok {
			return Answer{}, &Problem{Code: ErrAnswerInvalid, Expected: "はい／いいえ", Found: clip(raw),
				MessageJA: "「はい」又は「いいえ」で回答してください（入力値：「" + clip(raw) + "」）。",
				MessageEN: "answer yes or no (はい/いいえ); found " + strconv.Quote(clip(raw))}
		}
		if yes {
			return Answer{Text: survey.Yes, Num: 1}, nil
		}
		return Answer{Text: survey.No, Num: 0}, nil
	}
	v, ok := ParseNumber(t)
	if !ok {
		return Answer{}, &Problem{Code: ErrAnswerInvalid, Expected: survey.HowToAnswer(it), Found: clip(raw),
			MessageJA: "数値で回答してください（入力値：「" + clip(raw) + "」）。",
			MessageEN: "answer with a number; found " + strconv.Quote(clip(raw))}
	}
	r := it.Rule
	if (r.Min != nil && v < *r.Min) || (r.Max != nil && v > *r.Max) || math.Abs(v) >= MaxAnswerMagnitude {
		return Answer{}, &Problem{Code: ErrAnswerRange, Expected: survey.HowToAnswer(it), Found: clip(raw),
			MessageJA: "回答が範囲外です（" + survey.HowToAnswer(it) + "、入力値：「" + clip(raw) + "」）。",
			MessageEN: "answer out of range; found " + strconv.Quote(clip(raw))}
	}
	return Answer{Text: strconv.FormatFloat(v, 'f', -1, 64), Num: v}, nil
}

// PeekEntity reads which entity a file is for without validating it: the code stamped in a survey
// workbook, or the 団体コード of a survey CSV's first row. "" when it cannot tell.
func PeekEntity(data []byte) string {
	plausible := func(code string) string {
		if len(code) > 9 || !isDigits(code) {
			return ""
		}
		return code
	}
	if len(data) <= MaxFileSize {
		if f, err := openXLSX(data, MaxUnzipXMLSize); err == nil {
			if stamp, _, err := readStamp(f); err == nil {
				return plausible(stamp[survey.StampEntityCode])
			}
			return ""
		}
	}
	if len(data) > MaxCSVSize || CSVKind(data) != CSVSurvey {
		return ""
	}
	ps := &problemList{}
	t := readCSV(ps, data, csvOptions{need: []string{OutcomeColCode}, stopAfter: 1})
	if t == nil || len(t.rows) == 0 {
		return ""
	}
	code := NormalizeText(t.get(0, OutcomeColCode))
	return plausible(kofukin.RestoreCode(kofukin.ClaimedLevel(code), code))
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
