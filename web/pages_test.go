package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/pipeline"
)

// TestAuthorizationMatrix: every role × route × own or other entity.
func TestAuthorizationMatrix(t *testing.T) {
	w := newWorld(t)
	exportFile := ""
	for rel := range mustManifest(t, w).Files {
		if strings.HasSuffix(rel, ".xlsx") {
			exportFile = rel
			break
		}
	}
	type check struct {
		method, path string
		form         url.Values
		want         map[string]int // role name → status
	}
	ok, see, no := http.StatusOK, http.StatusSeeOther, http.StatusForbidden
	all := func(ministry, pref, otherpref, muni, othermuni, centre int) map[string]int {
		return map[string]int{"ministry": ministry, "pref": pref, "otherpref": otherpref, "muni": muni, "othermuni": othermuni, "centre": centre}
	}
	checks := []check{
		{"GET", "/entity/312011", nil, all(ok, ok, no, ok, no, no)},
		{"GET", "/entity/312011/template", nil, all(ok, ok, no, ok, no, no)},
		{"GET", "/entity/312011001", nil, all(ok, ok, no, no, no, ok)},
		{"GET", "/entity/312011001/template", nil, all(ok, ok, no, no, no, ok)},
		{"GET", "/prefecture/310000", nil, all(ok, ok, no, no, no, no)},
		{"GET", "/prefecture/310000/review.xlsx", nil, all(ok, ok, no, no, no, no)},
		{"POST", "/prefecture/310000/review", url.Values{"entity": {"312037"}, "status": {"未確認"}}, all(see, see, no, no, no, no)},
		{"GET", "/ministry", nil, all(ok, no, no, no, no, no)},
		{"GET", "/ministry/runs/1", nil, all(ok, no, no, no, no, no)},
		{"GET", "/ministry/files/" + exportFile, nil, all(ok, no, no, no, no, no)},
		{"POST", "/ministry/deadline", url.Values{"deadline": {""}}, all(see, no, no, no, no, no)},
		{"POST", "/ministry/run", url.Values{"mode": {"dry"}}, all(see, no, no, no, no, no)},
		{"POST", "/ministry/tokens", url.Values{"role": {"municipality"}, "entity": {"312045"}}, all(ok, no, no, no, no, no)},
		{"GET", "/home", nil, all(see, see, see, see, see, see)},
	}
	clients, csrfs := map[string]*http.Client{}, map[string]string{}
	for name := range w.tokens {
		clients[name], csrfs[name] = w.client(name)
	}
	for _, c := range checks {
		for name, want := range c.want {
			form := url.Values{}
			for k, v := range c.form {
				form[k] = v
			}
			form.Set("csrf", csrfs[name])
			got, body := w.do(clients[name], c.method, c.path, form)
			if got != want {
				t.Errorf("%s %s as %s: %d, want %d", c.method, c.path, name, got, want)
			}
			if got == no && (strings.Contains(body, "鳥取") || strings.Contains(body, "312011")) {
				t.Errorf("%s %s as %s: the 403 page leaks data: %.200s", c.method, c.path, name, body)
			}
		}
	}
	// Uploads: own entity accepted (303 to the report), another's refused, nothing stored for it.
	good := w.workbook("312011")
	if code, loc := w.upload(clients["muni"], "312011", csrfs["muni"], "a.xlsx", edited(t, good, "F7", "いいえ")); code != see || !strings.HasPrefix(loc, "/uploads/") {
		t.Errorf("own upload: %d %s", code, loc)
	}
	if code, _ := w.upload(clients["othermuni"], "312029", csrfs["othermuni"], "b.xlsx", edited(t, good, "F7", "はい")); code != no {
		t.Errorf("uploading another municipality's workbook: %d, want 403", code)
	}
	if code, _ := w.upload(clients["otherpref"], "312011", csrfs["otherpref"], "b.xlsx", good); code != no {
		t.Errorf("another prefecture uploading: %d, want 403", code)
	}
	// Another entity's upload report is not visible.
	if got, _ := w.do(clients["othermuni"], "GET", "/uploads/1", nil); got != no {
		t.Errorf("another's upload report: %d", got)
	}
	if got, _ := w.do(clients["pref"], "GET", "/uploads/1", nil); got != ok {
		t.Errorf("the prefecture reading its municipality's upload report: %d", got)
	}
}

func mustManifest(t *testing.T, w *world) *pipeline.ExportManifest {
	_, m, err := w.s.Runner.LatestExport(context.Background(), kofukin.Operator("test"), 2026)
	if err != nil || m == nil {
		t.Fatal("no export", err)
	}
	return m
}

func TestCSRFAndSessions(t *testing.T) {
	w := newWorld(t)
	c, csrf := w.client("muni")
	// A POST without, or with a wrong, CSRF token is refused and changes nothing.
	for _, bad := range []string{"", "0000"} {
		if got, _ := w.do(c, "POST", "/logout", url.Values{"csrf": {bad}}); got != http.StatusForbidden {
			t.Errorf("logout with CSRF %q: %d", bad, got)
		}
	}
	// Login without the login cookie (a cross-site post) is refused.
	resp, _ := http.PostForm(w.srv.URL+"/login", url.Values{"csrf": {"x"}, "token": {w.tokens["muni"]}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without the login cookie: %d", resp.StatusCode)
	}
	resp.Body.Close()
	// Cookie flags.
	jar, _ := cookiejar.New(nil)
	c2 := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r1, _ := c2.Get(w.srv.URL + "/login")
	body, _ := io.ReadAll(r1.Body)
	r1.Body.Close()
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)[1]
	req, _ := http.NewRequest("POST", w.srv.URL+"/login", strings.NewReader(url.Values{"csrf": {string(tok)}, "token": {w.tokens["muni"]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	r2, err := c2.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	var set string
	for _, h := range r2.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, sessionCookie+"=") {
			set = h
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Secure"} {
		if !strings.Contains(set, want) {
			t.Errorf("session cookie %q lacks %s", set, want)
		}
	}
	// A wrong token does not sign in.
	if _, body := w.do(c2, "POST", "/login", url.Values{"csrf": {string(tok)}, "token": {"kfk_nope"}}); !strings.Contains(body, "/login?e=1") {
		t.Errorf("a wrong token: %s", body)
	}
	// Revoking the token ends its sessions.
	if _, err := w.s.Runner.Store.Access().RevokeToken(context.Background(), w.tokens["muni"]); err != nil {
		t.Fatal(err)
	}
	if got, loc := w.do(c, "GET", "/entity/312011", nil); got != http.StatusSeeOther || !strings.Contains(loc, "/login") {
		t.Errorf("after revoking: %d %s", got, loc)
	}
	_ = csrf
	// Logout ends the session.
	c3, csrf3 := w.client("pref")
	w.do(c3, "POST", "/logout", url.Values{"csrf": {csrf3}})
	if got, _ := w.do(c3, "GET", "/prefecture/310000", nil); got != http.StatusSeeOther {
		t.Errorf("after logout: %d", got)
	}
}

// TestUploadReviewLockDeadline follows a municipality's file through the service: an error shown
// with its cell, the fix accepted, confirmed by the prefecture (uploads locked), returned with a
// comment (open again), then closed by the deadline.
func TestUploadReviewLockDeadline(t *testing.T) {
	w := newWorld(t)
	muni, mcsrf := w.client("muni")
	pref, pcsrf := w.client("pref")
	min, ncsrf := w.client("ministry")
	good := w.workbook("312011")
	bad := edited(t, good, "F7", "たぶん")
	code, loc := w.upload(muni, "312011", mcsrf, "鳥取市.xlsx", bad)
	if code != http.StatusSeeOther {
		t.Fatalf("upload: %d", code)
	}
	_, page := w.do(muni, "GET", loc, nil)
	for _, want := range []string{"受付できませんでした", "F7", "回答", "E011", "「はい」又は「いいえ」", "エラー箇所に印を付けた写し"} {
		if !strings.Contains(page, want) {
			t.Errorf("report page lacks %q", want)
		}
	}
	if got, body := w.do(muni, "GET", loc+"/annotated", nil); got != http.StatusOK || !strings.HasPrefix(body, "PK") {
		t.Errorf("annotated copy: %d", got)
	}
	_, loc = w.upload(muni, "312011", mcsrf, "鳥取市.xlsx", edited(t, good, "F7", "いいえ"))
	if _, page := w.do(muni, "GET", loc, nil); !strings.Contains(page, "受け付けました（第2版）") {
		t.Errorf("fixed upload: %.300s", page)
	}
	// The prefecture confirms: the municipality can no longer upload.
	w.do(pref, "POST", "/prefecture/310000/review", url.Values{"csrf": {pcsrf}, "entity": {"312011"}, "version": {"2"}, "status": {"確認済"}})
	if _, page := w.do(muni, "GET", "/entity/312011", nil); !strings.Contains(page, "確認済") || !strings.Contains(page, "差戻しがあるまで提出できません") {
		t.Errorf("after confirmation the page should say uploads are locked")
	}
	if code, _ := w.upload(muni, "312011", mcsrf, "x.xlsx", edited(t, good, "F7", "はい")); code != http.StatusSeeOther {
		t.Errorf("locked upload: %d", code)
	} else if subs, _ := w.s.Runner.Store.Submissions().History(context.Background(), 2026, "312011"); len(subs) != 2 {
		t.Errorf("a locked upload was stored: %d versions", len(subs))
	}
	// A return needs a comment; with one, the municipality sees it and can upload again.
	if got, _ := w.do(pref, "POST", "/prefecture/310000/review", url.Values{"csrf": {pcsrf}, "entity": {"312011"}, "version": {"2"}, "status": {"差戻し"}}); got != http.StatusBadRequest {
		t.Errorf("return without comment: %d", got)
	}
	w.do(pref, "POST", "/prefecture/310000/review", url.Values{"csrf": {pcsrf}, "entity": {"312011"}, "version": {"2"}, "status": {"差戻し"}, "comment": {"P1-1 を確認してください"}})
	if _, page := w.do(muni, "GET", "/entity/312011", nil); !strings.Contains(page, "P1-1 を確認してください") || strings.Contains(page, "提出できません") {
		t.Errorf("the return and its comment should show, uploads open")
	}
	// The deadline closes uploads for municipalities, not for the ministry.
	if got, _ := w.do(min, "POST", "/ministry/deadline", url.Values{"csrf": {ncsrf}, "deadline": {"2000-01-01"}}); got != http.StatusSeeOther {
		t.Errorf("set deadline: %d", got)
	}
	_, loc = w.upload(muni, "312011", mcsrf, "late.xlsx", edited(t, good, "F7", "はい"))
	if _, page := w.do(muni, "GET", loc, nil); !strings.Contains(page, "提出期限") {
		t.Errorf("late upload should be refused for the deadline: %s", loc)
	}
	// The prefecture's status page counts submissions; the audit log holds the actions.
	if _, page := w.do(pref, "GET", "/prefecture/310000", nil); !strings.Contains(page, `id="submitted">19<`) || !strings.Contains(page, "平均得点率：全国") || !strings.Contains(page, "確認すべき点") {
		t.Errorf("提出状況 should count 19 submitted and show the national and prefectural rates and the flags")
	}
	// The flags name 目標・指標・設問 as the review workbook does, never bare item ids (O-4-a・P2-2-b).
	if _, page := w.do(pref, "GET", "/prefecture/310000", nil); true {
		cells := regexp.MustCompile(`(?s)<td class="small err wrap">(.*?)</td>`).FindAllStringSubmatch(page, -1)
		named, ids := 0, regexp.MustCompile(`(^|[^A-Za-z0-9])[A-Z][0-9]?-[0-9]+-[a-z]([^a-z]|$)`)
		for _, c := range cells {
			if ids.MatchString(c[1]) {
				t.Errorf("a flag names an item by its id: %s", c[1])
			}
			if strings.Contains(c[1], "指標") {
				named++
			}
		}
		if named == 0 {
			t.Errorf("no flag on 提出状況 names 目標・指標・設問 (%d flag cells: %q)", len(cells), cells)
		}
	}
	log, _ := w.s.Runner.Store.Access().AuditLog(context.Background(), 100)
	actions := map[string]bool{}
	for _, e := range log {
		actions[e.Action] = true
	}
	for _, a := range []string{"upload rejected", "upload accepted", "review 確認済", "review 差戻し", "set deadline", "upload closed", "login"} {
		if !actions[a] {
			t.Errorf("audit log lacks %q", a)
		}
	}
}

func TestAPI(t *testing.T) {
	w := newWorld(t)
	post := func(token string, name string, data []byte) (int, map[string]any) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", w.srv.URL+"/api/v1/submissions", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	good := w.workbook("312011")
	if code, _ := post("", "a.xlsx", good); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	if code, _ := post("kfk_wrong", "a.xlsx", good); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", code)
	}
	if code, _ := post(w.tokens["othermuni"], "a.xlsx", good); code != http.StatusForbidden {
		t.Errorf("another entity's workbook: %d", code)
	}
	code, out := post(w.tokens["muni"], "a.xlsx", edited(t, good, "F7", "いいえ"))
	if code != http.StatusCreated || out["report"].(map[string]any)["status"] != "accepted" {
		t.Errorf("accepted upload: %d %v", code, out)
	}
	code, out = post(w.tokens["muni"], "b.xlsx", edited(t, good, "F8", "120"))
	probs, _ := out["report"].(map[string]any)["problems"].([]any)
	if code != http.StatusUnprocessableEntity || len(probs) == 0 || probs[0].(map[string]any)["cell"] != "F8" {
		t.Errorf("rejected upload: %d %v", code, out)
	}
	list := func(token string) []any {
		req, _ := http.NewRequest("GET", w.srv.URL+"/api/v1/submissions?fy=2026", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out["submissions"].([]any)
	}
	if n := len(list(w.tokens["muni"])); n != 1 {
		t.Errorf("a municipality sees %d submissions, want its own 1", n)
	}
	if n := len(list(w.tokens["pref"])); n != 19+32+1 { // its municipalities, centres and itself
		t.Errorf("the prefecture sees %d submissions", n)
	}
	if n := len(list(w.tokens["ministry"])); n < 19+32+1+1 {
		t.Errorf("the ministry sees %d submissions", n)
	}
}
