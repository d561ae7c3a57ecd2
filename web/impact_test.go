package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// impactWorld is a service over a small three-year panel (no nation): 30 municipalities answer
// S1-8-a (%) in FY2024–2026 and the ministry supplies O-1-a. Municipality i adopts (≥ 10 %) in 2025
// when i % 3 = 0, in 2026 when i % 3 = 2, never when i % 3 = 1; O-1-a = 50 + i % 7 + 0.5 per year
// + 2 when adopted + a small fixed wobble.
func impactWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "k.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w8 := st.Submissions().NewWriter()
	outcomes := map[int][]store.AnswerRow{}
	for i := range 30 {
		code := fmt.Sprintf("31%04d", i)
		for k, fy := range []int{2024, 2025, 2026} {
			adopted := i%3 == 0 && fy >= 2025 || i%3 == 2 && fy >= 2026
			rate, d := 5.0, 0.0
			if adopted {
				rate, d = 12.5, 1
			}
			y := 50 + float64(i%7) + 0.5*float64(k) + 2*d + float64((i*37+fy)%5-2)/10
			w8.Add(store.SubmissionMeta{FiscalYear: fy, EntityCode: code, Level: "municipality", Kind: "survey", FileName: "s.xlsx", SHA256: fmt.Sprint(code, fy)},
				[]store.AnswerRow{{EntityCode: code, Answer: loaders.Answer{ItemID: "S1-8-a", Text: fmt.Sprint(rate), Num: rate, Cell: "x"}}})
			outcomes[fy] = append(outcomes[fy], store.AnswerRow{EntityCode: code, Answer: loaders.Answer{ItemID: "O-1-a", Text: fmt.Sprint(y), Num: y, Cell: "x"}})
		}
	}
	for fy, rows := range outcomes {
		w8.Add(store.SubmissionMeta{FiscalYear: fy, EntityCode: store.MinistryCode, Level: "ministry", Kind: "outcomes", FileName: "o.csv", SHA256: fmt.Sprint(fy)}, rows)
	}
	if err := w8.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Runner: &pipeline.Runner{Store: st, Rulebooks: lib}, FiscalYear: 2026, Out: t.TempDir(), MaxUpload: 1 << 20, SessionTTL: time.Hour}
	w := &world{t: t, s: s, tokens: map[string]string{}}
	w.srv = httptest.NewServer(s.Handler())
	t.Cleanup(w.srv.Close)
	for name, spec := range map[string][2]string{"ministry": {"ministry", ""}, "pref": {"prefecture", "310000"}, "muni": {"municipality", "312011"}} {
		tok, _, err := st.Access().IssueToken(ctx, store.TokenSpec{Role: kofukin.Role(spec[0]), Entity: spec[1], Label: name, Expires: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[name] = tok
	}
	return w
}

// The ministry sees the assessment — the estimate the application computes, its interval, both
// charts, the years' table and the cautions; a prefecture or a municipality gets a refusal that
// shows nothing of it, with or without a query.
func TestImpactPage(t *testing.T) {
	w := impactWorld(t)
	rep, err := w.s.Runner.Impact(context.Background(), kofukin.Principal{Role: kofukin.RoleMinistry},
		pipeline.ImpactRequest{ActionItem: "S1-8-a", OutcomeItem: "O-1-a", FirstFY: 2024, LastFY: 2026, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	headline := fmt.Sprintf("%s ポイント（95%%信頼区間 %s 〜 %s）", signedText(rep.DiDBand.Estimate), signedText(rep.DiDBand.Lo), signedText(rep.DiDBand.Hi))
	min, _ := w.client("ministry")
	code, page := w.do(min, "GET", "/ministry/impact", nil)
	if code != http.StatusOK {
		t.Fatalf("impact page: %d %.500s", code, page)
	}
	page = html.UnescapeString(page) // html/template writes + as &#43;
	for _, want := range []string{headline, `<svg id="impact-trend"`, `<svg id="impact-forest"`, `id="impact-years"`, "<td>全体（延べ）</td><td class=\"num\">20</td><td class=\"num\">30</td>",
		"実施＝10 以上", "観察データ", "合成データ", "途中から実施", "2024–2026年度"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Errorf("the page has a script")
	}
	// FY2025 has no year before last in the range: its four pre-period cells (counts and
	// differences) are 「—」, not 0 / 0.
	if row := between(page, "<tr><td>2025</td>", "</tr>"); strings.Count(row, `<td class="num">—</td>`) != 4 {
		t.Errorf("FY2025's row: %q", row)
	}
	// Another question through the form: the null pair, a yes/no item nobody answered here.
	if code, page := w.do(min, "GET", "/ministry/impact?"+url.Values{"item": {"S1-2-b"}, "outcome": {"O-1-a"}, "years": {"2024-2026"}}.Encode(), nil); code != http.StatusOK ||
		!strings.Contains(page, "推定できません") {
		t.Errorf("S1-2-b: %d", code)
	}
	// With at least 11 controls FY2026 (10 controls) drops out, and the page says so.
	if code, page := w.do(min, "GET", "/ministry/impact?min_controls=11", nil); code != http.StatusOK || !strings.Contains(page, "2026年度は対照が 10 市町村（11 未満）しかない") {
		t.Errorf("min_controls=11: %d", code)
	}
	// A form the page cannot read: the ministry is told why.
	if code, page := w.do(min, "GET", "/ministry/impact?years=abc", nil); code != http.StatusBadRequest || !strings.Contains(page, "年度は 2024-2026 のように") {
		t.Errorf("years=abc: %d", code)
	}
	for _, who := range []string{"pref", "muni"} {
		c, _ := w.client(who)
		for _, path := range []string{"/ministry/impact", "/ministry/impact?item=S1-8-a&outcome=O-1-a&years=2024-2026", "/ministry/impact?years=abc"} {
			code, page := w.do(c, "GET", path, nil)
			if code != http.StatusForbidden || strings.Contains(page, "<svg") || strings.Contains(page, signedText(rep.DiDBand.Estimate)) ||
				strings.Contains(page, "途中から実施") || strings.Contains(page, "impact-form") {
				t.Errorf("%s %s: %d, and the page shows the assessment or its form", who, path, code)
			}
		}
	}
}
