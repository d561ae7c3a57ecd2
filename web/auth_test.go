package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kofukin/kofukin/pipeline"
)

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
