package loaders

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kofukin/kofukin"
)

// Entity is one reporting body of the reference data.
type Entity struct {
	Code           string
	Level          string // municipality | prefecture | centre
	ParentCode     string // the municipality of a care centre
	PrefectureCode string
	PrefectureName string
	NameJA         string
	NameKana       string
	NameEN         string
	TypeJA         string
}

// Population is one entity's population at a reference date.
type Population struct {
	Code          string
	Total         int64
	Age40to64     int64
	Age65Plus     int64 // proxy for 第1号被保険者数
	Age75Plus     int64
	ReferenceDate time.Time
}

// Reference is a parsed reference file.
type Reference struct {
	Entities    []Entity
	Populations []Population
}

// Centre reference CSV headers.
const (
	CentreColCode         = "センターコード"
	CentreColMunicipality = "市町村コード"
	CentreColName         = "センター名"
	CentreColOperation    = "運営形態"
)

// ReadCentres parses a care-centre list (CSV in UTF-8 or Shift_JIS: センターコード, 市町村コード, センター名,
// 運営形態).
// known reports whether a municipality code exists. Every bad row is a problem with its line.
func ReadCentres(name string, data []byte, known func(code string) bool) ([]Entity, error) {
	ps := &problemList{file: name}
	t := readCSV(ps, data, csvOptions{need: []string{CentreColCode, CentreColMunicipality, CentreColName}, optional: []string{CentreColOperation}, strict: true})
	if t == nil || !t.complete {
		return nil, ps.rejection()
	}
	var out []Entity
	seen := map[string]int{}
	for i := range t.rows {
		if ps.full {
			break
		}
		line := t.line[i]
		get := func(c string) string { return NormalizeText(t.get(i, c)) }
		bad := func(c, ja, en string) {
			ps.add(Problem{Code: ErrCSV, Cell: fmt.Sprintf("%d行目 %s列", line, c), MessageJA: ja, MessageEN: en})
		}
		code := kofukin.RestoreCode(kofukin.Centre, get(CentreColCode))
		muni := kofukin.RestoreCode(kofukin.Municipality, get(CentreColMunicipality))
		switch {
		case !kofukin.ValidCode(kofukin.Centre, code):
			bad(CentreColCode, "センターコード「"+clip(code)+"」は市町村コード6桁＋連番3桁ではありません。", "centre code "+clip(code)+" is not a municipality code followed by 3 digits")
			continue
		case muni != code[:6] || (known != nil && !known(muni)):
			bad(CentreColMunicipality, "市町村コード「"+clip(muni)+"」が登録されていないか、センターコードと一致しません。", "municipality code "+clip(muni)+" is unknown or does not match the centre code")
			continue
		case get(CentreColName) == "":
			bad(CentreColName, "センター名が空欄です。", "centre name is empty")
			continue
		}
		if prev, dup := seen[code]; dup {
			bad(CentreColCode, fmt.Sprintf("センターコード%sが重複しています（%d行目と同じ）。", code, prev), fmt.Sprintf("centre %s repeats line %d", code, prev))
			continue
		}
		seen[code] = line
		out = append(out, Entity{Code: code, Level: string(kofukin.Centre), ParentCode: muni, PrefectureCode: code[:2], NameJA: get(CentreColName), TypeJA: get(CentreColOperation)})
	}
	if len(ps.list) > 0 {
		return nil, ps.rejection()
	}
	return out, nil
}

// ReadReference parses the municipalities.csv or prefectures.csv of the reference data (see
// fixtures/reference/README.md). level is kofukin.Municipality or kofukin.Prefecture. Columns are found by
// header name. Every bad row is reported, naming the file, line and column.
func ReadReference(name string, r io.Reader, level kofukin.Level) (*Reference, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: read header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	need := []string{"code", "prefecture_code", "name_ja", "population_total", "population_40_64", "population_65plus", "population_75plus", "source_date"}
	if level == kofukin.Municipality {
		need = append(need, "prefecture_name_ja", "type_ja")
	}
	var missing []string
	for _, n := range need {
		if _, ok := col[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: missing column(s) %s", name, strings.Join(missing, ", "))
	}
	get := func(rec []string, c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	ref := &Reference{}
	var errs []error
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, csvErrorLine(err, 0), err))
			continue
		}
		line, _ := cr.FieldPos(0)
		bad := func(c, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: column %s: %s", name, line, c, fmt.Sprintf(format, args...)))
		}
		e := Entity{
			Code: get(rec, "code"), Level: string(level), PrefectureCode: get(rec, "prefecture_code"),
			PrefectureName: get(rec, "prefecture_name_ja"), NameJA: get(rec, "name_ja"),
			NameKana: get(rec, "name_kana"), NameEN: get(rec, "name_en"), TypeJA: get(rec, "type_ja"),
		}
		if level == kofukin.Prefecture {
			e.PrefectureName, e.TypeJA = e.NameJA, "都道府県"
		}
		if !kofukin.CheckDigitOK(e.Code) {
			bad("code", "%q is not a 6-digit code with a valid check digit", e.Code)
		}
		if prev, dup := seen[e.Code]; dup {
			bad("code", "%s repeats line %d", e.Code, prev)
		}
		seen[e.Code] = line
		if len(e.PrefectureCode) != 2 || !strings.HasPrefix(e.Code, e.PrefectureCode) {
			bad("prefecture_code", "%q does not match code %s", e.PrefectureCode, e.Code)
		}
		p := Population{Code: e.Code}
		for _, f := range []struct {
			c   string
			dst *int64
		}{{"population_total", &p.Total}, {"population_40_64", &p.Age40to64}, {"population_65plus", &p.Age65Plus}, {"population_75plus", &p.Age75Plus}} {
			v, err := strconv.ParseInt(get(rec, f.c), 10, 64)
			if err != nil || v < 0 {
				bad(f.c, "%q is not a non-negative integer", get(rec, f.c))
			}
			*f.dst = v
		}
		d, err := time.Parse("2006-01-02", get(rec, "source_date"))
		if err != nil {
			bad("source_date", "%q is not a date (YYYY-MM-DD)", get(rec, "source_date"))
		}
		p.ReferenceDate = d
		ref.Entities = append(ref.Entities, e)
		ref.Populations = append(ref.Populations, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ref, nil
}
