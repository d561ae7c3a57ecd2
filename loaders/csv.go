package loaders

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
)

// Limits of the CSV readers. A CSV beyond MaxCSVSize is refused unread (E015); reading stops at
// the first record of more than MaxCSVFields fields or after MaxCSVRows data rows (E021).
const (
	MaxCSVSize   = 32 << 20 // bytes; the ministry's and the reference CSVs are a few MB
	MaxCSVRows   = 500_000  // data rows
	MaxCSVFields = 1000     // fields of one record; kofukin's CSVs have a handful
)

var utf8BOM = []byte("\ufeff")

// DecodeText returns a CSV's text as UTF-8: UTF-8 (with or without a BOM) as it is, anything else
// read as Shift_JIS (CP932, as Japanese offices' Excel exports). The second result names the
// encoding found. Text that is neither — bytes that are not UTF-8 after a UTF-8 BOM, lines of
// UTF-8 mixed with lines of another encoding, bytes Shift_JIS cannot read, or the replacement
// character U+FFFD left by an earlier lossy conversion — is an error naming the first line at
// fault: a *Rejection holding one E014 problem whose File the caller may fill in.
func DecodeText(data []byte) ([]byte, string, error) {
	if b, ok := bytes.CutPrefix(data, utf8BOM); ok {
		if !utf8.Valid(b) {
			line := lineOf(b, invalidUTF8At(b))
			return nil, "", encodingRejection(line,
				fmt.Sprintf("%d行目にUTF-8として読めない文字があります（ファイルの先頭はUTF-8の印（BOM）です）。文字コードを統一して（UTF-8 又は Shift_JIS）保存し直してください。", line),
				fmt.Sprintf("line %d is not valid UTF-8 although the file starts with a UTF-8 byte-order mark: save the file in one encoding (UTF-8 or Shift_JIS)", line))
		}
		return b, "UTF-8", replacementCheck(b)
	}
	if utf8.Valid(data) {
		return data, "UTF-8", replacementCheck(data)
	}
	if line := mixedEncodingLine(data); line > 0 {
		return nil, "", encodingRejection(line,
			fmt.Sprintf("文字コードが混在しています（%d行目がそれより前の行と異なる文字コードです）。UTF-8 又は Shift_JIS のどちらかに統一して保存し直してください。", line),
			fmt.Sprintf("mixed encodings: line %d is not in the encoding of the lines before it; save the file in one encoding (UTF-8 or Shift_JIS)", line))
	}
	out, err := japanese.ShiftJIS.NewDecoder().Bytes(data)
	if err != nil {
		return nil, "", encodingRejection(1, "文字コードを判別できません（UTF-8 又は Shift_JIS で保存してください）。", "neither UTF-8 nor Shift_JIS: "+err.Error())
	}
	// The decoder puts U+FFFD where a byte is not Shift_JIS rather than failing.
	if i := bytes.IndexRune(out, utf8.RuneError); i >= 0 {
		line := lineOf(out, i)
		return nil, "", encodingRejection(line,
			fmt.Sprintf("%d行目に UTF-8 としても Shift_JIS としても読めない文字があります。文字コード（UTF-8 又は Shift_JIS）を確かめて保存し直してください。", line),
			fmt.Sprintf("line %d is neither UTF-8 nor Shift_JIS: check the file's encoding", line))
	}
	return out, "Shift_JIS", nil
}

// replacementCheck refuses UTF-8 text holding U+FFFD: characters an earlier conversion could not
// read, lost.
func replacementCheck(text []byte) error {
	i := bytes.IndexRune(text, utf8.RuneError)
	if i < 0 {
		return nil
	}
	line := lineOf(text, i)
	return encodingRejection(line,
		fmt.Sprintf("%d行目に読み取れない文字（\uFFFD）があります。文字コードの変換で文字が失われています。元のファイルを UTF-8 又は Shift_JIS で保存し直してください。", line),
		fmt.Sprintf("line %d holds the replacement character U+FFFD: characters were lost in an encoding conversion; save the original file again in UTF-8 or Shift_JIS", line))
}

func encodingRejection(line int, ja, en string) error {
	return &Rejection{Problems: []Problem{{Code: ErrCSV, Cell: fmt.Sprintf("%d行目", line), Found: "文字コード / encoding", MessageJA: ja, MessageEN: en}}}
}

// lineOf is the 1-based line of byte offset i.
func lineOf(b []byte, i int) int { return 1 + bytes.Count(b[:max(0, min(i, len(b)))], []byte("\n")) }

// invalidUTF8At is the offset of the first byte of b that is not UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// mixedEncodingLine finds text that mixes UTF-8 with another encoding: lines that are valid UTF-8
// holding Japanese (three-byte) characters alongside lines that are not UTF-8. It returns the
// first line whose kind differs from the first line that is not plain ASCII, or 0. Shift_JIS text
// almost never forms valid three-byte UTF-8 by chance.
func mixedEncodingLine(data []byte) int {
	const (
		other = iota + 1
		japaneseUTF8
	)
	first := 0
	for line, rest := 1, data; len(rest) > 0; line++ {
		l := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		kind := 0
		switch {
		case !utf8.Valid(l):
			kind = other
		case hasThreeByteRune(l):
			kind = japaneseUTF8
		}
		if kind == 0 {
			continue
		}
		if first == 0 {
			first = kind
		} else if kind != first {
			return line
		}
	}
	return 0
}

func hasThreeByteRune(b []byte) bool {
	for _, c := range b {
		if c >= 0xE0 {
			return true
		}
	}
	return false
}

// CSV kinds, told apart by their headers.
const (
	CSVSurvey     = "survey"     // 年度, 団体コード, 項目ID, 回答: one entity's answers
	CSVOutcomes   = "outcomes"   // 年度, 団体コード, 項目ID, 値: ministry-supplied values
	CSVCentres    = "centres"    // 年度, センターコード, 市町村コード, センター名, 運営形態
	CSVPopulation = "population" // 年度, 団体コード, 基準日, 第1号被保険者数
	CSVUnions     = "unions"     // 年度, 広域連合コード, 広域連合名, 構成市町村コード
	CSVNeeds      = "needs"      // 年度, 団体コード, 交付金, 所要見込額
	CSVEntities   = "entities"   // 団体コード, 区分, 名称, 都道府県コード, 有効開始年度, 有効終了年度
	CSVLocal      = "local"      // 年度, 市町村コード, 基準日, 出典, indicators…: 地域の指標 users bring (local.go)
	CSVUnknown    = ""
)

// Header texts of the reference CSVs.
const (
	PopColFiscalYear = "年度"
	PopColCode       = "団体コード"
	PopColDate       = "基準日"
	PopColInsured    = "第1号被保険者数"
	PopColTotal      = "総人口"
	PopColSource     = "出典"
	UnionColCode     = "広域連合コード"
	UnionColName     = "広域連合名"
	UnionColMember   = "構成市町村コード"
	SurveyColAnswer  = "回答"
)

// CSVKind tells what a CSV holds from its header.
func CSVKind(data []byte) string {
	if i := bytes.IndexByte(data[:min(len(data), maxHeaderLine)], '\n'); i >= 0 {
		data = data[:i+1] // the header line only: a cut-off multibyte character further on must not matter
	} else if len(data) > maxHeaderLine {
		return CSVUnknown // no header is that long
	}
	text, _, err := DecodeText(data)
	if err != nil {
		return CSVUnknown
	}
	has := map[string]bool{}
	for _, h := range CSVHeader(text) {
		has[h] = true
	}
	switch {
	case has[CentreColCode]:
		return CSVCentres
	case has[UnionColCode]:
		return CSVUnions
	case has[NeedsColYen]:
		return CSVNeeds
	case has["有効開始年度"]:
		return CSVEntities
	case has[PopColDate] && has[PopColInsured]:
		return CSVPopulation
	case has[LocalColCode] && has[LocalColDate]:
		return CSVLocal // after population: a population list headed 市町村コード stays one (and is refused for it)
	case has[OutcomeColItem] && has[SurveyColAnswer]:
		return CSVSurvey
	case has[OutcomeColItem] && has[OutcomeColValue]:
		return CSVOutcomes
	}
	return CSVUnknown
}

// maxHeaderLine bounds the header line looked at to tell a CSV's kind.
const maxHeaderLine = 64 << 10

// csvTable is a decoded CSV with its columns found by header text. Only the columns asked for are
// kept, whatever else the file holds.
type csvTable struct {
	name string
	enc  string         // the encoding found: UTF-8 or Shift_JIS
	col  map[string]int // normalised header text → index in each of rows
	rows [][]string
	line []int // the line each row starts on
	// complete says every column needed was found (rows that could not be read may still have
	// been left out, as problems)
	complete bool
}

// csvOptions says what readCSV reads: the columns that must be there and those that may; strict
// requires every row to have as many fields as the header; maxRows (default MaxCSVRows) bounds
// the data rows (more is a problem), stopAfter stops quietly after that many rows.
type csvOptions struct {
	need, optional []string
	strict         bool
	maxRows        int
	stopAfter      int
}

// readCSV decodes and reads a CSV table into ps's file's problems. It returns nil when the table
// cannot be read at all (too large, not decodable, no header); then ps holds why. Rows that cannot
// be read are problems with their line; the other rows are kept.
func readCSV(ps *problemList, data []byte, o csvOptions) *csvTable {
	if len(data) > MaxCSVSize {
		ps.add(Problem{Code: ErrFileTooLarge, Expected: fmt.Sprintf("%d bytes or less", MaxCSVSize), Found: fmt.Sprintf("%d bytes", len(data)),
			MessageJA: fmt.Sprintf("ファイルが大きすぎます（%dバイト、上限%dバイト）。", len(data), MaxCSVSize),
			MessageEN: fmt.Sprintf("the file is %d bytes, more than the limit of %d", len(data), MaxCSVSize)})
		return nil
	}
	text, enc, err := DecodeText(data)
	if err != nil {
		var rj *Rejection
		if errors.As(err, &rj) {
			ps.addAll(rj.Problems)
		} else {
			ps.add(Problem{Code: ErrCSV, MessageJA: "文字コードを判別できません（UTF-8 又は Shift_JIS で保存してください）。", MessageEN: clip(err.Error())})
		}
		return nil
	}
	if line := csvTooWide(text, MaxCSVFields, 0); line > 0 {
		ps.add(Problem{Code: ErrOutOfBounds, Cell: fmt.Sprintf("%d行目", line), Expected: fmt.Sprintf("%d列以下", MaxCSVFields),
			MessageJA: fmt.Sprintf("%d行目の列が多すぎます（上限%d列）。CSVの形式を確かめてください。", line, MaxCSVFields),
			MessageEN: fmt.Sprintf("line %d has more than %d fields", line, MaxCSVFields)})
		return nil
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.ReuseRecord = true
	if !o.strict {
		cr.FieldsPerRecord = -1
	}
	header, err := cr.Read()
	if err != nil {
		line, ja := 1, "CSVの見出し行を読み込めません。"
		if err == io.EOF {
			ja = "CSVが空です（見出し行がありません）。"
		} else {
			line, ja = csvErrorLine(err, 1), csvErrorJA(err, "CSVの見出し行を読み込めません")
		}
		ps.add(Problem{Code: ErrCSV, Cell: fmt.Sprintf("%d行目", line), MessageJA: ja, MessageEN: "cannot read the CSV header: " + clip(err.Error())})
		return nil
	}
	at := map[string]int{}
	for i, h := range header {
		at[NormalizeText(h)] = i
	}
	t := &csvTable{name: ps.file, enc: enc, col: map[string]int{}}
	var keep []int // header index of each kept column
	for _, c := range append(append([]string{}, o.need...), o.optional...) {
		if i, ok := at[c]; ok {
			if _, dup := t.col[c]; !dup {
				t.col[c] = len(keep)
				keep = append(keep, i)
			}
		}
	}
	var missing []string
	for _, c := range o.need {
		if _, ok := t.col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 && len(missing) == len(o.need) && enc != "UTF-8" {
		// Not one column found in a file that was not UTF-8: its header was most likely read in the
		// wrong encoding, not written wrong.
		ps.add(Problem{Code: ErrCSV, Cell: "1行目", Expected: strings.Join(o.need, ","), Found: "文字コード / encoding",
			MessageJA: "見出し行に列（" + strings.Join(o.need, "・") + "）が見つかりません。文字コードが UTF-8 でも Shift_JIS でもないか、混在している可能性があります。UTF-8 又は Shift_JIS で保存し直してください。",
			MessageEN: "none of the columns " + strings.Join(o.need, ", ") + " is in the header: the file is probably in another encoding than UTF-8 or Shift_JIS, or mixes encodings; save it in UTF-8 or Shift_JIS"})
		return nil
	}
	for _, c := range missing {
		ps.add(Problem{Code: ErrHeader, Cell: "1行目", Expected: c, MessageJA: "列「" + c + "」がありません。", MessageEN: "column " + c + " is missing"})
	}
	t.complete = len(missing) == 0
	maxRows := o.maxRows
	if maxRows <= 0 {
		maxRows = MaxCSVRows
	}
	prevLine := 1
	for !ps.full {
		if o.stopAfter > 0 && len(t.rows) >= o.stopAfter {
			break
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := csvErrorLine(err, prevLine+1)
			prevLine = line
			ps.add(Problem{Code: ErrCSV, Cell: fmt.Sprintf("%d行目", line), MessageJA: csvErrorJA(err, "CSVの行を読み込めません"), MessageEN: clip(err.Error())})
			continue
		}
		line, _ := cr.FieldPos(0) // a record read without error has at least one field
		prevLine = line
		if len(t.rows) >= maxRows {
			ps.add(Problem{Code: ErrOutOfBounds, Cell: fmt.Sprintf("%d行目", line), Expected: fmt.Sprintf("%d行以下", maxRows),
				MessageJA: fmt.Sprintf("データの行数が上限（%d行）を超えているため、%d行目以降は読み込みませんでした。", maxRows, line),
				MessageEN: fmt.Sprintf("more than %d data rows: reading stopped at line %d", maxRows, line)})
			break
		}
		row := make([]string, len(keep))
		for j, i := range keep {
			if i < len(rec) {
				row[j] = rec[i]
			}
		}
		t.rows = append(t.rows, row)
		t.line = append(t.line, line)
	}
	return t
}

// csvErrorLine is the line a CSV error is at: where the record it broke began (a quote opened on
// line 2 and never closed is reported at line 2), or fallback.
func csvErrorLine(err error, fallback int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.StartLine > 0 {
			return pe.StartLine
		}
		if pe.Line > 0 {
			return pe.Line
		}
	}
	return fallback
}

// csvErrorJA says in Japanese what is wrong with a CSV record.
func csvErrorJA(err error, what string) string {
	switch {
	case errors.Is(err, csv.ErrFieldCount):
		return what + "（列の数が見出し行と異なります）。"
	case errors.Is(err, csv.ErrQuote), errors.Is(err, csv.ErrBareQuote):
		return what + "（引用符「\"」の対応が取れていません。値の中の「\"」は「\"\"」と書きます）。"
	}
	return what + "。"
}

// csvTooWide returns the line of the first record with more than maxFields fields (0 when there is
// none), looking at the first maxRecords records (0: all). It splits records exactly as
// encoding/csv does (quoted fields may span lines; a record ends at the first error), without
// allocating, so that a line of a million commas is refused before it is read.
func csvTooWide(text []byte, maxFields, maxRecords int) int {
	lineNo, pos, records := 0, 0, 0
	next := func() []byte { // the next physical line, with its '\n'
		lineNo++
		i := bytes.IndexByte(text[pos:], '\n')
		end := len(text)
		if i >= 0 {
			end = pos + i + 1
		}
		l := text[pos:end]
		pos = end
		return l
	}
	isEOL := func(l []byte) bool {
		return len(l) == 0 || (len(l) == 1 && (l[0] == '\n' || l[0] == '\r')) || (len(l) == 2 && l[0] == '\r' && l[1] == '\n')
	}
	for pos < len(text) {
		if maxRecords > 0 && records >= maxRecords {
			return 0
		}
		line := next()
		start := lineNo
		if isEOL(line) {
			continue // encoding/csv skips empty lines
		}
		records++
		fields := 0
	record:
		for {
			fields++
			if fields > maxFields {
				return start
			}
			if len(line) == 0 || line[0] != '"' {
				i := bytes.IndexByte(line, ',')
				if i < 0 || bytes.IndexByte(line[:i], '"') >= 0 {
					break record // the last field, or a bare quote that ends the record
				}
				line = line[i+1:]
				continue
			}
			line = line[1:] // a quoted field
			for {
				i := bytes.IndexByte(line, '"')
				switch {
				case i >= 0:
					line = line[i+1:]
					switch {
					case len(line) > 0 && line[0] == '"':
						line = line[1:] // an escaped quote
						continue
					case len(line) > 0 && line[0] == ',':
						line = line[1:]
						continue record
					}
					break record // end of line, or an error: the record ends either way
				case pos < len(text):
					line = next() // the quoted field goes on on the next line
				default:
					break record
				}
			}
		}
	}
	return 0
}

func (t *csvTable) get(i int, c string) string {
	if k, ok := t.col[c]; ok && k < len(t.rows[i]) {
		return t.rows[i][k]
	}
	return ""
}

func (t *csvTable) place(i int, c string) string { return fmt.Sprintf("%d行目 %s列", t.line[i], c) }

// ReadSurveyCSV reads one entity's survey given as CSV (年度, 団体コード, 項目ID, 回答; UTF-8 or
// Shift_JIS), with the same checks as the workbook: every answerable item once, answers of the right
// kind. Places are "N行目 回答列".
func ReadSurveyCSV(name string, data []byte, lib *indicators.Library, want Expect) (*Survey, error) {
	sum := sha256.Sum256(data)
	sv := &Survey{File: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	ps := &problemList{file: name}
	add, reject := ps.add, ps.rejection
	t := readCSV(ps, data, csvOptions{need: []string{OutcomeColFiscalYear, OutcomeColCode, OutcomeColItem, SurveyColAnswer}})
	if t == nil || len(ps.list) > 0 {
		return nil, reject()
	}
	if len(t.rows) == 0 {
		add(Problem{Code: ErrItemMissing, MessageJA: "回答の行がありません。", MessageEN: "no answer rows"})
		return nil, reject()
	}
	fyText := NormalizeText(t.get(0, OutcomeColFiscalYear))
	code := NormalizeText(t.get(0, OutcomeColCode))
	level := kofukin.ClaimedLevel(kofukin.RestoreCode(kofukin.Municipality, code))
	code = kofukin.RestoreCode(level, code)
	fy, err := strconv.Atoi(fyText)
	if err != nil {
		add(Problem{Code: ErrFiscalYear, Cell: t.place(0, OutcomeColFiscalYear), Found: clip(fyText),
			MessageJA: "年度を読み取れません（「" + clip(fyText) + "」）。", MessageEN: "cannot read the fiscal year " + strconv.Quote(clip(fyText))})
		return nil, reject()
	}
	sv.FiscalYear, sv.Level, sv.EntityCode = fy, level, code
	if want.FiscalYear != 0 && fy != want.FiscalYear {
		add(Problem{Code: ErrFiscalYear, Cell: t.place(0, OutcomeColFiscalYear), Expected: strconv.Itoa(want.FiscalYear), Found: clip(fyText),
			MessageJA: fmt.Sprintf("このファイルは%d年度の回答です。%d年度の回答を提出してください。", fy, want.FiscalYear),
			MessageEN: fmt.Sprintf("this file answers FY%d; send FY%d", fy, want.FiscalYear)})
		return nil, reject()
	}
	if !kofukin.ValidCode(level, code) || (want.Entity != nil && !want.Entity(fy, level, code)) {
		add(Problem{Code: ErrEntity, Cell: t.place(0, OutcomeColCode), Found: clip(code),
			MessageJA: "団体コード「" + clip(code) + "」は登録されていない団体です。", MessageEN: "unknown entity code " + clip(code)})
		return nil, reject()
	}
	rb, err := lib.Get(fy, level)
	if err != nil {
		add(Problem{Code: ErrRulebook, MessageJA: fmt.Sprintf("%d年度・%s用の評価指標が登録されていません。", fy, level.LabelJA()), MessageEN: clip(err.Error())})
		return nil, reject()
	}
	sv.RulebookHash = rb.Hash
	self := rb.SelfItems()
	// One row per answerable item, and a few more at most: 200,000 rows are not a survey, and are
	// not checked row by row.
	if limit := len(self) + answerRowMargin; len(t.rows) > limit {
		add(Problem{Code: ErrOutOfBounds, Cell: fmt.Sprintf("%d行目", t.line[limit]), Expected: fmt.Sprintf("%d行以下", limit), Found: fmt.Sprintf("%d行", len(t.rows)),
			MessageJA: fmt.Sprintf("回答の行が多すぎます（%d行。この年度の回答項目は%d項目です）。1項目1行で記入してください。", len(t.rows), len(self)),
			MessageEN: fmt.Sprintf("%d answer rows for %d answerable items: one row per item", len(t.rows), len(self))})
		return nil, reject()
	}
	seen := map[string]string{}
	for i := range t.rows {
		if ps.full {
			return nil, reject()
		}
		if c := kofukin.RestoreCode(level, NormalizeText(t.get(i, OutcomeColCode))); c != code {
			add(Problem{Code: ErrEntity, Cell: t.place(i, OutcomeColCode), Expected: code, Found: clip(c),
				MessageJA: "1つのファイルには1団体の回答だけを記載してください（団体コード「" + clip(c) + "」）。", MessageEN: "one file holds one entity's answers; found " + clip(c)})
			continue
		}
		if f := NormalizeText(t.get(i, OutcomeColFiscalYear)); f != fyText {
			add(Problem{Code: ErrFiscalYear, Cell: t.place(i, OutcomeColFiscalYear), Expected: fyText, Found: clip(f),
				MessageJA: "年度が行によって異なります。", MessageEN: "the fiscal year differs between rows"})
			continue
		}
		id := NormalizeText(t.get(i, OutcomeColItem))
		it, ok := rb.Item(id)
		if !ok || it.Source != indicators.SourceSelf {
			add(Problem{Code: ErrItemUnknown, Cell: t.place(i, OutcomeColItem), Item: clip(id), Found: clip(id),
				MessageJA: "項目ID「" + clip(id) + "」はこの年度の回答項目にありません。", MessageEN: "item " + clip(id) + " is not an answerable item of this year"})
			continue
		}
		if prev, dup := seen[id]; dup {
			add(Problem{Code: ErrItemDuplicate, Cell: t.place(i, OutcomeColItem), Item: id,
				MessageJA: "項目ID「" + id + "」が重複しています（" + prev + "と同じ）。", MessageEN: "item " + id + " repeats " + prev})
			continue
		}
		seen[id] = t.place(i, OutcomeColItem)
		a, p := parseAnswer(it, t.get(i, SurveyColAnswer))
		if p != nil {
			p.Cell, p.Item = t.place(i, SurveyColAnswer), id
			add(*p)
			continue
		}
		a.ItemID, a.Cell = id, t.place(i, SurveyColAnswer)
		sv.Answers = append(sv.Answers, a)
	}
	for _, it := range self {
		if _, ok := seen[it.ID]; !ok {
			add(Problem{Code: ErrItemMissing, Item: it.ID, Expected: it.ID,
				MessageJA: "項目ID「" + it.ID + "」の行がありません（空欄の回答も行は必要です）。", MessageEN: "the row of item " + it.ID + " is missing"})
		}
	}
	ps.addAll(crossChecks(name, rb, sv.Answers))
	ps.addAll(noAnswer("", rb, sv.Answers, ps.list))
	if hasErrors(ps.list) {
		return nil, reject()
	}
	sv.Warnings = warnings(ps.list)
	return sv, nil
}

// Population is one entity's 第1号被保険者数 for a fiscal year, from a population update.
type PopulationRow struct {
	FiscalYear    int
	Code          string
	Insured65     int64
	Total         int64
	ReferenceDate time.Time
	Source        string
}

// ReadPopulation reads a population update (年度, 団体コード, 基準日, 第1号被保険者数, optional 総人口
// and 出典). known reports whether a code is an entity; total gives the total population already
// known for a code (nil, or false: none known). Every bad row is reported with its place: the 65+
// population must not exceed the total — the row's own 総人口, or, where the row gives none (no
// such column, or a blank cell), the known total. A 総人口 that is given must be a non-negative
// whole number; it is never read as 0 when it cannot be read.
func ReadPopulation(name string, data []byte, known func(code string) bool, total func(code string) (int64, bool)) ([]PopulationRow, error) {
	ps := &problemList{file: name}
	t := readCSV(ps, data, csvOptions{need: []string{PopColFiscalYear, PopColCode, PopColDate, PopColInsured}, optional: []string{PopColTotal, PopColSource}})
	if t == nil || len(ps.list) > 0 {
		return nil, ps.rejection()
	}
	var out []PopulationRow
	seen := map[string]int{}
	for i := range t.rows {
		if ps.full {
			break
		}
		bad := func(c, ja, en string) {
			ps.add(Problem{Code: ErrCSV, Cell: t.place(i, c), MessageJA: ja, MessageEN: en})
		}
		fy, err := strconv.Atoi(NormalizeText(t.get(i, PopColFiscalYear)))
		if err != nil {
			bad(PopColFiscalYear, "年度を読み取れません。", "cannot read the fiscal year")
			continue
		}
		code := kofukin.ResolveCode(kofukin.Municipality, NormalizeText(t.get(i, PopColCode)), known)
		if !kofukin.ValidCode(kofukin.Municipality, code) || (known != nil && !known(code)) {
			bad(PopColCode, "団体コード「"+clip(code)+"」は登録されていない団体です。", "unknown entity code "+clip(code))
			continue
		}
		d, ok := ParseDate(t.get(i, PopColDate))
		if !ok {
			bad(PopColDate, "基準日を日付として読み取れません。", "cannot read the reference date")
			continue
		}
		n, ok := ParseNumber(t.get(i, PopColInsured))
		if !ok || n < 0 || n != float64(int64(n)) {
			bad(PopColInsured, "第1号被保険者数が0以上の整数ではありません。", "第1号被保険者数 is not a non-negative integer")
			continue
		}
		var tot int64 // 0: not given in this row
		if raw := NormalizeText(t.get(i, PopColTotal)); raw != "" {
			v, ok := ParseNumber(raw)
			if !ok || v < 0 || v != float64(int64(v)) {
				ps.add(Problem{Code: ErrCSV, Cell: t.place(i, PopColTotal), Expected: "0以上の整数", Found: clip(raw),
					MessageJA: "総人口が0以上の整数ではありません（「" + clip(raw) + "」）。", MessageEN: "総人口 is not a non-negative integer: " + strconv.Quote(clip(raw))})
				continue
			}
			tot = int64(v)
			if int64(n) > tot {
				ps.add(Problem{Code: ErrCSV, Cell: t.place(i, PopColInsured), Expected: fmt.Sprintf("総人口 %d 以下", tot), Found: strconv.FormatInt(int64(n), 10),
					MessageJA: fmt.Sprintf("第1号被保険者数（%d）が同じ行の総人口（%d）を超えています。", int64(n), tot),
					MessageEN: fmt.Sprintf("第1号被保険者数 %d exceeds the row's 総人口 %d", int64(n), tot)})
				continue
			}
		} else if total != nil {
			if recorded, ok := total(code); ok && recorded > 0 && int64(n) > recorded {
				ps.add(Problem{Code: ErrCSV, Cell: t.place(i, PopColInsured), Expected: fmt.Sprintf("総人口 %d 以下", recorded), Found: strconv.FormatInt(int64(n), 10),
					MessageJA: fmt.Sprintf("第1号被保険者数（%d）が登録済みの総人口（%d）を超えています。総人口列で新しい総人口を示すか、数を確かめてください。", int64(n), recorded),
					MessageEN: fmt.Sprintf("第1号被保険者数 %d exceeds the recorded 総人口 %d; give the new total in a 総人口 column or check the figure", int64(n), recorded)})
				continue
			}
		}
		key := fmt.Sprint(fy, code)
		if prev, dup := seen[key]; dup {
			bad(PopColCode, fmt.Sprintf("同じ団体・年度の行が重複しています（%d行目と同じ）。", prev), fmt.Sprintf("repeats line %d", prev))
			continue
		}
		seen[key] = t.line[i]
		out = append(out, PopulationRow{FiscalYear: fy, Code: code, Insured65: int64(n), Total: tot, ReferenceDate: d, Source: NormalizeText(t.get(i, PopColSource))})
	}
	if len(ps.list) > 0 {
		return nil, ps.rejection()
	}
	return out, nil
}

// Union is a 広域連合 (or 一部事務組合) with its member municipalities for a fiscal year.
type Union struct {
	FiscalYear int
	Code       string
	Name       string
	Members    []string
}

// ReadUnions reads a union list (年度, 広域連合コード, 広域連合名, 構成市町村コード; one row per member).
// known reports whether a municipality code exists. A municipality may belong to one union only.
func ReadUnions(name string, data []byte, known func(code string) bool) ([]Union, error) {
	ps := &problemList{file: name}
	t := readCSV(ps, data, csvOptions{need: []string{PopColFiscalYear, UnionColCode, UnionColName, UnionColMember}})
	if t == nil || len(ps.list) > 0 {
		return nil, ps.rejection()
	}
	var out []Union
	idx := map[string]int{}
	member := map[string]string{}
	for i := range t.rows {
		if ps.full {
			break
		}
		bad := func(c, ja, en string) {
			ps.add(Problem{Code: ErrCSV, Cell: t.place(i, c), MessageJA: ja, MessageEN: en})
		}
		fy, err := strconv.Atoi(NormalizeText(t.get(i, PopColFiscalYear)))
		if err != nil {
			bad(PopColFiscalYear, "年度を読み取れません。", "cannot read the fiscal year")
			continue
		}
		code, uname := NormalizeText(t.get(i, UnionColCode)), NormalizeText(t.get(i, UnionColName))
		m := kofukin.ResolveCode(kofukin.Municipality, NormalizeText(t.get(i, UnionColMember)), known)
		if code == "" || uname == "" {
			bad(UnionColCode, "広域連合コード・名称が空欄です。", "union code or name is empty")
			continue
		}
		if !kofukin.ValidCode(kofukin.Municipality, m) || (known != nil && !known(m)) {
			bad(UnionColMember, "構成市町村コード「"+clip(m)+"」は登録されていない市町村です。", "unknown member municipality "+clip(m))
			continue
		}
		if u, dup := member[m]; dup && u != code {
			bad(UnionColMember, "市町村「"+m+"」が複数の広域連合（"+clip(u)+"、"+clip(code)+"）に属しています。", "municipality "+m+" is in two unions: "+clip(u)+" and "+clip(code))
			continue
		}
		member[m] = code
		k, ok := idx[code]
		if !ok {
			k = len(out)
			idx[code] = k
			out = append(out, Union{FiscalYear: fy, Code: code, Name: uname})
		}
		out[k].Members = append(out[k].Members, m)
	}
	if len(ps.list) > 0 {
		return nil, ps.rejection()
	}
	return out, nil
}

// crossChecks looks across the answers of one survey: a sub-item answered yes while its
// prerequisite is not is a warning (it will score 0), and numbers that must add up (an item
// declared as the total of others) are an error.
func crossChecks(file string, rb *indicators.Rulebook, answers []Answer) []Problem {
	byID := map[string]Answer{}
	for _, a := range answers {
		byID[a.ItemID] = a
	}
	var probs []Problem
	for _, a := range answers {
		it, ok := rb.Item(a.ItemID)
		if !ok || a.Blank || a.Num == 0 {
			continue
		}
		for _, req := range it.Requires {
			if r, ok := byID[req]; ok && (r.Blank || r.Num == 0) {
				sheet, cell := splitPlace(a.Cell)
				probs = append(probs, Problem{Code: WarnPrerequisite, File: file, Sheet: sheet, Cell: cell, Item: a.ItemID, Expected: req + " はい",
					MessageJA: "前提となる項目 " + req + " が「はい」でないため、この項目は得点になりません。",
					MessageEN: "its prerequisite " + req + " is not met: this item will score 0"})
			}
		}
	}
	for _, it := range rb.SelfItems() {
		if len(it.Rule.TotalOf) == 0 {
			continue
		}
		tot, ok := byID[it.ID]
		if !ok || tot.Blank {
			continue
		}
		var sum float64
		complete := true
		for _, p := range it.Rule.TotalOf {
			a, ok := byID[p]
			if !ok || a.Blank {
				complete = false
				break
			}
			sum += a.Num
		}
		if complete && sum != tot.Num {
			sheet, cell := splitPlace(tot.Cell)
			probs = append(probs, Problem{Code: ErrTotal, File: file, Sheet: sheet, Cell: cell, Item: it.ID,
				Expected: strconv.FormatFloat(sum, 'f', -1, 64), Found: tot.Text,
				MessageJA: fmt.Sprintf("合計（%s）が内訳（%s）の和 %s と一致しません。", tot.Text, strings.Join(it.Rule.TotalOf, "・"), strconv.FormatFloat(sum, 'f', -1, 64)),
				MessageEN: fmt.Sprintf("the total %s is not the sum %s of %s", tot.Text, strconv.FormatFloat(sum, 'f', -1, 64), strings.Join(it.Rule.TotalOf, ", "))})
		}
	}
	return probs
}

// splitPlace splits an answer's place ("回答!F8" in a workbook, "12行目 回答列" in a CSV) into the
// sheet and the cell a problem names, so that the annotated copy can mark the cell.
func splitPlace(place string) (sheet, cell string) {
	if s, c, ok := strings.Cut(place, "!"); ok {
		return s, c
	}
	return "", place
}

// hasErrors reports whether any problem is an error (codes E…), not a warning (W…).
func hasErrors(ps []Problem) bool {
	for _, p := range ps {
		if !strings.HasPrefix(p.Code, "W") {
			return true
		}
	}
	return false
}

func warnings(ps []Problem) []Problem {
	var out []Problem
	for _, p := range ps {
		if strings.HasPrefix(p.Code, "W") {
			out = append(out, p)
		}
	}
	return out
}

// Needs CSV headers.
const (
	NeedsColGrant = "交付金"
	NeedsColYen   = "所要見込額"
)

// NeedsRow is a municipality's 所要見込額 for one grant.
type NeedsRow struct {
	FiscalYear int
	Code       string
	GrantID    string
	NeedsYen   int64
}

// ReadNeeds reads a 所要見込額 list (年度, 団体コード, 交付金, 所要見込額 in yen). The grant may be given
// by id (suishin, shien) or short name (推進, 支援) through grants (short or id → id).
func ReadNeeds(name string, data []byte, known func(code string) bool, grants map[string]string) ([]NeedsRow, error) {
	ps := &problemList{file: name}
	t := readCSV(ps, data, csvOptions{need: []string{PopColFiscalYear, PopColCode, NeedsColGrant, NeedsColYen}})
	if t == nil || len(ps.list) > 0 {
		return nil, ps.rejection()
	}
	var out []NeedsRow
	seen := map[string]int{}
	for i := range t.rows {
		if ps.full {
			break
		}
		bad := func(c, ja, en string) {
			ps.add(Problem{Code: ErrCSV, Cell: t.place(i, c), MessageJA: ja, MessageEN: en})
		}
		fy, err := strconv.Atoi(NormalizeText(t.get(i, PopColFiscalYear)))
		if err != nil {
			bad(PopColFiscalYear, "年度を読み取れません。", "cannot read the fiscal year")
			continue
		}
		code := kofukin.ResolveCode(kofukin.Municipality, NormalizeText(t.get(i, PopColCode)), known)
		if !kofukin.ValidCode(kofukin.Municipality, code) || (known != nil && !known(code)) {
			bad(PopColCode, "団体コード「"+clip(code)+"」は登録されていない団体です。", "unknown entity code "+clip(code))
			continue
		}
		g, ok := grants[NormalizeText(t.get(i, NeedsColGrant))]
		if !ok {
			bad(NeedsColGrant, "交付金「"+clip(t.get(i, NeedsColGrant))+"」が分かりません（推進 又は 支援）。", "unknown grant "+strconv.Quote(clip(t.get(i, NeedsColGrant))))
			continue
		}
		v, ok := ParseNumber(t.get(i, NeedsColYen))
		if !ok || v < 0 || v != float64(int64(v)) {
			bad(NeedsColYen, "所要見込額が0以上の整数（円）ではありません。", "所要見込額 is not a non-negative whole number of yen")
			continue
		}
		k := fmt.Sprint(fy, code, g)
		if prev, dup := seen[k]; dup {
			bad(PopColCode, fmt.Sprintf("同じ団体・交付金の行が重複しています（%d行目と同じ）。", prev), fmt.Sprintf("repeats line %d", prev))
			continue
		}
		seen[k] = t.line[i]
		out = append(out, NeedsRow{FiscalYear: fy, Code: code, GrantID: g, NeedsYen: int64(v)})
	}
	if len(ps.list) > 0 {
		return nil, ps.rejection()
	}
	return out, nil
}

// Entity list CSV headers.
const (
	EntColCode      = "団体コード"
	EntColLevel     = "区分"
	EntColName      = "名称"
	EntColPref      = "都道府県コード"
	EntColFrom      = "有効開始年度"
	EntColTo        = "有効終了年度"
	EntColParent    = "親コード"
	entityLevelsCSV = "市町村, 都道府県, 地域包括支援センター, 広域連合"
)

// EntityChange is one row of an entity list: an entity valid from one fiscal year (to another, or
// open), for municipal mergers, new codes and closed centres.
type EntityChange struct {
	Code, Level, Name, PrefectureCode, Parent string
	ValidFrom                                 int
	ValidTo                                   *int
}

// ReadEntityList reads an entity list (団体コード, 区分, 名称, 都道府県コード, 有効開始年度,
// 有効終了年度 [, 親コード]). 区分 is 市町村, 都道府県, 地域包括支援センター or 広域連合 (or the English
// level names). Every bad row is reported with its place.
func ReadEntityList(name string, data []byte) ([]EntityChange, error) {
	ps := &problemList{file: name}
	t := readCSV(ps, data, csvOptions{need: []string{EntColCode, EntColLevel, EntColName, EntColPref, EntColFrom, EntColTo}, optional: []string{EntColParent}})
	if t == nil || len(ps.list) > 0 {
		return nil, ps.rejection()
	}
	const union kofukin.Level = "union" // a union of municipalities (広域連合): listed, but no level of its own
	levels := map[string]kofukin.Level{"市町村": kofukin.Municipality, "都道府県": kofukin.Prefecture, "地域包括支援センター": kofukin.Centre, "広域連合": union}
	for _, lv := range []kofukin.Level{kofukin.Municipality, kofukin.Prefecture, kofukin.Centre, union} {
		levels[string(lv)] = lv
	}
	var out []EntityChange
	seen := map[string]int{}
	for i := range t.rows {
		if ps.full {
			break
		}
		bad := func(c, ja, en string) {
			ps.add(Problem{Code: ErrCSV, Cell: t.place(i, c), MessageJA: ja, MessageEN: en})
		}
		lv, ok := levels[NormalizeText(t.get(i, EntColLevel))]
		if !ok {
			bad(EntColLevel, "区分は "+entityLevelsCSV+" のいずれかです。", "unknown level "+strconv.Quote(clip(t.get(i, EntColLevel))))
			continue
		}
		code := NormalizeText(t.get(i, EntColCode))
		if lv != union {
			code = kofukin.RestoreCode(lv, code)
			if !kofukin.ValidCode(lv, code) {
				bad(EntColCode, "団体コード「"+clip(code)+"」の形式又は検査数字が正しくありません。", "code "+clip(code)+" is malformed or its check digit is wrong")
				continue
			}
		}
		from, err := strconv.Atoi(NormalizeText(t.get(i, EntColFrom)))
		if err != nil || from < 2000 {
			bad(EntColFrom, "有効開始年度を読み取れません。", "cannot read the first fiscal year")
			continue
		}
		ch := EntityChange{Code: code, Level: string(lv), Name: NormalizeText(t.get(i, EntColName)), PrefectureCode: NormalizeText(t.get(i, EntColPref)),
			Parent: NormalizeText(t.get(i, EntColParent)), ValidFrom: from}
		if to := NormalizeText(t.get(i, EntColTo)); to != "" {
			v, err := strconv.Atoi(to)
			if err != nil || v < from {
				bad(EntColTo, "有効終了年度が読み取れないか、有効開始年度より前です。", "the last fiscal year is unreadable or before the first")
				continue
			}
			ch.ValidTo = &v
		}
		if ch.Name == "" || len(ch.PrefectureCode) != 2 || (lv != union && !strings.HasPrefix(code, ch.PrefectureCode)) {
			bad(EntColPref, "名称が空欄か、都道府県コードが団体コードと一致しません。", "the name is empty or the prefecture code does not match the code")
			continue
		}
		k := fmt.Sprint(code, from)
		if prev, dup := seen[k]; dup {
			bad(EntColCode, fmt.Sprintf("同じ団体・有効開始年度の行が重複しています（%d行目と同じ）。", prev), fmt.Sprintf("repeats line %d", prev))
			continue
		}
		seen[k] = t.line[i]
		out = append(out, ch)
	}
	if len(ps.list) > 0 {
		return nil, ps.rejection()
	}
	return out, nil
}
