// Package web is kofukin's service: sign-in with a token, uploads and reports for municipal and
// care-centre staff, submission status and review for prefectural officials, a console for
// ministry analysts, and a small JSON API — all from the process that owns the database.
package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// Server serves the web pages and the API.
type Server struct {
	Runner        *pipeline.Runner
	FiscalYear    int
	Out           string // exports and upload reports
	MaxUpload     int64  // bytes
	SessionTTL    time.Duration
	SecureCookies bool
	Logger        *slog.Logger
	Now           func() time.Time
	// UploadWait is how long an upload waits for a free slot before it is answered 503 (0: 30 s).
	UploadWait time.Duration

	tmpl     *template.Template
	throttle *throttle
	uploads  chan struct{} // slots of uploads being read and checked at once (see uploadSlot)
}

const (
	sessionCookie = "kofukin_session"
	loginCookie   = "kofukin_login"
)

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	s.throttle = newThrottle(s.Now)
	s.uploads = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	s.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"yen":    exporters.Commas[int64],
		"pct":    func(f float64) string { return indicators.FormatPercent(f, 1) },
		"pts":    func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
		"date":   func(t time.Time) string { return t.In(jst).Format("2006-01-02 15:04") },
		"status": func(s string) string { return statusJA[s] },
		"level":  func(l string) string { return indicators.Level(l).LabelJA() },
		"role":   func(r kofukin.Role) string { return r.LabelJA() },
		"submitter": func(x store.Submission) string {
			switch {
			case x.Via == "":
				return ""
			case x.Via == "cli" || x.Via == "inbox": // the operator loading files the ministry received
				return "国が取込（" + viaJA[x.Via] + "）"
			case !x.OnBehalf():
				return "本人（" + viaJA[x.Via] + "）"
			case x.ByEntity == "":
				return x.ByRole.LabelJA() + "による代理提出（" + viaJA[x.Via] + "）"
			}
			return x.ByRole.LabelJA() + " " + x.ByEntity + " による代理提出（" + viaJA[x.Via] + "）"
		},
	}).ParseFS(templateFS, "templates/*.html"))
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.HandleFunc(rt.pattern, rt.handler)
	}
	return s.logRequests(s.recoverPanics(securityHeaders(mux)))
}

// route is one pattern of the service and how it is guarded: "session" (a signed-in user; a POST
// must carry the session's CSRF token), "bearer" (the JSON API's token) or "public".
type route struct {
	pattern string
	guard   string
	handler http.HandlerFunc
}

// routes is every route of the service (tests walk it: every POST with a session needs CSRF).
func (s *Server) routes() []route {
	public := func(p string, h http.HandlerFunc) route { return route{p, "public", h} }
	session := func(p string, h func(http.ResponseWriter, *http.Request, request)) route {
		return route{p, "session", s.page(h)}
	}
	bearer := func(p string, h func(http.ResponseWriter, *http.Request, store.Principal)) route {
		return route{p, "bearer", s.api(h)}
	}
	return []route{
		public("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") }),
		public("GET /readyz", s.readyz),
		public("GET /{$}", s.root),
		public("GET /login", s.loginPage),
		public("POST /login", s.login), // double-submit cookie against cross-site posting
		session("POST /logout", s.logout),
		session("GET /home", s.home),
		session("GET /entity/{code}", s.entityPage),
		session("GET /entity/{code}/template", s.template),
		session("POST /entity/{code}/upload", s.uploadForm),
		session("GET /uploads/{id}", s.uploadPage),
		session("GET /uploads/{id}/annotated", s.annotated),
		session("GET /prefecture/{code}", s.prefecturePage),
		session("POST /prefecture/{code}/review", s.review),
		session("GET /prefecture/{code}/review.xlsx", s.reviewWorkbook),
		session("GET /ministry", s.ministryPage),
		session("POST /ministry/run", s.runPipeline),
		session("POST /ministry/deadline", s.deadline),
		session("POST /ministry/tokens", s.issueToken),
		session("GET /ministry/runs/{id}", s.runPage),
		session("GET /ministry/files/{path...}", s.file),
		bearer("POST /api/v1/submissions", s.apiUpload),
		bearer("GET /api/v1/submissions", s.apiList),
	}
}

var jst = time.FixedZone("JST", 9*3600)

var viaJA = map[string]string{"web": "画面", "api": "API", "inbox": "受信フォルダ", "cli": "コマンド"}

var statusJA = map[string]string{"accepted": "受付", "unchanged": "変更なし（同一ファイル）", "rejected": "却下", "denied": "拒否",
	"current": "最新", "superseded": "旧版"}

// request is what a page handler gets: who is asking and the session's CSRF token.
type request struct {
	p    store.Principal
	csrf string
}

// multipartMemory is how much of a multipart form is held in memory; the rest of an upload (at most
// MaxUpload) waits in a temporary file.
const multipartMemory = 1 << 20

// uploadSlot waits (up to UploadWait, 30 seconds by default) for one of the uploads that may be read and checked at once:
// each takes up to MaxUpload in memory and its inflated parts, so their number is bounded. The
// caller calls release when done; ok is false when no slot freed in time.
func (s *Server) uploadSlot(ctx context.Context) (release func(), ok bool) {
	wait := s.UploadWait
	if wait == 0 {
		wait = 30 * time.Second
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.uploads <- struct{}{}:
		return func() { <-s.uploads }, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// page wraps a handler that needs a signed-in user; POSTs must carry the session's CSRF token.
func (s *Server) page(h func(http.ResponseWriter, *http.Request, request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		p, csrf, err := s.Runner.Store.Session(r.Context(), c.Value)
		if err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		// Pages show a principal's own data (and the token page a secret): never kept by caches.
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, s.MaxUpload+1<<20)
			got := r.Header.Get("X-CSRF-Token")
			if got == "" {
				got = formValue(r, "csrf")
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(csrf)) != 1 {
				s.audit(r.Context(), p, "denied", r.URL.Path, "CSRF token missing or wrong")
				s.fail(w, http.StatusForbidden, "フォームの有効期限が切れたか、不正な送信です。ページを開き直してください。")
				return
			}
		}
		h(w, r, request{p: p, csrf: csrf})
	}
}

// formValue reads a form field from a urlencoded or multipart body.
func formValue(r *http.Request, key string) string {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if r.MultipartForm == nil {
			r.ParseMultipartForm(multipartMemory)
		}
		if r.MultipartForm != nil {
			if v := r.MultipartForm.Value[key]; len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
	return r.PostFormValue(key)
}

// api wraps a JSON API handler authenticated by a bearer token.
func (s *Server) api(h func(http.ResponseWriter, *http.Request, store.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Authorization: Bearer TOKEN is required", "error_ja": "トークンが必要です"})
			return
		}
		tok = strings.TrimSpace(tok)
		keys := throttleKeys(r, tok)
		if blocked, wait := s.throttle.Blocked(keys); blocked {
			w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "too many failed attempts; try again later",
				"error_ja": fmt.Sprintf("認証の失敗が続いたため、約%d分後に再度お試しください。", int(wait.Minutes())+1)})
			return
		}
		p, err := s.Runner.Store.Authenticate(r.Context(), tok)
		if err != nil {
			s.throttle.Fail(keys)
			s.audit(r.Context(), store.Principal{}, "api sign-in failed", r.URL.Path, failureDetail(r, tok))
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid, expired or revoked token", "error_ja": "トークンが無効です（期限切れ又は失効を含む）"})
			return
		}
		h(w, r, p)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "same-origin")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
		h.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(c int) { w.code = c; w.ResponseWriter.WriteHeader(c) }

func (s *Server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: 200}
		h.ServeHTTP(sw, r)
		s.Logger.Debug("http", "method", r.Method, "path", r.URL.Path, "status", sw.code, "ms", time.Since(start).Milliseconds())
	})
}

// deny answers 403 with nothing about the thing asked for, and records the denial.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, p store.Principal) {
	s.audit(r.Context(), p, "denied", r.URL.Path, r.Method)
	s.fail(w, http.StatusForbidden, "この操作の権限がありません。")
}

// missing answers a code within the principal's scope that names no entity of the year exactly as
// a code outside it (403, nothing said), so that nobody learns which codes exist; a failure of the
// store is a 500.
func (s *Server) missing(w http.ResponseWriter, r *http.Request, p store.Principal, err error) {
	if errors.Is(err, pipeline.ErrNotFound) {
		s.deny(w, r, p)
		return
	}
	s.Logger.Error("find entity", "path", r.URL.Path, "error", err)
	s.fail(w, http.StatusInternalServerError, "システム内部の誤りが発生しました。時間をおいて再度お試しください。")
}

// audit records an action; a failure to record it is logged.
func (s *Server) audit(ctx context.Context, p store.Principal, action, target, detail string) {
	if err := s.Runner.Store.Audit(ctx, p, action, target, detail); err != nil {
		s.Logger.Error("audit", "action", action, "target", target, "error", err)
	}
}

// recoverPanics answers a request whose handler panicked with a 500 page and logs the stack: no
// request can stop the service.
func (s *Server) recoverPanics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.fail(w, http.StatusInternalServerError, "システム内部の誤りが発生しました。時間をおいて再度お試しください。")
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// failureDetail is what the audit log keeps of a failed sign-in: the address and the first
// characters of the token tried (never enough to use it).
func failureDetail(r *http.Request, token string) string {
	return fmt.Sprintf("from %s token %s…", r.RemoteAddr, tokenPrefix(token))
}

func (s *Server) fail(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	s.tmpl.ExecuteTemplate(w, "error.html", map[string]any{"Code": code, "Message": msg})
}

func (s *Server) render(w http.ResponseWriter, name string, data map[string]any) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.Logger.Error("render", "template", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Runner.Store.DB.PingContext(ctx); err != nil {
		http.Error(w, "database not ready", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ready\n")
}

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if _, _, err := s.Runner.Store.Session(r.Context(), c.Value); err == nil {
			http.Redirect(w, r, "/home", http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) secure(r *http.Request) bool {
	return s.SecureCookies || r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// loginPage shows the sign-in form; a login cookie and the same value in the form (double submit)
// protect it against cross-site posting.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	tok := fmt.Sprintf("%x", s.Now().UnixNano()) + randomString()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r), MaxAge: 600})
	s.render(w, "login.html", map[string]any{"CSRF": tok, "Error": r.URL.Query().Get("e")})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	c, err := r.Cookie(loginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		s.fail(w, http.StatusForbidden, "フォームの有効期限が切れたか、不正な送信です。ログイン画面を開き直してください。")
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	keys := throttleKeys(r, token)
	if blocked, wait := s.throttle.Blocked(keys); blocked {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		s.fail(w, http.StatusTooManyRequests, fmt.Sprintf("ログインの失敗が続いたため、一時的にログインを止めています。約%d分後に再度お試しください。", int(wait.Minutes())+1))
		return
	}
	p, err := s.Runner.Store.Authenticate(r.Context(), token)
	if err != nil {
		s.throttle.Fail(keys)
		s.audit(r.Context(), store.Principal{}, "login failed", "", failureDetail(r, token))
		http.Redirect(w, r, "/login?e=1", http.StatusSeeOther)
		return
	}
	cookie, _, err := s.Runner.Store.NewSession(r.Context(), token, s.SessionTTL)
	if err != nil {
		s.Logger.Error("new session", "error", err)
		s.fail(w, http.StatusInternalServerError, "ログインできませんでした。時間をおいて再度お試しください。")
		return
	}
	s.audit(r.Context(), p, "login", p.EntityCode, "")
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: cookie, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r), MaxAge: int(s.SessionTTL.Seconds())})
	http.Redirect(w, r, "/home", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, q request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.Runner.Store.EndSession(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, q request) {
	switch q.p.Role {
	case store.RoleMinistry:
		http.Redirect(w, r, "/ministry", http.StatusSeeOther)
	case store.RolePrefecture:
		http.Redirect(w, r, "/prefecture/"+q.p.EntityCode, http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/entity/"+q.p.EntityCode, http.StatusSeeOther)
	}
}

// entity finds an entity of the service's fiscal year.
func (s *Server) entity(ctx context.Context, code string) (*store.EntityInfo, error) {
	return s.Runner.FindEntity(ctx, s.FiscalYear, code)
}

func (s *Server) entityPage(w http.ResponseWriter, r *http.Request, q request) {
	code := r.PathValue("code")
	if !kofukin.Allowed(q.p, kofukin.ActView, code) {
		s.deny(w, r, q.p)
		return
	}
	ctx := r.Context()
	e, err := s.entity(ctx, code)
	if err != nil {
		s.missing(w, r, q.p, err)
		return
	}
	hist, _ := s.Runner.Store.SubmissionHistory(ctx, s.FiscalYear, code)
	uploads, _ := s.Runner.Store.Uploads(ctx, code, 20)
	reviews, _ := s.Runner.Store.Reviews(ctx, s.FiscalYear)
	data := map[string]any{"P": q.p, "CSRF": q.csrf, "E": e, "FY": s.FiscalYear, "History": hist, "Uploads": uploads}
	if v, ok := reviews[code]; ok {
		data["Review"] = v
	}
	if run, err := s.Runner.Store.LatestRun(ctx, store.KindScore, s.FiscalYear); err == nil {
		if prev, err := s.Runner.Store.Previews(ctx, run.ID, []string{code}); err == nil {
			if p, ok := prev[code]; ok {
				data["Preview"], data["ScoreRun"] = p, run.ID
			}
		}
	}
	data["Closed"] = s.closedReason(ctx, q.p, code)
	s.render(w, "entity.html", data)
}

func (s *Server) template(w http.ResponseWriter, r *http.Request, q request) {
	code := r.PathValue("code")
	if !kofukin.Allowed(q.p, kofukin.ActTemplate, code) {
		s.deny(w, r, q.p)
		return
	}
	e, err := s.entity(r.Context(), code)
	if err != nil {
		s.missing(w, r, q.p, err)
		return
	}
	rb, err := s.Runner.Rulebooks.Get(s.FiscalYear, indicators.Level(e.Level))
	if err != nil {
		s.fail(w, http.StatusNotFound, "この年度・区分の評価指標がありません。")
		return
	}
	var buf bytes.Buffer
	if err := exporters.WriteSurvey(&buf, rb, exporters.SurveyEntity{Code: e.Code, PrefectureName: e.PrefectureName, Name: e.NameJA}, nil); err != nil {
		s.fail(w, http.StatusInternalServerError, "様式を作成できませんでした。")
		return
	}
	sendFile(w, fmt.Sprintf("FY%d_調査票_%s.xlsx", s.FiscalYear, e.Code), buf.Bytes())
}

func sendFile(w http.ResponseWriter, name string, data []byte) {
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+urlEscape(name))
	w.Write(data)
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// closedReason says why an entity cannot submit now ("" when it can): the deadline passed, or its
// prefecture confirmed the submission (until it returns it). The ministry is never closed out.
func (s *Server) closedReason(ctx context.Context, p store.Principal, code string) string {
	if p.Role == store.RoleMinistry {
		return ""
	}
	if d, _ := s.Runner.Store.Setting(ctx, deadlineKey(s.FiscalYear)); d != "" {
		if t, err := time.ParseInLocation("2006-01-02", d, jst); err == nil && s.Now().After(t.Add(24*time.Hour)) {
			return "提出期限（" + d + "）を過ぎたため、提出できません。"
		}
	}
	if reviews, err := s.Runner.Store.Reviews(ctx, s.FiscalYear); err == nil && reviews[code].Status == "確認済" {
		return "都道府県の確認が済んでいるため、差戻しがあるまで提出できません。"
	}
	return ""
}

func deadlineKey(fy int) string { return fmt.Sprintf("deadline:%d", fy) }

// accept validates and stores one uploaded file for a principal, coming through via (web or api).
// The entity the file is for is read first and the policy asked whether p may submit for it: a
// file p may not submit is refused (403), nothing of it is stored, and the refusal is recorded
// under p's own entity (never in another body's history). It returns the HTTP status, the file's
// report and the upload's id.
func (s *Server) accept(ctx context.Context, p store.Principal, via, name string, data []byte) (int, *pipeline.FileReport, int64) {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || name == "" {
		name = "upload.xlsx"
	}
	code := loaders.PeekEntity(data)
	rec := store.Upload{TokenID: p.TokenID, EntityCode: p.EntityCode, FileName: name, SHA256: sha(data)}
	denied := func(detail string) (int, *pipeline.FileReport, int64) {
		rec.Status, rec.Report = pipeline.Denied, `{"error":"not allowed"}`
		id, err := s.Runner.Store.AddUpload(ctx, rec)
		if err != nil {
			s.Logger.Error("record upload", "error", err)
		}
		s.audit(ctx, p, "upload denied", code, name+": "+detail)
		return http.StatusForbidden, nil, id
	}
	switch {
	case code != "":
		if err := kofukin.Authorize(p, kofukin.ActSubmit, code); err != nil {
			return denied(err.Error())
		}
		rec.EntityCode = code
	case strings.EqualFold(filepath.Ext(name), ".csv") && loaders.CSVKind(data) != loaders.CSVSurvey:
		if err := kofukin.Authorize(p, kofukin.ActSubmitMinistryData, ""); err != nil {
			return denied(err.Error())
		}
	}
	if why := s.closedReason(ctx, p, rec.EntityCode); why != "" {
		fr := &pipeline.FileReport{Path: name, Status: pipeline.Denied, EntityCode: rec.EntityCode, Problems: []loaders.Problem{{Code: "E403", File: name, MessageJA: why, MessageEN: "submissions are closed"}}}
		js, _ := json.Marshal(fr)
		rec.Status, rec.Report = pipeline.Denied, string(js)
		id, err := s.Runner.Store.AddUpload(ctx, rec)
		if err != nil {
			s.Logger.Error("record upload", "error", err)
		}
		s.audit(ctx, p, "upload closed", rec.EntityCode, why)
		return http.StatusForbidden, fr, id
	}
	rep, err := s.Runner.IngestFiles(ctx, []pipeline.File{{Name: name, Data: data}}, pipeline.IngestOptions{FiscalYear: s.FiscalYear, By: p, Via: via})
	if err != nil || len(rep.Files) != 1 {
		s.Logger.Error("upload", "file", name, "error", err)
		return http.StatusInternalServerError, nil, 0
	}
	fr := rep.Files[0]
	if fr.Status == pipeline.Denied { // the file's entity, once read, is not one p may submit for
		return denied("entity " + fr.EntityCode)
	}
	if fr.EntityCode != "" && fr.EntityCode != store.MinistryCode {
		rec.EntityCode = fr.EntityCode
	}
	rec.Status = fr.Status
	if fr.Status == pipeline.Rejected && strings.EqualFold(filepath.Ext(name), ".xlsx") {
		ann, why, err := s.Runner.AnnotateData(data, fr.Problems)
		switch {
		case err != nil:
			s.Logger.Error("annotate", "file", name, "error", err)
		case ann == nil:
			fr.NotAnnotated = why
		default:
			dst := filepath.Join(s.Out, "uploads", fmt.Sprintf("%s_%s_エラー箇所.xlsx", rec.SHA256[:12], strings.TrimSuffix(name, filepath.Ext(name))))
			if err := pipeline.WriteFileAtomic(dst, ann); err == nil {
				rec.Annotated = dst
			} else {
				s.Logger.Error("write annotated copy", "error", err)
			}
		}
	}
	js, _ := json.Marshal(fr)
	rec.Report = string(js)
	id, err := s.Runner.Store.AddUpload(ctx, rec)
	if err != nil {
		s.Logger.Error("record upload", "error", err)
	}
	version := ""
	if fr.Version > 0 {
		version = fmt.Sprintf(" version %d", fr.Version)
	}
	s.audit(ctx, p, "upload "+fr.Status, rec.EntityCode, fmt.Sprintf("%s sha256 %s%s", name, rec.SHA256[:12], version))
	switch fr.Status {
	case pipeline.Rejected:
		return http.StatusUnprocessableEntity, &fr, id
	case store.Unchanged:
		return http.StatusOK, &fr, id
	}
	return http.StatusCreated, &fr, id
}

func (s *Server) uploadForm(w http.ResponseWriter, r *http.Request, q request) {
	code := r.PathValue("code")
	if !kofukin.Allowed(q.p, kofukin.ActSubmit, code) {
		s.deny(w, r, q.p)
		return
	}
	release, ok := s.uploadSlot(r.Context())
	if !ok {
		w.Header().Set("Retry-After", "30")
		s.fail(w, http.StatusServiceUnavailable, "提出が混み合っています。しばらく（30秒ほど）待ってから、もう一度提出してください。")
		return
	}
	defer release()
	file, hdr, err := r.FormFile("file")
	if err != nil {
		s.fail(w, http.StatusBadRequest, "ファイルを選択してください。")
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, s.MaxUpload+1))
	if err != nil || int64(len(data)) > s.MaxUpload {
		s.fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("ファイルが大きすぎます（上限 %d MB）。", s.MaxUpload>>20))
		return
	}
	status, fr, id := s.accept(r.Context(), q.p, "web", hdr.Filename, data)
	if status == http.StatusForbidden && fr == nil {
		s.deny(w, r, q.p) // a file for an entity the user may not submit for: nothing about it is shown
		return
	}
	if id == 0 {
		s.fail(w, http.StatusInternalServerError, "受付処理に失敗しました。時間をおいて再度お試しください。")
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/uploads/%d", id), http.StatusSeeOther)
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, q request) (*store.Upload, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.deny(w, r, q.p)
		return nil, false
	}
	u, err := s.Runner.Store.GetUpload(r.Context(), id)
	// An upload is recorded under the entity it was for, or (refused) under the uploader's own.
	if err != nil || !kofukin.Allowed(q.p, kofukin.ActView, u.EntityCode) {
		s.deny(w, r, q.p) // the same answer whether the upload exists or not
		return nil, false
	}
	return u, true
}

func (s *Server) uploadPage(w http.ResponseWriter, r *http.Request, q request) {
	u, ok := s.upload(w, r, q)
	if !ok {
		return
	}
	var fr pipeline.FileReport
	json.Unmarshal([]byte(u.Report), &fr)
	s.render(w, "upload.html", map[string]any{"P": q.p, "CSRF": q.csrf, "U": u, "R": fr})
}

func (s *Server) annotated(w http.ResponseWriter, r *http.Request, q request) {
	u, ok := s.upload(w, r, q)
	if !ok {
		return
	}
	if u.Annotated == "" {
		s.fail(w, http.StatusNotFound, "エラー箇所付きの写しはありません。")
		return
	}
	data, err := os.ReadFile(u.Annotated)
	if err != nil {
		s.fail(w, http.StatusNotFound, "エラー箇所付きの写しが見つかりません。")
		return
	}
	sendFile(w, filepath.Base(u.Annotated), data)
}

func (s *Server) prefecturePage(w http.ResponseWriter, r *http.Request, q request) {
	code := r.PathValue("code")
	if !kofukin.Allowed(q.p, kofukin.ActPrefecture, code) {
		s.deny(w, r, q.p)
		return
	}
	ctx := r.Context()
	pref, err := s.entity(ctx, code)
	if err != nil {
		s.missing(w, r, q.p, err)
		return
	}
	subs, _ := s.Runner.Store.CurrentSubmissions(ctx, s.FiscalYear)
	byEntity := map[string]store.Submission{}
	for _, x := range subs {
		if x.Kind == pipeline.KindSurvey {
			byEntity[x.EntityCode] = x
		}
	}
	reviews, _ := s.Runner.Store.Reviews(ctx, s.FiscalYear)
	var standings map[string]store.Standing
	if run, err := s.Runner.Store.LatestRun(ctx, store.KindScore, s.FiscalYear); err == nil {
		standings, _ = s.Runner.Store.Standings(ctx, run.ID, "municipality")
	}
	type row struct {
		E        store.EntityInfo
		Sub      *store.Submission
		Review   store.Review
		Standing *store.Standing
		Flags    []string
	}
	var munis, centres []row
	// The flags of the review workbook and the national and prefectural mean 得点率.
	flags := map[string][]string{}
	var natRate, prefRate float64
	var natN, prefN int
	if run, err := s.Runner.Store.LatestRun(ctx, store.KindScore, s.FiscalYear); err == nil {
		var prev int64
		if pr, err := s.Runner.Store.LatestRun(ctx, store.KindScore, s.FiscalYear-1); err == nil {
			prev = pr.ID
		}
		if items, err := s.Runner.Store.ReviewItems(ctx, run.ID, prev); err == nil {
			byCode := map[string][]store.ReviewItem{}
			for _, it := range items {
				if it.PrefectureCode == pref.PrefectureCode {
					byCode[it.Code] = append(byCode[it.Code], it)
				}
			}
			for code, list := range byCode {
				flags[code] = exporters.ReviewFlags(pipeline.ReviewItems(list), true)
			}
		}
	}
	submitted := 0
	for _, lv := range []string{"municipality", "centre"} {
		list, _ := s.Runner.Store.Entities(ctx, s.FiscalYear, lv)
		for _, e := range list {
			if e.PrefectureCode != pref.PrefectureCode {
				continue
			}
			rw := row{E: e, Review: reviews[e.Code]}
			if x, ok := byEntity[e.Code]; ok {
				x := x
				rw.Sub = &x
			}
			if st, ok := standings[e.Code]; ok {
				st := st
				rw.Standing = &st
				prefRate += st.Rate
				prefN++
			}
			if rw.Sub != nil {
				rw.Flags = flags[e.Code]
			}
			if lv == "municipality" {
				if rw.Sub != nil {
					submitted++
				}
				munis = append(munis, rw)
			} else {
				centres = append(centres, rw)
			}
		}
	}
	for _, st := range standings {
		natRate += st.Rate
		natN++
	}
	mean := func(sum float64, n int) float64 {
		if n == 0 {
			return 0
		}
		return sum / float64(n)
	}
	deadline, _ := s.Runner.Store.Setting(ctx, deadlineKey(s.FiscalYear))
	s.render(w, "prefecture.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Pref": pref, "FY": s.FiscalYear, "Munis": munis, "Centres": centres,
		"Submitted": submitted, "Deadline": deadline, "Statuses": exporters.ReviewStatuses,
		"NatRate": mean(natRate, natN), "PrefRate": mean(prefRate, prefN), "Scored": natN > 0})
}

func (s *Server) review(w http.ResponseWriter, r *http.Request, q request) {
	code, entity := r.PathValue("code"), strings.TrimSpace(r.PostFormValue("entity"))
	err := s.Runner.Review(r.Context(), q.p, s.FiscalYear, code, entity, r.PostFormValue("status"), r.PostFormValue("comment"), "web:"+q.p.TokenID)
	var denied *kofukin.Denied
	var bad *pipeline.ReviewError
	switch {
	case err == nil:
		http.Redirect(w, r, "/prefecture/"+code, http.StatusSeeOther)
	case errors.As(err, &denied), errors.Is(err, pipeline.ErrNotFound):
		s.fail(w, http.StatusForbidden, "この操作の権限がありません。") // the same answer for another's code and a code that does not exist
	case errors.As(err, &bad):
		s.fail(w, http.StatusBadRequest, bad.MessageJA)
	default:
		s.Logger.Error("review", "entity", entity, "error", err)
		s.fail(w, http.StatusInternalServerError, "保存できませんでした。")
	}
}

// latestExportDir is the folder of the year's newest export run.
func (s *Server) latestExportDir(ctx context.Context) (string, *pipeline.ExportManifest) {
	run, err := s.Runner.Store.LatestRun(ctx, store.KindExport, s.FiscalYear)
	if err != nil {
		return "", nil
	}
	var params struct {
		Dir string `json:"dir"`
	}
	json.Unmarshal([]byte(run.Parameters), &params)
	var man pipeline.ExportManifest
	json.Unmarshal([]byte(run.Manifest), &man)
	return params.Dir, &man
}

func (s *Server) reviewWorkbook(w http.ResponseWriter, r *http.Request, q request) {
	code := r.PathValue("code")
	if !kofukin.Allowed(q.p, kofukin.ActPrefecture, code) {
		s.deny(w, r, q.p)
		return
	}
	dir, man := s.latestExportDir(r.Context())
	if man == nil {
		s.fail(w, http.StatusNotFound, "審査用ブックはまだ作成されていません（国の算定実行後に作成されます）。")
		return
	}
	for rel := range man.Files {
		if strings.HasPrefix(rel, "review/") && strings.Contains(rel, "_"+code+"_") {
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
			if err == nil {
				sendFile(w, filepath.Base(rel), data)
				return
			}
		}
	}
	s.fail(w, http.StatusNotFound, "審査用ブックが見つかりません。")
}

func (s *Server) ministryPage(w http.ResponseWriter, r *http.Request, q request) {
	if !kofukin.Allowed(q.p, kofukin.ActConsole, "") {
		s.deny(w, r, q.p)
		return
	}
	ctx := r.Context()
	runs, _ := s.Runner.Store.Runs(ctx)
	if len(runs) > 30 {
		runs = runs[:30]
	}
	subs, _ := s.Runner.Store.CurrentSubmissions(ctx, s.FiscalYear)
	counts := map[string]int{}
	for _, x := range subs {
		counts[x.Level]++
	}
	deadline, _ := s.Runner.Store.Setting(ctx, deadlineKey(s.FiscalYear))
	_, man := s.latestExportDir(ctx)
	var files []string
	if man != nil {
		for f := range man.Files {
			files = append(files, f)
		}
		sort.Strings(files)
	}
	audit, _ := s.Runner.Store.AuditLog(ctx, 30)
	s.render(w, "ministry.html", map[string]any{"P": q.p, "CSRF": q.csrf, "FY": s.FiscalYear, "Runs": runs, "Counts": counts, "Deadline": deadline,
		"Files": files, "Audit": audit, "Message": r.URL.Query().Get("m")})
}

func (s *Server) runPipeline(w http.ResponseWriter, r *http.Request, q request) {
	if !kofukin.Allowed(q.p, kofukin.ActRun, "") {
		s.deny(w, r, q.p)
		return
	}
	ctx := r.Context()
	dry := r.PostFormValue("mode") == "dry"
	var msg string
	if dry {
		sc, done, err := s.Runner.Store.Scratch(ctx)
		if err != nil {
			s.fail(w, http.StatusInternalServerError, "試算用の写しを作成できませんでした。")
			return
		}
		defer done()
		tmp := &pipeline.Runner{Store: sc, Rulebooks: s.Runner.Rulebooks, Logger: s.Runner.Logger, Workers: s.Runner.Workers}
		sr, err := tmp.Score(ctx, s.FiscalYear)
		if err == nil {
			var ar *pipeline.AllocateResult
			if ar, err = tmp.Allocate(ctx, s.FiscalYear); err == nil {
				m := sr.Municipal()
				msg = fmt.Sprintf("試算（保存なし）: 市町村 %d（提出 %d）、平均 %.2f 点、配分枠 %d", m.Entities, m.Submitted, m.MeanTotal, len(ar.Results))
			}
		}
		if err != nil {
			msg = "試算に失敗しました: " + err.Error()
		}
	} else {
		sr, err := s.Runner.Score(ctx, s.FiscalYear)
		if err == nil {
			var ar *pipeline.AllocateResult
			if ar, err = s.Runner.Allocate(ctx, s.FiscalYear); err == nil {
				var er *pipeline.ExportResult
				if er, err = s.Runner.Export(ctx, s.FiscalYear, filepath.Join(s.Out, fmt.Sprintf("FY%d", s.FiscalYear))); err == nil {
					msg = fmt.Sprintf("実行しました: 採点 %d、算定 %d、出力 %d（%d ファイル）", sr.RunID, ar.RunID, er.RunID, len(er.Files))
				}
			}
		}
		if err != nil {
			msg = "実行に失敗しました: " + err.Error()
		}
	}
	s.audit(ctx, q.p, "run pipeline", fmt.Sprint(s.FiscalYear), msg)
	http.Redirect(w, r, "/ministry?m="+urlEscape(msg), http.StatusSeeOther)
}

func (s *Server) deadline(w http.ResponseWriter, r *http.Request, q request) {
	if !kofukin.Allowed(q.p, kofukin.ActDeadline, "") {
		s.deny(w, r, q.p)
		return
	}
	d := strings.TrimSpace(r.PostFormValue("deadline"))
	if d != "" {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			s.fail(w, http.StatusBadRequest, "提出期限は 2026-06-30 の形で入力してください。")
			return
		}
	}
	if err := s.Runner.Store.SetSetting(r.Context(), deadlineKey(s.FiscalYear), d); err != nil {
		s.fail(w, http.StatusInternalServerError, "保存できませんでした。")
		return
	}
	s.audit(r.Context(), q.p, "set deadline", fmt.Sprint(s.FiscalYear), d)
	http.Redirect(w, r, "/ministry?m="+urlEscape("提出期限を設定しました: "+d), http.StatusSeeOther)
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request, q request) {
	if !kofukin.Allowed(q.p, kofukin.ActConsole, "") {
		s.deny(w, r, q.p)
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	run, err := s.Runner.Store.GetRun(r.Context(), id)
	if err != nil {
		s.fail(w, http.StatusNotFound, "実行記録が見つかりません。")
		return
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(run.Manifest), "", "  ") != nil {
		pretty.WriteString(run.Manifest)
	}
	s.render(w, "run.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Run": run, "Manifest": pretty.String()})
}

func (s *Server) file(w http.ResponseWriter, r *http.Request, q request) {
	if !kofukin.Allowed(q.p, kofukin.ActConsole, "") {
		s.deny(w, r, q.p)
		return
	}
	dir, man := s.latestExportDir(r.Context())
	rel := r.PathValue("path")
	if man == nil {
		s.fail(w, http.StatusNotFound, "出力ファイルはまだありません。")
		return
	}
	if _, ok := man.Files[rel]; !ok { // only files the export recorded: no path traversal
		s.fail(w, http.StatusNotFound, "ファイルが見つかりません。")
		return
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		s.fail(w, http.StatusNotFound, "ファイルが見つかりません。")
		return
	}
	if strings.HasSuffix(rel, ".xlsx") {
		sendFile(w, filepath.Base(rel), data)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+urlEscape(filepath.Base(rel)))
	w.Write(data)
}

// apiUpload: POST /api/v1/submissions, multipart field "file".
func (s *Server) apiUpload(w http.ResponseWriter, r *http.Request, p store.Principal) {
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxUpload+1<<20)
	release, ok := s.uploadSlot(r.Context())
	if !ok {
		w.Header().Set("Retry-After", "30")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "too many uploads at once; retry later", "error_ja": "提出が混み合っています。しばらく待ってから再送してください"})
		return
	}
	defer release()
	if err := r.ParseMultipartForm(multipartMemory); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "file too large", "error_ja": "ファイルが大きすぎます"})
			return
		}
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "file too large", "error_ja": "ファイルが大きすぎます"})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "multipart field \"file\" is required", "error_ja": "file フィールドにファイルを指定してください"})
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, s.MaxUpload+1))
	if err != nil || int64(len(data)) > s.MaxUpload {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "file too large", "error_ja": "ファイルが大きすぎます"})
		return
	}
	status, fr, id := s.accept(r.Context(), p, "api", hdr.Filename, data)
	switch {
	case status == http.StatusForbidden && fr == nil:
		writeJSON(w, status, map[string]string{"error": "forbidden", "error_ja": "この団体の提出の権限がありません"})
	case fr == nil:
		writeJSON(w, status, map[string]string{"error": "internal error"})
	default:
		writeJSON(w, status, map[string]any{"upload_id": id, "report": fr})
	}
}

// apiList: GET /api/v1/submissions?fy=2026 — the current submissions the caller may see.
func (s *Server) apiList(w http.ResponseWriter, r *http.Request, p store.Principal) {
	fy := s.FiscalYear
	if v := r.URL.Query().Get("fy"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "fy must be a year"})
			return
		}
		fy = n
	}
	subs, err := s.Runner.Store.CurrentSubmissions(r.Context(), fy)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		return
	}
	type item struct {
		ID         int64     `json:"id"`
		EntityCode string    `json:"entity_code"`
		Level      string    `json:"level"`
		Kind       string    `json:"kind"`
		FileName   string    `json:"file_name"`
		SHA256     string    `json:"sha256"`
		Version    int       `json:"version"`
		ReceivedAt time.Time `json:"received_at"`
	}
	out := []item{}
	for _, x := range subs {
		if x.EntityCode == store.MinistryCode && !kofukin.Allowed(p, kofukin.ActConsole, "") {
			continue
		}
		if x.EntityCode != store.MinistryCode && !kofukin.Allowed(p, kofukin.ActView, x.EntityCode) {
			continue
		}
		out = append(out, item{x.ID, x.EntityCode, x.Level, x.Kind, x.FileName, x.SHA256, x.Version, x.ReceivedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"fiscal_year": fy, "submissions": out})
}

// issueToken lets an analyst issue a token from the console (the process owns the database, so
// the command line cannot while the service runs). The token is shown once; the page is never
// cached.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, q request) {
	role, entity, label := kofukin.Role(r.PostFormValue("role")), strings.TrimSpace(r.PostFormValue("entity")), r.PostFormValue("label")
	spec := store.TokenSpec{Role: role, Entity: entity, Label: label}
	if d := strings.TrimSpace(r.PostFormValue("expires")); d != "" {
		t, err := time.ParseInLocation("2006-01-02", d, jst)
		if err != nil {
			s.fail(w, http.StatusBadRequest, "有効期限は 2027-03-31 の形で入力してください。")
			return
		}
		spec.Expires = t.Add(24*time.Hour - time.Second) // to the end of that day
	}
	tok, t, err := s.Runner.IssueToken(r.Context(), q.p, s.FiscalYear, spec)
	var denied *kofukin.Denied
	if errors.As(err, &denied) {
		s.deny(w, r, q.p)
		return
	}
	if err != nil {
		s.fail(w, http.StatusBadRequest, "トークンを発行できません: "+err.Error())
		return
	}
	s.render(w, "token.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Token": tok, "T": t.Principal(), "Expires": t.ExpiresAt})
}
