package kofukin

// Level is the kind of reporting body: a municipality (市町村, including unions of municipalities
// that insure together), a prefecture (都道府県) or a community care centre (地域包括支援センター).
// Rulebooks, templates, scores and entity lists are all per level.
type Level string

// The levels of reporting body. LevelUnknown is what LevelOf says of a code of no level.
const (
	Municipality Level = "municipality"
	Prefecture   Level = "prefecture"
	Centre       Level = "centre"
	LevelUnknown Level = ""
)

// Levels lists the levels, in the order they are shown.
var Levels = []Level{Municipality, Prefecture, Centre}

// LabelJA returns the Japanese name of the level.
func (l Level) LabelJA() string {
	switch l {
	case Municipality:
		return "市町村"
	case Prefecture:
		return "都道府県"
	case Centre:
		return "地域包括支援センター"
	}
	return string(l)
}

// CodeLevel is the former name of Level.
//
// Deprecated: use Level.
type CodeLevel = Level

// Former names of the levels.
//
// Deprecated: use Municipality, Prefecture, Centre and LevelUnknown.
const (
	CodeMunicipality = Municipality
	CodePrefecture   = Prefecture
	CodeCentre       = Centre
	CodeUnknown      = LevelUnknown
)

// Entity codes. A municipality or a prefecture has a 6-digit 全国地方公共団体コード (JIS X 0402:
// five digits and a check digit); a prefecture's digits 3–5 are 000. A care centre's code is its
// municipality's code followed by a 3-digit number. These are the only rules of codes: every
// package asks these functions.

// LevelOf tells the level of an entity code by its shape: a prefecture is a 6-digit code whose
// digits 3–5 are 000, a municipality any other 6-digit code, a care centre its municipality's code
// followed by three digits. Check digits are verified; anything else is LevelUnknown.
func LevelOf(code string) Level {
	switch {
	case len(code) == 9 && digits(code) && CheckDigitOK(code[:6]) && code[2:5] != "000":
		return Centre
	case len(code) == 6 && digits(code) && CheckDigitOK(code) && code[2:5] == "000":
		return Prefecture
	case len(code) == 6 && digits(code) && CheckDigitOK(code):
		return Municipality
	}
	return LevelUnknown
}

// ClaimedLevel tells the level a code claims by its length alone, without checking it: a care
// centre (9 characters), a prefecture (6, whose digits 3–5 are 000) or, for anything else, a
// municipality. It is for choosing which rules to read a typed code by; LevelOf is the verdict.
func ClaimedLevel(code string) Level {
	switch {
	case len(code) == 9:
		return Centre
	case len(code) == 6 && code[2:5] == "000":
		return Prefecture
	}
	return Municipality
}

// PrefectureOf returns the two-digit prefecture number of a well-formed code ("" otherwise).
func PrefectureOf(code string) string {
	if LevelOf(code) == LevelUnknown {
		return ""
	}
	return code[:2]
}

// InPrefecture reports whether code is a municipality or care centre inside the prefecture whose
// code (6 digits, or its 2-digit number) is pref. A prefecture is not inside itself.
func InPrefecture(code, pref string) bool {
	switch len(pref) {
	case 6:
		if LevelOf(pref) != Prefecture {
			return false
		}
	case 2:
		if !digits(pref) {
			return false
		}
	default:
		return false
	}
	lv := LevelOf(code)
	return (lv == Municipality || lv == Centre) && code[:2] == pref[:2]
}

// ValidCode reports whether code is well formed for level: a 6-digit code with its check digit
// for municipalities and prefectures (the digits 3–5 are not checked: a union's code is read as a
// municipality's); for care centres, a municipality's code followed by a 3-digit number.
func ValidCode(level Level, code string) bool {
	if level == Centre {
		return len(code) == 9 && digits(code[6:]) && CheckDigitOK(code[:6])
	}
	return CheckDigitOK(code)
}

// RestoreCode puts back the leading zero Excel drops from a code stored as a number, but only when
// the check digit proves the restored code (a wrong code is never made to look right).
func RestoreCode(level Level, code string) string {
	want := 6
	if level == Centre {
		want = 9
	}
	if len(code) == want-1 && ValidCode(level, "0"+code) {
		return "0" + code
	}
	return code
}

// ResolveCode turns what was typed into an entity code: the code as it is, the code with the
// leading zero Excel dropped, or a 5-digit JIS code completed with its check digit — whichever
// of these is a known entity, when exactly one is (known nil: well-formed is enough). Anything
// else is returned unchanged, to be reported as unknown.
func ResolveCode(level Level, code string, known func(string) bool) string {
	ok := func(c string) bool { return ValidCode(level, c) && (known == nil || known(c)) }
	if ok(code) {
		return code
	}
	var cands []string
	if c := "0" + code; ok(c) {
		cands = append(cands, c)
	}
	if level != Centre && len(code) == 5 && digits(code) {
		if c := code + string(CheckDigit(code)); ok(c) {
			cands = append(cands, c)
		}
	}
	if len(cands) == 1 {
		return cands[0]
	}
	return code
}

// CheckDigit computes the check digit of a 5-digit JIS X 0402 code.
func CheckDigit(code5 string) byte {
	sum := 0
	for i, w := range []int{6, 5, 4, 3, 2} {
		sum += int(code5[i]-'0') * w
	}
	return byte('0' + (11-sum%11)%10)
}

// CheckDigitOK reports whether a 6-digit code carries its check digit.
func CheckDigitOK(code string) bool {
	return len(code) == 6 && digits(code) && code[5] == CheckDigit(code[:5])
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
