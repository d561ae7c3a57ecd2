package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// world is a running service over 鳥取県's synthetic nation, scored, allocated and exported.
type world struct {
	t      *testing.T
	srv    *httptest.Server
	s      *Server
	fix    string
	tokens map[string]string // name → token
}

// base is 鳥取県's synthetic nation, ingested, scored, allocated and exported once per test binary;
// each world copies its database, so tests change nothing of each other's.
var base struct {
	once sync.Once
	dir  string // fixtures in dir/fix, the database dir/k.duckdb, outputs in dir/out
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if base.dir != "" {
		os.RemoveAll(base.dir)
	}
	os.Exit(code)
}

func buildBase() (string, error) {
	ctx := context.Background()
	lib, err := indicators.Shipped()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "kofukin-web-test-")
	if err != nil {
		return "", err
	}
	fix := filepath.Join(dir, "fix")
	if _, err := fixtures.WriteNation(ctx, fix, lib, 2026, fixtures.NationOptions{Seed: 1, Prefectures: []string{"31"}}); err != nil {
		return dir, err
	}
	st, err := store.Open(ctx, filepath.Join(dir, "k.duckdb"))
	if err != nil {
		return dir, err
	}
	defer st.Close()
	r := &pipeline.Runner{Store: st, Rulebooks: lib}
	r.ReviewsOnlyOfForTest("31") // no test reads another prefecture's review or feedback workbook
	_, err = r.Cycle(ctx, 2026, []string{fix}, filepath.Join(dir, "out", "FY2026"))
	return dir, err
}

func newWorld(t *testing.T) *world {
	t.Helper()
	// Each world is its own copy of the database, server and folder, so the package's tests run
	// two at a time (go test's -parallel is GOMAXPROCS): much of a test is waiting on its server,
	// its browser or a throttle, and the package used to finish last, alone on the machine.
	t.Parallel()
	ctx := context.Background()
	base.once.Do(func() { base.dir, base.err = buildBase() })
	if base.err != nil {
		t.Fatal(base.err)
	}
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db, err := os.ReadFile(filepath.Join(base.dir, "k.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "k.duckdb"), db, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(dir, "k.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// No 試算 after uploads unless a test asks (withTrials): each scores the whole nation, and
	// most tests upload without looking at one.
	r := &pipeline.Runner{Store: st, Rulebooks: lib}
	// The console's cycles write 鳥取県's review and feedback workbooks only.
	r.ReviewsOnlyOfForTest("31")
	t.Cleanup(func() { r.WaitTrials(ctx) }) // before the store closes
	t.Cleanup(r.StopJobs)                   // before the store closes: a console cycle may still run
	// Uploads' annotated copies go to this test's folder; the exports stay in the shared base.
	s := &Server{Runner: r, FiscalYear: 2026, Out: filepath.Join(dir, "out"), MaxUpload: 16 << 20, SessionTTL: time.Hour}
	w := &world{t: t, s: s, fix: filepath.Join(base.dir, "fix"), tokens: map[string]string{}}
	w.srv = httptest.NewServer(s.Handler())
	t.Cleanup(w.srv.Close)
	for name, spec := range map[string][2]string{
		"ministry": {"ministry", ""}, "pref": {"prefecture", "310000"}, "otherpref": {"prefecture", "320005"},
		"muni": {"municipality", "312011"}, "othermuni": {"municipality", "312029"}, "centre": {"centre", "312011001"},
	} {
		tok, _, err := st.Access().IssueToken(ctx, store.TokenSpec{Role: kofukin.Role(spec[0]), Entity: spec[1], Label: name, Expires: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[name] = tok
	}
	return w
}

// client signs in with a token and returns a client with the session cookie and the CSRF token.
func (w *world) client(name string) (*http.Client, string) {
	w.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(w.srv.URL + "/login")
	if err != nil {
		w.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	resp, err = c.PostForm(w.srv.URL+"/login", url.Values{"csrf": {string(csrf[1])}, "token": {w.tokens[name]}})
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/home" {
		w.t.Fatalf("login as %s: %d %s", name, resp.StatusCode, resp.Header.Get("Location"))
	}
	return c, w.csrfOf(c, "/home")
}

// csrfOf opens a page (following the home redirect) and reads the session's CSRF token from it.
func (w *world) csrfOf(c *http.Client, path string) string {
	w.t.Helper()
	for i := 0; i < 3; i++ {
		resp, err := c.Get(w.srv.URL + path)
		if err != nil {
			w.t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusSeeOther {
			path = resp.Header.Get("Location")
			continue
		}
		if m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body); m != nil {
			return string(m[1])
		}
		return ""
	}
	return ""
}

func (w *world) do(c *http.Client, method, path string, form url.Values) (int, string) {
	w.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = c.Get(w.srv.URL + path)
	} else {
		resp, err = c.PostForm(w.srv.URL+path, form)
	}
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body) + resp.Header.Get("Location")
}

// postUpload sends a file through an entity page's upload form; the caller closes the body.
func (w *world) postUpload(c *http.Client, code, csrf, name string, data []byte) *http.Response {
	w.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/entity/"+code+"/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp
}

// upload sends a file through the form and returns the status and where it redirects.
func (w *world) upload(c *http.Client, code, csrf, name string, data []byte) (int, string) {
	w.t.Helper()
	resp := w.postUpload(c, code, csrf, name, data)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func (w *world) workbook(code string) []byte {
	data, err := os.ReadFile(filepath.Join(w.fix, fixtures.SurveyFileName(2026, indicators.Municipality, code)))
	if err != nil {
		w.t.Fatal(err)
	}
	return data
}

func edited(t *testing.T, data []byte, cell, value string) []byte {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.SetCellStr("回答", cell, value)
	var out bytes.Buffer
	f.WriteTo(&out)
	return out.Bytes()
}

// The health checks answer on an empty database: no nation is needed to see that the service is up.
func TestHealth(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "k.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Runner: &pipeline.Runner{Store: st, Rulebooks: lib}, FiscalYear: 2026, Out: t.TempDir(), MaxUpload: 1 << 20, SessionTTL: time.Hour}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	w := &world{t: t, s: s, srv: srv}
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(w.srv.URL + p)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %v %v", p, err, resp)
		}
		resp.Body.Close()
	}
	resp, _ := http.Get(w.srv.URL + "/")
	if resp.Request.URL.Path != "/login" {
		t.Errorf("/ should lead to /login, got %s", resp.Request.URL.Path)
	}
	resp.Body.Close()
}

// withTrials makes the service compute the 試算 of every accepted upload, as serve does; call it
// before the test's first request.
func (w *world) withTrials() *world {
	w.s.Runner.Trials = true
	return w
}
