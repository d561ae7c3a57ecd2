package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/fixtures/hostile"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// apiPost sends a file to the JSON API with a bearer token.
func (w *world) apiPost(token, name string, data []byte) (int, map[string]any) {
	w.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", w.srv.URL+"/api/v1/submissions", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (w *world) apiList(token string) []string {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.srv.URL+"/api/v1/submissions?fy=2026", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Submissions []struct {
			EntityCode string `json:"entity_code"`
		} `json:"submissions"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	var codes []string
	for _, s := range out.Submissions {
		codes = append(codes, s.EntityCode)
	}
	return codes
}

// codesIn finds the entity codes a page shows: 6-digit municipal and prefectural codes and 9-digit
// centre codes whose check digit is right (so that other numbers are not taken for codes).
func codesIn(body string) map[string]bool {
	out := map[string]bool{}
	// Whole tokens only: not digits inside a hash, a decimal or a longer number.
	for _, tok := range regexp.MustCompile(`[0-9A-Za-z.,]+`).FindAllString(body, -1) {
		if regexp.MustCompile(`^(\d{6}|\d{9})$`).MatchString(tok) && kofukin.LevelOf(tok) != kofukin.CodeUnknown {
			out[tok] = true
		}
	}
	return out
}

// withFilledOn returns the workbook with another 記入日: versions that differ in nothing else.
func withFilledOn(t *testing.T, data []byte, day int) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("回答")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 0 && r[0] == "記入日" {
			f.SetCellStr("回答", fmt.Sprintf("B%d", i+1), fmt.Sprintf("2026/5/%d", day))
			var out bytes.Buffer
			f.WriteTo(&out)
			return out.Bytes()
		}
	}
	t.Fatal("no 記入日 row in the template")
	return nil
}

// TestScopeByContent: what each role's pages, downloads and API list contain, not only their
// status. A prefecture sees its own municipalities and centres and nobody else's; a municipality
// and a centre only themselves.
func TestScopeByContent(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// A submission from another prefecture, which only the ministry may see.
	if _, err := w.s.Runner.Store.Submissions().Add(ctx, store.SubmissionMeta{FiscalYear: 2026, EntityCode: "322016", Level: "municipality", Kind: "survey",
		FileName: "matsue.xlsx", SHA256: "matsue"}, nil); err != nil {
		t.Fatal(err)
	}
	only := func(who string, codes map[string]bool, ok func(string) bool) {
		t.Helper()
		var bad []string
		for c := range codes {
			if !ok(c) {
				bad = append(bad, c)
			}
		}
		sort.Strings(bad)
		if len(bad) > 0 {
			t.Errorf("%s sees codes outside its scope: %v", who, bad)
		}
	}
	in31 := func(c string) bool { return strings.HasPrefix(c, "31") }

	// The prefecture's page lists its 19 municipalities and 32 centres and nothing of another
	// prefecture; its API list the same.
	pref, _ := w.client("pref")
	code, body := w.do(pref, "GET", "/prefecture/310000", nil)
	if code != http.StatusOK {
		t.Fatalf("prefecture page: %d", code)
	}
	codes := codesIn(body)
	only("the prefecture page", codes, in31)
	muni, centre := 0, 0
	for c := range codes {
		switch kofukin.LevelOf(c) {
		case kofukin.CodeMunicipality:
			muni++
		case kofukin.CodeCentre:
			centre++
		}
	}
	if muni != 19 || centre != 32 {
		t.Errorf("the prefecture page shows %d municipalities and %d centres, want 19 and 32", muni, centre)
	}
	list := w.apiList(w.tokens["pref"])
	listed := map[string]bool{}
	for _, c := range list {
		listed[c] = true
	}
	only("the prefecture's API list", listed, in31)
	if len(list) != 19+32+1 || listed["322016"] {
		t.Errorf("the prefecture's API list has %d entries (want 52, none of 322016)", len(list))
	}
	// Its review workbook holds its municipalities only.
	resp, err := pref.Get(w.srv.URL + "/prefecture/310000/review.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	xlsx, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatalf("review workbook: %v", err)
	}
	rows, _ := f.GetRows("審査")
	f.Close()
	var text strings.Builder
	for _, r := range rows {
		text.WriteString(strings.Join(r, " ") + "\n")
	}
	wb := codesIn(text.String())
	only("the prefecture's review workbook", wb, in31)
	if len(wb) < 19 {
		t.Errorf("the review workbook names %d codes, want its 19 municipalities", len(wb))
	}

	// Another prefecture sees none of it.
	other, _ := w.client("otherpref")
	code, body = w.do(other, "GET", "/prefecture/310000", nil)
	if code != http.StatusForbidden || len(codesIn(body)) > 0 {
		t.Errorf("another prefecture: %d, codes %v", code, codesIn(body))
	}
	for _, c := range w.apiList(w.tokens["otherpref"]) {
		if in31(c) {
			t.Errorf("another prefecture's API list holds %s", c)
		}
	}

	// A municipality: its own page and list only.
	m, _ := w.client("muni")
	code, body = w.do(m, "GET", "/entity/312011", nil)
	if code != http.StatusOK {
		t.Fatalf("own page: %d", code)
	}
	only("a municipality's page", codesIn(body), func(c string) bool { return c == "312011" })
	if got := w.apiList(w.tokens["muni"]); len(got) != 1 || got[0] != "312011" {
		t.Errorf("a municipality's API list: %v", got)
	}
	// A centre likewise.
	if got := w.apiList(w.tokens["centre"]); len(got) != 1 || got[0] != "312011001" {
		t.Errorf("a centre's API list: %v", got)
	}
	// The ministry sees the other prefecture's submission too.
	all := map[string]bool{}
	for _, c := range w.apiList(w.tokens["ministry"]) {
		all[c] = true
	}
	if !all["322016"] || !all["312011"] {
		t.Errorf("the ministry's list lacks codes: 322016 %v, 312011 %v", all["322016"], all["312011"])
	}

	// An upload report: its municipality and prefecture see it, a neighbour does not (nor its file
	// name in the refusal).
	if code, _ := w.upload(m, "312011", w.csrfOf(m, "/entity/312011"), "鳥取市_第2版.xlsx", edited(t, w.workbook("312011"), "F7", "いいえ")); code != http.StatusSeeOther {
		t.Fatalf("upload: %d", code)
	}
	ups, err := w.s.Runner.Store.Submissions().Uploads(ctx, "312011", 1)
	if err != nil || len(ups) != 1 {
		t.Fatalf("uploads: %v %v", ups, err)
	}
	path := fmt.Sprintf("/uploads/%d", ups[0].ID)
	if code, body := w.do(pref, "GET", path, nil); code != http.StatusOK || !strings.Contains(body, "鳥取市_第2版.xlsx") {
		t.Errorf("the prefecture reading the report: %d", code)
	}
	n, _ := w.client("othermuni")
	if code, body := w.do(n, "GET", path, nil); code != http.StatusForbidden || strings.Contains(body, "鳥取市_第2版") || strings.Contains(body, "312011") {
		t.Errorf("a neighbour reading the report: %d", code)
	}
}

// Every POST route behind a session refuses a request without the session's CSRF token, with
// nothing done — the multipart upload included.
func TestEveryPostRouteNeedsCSRF(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c, _ := w.client("ministry")
	uploadsBefore, _ := w.s.Runner.Store.Submissions().Uploads(ctx, "312011", 100)
	tokensBefore, _ := w.s.Runner.Store.Access().Tokens(ctx)
	runsBefore, _ := w.s.Runner.Store.Runs().List(ctx)
	sample := strings.NewReplacer("{code}", "310000", "{id}", "1", "{path...}", "x")
	posts := 0
	for _, rt := range w.s.routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if method != http.MethodPost || rt.guard != "session" {
			continue
		}
		posts++
		path = sample.Replace(path)
		if strings.HasSuffix(path, "/upload") {
			path = "/entity/312011/upload"
			for _, csrf := range []string{"", "wrong"} {
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				if csrf != "" {
					mw.WriteField("csrf", csrf)
				}
				fw, _ := mw.CreateFormFile("file", "a.xlsx")
				fw.Write(edited(t, w.workbook("312011"), "F7", "いいえ"))
				mw.Close()
				req, _ := http.NewRequest(http.MethodPost, w.srv.URL+path, &buf)
				req.Header.Set("Content-Type", mw.FormDataContentType())
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("multipart upload with CSRF %q: %d, want 403", csrf, resp.StatusCode)
				}
			}
			continue
		}
		form := url.Values{"entity": {"312011"}, "status": {"確認済"}, "deadline": {"2000-01-01"}, "role": {"municipality"}, "mode": {"dry"}}
		for _, csrf := range []string{"", "wrong"} {
			if csrf != "" {
				form.Set("csrf", csrf)
			}
			if code, _ := w.do(c, http.MethodPost, path, form); code != http.StatusForbidden {
				t.Errorf("POST %s with CSRF %q: %d, want 403", path, csrf, code)
			}
		}
	}
	if posts < 6 {
		t.Errorf("only %d session POST routes found", posts)
	}
	uploadsAfter, _ := w.s.Runner.Store.Submissions().Uploads(ctx, "312011", 100)
	tokensAfter, _ := w.s.Runner.Store.Access().Tokens(ctx)
	runsAfter, _ := w.s.Runner.Store.Runs().List(ctx)
	reviews, _ := w.s.Runner.Store.Submissions().Reviews(ctx, 2026)
	deadline, _ := w.s.Runner.Store.Access().Setting(ctx, pipeline.DeadlineKey(2026))
	log, _ := w.s.Runner.Store.Access().AuditLog(ctx, 1000)
	for _, e := range log {
		if e.Action == "run pipeline" {
			t.Errorf("a POST without CSRF ran the pipeline: %+v", e)
		}
	}
	if len(uploadsAfter) != len(uploadsBefore) || len(tokensAfter) != len(tokensBefore) || len(runsAfter) != len(runsBefore) || len(reviews) != 0 || deadline != "" {
		t.Errorf("a POST without CSRF changed something: uploads %d→%d, tokens %d→%d, runs %d→%d, reviews %d, deadline %q",
			len(uploadsBefore), len(uploadsAfter), len(tokensBefore), len(tokensAfter), len(runsBefore), len(runsAfter), len(reviews), deadline)
	}
	// And the session still works with the right token.
	if code, _ := w.do(c, "GET", "/ministry", nil); code != http.StatusOK {
		t.Errorf("the session after the refusals: %d", code)
	}
}

// Reviews only of existing municipalities in the reviewer's prefecture, never of itself; a review
// without an entity is refused, not a crash.
func TestReviewScope(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	pref, pcsrf := w.client("pref")
	min, mcsrf := w.client("ministry")
	for _, c := range []struct {
		who      string
		client   *http.Client
		csrf     string
		path     string
		entity   string
		wantCode int
	}{
		{"pref", pref, pcsrf, "/prefecture/310000/review", "310000", http.StatusForbidden}, // its own submission
		{"pref", pref, pcsrf, "/prefecture/310000/review", "31", http.StatusForbidden},
		{"pref", pref, pcsrf, "/prefecture/310000/review", "319996", http.StatusForbidden}, // well formed, no such municipality
		{"pref", pref, pcsrf, "/prefecture/310000/review", "319999", http.StatusForbidden}, // wrong check digit
		{"pref", pref, pcsrf, "/prefecture/310000/review", "322016", http.StatusForbidden}, // another prefecture's
		{"pref", pref, pcsrf, "/prefecture/310000/review", "312011001", http.StatusForbidden},
		{"pref", pref, pcsrf, "/prefecture/320005/review", "322016", http.StatusForbidden},
		{"pref", pref, pcsrf, "/prefecture/310000/review", "", http.StatusForbidden},
		{"ministry", min, mcsrf, "/prefecture/310000/review", "", http.StatusForbidden},
		{"ministry", min, mcsrf, "/prefecture/310000/review", "322016", http.StatusForbidden}, // not in 310000
		{"ministry", min, mcsrf, "/prefecture/312011/review", "312011", http.StatusForbidden},
		{"pref", pref, pcsrf, "/prefecture/310000/review", "312029", http.StatusSeeOther},
		{"ministry", min, mcsrf, "/prefecture/320005/review", "322016", http.StatusSeeOther},
	} {
		code, _ := w.do(c.client, "POST", c.path, url.Values{"csrf": {c.csrf}, "entity": {c.entity}, "status": {"確認済"}})
		if code != c.wantCode {
			t.Errorf("%s reviewing %q at %s: %d, want %d", c.who, c.entity, c.path, code, c.wantCode)
		}
	}
	reviews, err := w.s.Runner.Store.Submissions().Reviews(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for code := range reviews {
		got = append(got, code)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "312029,322016" {
		t.Errorf("verdicts recorded for %v, want only 312029 and 322016", got)
	}
	if code, _ := w.do(min, "GET", "/healthz", nil); code != http.StatusOK {
		t.Errorf("the service after the refusals: %d", code)
	}
	// A code in the prefecture's scope that names no entity is answered as one outside it.
	for _, path := range []string{"/entity/319996", "/entity/319996/template", "/entity/312011999", "/prefecture/330001"} {
		if code, body := w.do(pref, "GET", path, nil); code != http.StatusForbidden || strings.Contains(body, "見つかりません") {
			t.Errorf("GET %s by the prefecture: %d, want the same 403 as for another's code", path, code)
		}
	}
}

// Failed sign-ins are counted per address and token prefix, refused once too many (the right token
// too, for a while), and every failure is in the audit log without the token.
func TestSignInThrottledAndAudited(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c, _ := w.client("muni") // a session from before the attack keeps working
	login := func(token string) int {
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		r1, err := cl.Get(w.srv.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r1.Body)
		r1.Body.Close()
		csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(b)[1]
		r2, err := cl.PostForm(w.srv.URL+"/login", url.Values{"csrf": {string(csrf)}, "token": {token}})
		if err != nil {
			t.Fatal(err)
		}
		r2.Body.Close()
		if r2.StatusCode == http.StatusSeeOther && r2.Header.Get("Location") == "/home" {
			return http.StatusOK
		}
		return r2.StatusCode
	}
	guess := "kfk_" + strings.Repeat("0", 64)
	for i := 0; i < 10; i++ {
		if got := login(guess); got != http.StatusSeeOther {
			t.Fatalf("failed sign-in %d: %d, want 303 back to the form", i+1, got)
		}
	}
	if got := login(guess); got != http.StatusTooManyRequests {
		t.Errorf("the 11th failed sign-in with one token: %d, want 429", got)
	}
	// Another user behind the same address still signs in: the address allows more failures.
	if got := login(w.tokens["ministry"]); got != http.StatusOK {
		t.Errorf("a good sign-in from the same address after 10 failures with another token: %d, want it signed in", got)
	}
	// Guessing with ever new tokens from one address is stopped at 30 failures, for everyone there.
	for i := 0; i < 20; i++ {
		if got := login(fmt.Sprintf("kfk_%08d%056d", i+1, 0)); got != http.StatusSeeOther {
			t.Fatalf("failed sign-in %d with a new token: %d", 11+i, got)
		}
	}
	if got := login(w.tokens["ministry"]); got != http.StatusTooManyRequests {
		t.Errorf("a sign-in from an address with 30 failures: %d, want 429", got)
	}
	// The API counts the same address.
	if code, _ := w.apiPost(w.tokens["muni"], "a.xlsx", []byte("x")); code != http.StatusTooManyRequests {
		t.Errorf("the API from a throttled address: %d, want 429", code)
	}
	if code, _ := w.do(c, "GET", "/entity/312011", nil); code != http.StatusOK {
		t.Errorf("an existing session while sign-in is throttled: %d", code)
	}
	log, err := w.s.Runner.Store.Access().AuditLog(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range log {
		if e.Action == "login failed" {
			failed++
			if strings.Contains(e.Detail, "0000000000000000") || !strings.Contains(e.Detail, "token ") {
				t.Errorf("audit detail %q: want the token's prefix only", e.Detail)
			}
		}
	}
	if failed != 30 {
		t.Errorf("%d failed sign-ins audited, want 30", failed)
	}
	// Time passes: the window ends and the right token signs in again.
	later := time.Now().Add(16 * time.Minute)
	w.s.throttle.Now = func() time.Time { return later }
	if got := login(w.tokens["ministry"]); got != http.StatusOK {
		t.Errorf("after the window: %d", got)
	}
	// Failed bearer tokens count too (per token prefix, then per address).
	for i := 0; i < 10; i++ {
		if code, _ := w.apiPost("kfk_"+strings.Repeat("f", 64), "a.xlsx", []byte("x")); code != http.StatusUnauthorized {
			t.Fatalf("failed API call %d: %d, want 401", i+1, code)
		}
	}
	if code, _ := w.apiPost("kfk_"+strings.Repeat("f", 64), "a.xlsx", []byte("x")); code != http.StatusTooManyRequests {
		t.Errorf("the 11th failed API call with one token: %d, want 429", code)
	}
	for i := 0; i < 20; i++ {
		w.apiPost(fmt.Sprintf("kfk_e%07d%056d", i, 0), "a.xlsx", []byte("x"))
	}
	if code, _ := w.apiPost(w.tokens["muni"], "a.xlsx", []byte("x")); code != http.StatusTooManyRequests {
		t.Errorf("the API from an address with 30 failures: %d, want 429", code)
	}
	log, _ = w.s.Runner.Store.Access().AuditLog(ctx, 100)
	apiFailed := 0
	for _, e := range log {
		if e.Action == "api sign-in failed" {
			apiFailed++
		}
	}
	if apiFailed != 30 {
		t.Errorf("%d failed API sign-ins audited, want 30", apiFailed)
	}
}

// Tokens: bound to a matching, existing entity; shown once on a page no cache keeps; refused after
// their expiry.
func TestTokensExpireAndMatchTheirEntity(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	min, csrf := w.client("ministry")
	issue := func(role, entity, expires string) (*http.Response, string) {
		resp, err := min.PostForm(w.srv.URL+"/ministry/tokens", url.Values{"csrf": {csrf}, "role": {role}, "entity": {entity}, "label": {"t"}, "expires": {expires}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	for _, bad := range [][3]string{
		{"municipality", "310000", ""},           // a prefectural code
		{"prefecture", "312011", ""},             // a municipal code
		{"municipality", "999999", ""},           // no such code
		{"municipality", "319996", ""},           // well formed, no such municipality
		{"centre", "312011", ""},                 // not a centre code
		{"municipality", "312011", "2000-01-01"}, // already expired
		{"admin", "", ""},
	} {
		if resp, _ := issue(bad[0], bad[1], bad[2]); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("issuing %v: %d, want 400", bad, resp.StatusCode)
		}
	}
	resp, body := issue("municipality", "312029", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("issuing a good token: %d", resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("the token page's Cache-Control is %q, want no-store", cc)
	}
	tok := regexp.MustCompile(`kfk_[0-9a-f]{64}`).FindString(body)
	if tok == "" || !strings.Contains(body, "有効期限") {
		t.Fatalf("the token page shows no token or no expiry")
	}
	if code, _ := w.apiPost(tok, "a.xlsx", w.workbook("312029")); code != http.StatusCreated && code != http.StatusOK {
		t.Errorf("the new token: %d", code)
	}
	// A year and a day later it no longer works, for the API or a session.
	later := time.Now().Add(pipeline.DefaultTokenLife + 24*time.Hour)
	sess, _ := w.client("othermuni")
	w.s.Runner.Store.Now = func() time.Time { return later }
	if code, _ := w.apiPost(tok, "a.xlsx", w.workbook("312029")); code != http.StatusUnauthorized {
		t.Errorf("an expired token: %d, want 401", code)
	}
	if code, loc := w.do(sess, "GET", "/entity/312029", nil); code != http.StatusSeeOther || !strings.Contains(loc, "/login") {
		t.Errorf("a session of an expired token: %d %s", code, loc)
	}
	list, err := w.s.Runner.Store.Access().Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range list {
		if ti.Active(later) {
			t.Errorf("token %s (%s) still active a year and a day later", ti.ID, ti.Label)
		}
	}
}

// A prefecture may submit for its municipality: the version records it was sent on its behalf,
// and the municipality's page says so.
func TestPrefectureSubmitsOnBehalf(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	code, out := w.apiPost(w.tokens["pref"], "鳥取市.xlsx", edited(t, w.workbook("312011"), "F7", "いいえ"))
	if code != http.StatusCreated {
		t.Fatalf("the prefecture's upload: %d %v", code, out)
	}
	hist, err := w.s.Runner.Store.Submissions().History(ctx, 2026, "312011")
	if err != nil {
		t.Fatal(err)
	}
	x := hist[0]
	if x.Version != 2 || x.Via != "api" || x.ByRole != kofukin.RolePrefecture || x.ByEntity != "310000" || !x.OnBehalf() {
		t.Errorf("the new version records via %q by %s %s (on behalf %v), version %d", x.Via, x.ByRole, x.ByEntity, x.OnBehalf(), x.Version)
	}
	m, _ := w.client("muni")
	if _, page := w.do(m, "GET", "/entity/312011", nil); !strings.Contains(page, "都道府県 310000 による代理提出") {
		t.Errorf("the municipality's history does not say who sent version 2")
	}
	// Another prefecture may not.
	if code, _ := w.apiPost(w.tokens["otherpref"], "鳥取市.xlsx", edited(t, w.workbook("312011"), "F7", "はい")); code != http.StatusForbidden {
		t.Errorf("another prefecture's upload: %d, want 403", code)
	}
	// A refused upload shows in the uploader's history, not in the entity's.
	ups, _ := w.s.Runner.Store.Submissions().Uploads(ctx, "312011", 100)
	for _, u := range ups {
		if u.Status == pipeline.Denied {
			t.Errorf("a refused upload by another body is in 312011's history: %+v", u)
		}
	}
	own, _ := w.s.Runner.Store.Submissions().Uploads(ctx, "320005", 100)
	if len(own) != 1 || own[0].Status != pipeline.Denied || own[0].FileName != "鳥取市.xlsx" {
		t.Errorf("the refused upload is not in the uploader's (320005) history: %+v", own)
	}
}

// Many uploads of one municipality at once — through the web form, the API, the ingest function
// and the inbox job — leave versions 1..n without a gap, one current, every request answered, and
// the next score run reads one submission for it.
func TestConcurrentUploadsOfOneEntity(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	good := w.workbook("312011")
	const perDoor = 5
	type result struct {
		door string
		code int
		body string
	}
	var mu sync.Mutex
	var results []result
	record := func(door string, code int, body string) {
		mu.Lock()
		results = append(results, result{door, code, body})
		mu.Unlock()
	}
	// Each file differs only in its 記入日 (days 1..21 of May): days 1..20 go through the four doors,
	// day 21 three times at once through the API (a double click).
	file := func(day int) []byte { return withFilledOn(t, good, day) }
	files := make([][]byte, 4*perDoor+2)
	for d := 1; d < len(files); d++ {
		files[d] = file(d)
	}
	inbox := filepath.Join(t.TempDir(), "inbox")
	os.MkdirAll(inbox, 0o755)
	for i := 0; i < perDoor; i++ {
		os.WriteFile(filepath.Join(inbox, fmt.Sprintf("FY2026_312011_%02d.xlsx", i)), files[3*perDoor+1+i], 0o644)
	}
	sched := &pipeline.Scheduler{Runner: w.s.Runner, FiscalYear: 2026, Inbox: inbox, Quarantine: filepath.Join(t.TempDir(), "q")}
	web, csrf := w.client("muni")
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < perDoor; i++ {
		i := i
		wg.Add(3)
		go func() {
			defer wg.Done()
			<-start
			code, out := w.apiPost(w.tokens["muni"], "api.xlsx", files[1+i])
			js, _ := json.Marshal(out)
			record("api", code, string(js))
		}()
		go func() {
			defer wg.Done()
			<-start
			code, loc := w.upload(web, "312011", csrf, "web.xlsx", files[1+perDoor+i])
			record("web", code, loc)
		}()
		go func() {
			defer wg.Done()
			<-start
			rep, err := w.s.Runner.IngestFiles(ctx, []pipeline.File{{Name: "ingest.xlsx", Data: files[1+2*perDoor+i]}}, pipeline.IngestOptions{FiscalYear: 2026})
			if err != nil {
				record("ingest", 500, err.Error())
				return
			}
			record("ingest", 200, rep.Files[0].Status)
		}()
	}
	for i := 0; i < 3; i++ { // the same file three times at once: a double click
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code, _ := w.apiPost(w.tokens["muni"], "again.xlsx", files[4*perDoor+1])
			record("api-copy", code, "")
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		sched.InboxJob(ctx)
		record("inbox", 200, "")
	}()
	close(start)
	wg.Wait()
	for _, r := range results {
		switch {
		case r.door == "ingest" && r.body == store.Accepted, r.door == "api" && r.code == http.StatusCreated,
			r.door == "web" && r.code == http.StatusSeeOther, r.door == "inbox":
		case r.door == "api-copy" && (r.code == http.StatusOK || r.code == http.StatusCreated):
		default:
			t.Errorf("%s answered %d %s", r.door, r.code, r.body)
		}
	}
	left, _ := os.ReadDir(inbox)
	if len(left) != 0 {
		t.Errorf("%d file(s) left in the inbox", len(left))
	}
	runs, _ := w.s.Runner.Store.Runs().List(ctx)
	inboxRuns := 0
	for _, r := range runs {
		if r.Kind == store.KindIngest {
			inboxRuns++
			if r.Status != "succeeded" || !strings.Contains(r.Summary, fmt.Sprintf("%d accepted", perDoor)) {
				t.Errorf("the inbox run: %s %q, want succeeded with %d accepted", r.Status, r.Summary, perDoor)
			}
		}
	}
	if inboxRuns != 1 {
		t.Errorf("%d inbox runs recorded, want 1", inboxRuns)
	}
	hist, err := w.s.Runner.Store.Submissions().History(ctx, 2026, "312011")
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(hist, func(i, j int) bool { return hist[i].Version < hist[j].Version })
	current := 0
	shas := map[string]bool{}
	for i, h := range hist {
		if h.Version != i+1 {
			t.Errorf("version %d at position %d", h.Version, i+1)
		}
		if h.Status == "current" {
			current++
		}
		shas[h.SHA256] = true
	}
	if current != 1 {
		t.Errorf("%d current versions, want 1", current)
	}
	// Every distinct file of the 20 is a version (the original fixture is version 1).
	for d := 1; d < len(files); d++ {
		if !shas[sha(files[d])] {
			t.Errorf("the file of day %d was lost", d)
		}
	}
	// The copies of day 21 are one version, or more when another version landed between them.
	if len(hist) < 1+4*perDoor+1 || len(hist) > 1+4*perDoor+3 {
		t.Errorf("%d versions, want %d to %d", len(hist), 1+4*perDoor+1, 1+4*perDoor+3)
	}
	// The next score run reads exactly one submission of 312011.
	sr, err := w.s.Runner.Score(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := w.s.Runner.Rulebooks.Get(2026, "municipality")
	items := 0
	for _, ind := range rb.Indicators {
		items += len(ind.Items)
	}
	lines, err := w.s.Runner.Store.Runs().ItemScoreLines(ctx, sr.RunID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "312011 ") {
			n++
		}
	}
	if n != items {
		t.Errorf("the score run has %d item scores for 312011, want %d (one submission)", n, items)
	}
}

// Hostile files sent to the API are refused with their code at their place while the service keeps
// answering, and the next good upload is taken.
func TestHostileUploadsKeepServing(t *testing.T) {
	w := newWorld(t)
	rb, err := w.s.Runner.Rulebooks.Get(2026, "municipality")
	if err != nil {
		t.Fatal(err)
	}
	files, err := hostile.Files(w.workbook("312011"), rb, "312011")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range files {
		code, out := w.apiPost(w.tokens["muni"], h.Name, h.Data)
		if len(h.Data) > int(w.s.MaxUpload) {
			if code != http.StatusRequestEntityTooLarge {
				t.Errorf("%s (%d bytes): %d, want 413", h.Name, len(h.Data), code)
			}
			continue
		}
		rep, _ := out["report"].(map[string]any)
		probs, _ := rep["problems"].([]any)
		found := false
		for _, p := range probs {
			m := p.(map[string]any)
			found = found || (m["code"] == h.Code && fmt.Sprint(m["cell"]) == h.Cell || m["code"] == h.Code && h.Cell == "" && m["cell"] == nil)
		}
		if code != http.StatusUnprocessableEntity || !found {
			t.Errorf("%s: %d, want 422 with %s at %q: %.500v", h.Name, code, h.Code, h.Cell, out)
		}
		resp, err := http.Get(w.srv.URL + "/healthz")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("the service stopped answering after %s: %v", h.Name, err)
		}
		resp.Body.Close()
	}
	if code, out := w.apiPost(w.tokens["muni"], "good.xlsx", edited(t, w.workbook("312011"), "F7", "いいえ")); code != http.StatusCreated {
		t.Errorf("a good upload after the hostile ones: %d %v", code, out)
	}
}

// Only a bounded number of uploads are read and checked at once; one that finds no slot in time is
// answered 503 with Retry-After (nothing stored), and is taken once a slot is free.
func TestUploadsAreBoundedAtOnce(t *testing.T) {
	w := newWorld(t)
	w.s.UploadWait = 100 * time.Millisecond
	for i := 0; i < cap(w.s.uploads); i++ {
		w.s.uploads <- struct{}{} // every slot busy
	}
	file := edited(t, w.workbook("312011"), "F7", "いいえ")
	if code, out := w.apiPost(w.tokens["muni"], "a.xlsx", file); code != http.StatusServiceUnavailable {
		t.Errorf("an upload with every slot busy: %d %v, want 503", code, out)
	}
	web, csrf := w.client("muni")
	if code, _ := w.upload(web, "312011", csrf, "a.xlsx", file); code != http.StatusServiceUnavailable {
		t.Errorf("a web upload with every slot busy: %d, want 503", code)
	}
	if hist, _ := w.s.Runner.Store.Submissions().History(context.Background(), 2026, "312011"); len(hist) != 1 {
		t.Errorf("%d versions after refused uploads, want the 1 there was", len(hist))
	}
	<-w.s.uploads
	if code, out := w.apiPost(w.tokens["muni"], "a.xlsx", file); code != http.StatusCreated {
		t.Errorf("an upload once a slot is free: %d %v", code, out)
	}
}

// The same file sent five times at once through the API (a double click, a client's retries): one
// new version, four answers "unchanged" with the same version, none lost or failed.
func TestIdenticalUploadsAtOnce(t *testing.T) {
	w := newWorld(t)
	file := edited(t, w.workbook("312011"), "F7", "いいえ")
	const n = 5
	codes := make([]int, n)
	versions := make([]any, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			code, out := w.apiPost(w.tokens["muni"], "same.xlsx", file)
			codes[i] = code
			if rep, ok := out["report"].(map[string]any); ok {
				versions[i] = rep["version"]
			}
		}(i)
	}
	close(start)
	wg.Wait()
	created, unchanged := 0, 0
	for i, c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusOK:
			unchanged++
		default:
			t.Errorf("upload %d: %d", i, c)
		}
		if fmt.Sprint(versions[i]) != "2" {
			t.Errorf("upload %d reports version %v, want 2", i, versions[i])
		}
	}
	if created != 1 || unchanged != n-1 {
		t.Errorf("%d created and %d unchanged, want 1 and %d", created, unchanged, n-1)
	}
	if hist, _ := w.s.Runner.Store.Submissions().History(context.Background(), 2026, "312011"); len(hist) != 2 {
		t.Errorf("%d versions, want 2", len(hist))
	}
}
