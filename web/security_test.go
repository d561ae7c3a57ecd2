package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin"
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
		code, _ := w.do(c.client, "POST", c.path, url.Values{"csrf": {c.csrf}, "entity": {c.entity}, "version": {"1"}, "status": {"未確認"}})
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
