// Package kofukin holds the vocabulary every other package speaks: who may act (roles and
// principals), what they may do to which entity (the written access policy in policy.go), and the
// rules of entity codes that the policy depends on. It imports only the standard library.
package kofukin

// Role is what a token speaks for.
type Role string

// Roles of the service. The system role is the operator of the machine: the command line and the
// scheduled jobs, which act with the ministry's rights and are recorded as such.
const (
	RoleMunicipality Role = "municipality"
	RoleCentre       Role = "centre"
	RolePrefecture   Role = "prefecture"
	RoleMinistry     Role = "ministry"
)

// Roles lists the roles a token can be issued for, in the order they are shown.
var Roles = []Role{RoleMunicipality, RoleCentre, RolePrefecture, RoleMinistry}

// LabelJA is the role's name as officials read it.
func (r Role) LabelJA() string {
	switch r {
	case RoleMunicipality:
		return "市町村"
	case RoleCentre:
		return "地域包括支援センター"
	case RolePrefecture:
		return "都道府県"
	case RoleMinistry:
		return "国（厚生労働省）"
	}
	return string(r)
}

// Principal is who a token, a session or the operator speaks for.
type Principal struct {
	TokenID    string // public id of the token ("cli", "inbox" for the operator)
	Role       Role
	EntityCode string // "" for the ministry
	Label      string
}

// Operator returns the principal of the command line or a scheduled job (via names which): the
// operator of the machine that owns the database, with the ministry's rights.
func Operator(via string) Principal {
	return Principal{TokenID: via, Role: RoleMinistry, Label: "operator (" + via + ")"}
}

// Level of an entity code, as far as its shape tells.
type CodeLevel string

// Levels a code can have by its shape.
const (
	CodeMunicipality CodeLevel = "municipality"
	CodePrefecture   CodeLevel = "prefecture"
	CodeCentre       CodeLevel = "centre"
	CodeUnknown      CodeLevel = ""
)

// LevelOf tells the level of an entity code by its shape: a prefecture is a 6-digit code whose
// digits 3–5 are 000, a municipality any other 6-digit code, a care centre its municipality's code
// followed by three digits. Check digits are verified; anything else is CodeUnknown.
func LevelOf(code string) CodeLevel {
	switch {
	case len(code) == 9 && digits(code) && CheckDigitOK(code[:6]) && code[2:5] != "000":
		return CodeCentre
	case len(code) == 6 && digits(code) && CheckDigitOK(code) && code[2:5] == "000":
		return CodePrefecture
	case len(code) == 6 && digits(code) && CheckDigitOK(code):
		return CodeMunicipality
	}
	return CodeUnknown
}

// PrefectureOf returns the two-digit prefecture number of a well-formed code ("" otherwise).
func PrefectureOf(code string) string {
	if LevelOf(code) == CodeUnknown {
		return ""
	}
	return code[:2]
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
