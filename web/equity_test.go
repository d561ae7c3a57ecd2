package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kofukin/kofukin"
)

// The equity pages by content: the ministry sees every municipality; a prefecture its own
// municipalities and aggregates only (no municipality of another prefecture, by code or name);
// another prefecture and a municipality get nothing.
func TestEquityPagesByContent(t *testing.T) {
	w := newWorld(t)
	// The one-prefecture nation scores every municipality of the 47 prefectures (those outside
	// 鳥取県 as non-submitters), so that another prefecture's municipalities are in the view.
	min, _ := w.client("ministry")
	code, body := w.do(min, "GET", "/ministry/equity", nil)
	if code != http.StatusOK || !strings.Contains(body, `<svg`) || !strings.Contains(body, `data-pref="32"`) || !strings.Contains(body, "島根県") {
		t.Fatalf("national page: %d, or no map", code)
	}
	// The ministry may open any prefecture's view: 島根県's lists 松江市 (the positive control).
	if code, body := w.do(min, "GET", "/prefecture/320005/equity", nil); code != http.StatusOK || !codesIn(body)["322016"] || !strings.Contains(body, "松江市") {
		t.Fatalf("the ministry on 島根県's view: %d, 松江市 %v", code, strings.Contains(body, "松江市"))
	}

	pref, _ := w.client("pref")
	code, body = w.do(pref, "GET", "/prefecture/310000/equity", nil)
	if code != http.StatusOK {
		t.Fatalf("prefecture page: %d", code)
	}
	var bad []string
	muni := 0
	for c := range codesIn(body) {
		if !strings.HasPrefix(c, "31") {
			bad = append(bad, c)
		} else if c != "310000" {
			muni++
		}
	}
	if len(bad) > 0 || strings.Contains(body, "松江市") {
		t.Errorf("the prefecture page shows another prefecture's municipalities: %v (松江市: %v)", bad, strings.Contains(body, "松江市"))
	}
	if muni != 19 || !strings.Contains(body, "その他の都道府県") || !strings.Contains(body, "鳥取市") {
		t.Errorf("the prefecture page shows %d of its 19 municipalities (その他 %v)", muni, strings.Contains(body, "その他の都道府県"))
	}
	// One year of runs: the support list says persistence needs two years.
	if !strings.Contains(body, "継続の判定には連続する2年度の採点が必要です") {
		t.Error("no note that persistence needs two years")
	}

	// The view itself (what any other adapter would render): no other prefecture's municipality
	// in its rows or support list, and no code on the curve's points.
	v, err := w.s.Runner.EquityPrefecture(context.Background(), kofukin.Principal{Role: kofukin.RolePrefecture, EntityCode: "310000"}, 2026, "310000")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range append(v.Municipal, v.Support...) {
		if m.PrefectureCode != "31" {
			t.Errorf("the prefecture's view holds %s %s", m.Code, m.Name)
		}
	}
	// The curve's shape only: 20 points (each the running totals after a twentieth of the 1,741
	// municipalities, ⌈1741·k/20⌉ of them), none naming a municipality or carrying its 65+ or yen
	// (a point per municipality gave each one's yen away by its 65+ count, which is public).
	if len(v.Curve) != 20 {
		t.Errorf("the prefecture's curve has %d points, want 20", len(v.Curve))
	}
	nat, err := w.s.Runner.EquityNational(context.Background(), kofukin.Principal{Role: kofukin.RoleMinistry})
	if err != nil {
		t.Fatal(err)
	}
	for k, p := range v.Curve {
		if p.Code != "" || p.Age65Plus != 0 || p.Yen != 0 {
			t.Fatalf("the prefecture's curve point %d: %+v", k, p)
		}
		if want := nat.Curve[(1741*(k+1)+19)/20-1]; p.CumAge65Plus != want.CumAge65Plus || p.CumYen != want.CumYen {
			t.Errorf("point %d: %d / %d, want the national curve's %d / %d", k, p.CumAge65Plus, p.CumYen, want.CumAge65Plus, want.CumYen)
		}
	}

	// The JSON API by content: the prefecture's token gets its own view (no code of another
	// prefecture anywhere in the body), the ministry's the nation, a municipality's nothing.
	api := func(name string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", w.srv.URL+"/api/v1/equity", nil)
		req.Header.Set("Authorization", "Bearer "+w.tokens[name])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body = api("pref")
	if code != http.StatusOK || !strings.Contains(body, "鳥取市") || strings.Contains(body, "松江市") {
		t.Errorf("the prefecture's API: %d, 鳥取市 %v, 松江市 %v", code, strings.Contains(body, "鳥取市"), strings.Contains(body, "松江市"))
	}
	for c := range codesIn(body) {
		if !strings.HasPrefix(c, "31") {
			t.Errorf("the prefecture's API names %s", c)
		}
	}
	if n := strings.Count(body, `"CumAge65Plus"`); n != 20 {
		t.Errorf("the prefecture's API has %d curve points, want 20", n)
	}
	if code, body := api("ministry"); code != http.StatusOK || !strings.Contains(body, "松江市") {
		t.Errorf("the ministry's API: %d, 松江市 %v", code, strings.Contains(body, "松江市"))
	}
	for _, name := range []string{"muni", "centre"} {
		if code, body := api(name); code != http.StatusForbidden || strings.Contains(body, "鳥取市") {
			t.Errorf("%s's API: %d", name, code)
		}
	}

	other, _ := w.client("otherpref")
	for _, path := range []string{"/prefecture/310000/equity", "/ministry/equity"} {
		if code, body := w.do(other, "GET", path, nil); code != http.StatusForbidden || len(codesIn(body)) > 0 || strings.Contains(body, "鳥取市") {
			t.Errorf("another prefecture on %s: %d, codes %v", path, code, codesIn(body))
		}
	}
	m, _ := w.client("muni")
	for _, path := range []string{"/prefecture/310000/equity", "/ministry/equity"} {
		if code, body := w.do(m, "GET", path, nil); code != http.StatusForbidden || strings.Contains(body, "鳥取市") || strings.Contains(body, "得点率") {
			t.Errorf("a municipality on %s: %d", path, code)
		}
	}
}

// TestSignedDifferences: the equity page's gaps and their changes carry their sign, so that a gap
// of the smallest municipalities that narrowed (a change of +0.6 points on a negative gap) is not
// read as one that widened; a change that rounds to zero has none.
func TestSignedDifferences(t *testing.T) {
	for _, c := range []struct {
		v      float64
		places int
		want   string
	}{{0.6, 1, "+0.6"}, {-0.6, 1, "-0.6"}, {-21.5, 1, "-21.5"}, {-0.04, 1, "0.0"}, {0, 2, "0.00"}, {12.345, 2, "+12.35"}, {-297.234, 2, "-297.23"}} {
		if got := signedPlaces(c.v, c.places); got != c.want {
			t.Errorf("signedPlaces(%v, %d) = %q, want %q", c.v, c.places, got, c.want)
		}
	}
	if got := equityFuncs["dpts"].(func(string) string)("0.006"); got != "+0.6ポイント" {
		t.Errorf("dpts(0.006) = %q", got)
	}
}
