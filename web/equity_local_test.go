package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// 地域の指標 on the equity pages by content: nothing without local indicators; with them, the
// ministry's table has every prefecture's group, a prefecture's only its own (its means computed
// by hand below), and each says where the data came from and that it is not used for scores.
func TestEquityLocalIndicatorsByContent(t *testing.T) {
	w := newWorld(t)
	min, _ := w.client("ministry")
	pref, _ := w.client("pref")
	if _, body := w.do(min, "GET", "/ministry/equity", nil); strings.Contains(body, "地域の指標") {
		t.Fatal("a local indicator table without local indicators")
	}
	asOf := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
	var rows []loaders.LocalValue
	// 鳥取市 20, 米子市 30 (鳥取県), 松江市 40 (島根県).
	for code, v := range map[string]string{"312011": "20", "312029": "30", "322016": "40"} {
		rows = append(rows, loaders.LocalValue{FiscalYear: 2026, Code: code, Indicator: "高齢者の独居率", Unit: "%", Value: v, AsOf: asOf, Source: "テスト調査"})
	}
	if _, err := w.s.Runner.Store.Reference().SetLocalIndicators(context.Background(), 2026, store.ReferenceFile{Name: "local.csv", SHA256: "x"}, rows); err != nil {
		t.Fatal(err)
	}
	section := func(body string) string {
		i := strings.Index(body, `<section id="local">`)
		j := strings.Index(body[max(i, 0):], `</section>`)
		if i < 0 || j < 0 {
			t.Fatal("no local section")
		}
		return body[i : i+j]
	}
	// row says a group's row has n municipalities and the mean (with how many values) given, after
	// the group's 得点率 and yen per 65+.
	row := func(html, label, n, mean string) bool {
		return regexp.MustCompile(`<td>` + label + `</td><td class="num">` + n + `</td><td class="num">[^<]*</td><td class="num">[^<]*</td><td class="num">` + regexp.QuoteMeta(mean) + `</td>`).MatchString(html)
	}
	code, body := w.do(min, "GET", "/ministry/equity", nil)
	if code != http.StatusOK {
		t.Fatalf("national page: %d", code)
	}
	nat := section(body)
	// The nation: 3 of the 1,741 with a value, mean (20 + 30 + 40)/3 = 30; 鳥取県 (20 + 30)/2 = 25
	// of its 19; 島根県 40 alone of its 19.
	for _, want := range []string{"高齢者の独居率（%）<br>平均（値のある数）", "<td>高齢者の独居率</td><td>%</td><td>テスト調査</td><td>2025-10-01</td>", "採点・交付額の算定には使用していません"} {
		if !strings.Contains(nat, want) {
			t.Errorf("the national table lacks %q", want)
		}
	}
	if !row(nat, "全国", "1,741", "30.00（3）") || !row(nat, "鳥取県", "19", "25.00（2）") || !row(nat, "島根県", "19", "40.00（1）") {
		t.Errorf("the national table lacks the nation's, 鳥取県's or 島根県's mean:\n%s", nat)
	}
	code, body = w.do(pref, "GET", "/prefecture/310000/equity", nil)
	if code != http.StatusOK {
		t.Fatalf("prefecture page: %d", code)
	}
	own := section(body)
	if !row(own, "鳥取県", "19", "25.00（2）") || !row(own, "全国", "1,741", "30.00（3）") {
		t.Errorf("the prefecture's table lacks its own or the nation's row")
	}
	if strings.Contains(own, "島根県") || strings.Contains(own, "40.00（1）") {
		t.Errorf("the prefecture's table shows another prefecture's group")
	}
	for c := range codesIn(body) {
		if !strings.HasPrefix(c, "31") {
			t.Errorf("the prefecture's page names %s", c)
		}
	}
}
