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
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"github.com/kofukin/kofukin/indicators"
)

// DecodeText returns a CSV's text as UTF-8: UTF-8 (with or without a BOM) as it is, anything else
// read as Shift_JIS (CP932, as Japanese offices' Excel exports). The second result names the
// encoding found.
func DecodeText(data []byte) ([]byte, string, error) {
	if b, ok := bytes.CutPrefix(data, []byte("\ufeff")); ok {
		return b, "UTF-8", nil
	}
	if utf8.Valid(data) {
		return data, "UTF-8", nil
	}
	out, err := japanese.ShiftJIS.NewDecoder().Bytes(data)
	if err != nil {
		return nil, "", fmt.Errorf("neither UTF-8 nor Shift_JIS: %w", err)
	}
	return out, "Shift_JIS", nil
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
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i+1] // the header line only: a cut-off multibyte character further on must not matter
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
	case has[OutcomeColItem] && has[SurveyColAnswer]:
		return CSVSurvey
	case has[OutcomeColItem] && has[OutcomeColValue]:
		return CSVOutcomes
	}
	return CSVUnknown
}

// LevelOfCode tells the level of an entity code: a care centre (9 digits), a prefecture (its
// code's digits 3–5 are 000) or a municipality.
func LevelOfCode(code string) indicators.Level {
	switch {
	case len(code) == 9:
		return indicators.Centre
	case len(code) == 6 && code[2:5] == "000":
		return indicators.Prefecture
	}
	return indicators.Municipality
}

// csvTable is a decoded CSV with its columns found by header text.
type csvTable struct {
	name string
	col  map[string]int
	rows [][]string
	line []int
}

func readCSVTable(name string, data []byte, need ...string) (*csvTable, []Problem) {
	text, _, err := DecodeText(data)
	if err != nil {
		return nil, []Problem{{Code: ErrCSV, File: name, MessageJA: "文字コードを判別できません（UTF-8 又は Shift_JIS で保存してください）。", MessageEN: err.Error()}}
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, []Problem{{Code: ErrCSV, File: name, Cell: "1行目", MessageJA: "CSVの見出し行を読み込めません。", MessageEN: err.Error()}}
	}
	t := &csvTable{name: name, col: map[string]int{}}
	for i, h := range header {
		t.col[NormalizeText(h)] = i
	}
	var probs []Problem
	for _, c := range need {
		if _, ok := t.col[c]; !ok {
			probs = append(probs, Problem{Code: ErrHeader, File: name, Cell: "1行目", Expected: c, MessageJA: "列「" + c + "」がありません。", MessageEN: "column " + c + " is missing"})
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			probs = append(probs, Problem{Code: ErrCSV, File: name, Cell: fmt.Sprintf("%d行目", line), MessageJA: "CSVの行を読み込めません。", MessageEN: err.Error()})
			continue
		}
		t.rows = append(t.rows, rec)
		t.line = append(t.line, line)
	}
	return t, probs
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
	t, probs := readCSVTable(name, data, OutcomeColFiscalYear, OutcomeColCode, OutcomeColItem, SurveyColAnswer)
	reject := func() error { return &Rejection{File: name, Problems: probs} }
	if t == nil || len(probs) > 0 {
		return nil, reject()
	}
	if len(t.rows) == 0 {
		probs = append(probs, Problem{Code: ErrItemMissing, File: name, MessageJA: "回答の行がありません。", MessageEN: "no answer rows"})
		return nil, reject()
	}
	fyText := NormalizeText(t.get(0, OutcomeColFiscalYear))
	code := NormalizeText(t.get(0, OutcomeColCode))
	level := LevelOfCode(RestoreCode("municipality", code))
	code = RestoreCode(string(level), code)
	fy, err := strconv.Atoi(fyText)
	if err != nil {
		probs = append(probs, Problem{Code: ErrFiscalYear, File: name, Cell: t.place(0, OutcomeColFiscalYear), Found: fyText,
			MessageJA: "年度を読み取れません（「" + fyText + "」）。", MessageEN: "cannot read the fiscal year " + strconv.Quote(fyText)})
		return nil, reject()
	}
	sv.FiscalYear, sv.Level, sv.EntityCode = fy, level, code
	if want.FiscalYear != 0 && fy != want.FiscalYear {
		probs = append(probs, Problem{Code: ErrFiscalYear, File: name, Cell: t.place(0, OutcomeColFiscalYear), Expected: strconv.Itoa(want.FiscalYear), Found: fyText,
			MessageJA: fmt.Sprintf("このファイルは%d年度の回答です。%d年度の回答を提出してください。", fy, want.FiscalYear),
			MessageEN: fmt.Sprintf("this file answers FY%d; send FY%d", fy, want.FiscalYear)})
		return nil, reject()
	}
	if !ValidCode(string(level), code) || (want.Entity != nil && !want.Entity(fy, level, code)) {
		probs = append(probs, Problem{Code: ErrEntity, File: name, Cell: t.place(0, OutcomeColCode), Found: code,
			MessageJA: "団体コード「" + code + "」は登録されていない団体です。", MessageEN: "unknown entity code " + code})
		return nil, reject()
	}
	rb, err := lib.Get(fy, level)
	if err != nil {
		probs = append(probs, Problem{Code: ErrRulebook, File: name, MessageJA: fmt.Sprintf("%d年度・%s用の評価指標が登録されていません。", fy, level.LabelJA()), MessageEN: err.Error()})
		return nil, reject()
	}
	sv.RulebookHash = rb.Hash
	seen := map[string]string{}
	for i := range t.rows {
		if c := RestoreCode(string(level), NormalizeText(t.get(i, OutcomeColCode))); c != code {
			probs = append(probs, Problem{Code: ErrEntity, File: name, Cell: t.place(i, OutcomeColCode), Expected: code, Found: c,
				MessageJA: "1つのファイルには1団体の回答だけを記載してください（団体コード「" + c + "」）。", MessageEN: "one file holds one entity's answers; found " + c})
			continue
		}
		if f := NormalizeText(t.get(i, OutcomeColFiscalYear)); f != fyText {
			probs = append(probs, Problem{Code: ErrFiscalYear, File: name, Cell: t.place(i, OutcomeColFiscalYear), Expected: fyText, Found: f,
				MessageJA: "年度が行によって異なります。", MessageEN: "the fiscal year differs between rows"})
			continue
		}
		id := NormalizeText(t.get(i, OutcomeColItem))
		it, ok := rb.Item(id)
		if !ok || it.Source != indicators.SourceSelf {
			probs = append(probs, Problem{Code: ErrItemUnknown, File: name, Cell: t.place(i, OutcomeColItem), Item: id, Found: id,
				MessageJA: "項目ID「" + id + "」はこの年度の回答項目にありません。", MessageEN: "item " + id + " is not an answerable item of this year"})
			continue
		}
		if prev, dup := seen[id]; dup {
			probs = append(probs, Problem{Code: ErrItemDuplicate, File: name, Cell: t.place(i, OutcomeColItem), Item: id,
				MessageJA: "項目ID「" + id + "」が重複しています（" + prev + "と同じ）。", MessageEN: "item " + id + " repeats " + prev})
			continue
		}
		seen[id] = t.place(i, OutcomeColItem)
		a, p := parseAnswer(it, t.get(i, SurveyColAnswer))
		if p != nil {
			p.File, p.Cell, p.Item = name, t.place(i, SurveyColAnswer), id
			probs = append(probs, *p)
			continue
		}
		a.ItemID, a.Cell = id, t.place(i, SurveyColAnswer)
		sv.Answers = append(sv.Answers, a)
	}
	for _, it := range rb.SelfItems() {
		if _, ok := seen[it.ID]; !ok {
			probs = append(probs, Problem{Code: ErrItemMissing, File: name, Item: it.ID, Expected: it.ID,
				MessageJA: "項目ID「" + it.ID + "」の行がありません（空欄の回答も行は必要です）。", MessageEN: "the row of item " + it.ID + " is missing"})
		}
	}
	probs = append(probs, crossChecks(name, rb, sv.Answers)...)
	if hasErrors(probs) {
		return nil, reject()
	}
	sv.Warnings = warnings(probs)
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
// and 出典). known reports whether a code is an entity. Every bad row is reported.
func ReadPopulation(name string, data []byte, known func(code string) bool) ([]PopulationRow, error) {
	t, probs := readCSVTable(name, data, PopColFiscalYear, PopColCode, PopColDate, PopColInsured)
	if t == nil || len(probs) > 0 {
		return nil, &Rejection{File: name, Problems: probs}
	}
	var out []PopulationRow
	seen := map[string]int{}
	for i := range t.rows {
		bad := func(c, ja, en string) {
			probs = append(probs, Problem{Code: ErrCSV, File: name, Cell: t.place(i, c), MessageJA: ja, MessageEN: en})
		}
		fy, err := strconv.Atoi(NormalizeText(t.get(i, PopColFiscalYear)))
		if err != nil {
			bad(PopColFiscalYear, "年度を読み取れません。", "cannot read the fiscal year")
			continue
		}
		code := ResolveCode("municipality", NormalizeText(t.get(i, PopColCode)), known)
		if !ValidCode("municipality", code) || (known != nil && !known(code)) {
			bad(PopColCode, "団体コード「"+code+"」は登録されていない団体です。", "unknown entity code "+code)
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
		total, _ := ParseNumber(t.get(i, PopColTotal))
		key := fmt.Sprint(fy, code)
		if prev, dup := seen[key]; dup {
			bad(PopColCode, fmt.Sprintf("同じ団体・年度の行が重複しています（%d行目と同じ）。", prev), fmt.Sprintf("repeats line %d", prev))
			continue
		}
		seen[key] = t.line[i]
		out = append(out, PopulationRow{FiscalYear: fy, Code: code, Insured65: int64(n), Total: int64(total), ReferenceDate: d, Source: NormalizeText(t.get(i, PopColSource))})
	}
	if len(probs) > 0 {
		return nil, &Rejection{File: name, Problems: probs}
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
	t, probs := readCSVTable(name, data, PopColFiscalYear, UnionColCode, UnionColName, UnionColMember)
	if t == nil || len(probs) > 0 {
		return nil, &Rejection{File: name, Problems: probs}
	}
	var out []Union
	idx := map[string]int{}
	member := map[string]string{}
	for i := range t.rows {
		bad := func(c, ja, en string) {
			probs = append(probs, Problem{Code: ErrCSV, File: name, Cell: t.place(i, c), MessageJA: ja, MessageEN: en})
		}
		fy, err := strconv.Atoi(NormalizeText(t.get(i, PopColFiscalYear)))
		if err != nil {
			bad(PopColFiscalYear, "年度を読み取れません。", "cannot read the fiscal year")
			continue
		}
		code, uname := NormalizeText(t.get(i, UnionColCode)), NormalizeText(t.get(i, UnionColName))
		m := ResolveCode("municipality", NormalizeText(t.get(i, UnionColMember)), known)
		if code == "" || uname == "" {
			bad(UnionColCode, "広域連合コード・名称が空欄です。", "union code or name is empty")
			continue
		}
		if !ValidCode("municipality", m) || (known != nil && !known(m)) {
			bad(UnionColMember, "構成市町村コード「"+m+"」は登録されていない市町村です。", "unknown member municipality "+m)
			continue
		}
		if u, dup := member[m]; dup && u != code {
			bad(UnionColMember, "市町村「"+m+"」が複数の広域連合（"+u+"、"+code+"）に属しています。", "municipality "+m+" is in two unions: "+u+" and "+code)
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
	if len(probs) > 0 {
		return nil, &Rejection{File: name, Problems: probs}
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
				probs = append(probs, Problem{Code: WarnPrerequisite, File: file, Cell: a.Cell, Item: a.ItemID, Expected: req + " はい",
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
			probs = append(probs, Problem{Code: ErrTotal, File: file, Cell: tot.Cell, Item: it.ID,
				Expected: strconv.FormatFloat(sum, 'f', -1, 64), Found: tot.Text,
				MessageJA: fmt.Sprintf("合計（%s）が内訳（%s）の和 %s と一致しません。", tot.Text, strings.Join(it.Rule.TotalOf, "・"), strconv.FormatFloat(sum, 'f', -1, 64)),
				MessageEN: fmt.Sprintf("the total %s is not the sum %s of %s", tot.Text, strconv.FormatFloat(sum, 'f', -1, 64), strings.Join(it.Rule.TotalOf, ", "))})
		}
	}
	return probs
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
	t, probs := readCSVTable(name, data, PopColFiscalYear, PopColCode, NeedsColGrant, NeedsColYen)
	if t == nil || len(probs) > 0 {
		return nil, &Rejection{File: name, Problems: probs}
	}
	var out []NeedsRow
	seen := map[string]int{}
	for i := range t.rows {
		bad := func(c, ja, en string) {
			probs = append(probs, Problem{Code: ErrCSV, File: name, Cell: t.place(i, c), MessageJA: ja, MessageEN: en})
		}
		fy, err := strconv.Atoi(NormalizeText(t.get(i, PopColFiscalYear)))
		if err != nil {
			bad(PopColFiscalYear, "年度を読み取れません。", "cannot read the fiscal year")
			continue
		}
		code := ResolveCode("municipality", NormalizeText(t.get(i, PopColCode)), known)
		if !ValidCode("municipality", code) || (known != nil && !known(code)) {
			bad(PopColCode, "団体コード「"+code+"」は登録されていない団体です。", "unknown entity code "+code)
			continue
		}
		g, ok := grants[NormalizeText(t.get(i, NeedsColGrant))]
		if !ok {
			bad(NeedsColGrant, "交付金「"+t.get(i, NeedsColGrant)+"」が分かりません（推進 又は 支援）。", "unknown grant "+strconv.Quote(t.get(i, NeedsColGrant)))
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
	if len(probs) > 0 {
		return nil, &Rejection{File: name, Problems: probs}
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
	t, probs := readCSVTable(name, data, EntColCode, EntColLevel, EntColName, EntColPref, EntColFrom, EntColTo)
	if t == nil || len(probs) > 0 {
		return nil, &Rejection{File: name, Problems: probs}
	}
	levels := map[string]string{"市町村": "municipality", "都道府県": "prefecture", "地域包括支援センター": "centre", "広域連合": "union",
		"municipality": "municipality", "prefecture": "prefecture", "centre": "centre", "union": "union"}
	var out []EntityChange
	seen := map[string]int{}
	for i := range t.rows {
		bad := func(c, ja, en string) {
			probs = append(probs, Problem{Code: ErrCSV, File: name, Cell: t.place(i, c), MessageJA: ja, MessageEN: en})
		}
		lv, ok := levels[NormalizeText(t.get(i, EntColLevel))]
		if !ok {
			bad(EntColLevel, "区分は "+entityLevelsCSV+" のいずれかです。", "unknown level "+strconv.Quote(t.get(i, EntColLevel)))
			continue
		}
		code := NormalizeText(t.get(i, EntColCode))
		if lv != "union" {
			code = RestoreCode(lv, code)
			if !ValidCode(lv, code) {
				bad(EntColCode, "団体コード「"+code+"」の形式又は検査数字が正しくありません。", "code "+code+" is malformed or its check digit is wrong")
				continue
			}
		}
		from, err := strconv.Atoi(NormalizeText(t.get(i, EntColFrom)))
		if err != nil || from < 2000 {
			bad(EntColFrom, "有効開始年度を読み取れません。", "cannot read the first fiscal year")
			continue
		}
		ch := EntityChange{Code: code, Level: lv, Name: NormalizeText(t.get(i, EntColName)), PrefectureCode: NormalizeText(t.get(i, EntColPref)),
			Parent: NormalizeText(t.get(i, EntColParent)), ValidFrom: from}
		if to := NormalizeText(t.get(i, EntColTo)); to != "" {
			v, err := strconv.Atoi(to)
			if err != nil || v < from {
				bad(EntColTo, "有効終了年度が読み取れないか、有効開始年度より前です。", "the last fiscal year is unreadable or before the first")
				continue
			}
			ch.ValidTo = &v
		}
		if ch.Name == "" || len(ch.PrefectureCode) != 2 || (lv != "union" && !strings.HasPrefix(code, ch.PrefectureCode)) {
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
	if len(probs) > 0 {
		return nil, &Rejection{File: name, Problems: probs}
	}
	return out, nil
}
