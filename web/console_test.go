package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// waitJob follows a console job's page until it no longer says 実行中 and returns the last page.
func (w *world) waitJob(c *http.Client, loc string) string {
	w.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		code, page := w.do(c, "GET", loc, nil)
		if code != http.StatusOK {
			w.t.Fatalf("GET %s: %d %.300s", loc, code, page)
		}
		if !strings.Contains(page, `id="state"><span class="warn">実行中`) {
			return page
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("job %s still running after 3 minutes", loc)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var jobLoc = regexp.MustCompile(`^/ministry/jobs/(\d+)(\?already=1)?$`)

// TestConsoleJobs: a console cycle runs in the background (the POST answers at once with the job's
// page), a second start while it runs gets the same job, only ministry users see it, and a real
// run needs its confirmation step, which counts the versions the last score run did not read.
func TestConsoleJobs(t *testing.T) {
	w := newWorld(t)
	min, csrf := w.client("ministry")
	pref, _ := w.client("pref")

	start := time.Now()
	code, loc := w.do(min, "POST", "/ministry/run", url.Values{"csrf": {csrf}, "mode": {"dry"}})
	m := jobLoc.FindStringSubmatch(loc)
	if code != http.StatusSeeOther || m == nil || m[2] != "" {
		t.Fatalf("start a dry run: %d %q", code, loc)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the start held the request %v", d)
	}
	// While it runs: the same job again, said so; the console links to it.
	code, again := w.do(min, "POST", "/ministry/run", url.Values{"csrf": {csrf}, "mode": {"dry"}})
	_, page := w.do(min, "GET", loc, nil)
	running := strings.Contains(page, `id="state"><span class="warn">実行中`)
	if running {
		if again != loc+"?already=1" {
			t.Errorf("a second start while the first runs: %d %q, want %q", code, again, loc+"?already=1")
		}
		if _, p := w.do(min, "GET", again, nil); !strings.Contains(p, "すでに実行中の処理があるため") {
			t.Errorf("the job page does not say the second start was not made")
		}
		if _, p := w.do(min, "GET", "/ministry", nil); !strings.Contains(p, `href="`+loc+`"`) || !strings.Contains(p, "を実行中です") {
			t.Errorf("the console does not link the running job")
		}
		for _, want := range []string{"採点", "算定", "経過時間", "工程"} {
			if !strings.Contains(page, want) {
				t.Errorf("the running job's page lacks %q", want)
			}
		}
	} else {
		t.Log("the dry run ended before the second start: not checked")
	}
	// Another role sees nothing of it.
	if code, p := w.do(pref, "GET", loc, nil); code != http.StatusForbidden || strings.Contains(p, "（市町村分）") || strings.Contains(p, "工程") {
		t.Errorf("a prefecture opens the job: %d %.200s", code, p)
	}
	page = w.waitJob(min, loc)
	for _, want := range []string{"試算が終わりました", "保険者機能強化推進交付金（市町村分）", "介護保険保険者努力支援交付金（市町村分）", `<td>市町村</td>`, "完了"} {
		if !strings.Contains(page, want) {
			t.Errorf("the finished dry run's page lacks %q", want)
		}
	}
	if strings.Contains(page, "succeeded") || strings.Contains(page, "/ministry/runs/") && strings.Contains(page, "実行しました") {
		t.Errorf("a dry run's page shows English or links to runs it did not keep")
	}

	// A real run without the confirmation step is refused and starts nothing.
	code, body := w.do(min, "POST", "/ministry/run", url.Values{"csrf": {csrf}, "mode": {"full"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "確認が必要です") {
		t.Errorf("a real run without confirm: %d %.300s", code, body)
	}
	if _, p := w.do(min, "GET", "/ministry", nil); strings.Contains(p, "を実行中です") {
		t.Errorf("an unconfirmed run started a job")
	}
	// The confirmation counts the versions sent since the last score run: none, then the one sent.
	_, p := w.do(min, "GET", "/ministry/run/confirm", nil)
	if !strings.Contains(p, `<td id="unscored">0 件`) {
		t.Errorf("before any new version the confirmation says: %s", between(p, `id="unscored">`, "</td>"))
	}
	muni, mcsrf := w.client("muni")
	if code, _ := w.upload(muni, "312011", mcsrf, "鳥取市.xlsx", edited(t, w.workbook("312011"), "F7", "いいえ")); code != http.StatusSeeOther {
		t.Fatalf("upload: %d", code)
	}
	_, p = w.do(min, "GET", "/ministry/run/confirm", nil)
	for _, want := range []string{`<td id="unscored">1 件（今回の実行で採点されます）`, "設定されていません", "置き換えられる出力", "2026年度", `name="confirm" value="yes"`} {
		if !strings.Contains(p, want) {
			t.Errorf("the confirmation lacks %q", want)
		}
	}
	if code, _ := w.do(pref, "GET", "/ministry/run/confirm", nil); code != http.StatusForbidden {
		t.Errorf("a prefecture opens the confirmation: %d", code)
	}
	// The confirmed run itself is walked in TestWalkMinistry.
}

// between returns the text of s from the first from to the next to (for messages).
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// TestCompareAllocations: two allocation runs whose amounts differ by hand-set yen (鳥取市 −300
// in 推進's municipal pool, 米子市 +1,000 in 支援's) are compared per pool and per entity, the
// largest |Δ| first (米子市, although 鳥取市's code comes first), with Σ Δ = 700; other roles see
// nothing of it.
func TestCompareAllocations(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	st := w.s.Runner.Store
	first, err := st.Runs().Latest(ctx, "allocate", 2026)
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.s.Runner.Allocate(ctx, 2026) // the same scores: the same amounts
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Allocations().AdjustAmountForTest(ctx, res.RunID, "312011", "suishin", -300); err != nil {
		t.Fatal(err)
	}
	if err := st.Allocations().AdjustAmountForTest(ctx, res.RunID, "312029", "shien", 1000); err != nil {
		t.Fatal(err)
	}
	min, _ := w.client("ministry")
	_, console := w.do(min, "GET", "/ministry", nil)
	if !strings.Contains(console, fmt.Sprintf(`<option value="%d" selected>算定 %d</option>`, res.RunID, res.RunID)) {
		t.Errorf("the console's comparison form does not offer the newest allocation run")
	}
	path := fmt.Sprintf("/ministry/compare?a=%d&b=%d", first.ID, res.RunID)
	code, page := w.do(min, "GET", path, nil)
	if code != http.StatusOK {
		t.Fatalf("compare: %d %.300s", code, page)
	}
	ents := between(page, `id="entdiff">`, "</table>")
	rows := regexp.MustCompile(`<tr><td>(\d+)</td><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td><td class="num">[\d,]+</td><td class="num">[\d,]+</td><td class="num">([-+\d,]+)</td></tr>`).FindAllStringSubmatch(ents, -1)
	if len(rows) != 2 || rows[0][1] != "312029" || rows[0][2] != "米子市" || rows[0][3] != "介護保険保険者努力支援交付金（市町村分）" || rows[0][4] != "+1,000" ||
		rows[1][1] != "312011" || rows[1][4] != "-300" {
		t.Errorf("entities that differ: %q", rows)
	}
	if !strings.Contains(page, "交付額が変わった団体（2 件、差の合計 +700 円）") {
		t.Errorf("the count and Σ Δ: %s", between(page, "<h2>交付額が変わった団体", "</h2>"))
	}
	pools := between(page, `id="pooldiff">`, "</table>")
	for _, want := range []string{`<td>保険者機能強化推進交付金（市町村分）</td><td class="num">8,595,000,000</td><td class="num">8,594,999,700</td><td class="num">-300</td></tr>`,
		`<td>介護保険保険者努力支援交付金（市町村分）</td><td class="num">19,000,000,000</td><td class="num">19,000,001,000</td><td class="num">+1,000</td></tr>`, `<th class="num">+700</th>`} {
		if !strings.Contains(pools, want) {
			t.Errorf("pool totals lack %q: %s", want, pools)
		}
	}
	pref, _ := w.client("pref")
	if code, p := w.do(pref, "GET", path, nil); code != http.StatusForbidden || strings.Contains(p, "鳥取市") {
		t.Errorf("a prefecture compares runs: %d", code)
	}
	// Only two different succeeded allocation runs can be compared.
	for _, q := range []string{fmt.Sprintf("a=%d&b=%d", first.ID, first.ID), fmt.Sprintf("a=%d&b=%d", first.ID-1, res.RunID), "a=x&b=1"} {
		if code, _ := w.do(min, "GET", "/ministry/compare?"+q, nil); code != http.StatusBadRequest {
			t.Errorf("compare %s: %d, want 400", q, code)
		}
	}
}

// TestNationalStatus: the national 提出状況 counts 鳥取県's 19 municipalities by what they sent and
// what the prefecture decided (one confirmed, one returned by hand here), its centres, and 島根県
// with nothing sent; only the ministry sees it.
func TestNationalStatus(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	subs, err := w.s.Runner.Store.Submissions().Current(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	munis, centres, own := 0, 0, false
	for _, x := range subs {
		switch {
		case x.Kind != "survey":
		case x.Level == "municipality" && strings.HasPrefix(x.EntityCode, "31"):
			munis++
		case x.Level == "centre" && strings.HasPrefix(x.EntityCode, "31"):
			centres++
		case x.EntityCode == "310000":
			own = true
		}
	}
	pref, pcsrf := w.client("pref")
	for entity, status := range map[string]string{"312011": "確認済", "312029": "差戻し"} {
		if code, _ := w.do(pref, "POST", "/prefecture/310000/review", url.Values{"csrf": {pcsrf}, "entity": {entity}, "version": {strconv.Itoa(w.currentVersion(entity))}, "status": {status}, "comment": {"確認してください"}}); code != http.StatusSeeOther {
			t.Fatalf("review %s %s: %d", entity, status, code)
		}
	}
	min, _ := w.client("ministry")
	code, page := w.do(min, "GET", "/ministry/status", nil)
	if code != http.StatusOK {
		t.Fatalf("status: %d", code)
	}
	cells := func(id string) []string {
		row := between(page, `<tr id="`+id+`">`, "</tr>")
		var out []string
		for _, m := range regexp.MustCompile(`<t[dh][^>]*>(.*?)</t[dh]>`).FindAllStringSubmatch(row, -1) {
			out = append(out, regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], ""))
		}
		return out
	}
	ownText := map[bool]string{true: "提出済", false: "未提出"}[own]
	want := []string{"310000 鳥取県", "19", fmt.Sprint(munis), "1", "1", fmt.Sprint(munis - 2), fmt.Sprint(19 - munis), fmt.Sprint(centres), "", ownText}
	got := cells("p310000")
	if len(got) != len(want) {
		t.Fatalf("鳥取県's row: %q", got)
	}
	for i, c := range want {
		if c != "" && got[i] != c {
			t.Errorf("鳥取県's column %d: %q, want %q (row %q)", i, got[i], c, got)
		}
	}
	if munis < 2 || centres == 0 {
		t.Errorf("the world has %d municipal and %d centre surveys: the checks above say little", munis, centres)
	}
	if got := cells("p320005"); len(got) != 10 || got[0] != "320005 島根県" || got[1] != "19" || got[2] != "0" || got[3] != "0" || got[4] != "0" || got[5] != "0" || got[6] != "19" || got[9] != "未提出" {
		t.Errorf("島根県's row: %q", got)
	}
	if n := strings.Count(page, `<tr id="p`); n != 47 {
		t.Errorf("%d prefectures listed, want 47", n)
	}
	if tot := cells("total"); len(tot) != 10 || tot[0] != "全国" || tot[3] != "1" || tot[4] != "1" {
		t.Errorf("the totals row: %q", tot)
	}
	// 鳥取市 sends a version after its 確認済 (the ministry loads it; the municipality is locked out
	// while confirmed): the verdict was on the version before and no longer counts — as on the
	// prefecture's own page, where the row is 未確認 again.
	if code, out := w.apiPost(w.tokens["ministry"], "鳥取市.xlsx", edited(t, w.workbook("312011"), "F7", "いいえ")); code != http.StatusCreated {
		t.Fatalf("ministry upload for 鳥取市: %d %v", code, out)
	}
	_, page = w.do(min, "GET", "/ministry/status", nil)
	want[3], want[5] = "0", fmt.Sprint(munis-1) // 確認済 0, 差戻し 1, 未確認 munis − 1
	got = cells("p310000")
	for i, c := range want {
		if c != "" && (i >= len(got) || got[i] != c) {
			t.Errorf("after 鳥取市's new version, 鳥取県's column %d: %q, want %q", i, got, c)
		}
	}
	if code, p := w.do(pref, "GET", "/ministry/status", nil); code != http.StatusForbidden || strings.Contains(p, "島根県") {
		t.Errorf("a prefecture opens the national status: %d", code)
	}
}

// TestTokensConsole: the console lists tokens with a 失効 button for each active one (revoking
// ends the holder's sign-in) and issues a token for each of 鳥取県's 19 municipalities as a CSV
// download Excel reads (BOM), never cached, audited once; a prefecture can do neither.
func TestTokensConsole(t *testing.T) {
	w := newWorld(t)
	min, csrf := w.client("ministry")
	_, page := w.do(min, "GET", "/ministry/tokens", nil)
	m := regexp.MustCompile(`<tr><td><code>([0-9a-f]+)</code></td><td>市町村</td><td>312029</td><td>othermuni</td>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the list lacks othermuni's token: %.2000s", between(page, `id="tokenlist">`, "</table>"))
	}
	if own := regexp.MustCompile(`(?s)<td>国（厚生労働省）</td><td></td><td>ministry</td>.*?</tr>`).FindString(page); !strings.Contains(own, "使用中") || strings.Contains(own, "<button>") {
		t.Errorf("the session's own token can be revoked from the list: %s", own)
	}
	if strings.Contains(page, w.tokens["othermuni"]) {
		t.Errorf("the list shows a token's value")
	}
	other, _ := w.client("othermuni")
	if code, _ := w.do(other, "GET", "/entity/312029", nil); code != http.StatusOK {
		t.Fatalf("othermuni before the revocation: %d", code)
	}
	if code, _ := w.do(min, "POST", "/ministry/tokens/"+m[1]+"/revoke", url.Values{}); code != http.StatusForbidden {
		t.Errorf("a revocation without CSRF: %d", code)
	}
	if code, loc := w.do(min, "POST", "/ministry/tokens/"+m[1]+"/revoke", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther || !strings.Contains(loc, "/ministry/tokens") {
		t.Fatalf("revoke: %d %s", code, loc)
	}
	if code, _ := w.do(other, "GET", "/entity/312029", nil); code == http.StatusOK {
		t.Errorf("the revoked token's session still works")
	}
	_, page = w.do(min, "GET", "/ministry/tokens", nil)
	if row := between(page, "<td><code>"+m[1]+"</code>", "</tr>"); !strings.Contains(row, "失効（") || strings.Contains(row, "<button>失効</button>") {
		t.Errorf("the revoked token's row: %s", row)
	}

	pref, pcsrf := w.client("pref")
	if code, body := w.do(pref, "POST", "/ministry/tokens/bulk", url.Values{"csrf": {pcsrf}, "prefecture": {"31"}}); code != http.StatusForbidden || strings.Contains(body, "kfk_") {
		t.Errorf("a prefecture issues tokens in bulk: %d", code)
	}
	resp, err := min.PostForm(w.srv.URL+"/ministry/tokens/bulk", url.Values{"csrf": {csrf}, "prefecture": {"31"}, "expires": {"2027-03-31"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("bulk: %d %v", resp.StatusCode, resp.Header)
	}
	if !bytes.HasPrefix(body, []byte("\xef\xbb\xbf団体コード,団体名,役割,トークン,有効期限\r\n")) {
		t.Errorf("the CSV's head: %q", body[:80])
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\r\n")[1:]
	if len(lines) != 19 {
		t.Fatalf("%d tokens, want 鳥取県's 19 municipalities", len(lines))
	}
	var yonago string
	for _, l := range lines {
		f := strings.Split(l, ",")
		if len(f) != 5 || !strings.HasPrefix(f[0], "31") || f[2] != "市町村" || !strings.HasPrefix(f[3], "kfk_") || f[4] != "2027-03-31" {
			t.Errorf("CSV line %q", l)
		}
		if f[0] == "312029" {
			yonago = f[3]
			if f[1] != "鳥取県米子市" {
				t.Errorf("312029's name %q", f[1])
			}
		}
	}
	w.tokens["yonago"] = yonago
	c, _ := w.client("yonago") // signs in (fails the test otherwise)
	if code, p := w.do(c, "GET", "/entity/312029", nil); code != http.StatusOK || !strings.Contains(p, "米子市") {
		t.Errorf("a bulk-issued token does not open its municipality: %d", code)
	}
	_, console := w.do(min, "GET", "/ministry", nil)
	if n := strings.Count(console, "<td>トークン一括発行</td>"); n != 1 || !strings.Contains(console, "19 tokens") {
		t.Errorf("the audit log has %d bulk issues", n)
	}
}

// The audit lines of console cycles read in Japanese; a dry run names no run (its runs were
// rehearsed and are gone).
func TestAuditDetailJA(t *testing.T) {
	for in, want := range map[string]string{
		"dry run: 7098 entities scored, 5 pools allocated, nothing stored": "試算：7,098 団体を採点、5 の配分枠を算定（保存なし）",
		"run: score run 3, allocate run 4, export run 5 (101 files)":       "実行：採点 3、算定 4、出力 5（101 ファイル）",
		"dry run failed: boom": "試算失敗: boom",
	} {
		if got := auditDetailJA(in); got != want {
			t.Errorf("auditDetailJA(%q) = %q, want %q", in, got, want)
		}
	}
}
