package loaders

import (
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// NormalizeText applies NFKC (full-width digits and letters to half-width) and trims spaces,
// including the ideographic space.
func NormalizeText(s string) string {
	s = norm.NFKC.String(s)
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
	if t == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}
