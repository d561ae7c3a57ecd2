package loaders

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Entity is one reporting body of the reference data.
type Entity struct {
	Code           string
	Level          string // municipality | prefecture
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

// CheckDigitOK reports whether a 6-digit 全国地方公共団体コード carries the right check digit
// (weights 6,5,4,3,2 on the first five digits; check = (11 − sum mod 11) mod 10).
func CheckDigitOK(code string) bool {
	if len(code) != 6 {
		return false
	}
	sum := 0
	for i := 0; i < 6; i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	for i, w := range []int{6, 5, 4, 3, 2} {
		sum += int(code[i]-'0') * w
	}
	return int(code[5]-'0') == (11-sum%11)%10
}

// ReadReference parses the municipalities.csv or prefectures.csv of the reference data (see
// fixtures/reference/README.md). level is "municipality" or "prefecture". Columns are found by
// header name. Every bad row is reported, naming the file, line and column.
func ReadReference(name string, r io.Reader, level string) (*Reference, error) {
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
	if level == "municipality" {
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
		line, _ := cr.FieldPos(0)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, line, err))
			continue
		}
		bad := func(c, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: column %s: %s", name, line, c, fmt.Sprintf(format, args...)))
		}
		e := Entity{
			Code: get(rec, "code"), Level: level, PrefectureCode: get(rec, "prefecture_code"),
			PrefectureName: get(rec, "prefecture_name_ja"), NameJA: get(rec, "name_ja"),
			NameKana: get(rec, "name_kana"), NameEN: get(rec, "name_en"), TypeJA: get(rec, "type_ja"),
		}
		if level == "prefecture" {
			e.PrefectureName, e.TypeJA = e.NameJA, "都道府県"
		}
		if !CheckDigitOK(e.Code) {
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
