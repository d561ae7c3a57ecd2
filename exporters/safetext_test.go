package exporters

import "testing"

func TestSafeText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"鳥取市", "鳥取市"},
		{"はい", "はい"},
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"+1+1", "'+1+1"},
		{"-1+1", "'-1+1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"=", "'="},
		{"-", "'-"},
		{"＝SUM(A1)", "'＝SUM(A1)"}, // full-width: NFKC maps them to = + - @
		{"＋1+1", "'＋1+1"},
		{"＋1", "＋1"}, // a plain number once NFKC-normalised
		{"－A", "'－A"},
		{"＠A", "'＠A"},
		{"﹦1+1", "'﹦1+1"}, // small equals sign, also NFKC =
		{"-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"},
		// plain numbers written as text cannot be formulas: unchanged.
		{"-5", "-5"},
		{"-2.5", "-2.5"},
		{"+5", "+5"},
		{"-1,234.5", "-1,234.5"},
		{"-1e5", "-1e5"},
		{"-.5", "-.5"},
		{"-5%", "-5%"},
		{"－５", "－５"}, // full-width minus and digit
		{"5", "5"},
		{"5+5", "5+5"}, // does not start with a sign
		{" =1", " =1"},
		{"'=1", "'=1"}, // already quoted
		{"a=1", "a=1"},
		{"-5-5", "'-5-5"},
		{"-5 ", "'-5 "},
		{"−5", "−5"}, // U+2212 MINUS SIGN is not a formula start
	} {
		if got := safeText(c.in); got != c.want {
			t.Errorf("safeText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSafeValue(t *testing.T) {
	if got := safeValue(-5.0); got != -5.0 {
		t.Errorf("number changed: %v", got)
	}
	if got := safeValue(int64(-3)); got != int64(-3) {
		t.Errorf("number changed: %v", got)
	}
	if got := safeValue(nil); got != nil {
		t.Errorf("nil changed: %v", got)
	}
	if got := safeValue("=1").(string); got != "'=1" {
		t.Errorf("string: %q", got)
	}
	row := safeRow([]any{"+1", "+1+1", 1.5})
	if row[0] != "+1" || row[1] != "'+1+1" || row[2] != 1.5 {
		t.Errorf("row: %v", row)
	}
}

func TestUnquoteText(t *testing.T) {
	for _, s := range []string{"", "鳥取市", "-5", "=1", "＝同上", "@x", "'", "'abc", "''=1", "\t=1"} {
		if got := UnquoteText(safeText(s)); got != s {
			t.Errorf("UnquoteText(safeText(%q)) = %q", s, got)
		}
	}
	if got := UnquoteText("'abc"); got != "'abc" {
		t.Errorf("UnquoteText removed a quote safeText would not add: %q", got)
	}
}
