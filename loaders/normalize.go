package loaders

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// NormalizeText applies NFKC (full-width digits and letters to half-width) and trims spaces,
// including the ideographic space.
func NormalizeText(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		s = norm.NFKC.String(s)
	}
	return strings.TrimSpace(s)
}

var yesWords = map[string]bool{"はい": true, "○": true, "〇": true, "◯": true, "1": true, "有": true, "あり": true, "有り": true, "実施": true, "済": true, "yes": true, "y": true, "true": true}
var noWords = map[string]bool{"いいえ": true, "×": true, "✕": true, "0": true, "無": true, "なし": true, "無し": true, "未実施": true, "no": true, "n": true, "false": true}

// ParseYesNo reads a yes/no answer as people type it: はい/いいえ, ○/〇/×, 1/0, 有/無,
// 実施/未実施, yes/no (any width and case). ok is false when the text is none of these.
func ParseYesNo(s string) (yes, ok bool) {
	t := strings.ToLower(NormalizeText(s))
	if t == "1.0" {
		t = "1"
	}
	if yesWords[t] {
		return true, true
	}
	if noWords[t] {
		return false, true
	}
	return false, false
}

// ParseNumber reads a number as people type it: full-width digits, thousands separators
// ("1,234"), a trailing percent sign ("45%" reads as 45, the unit of rate items), spaces.
func ParseNumber(s string) (float64, bool) {
	t := NormalizeText(s)
	t = strings.TrimSuffix(t, "%")
	t = strings.ReplaceAll(t, ",", "")
	t = strings.ReplaceAll(t, " ", "")
	t = strings.Replace(t, "−", "-", 1) // U+2212 minus sign survives NFKC
	if !isDecimal(t) {
		return 0, false // nor NaN, Inf, 0x1p3 or 1_000, which strconv would read
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// ParseDecimal reads a number as ParseNumber does, exactly: its shortest decimal text ("23.4",
// "-5", "1500" for 1.5E+03) when it has at most places decimal places and its magnitude is below
// limit; no binary floating point on the way, so 12345678901.123456 stays what was typed.
func ParseDecimal(s string, places int, limit int64) (string, bool) {
	t := NormalizeText(s)
	t = strings.TrimSuffix(t, "%")
	t = strings.ReplaceAll(t, ",", "")
	t = strings.ReplaceAll(t, " ", "")
	t = strings.Replace(t, "−", "-", 1)
	if !isDecimal(t) {
		return "", false
	}
	if i := strings.IndexAny(t, "eE"); i >= 0 && len(strings.TrimLeft(strings.TrimLeft(t[i+1:], "+-"), "0")) > 2 {
		return "", false // an exponent of 100 or more: beyond any limit, and costly to expand
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok {
		return "", false
	}
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)))
	if !scaled.IsInt() || new(big.Rat).Abs(r).Cmp(new(big.Rat).SetInt64(limit)) >= 0 {
		return "", false
	}
	text := r.FloatString(places)
	if strings.Contains(text, ".") {
		text = strings.TrimSuffix(strings.TrimRight(text, "0"), ".")
	}
	if text == "-0" {
		text = "0"
	}
	return text, true
}

// isDecimal reports whether s is a plain decimal number: an optional sign, digits with at most one
// point, and an optional exponent (1.5E+03, as Excel shows large numbers).
func isDecimal(s string) bool {
	unsigned := func(s string) string {
		if s != "" && (s[0] == '+' || s[0] == '-') {
			return s[1:]
		}
		return s
	}
	digitsOnly := func(s string) bool { return strings.Trim(s, "0123456789") == "" }
	mant, exp, hasExp := s, "", false
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp, hasExp = s[:i], unsigned(s[i+1:]), true
	}
	whole, frac, _ := strings.Cut(unsigned(mant), ".")
	if whole+frac == "" || !digitsOnly(whole) || !digitsOnly(frac) {
		return false
	}
	return !hasExp || (exp != "" && digitsOnly(exp))
}

// era is a Japanese era (元号): its first day; year 1 is the year of that day.
type era struct {
	names []string
	start time.Time
	end   time.Time // first day of the next era (zero: open)
}

var eras = []era{
	{[]string{"令和", "R"}, time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC), time.Time{}},
	{[]string{"平成", "H"}, time.Date(1989, 1, 8, 0, 0, 0, 0, time.UTC), time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC)},
	{[]string{"昭和", "S"}, time.Date(1926, 12, 25, 0, 0, 0, 0, time.UTC), time.Date(1989, 1, 8, 0, 0, 0, 0, time.UTC)},
}

var dateRe = regexp.MustCompile(`^(令和|平成|昭和|[RHS])?\s*(\d{1,4}|元)\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$`)

// ParseDate reads a date as people type it: Western (2025/4/1, 2025-04-01, 2025年4月1日), 和暦
// (令和7年4月1日, 令和元年5月1日, R7.4.1, H31/4/30), full-width or not, or an Excel serial day number
// (45748). A day that does not exist, or an era date outside its era, is not a date.
func ParseDate(s string) (time.Time, bool) {
	t := strings.ToUpper(NormalizeText(s))
	if t == "" {
		return time.Time{}, false
	}
	if n, err := strconv.Atoi(t); err == nil {
		// Excel's day numbers count from 1899-12-30 (past its fictitious 1900-02-29).
		if n >= 61 && n < 2958466 {
			return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n), true
		}
		return time.Time{}, false
	}
	m := dateRe.FindStringSubmatch(t)
	if m == nil {
		return time.Time{}, false
	}
	year := 1
	if m[2] != "元" {
		year, _ = strconv.Atoi(m[2])
	} else if m[1] == "" {
		return time.Time{}, false
	}
	month, _ := strconv.Atoi(m[3])
	day, _ := strconv.Atoi(m[4])
	var e *era
	if m[1] != "" {
		if year > 99 {
			return time.Time{}, false // no era lasted a hundred years
		}
		for i := range eras {
			for _, n := range eras[i].names {
				if n == m[1] {
					e = &eras[i]
				}
			}
		}
		year += e.start.Year() - 1
	} else if year < 1000 {
		return time.Time{}, false
	}
	d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if d.Year() != year || int(d.Month()) != month || d.Day() != day {
		return time.Time{}, false
	}
	if e != nil && (d.Before(e.start) || (!e.end.IsZero() && !d.Before(e.end))) {
		return time.Time{}, false
	}
	return d, true
}
