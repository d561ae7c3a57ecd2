package kofukin

import "testing"

func TestCheckDigit(t *testing.T) {
	if !CheckDigitOK("131016") || CheckDigitOK("131017") || !CheckDigitOK("011002") {
		t.Error("check digit")
	}
}

func TestResolveCode(t *testing.T) {
	known := map[string]bool{"012025": true, "312029": true, "131016": true}
	k := func(c string) bool { return known[c] }
	for in, want := range map[string]string{
		"012025": "012025", // as is
		"12025":  "012025", // Excel dropped the leading zero (120251 is not an entity)
		"31202":  "312029", // a 5-digit JIS code completed with its check digit
		"13101":  "131016",
		"99999":  "99999", // nothing known: unchanged, to be reported
	} {
		if got := ResolveCode(Municipality, in, k); got != want {
			t.Errorf("ResolveCode(%q) = %q, want %q", in, got, want)
		}
	}
	// Both readings known: ambiguous, left as typed.
	known["120251"] = true
	if got := ResolveCode(Municipality, "12025", k); got != "12025" {
		t.Errorf("ambiguous 12025 resolved to %q", got)
	}
}

func TestCodeRules(t *testing.T) {
	for _, c := range []struct {
		code    string
		claimed Level
		valid   map[Level]bool
		restore map[Level]string
	}{
		{"312011", Municipality, map[Level]bool{Municipality: true, Prefecture: true, Centre: false}, nil},
		{"310000", Prefecture, map[Level]bool{Prefecture: true, Centre: false}, nil},
		{"312011001", Centre, map[Level]bool{Centre: true, Municipality: false}, nil},
		{"12025", Municipality, map[Level]bool{Municipality: false}, map[Level]string{Municipality: "012025", Centre: "12025"}},
		{"12025001", Municipality, map[Level]bool{Centre: false}, map[Level]string{Centre: "012025001"}},
		{"31201100x", Centre, map[Level]bool{Centre: false}, nil},
		{"", Municipality, map[Level]bool{Municipality: false, Centre: false}, nil},
	} {
		if got := ClaimedLevel(c.code); got != c.claimed {
			t.Errorf("ClaimedLevel(%q) = %q, want %q", c.code, got, c.claimed)
		}
		for lv, want := range c.valid {
			if got := ValidCode(lv, c.code); got != want {
				t.Errorf("ValidCode(%s, %q) = %v, want %v", lv, c.code, got, want)
			}
		}
		for lv, want := range c.restore {
			if got := RestoreCode(lv, c.code); got != want {
				t.Errorf("RestoreCode(%s, %q) = %q, want %q", lv, c.code, got, want)
			}
		}
	}
}

func TestInPrefecture(t *testing.T) {
	for _, c := range []struct {
		code, pref string
		want       bool
	}{
		{"312011", "310000", true},
		{"312011001", "310000", true},
		{"312011", "31", true},
		{"310000", "310000", false}, // not inside itself
		{"322016", "310000", false},
		{"312011", "312011", false}, // not a prefecture
		{"312012", "310000", false}, // bad check digit
		{"312011", "310001", false},
		{"312011", "3", false},
		{"", "310000", false},
	} {
		if got := InPrefecture(c.code, c.pref); got != c.want {
			t.Errorf("InPrefecture(%q, %q) = %v, want %v", c.code, c.pref, got, c.want)
		}
	}
}
