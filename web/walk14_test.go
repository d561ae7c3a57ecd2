package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// Issue 14's walk-through as its users: what the pages must contain so that each can go on from
// where they are.

// A prefecture's equity page links each of its municipalities to its 地域診断, and the link opens
// it; no link leads to another prefecture's municipality.
func TestEquityLinksToDiagnosis(t *testing.T) {
	w := newWorld(t)
	pref, _ := w.client("pref")
	code, body := w.do(pref, "GET", "/prefecture/310000/equity", nil)
	if code != http.StatusOK {
		t.Fatalf("prefecture equity page: %d", code)
	}
	links := regexp.MustCompile(`href="/entity/(\d{6})/diagnosis"`).FindAllStringSubmatch(body, -1)
	seen := map[string]bool{}
	for _, l := range links {
		if !strings.HasPrefix(l[1], "31") {
			t.Errorf("a link to another prefecture's diagnosis: %s", l[1])
		}
		seen[l[1]] = true
	}
	if len(seen) != 19 || !seen["312011"] {
		t.Fatalf("links to %d of 鳥取県's 19 municipalities' diagnoses (鳥取市 %v)", len(seen), seen["312011"])
	}
	if code, body := w.do(pref, "GET", "/entity/312011/diagnosis", nil); code != http.StatusOK || !strings.Contains(body, "鳥取市の地域診断") {
		t.Errorf("the link does not open 鳥取市's diagnosis: %d", code)
	}
	min, _ := w.client("ministry")
	if _, body := w.do(min, "GET", "/ministry/equity", nil); !strings.Contains(body, `<table id="support">`) {
		t.Error("the national page has no support list")
	}
}
