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
	"sort"
	"strconv"
	"strings"
	"time"

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

	tmpl *template.Template
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
	s.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"yen":    func(n int64) string { return commas(n) },
		"pct":    func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
		"pts":    func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
		"date":   func(t time.Time) string { return t.In(jst).Format("2006-01-02 15:04") },
		"status": func(s string) string { return statusJA[s] },
		"level":  func(l string) string { return indicators.Level(l).LabelJA() },
		"role": func(r string) string {
			return map[string]string{"municipality": "市町村", "centre": "地域包括支援センター", "prefecture": "都道府県", "ministry": "国（厚生労働省）"}[r]
		},
	}).ParseFS(templateFS, "templates/*.html"))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /{$}", s.root)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.page(s.logout))
	mux.HandleFunc("GET /home", s.page(s.home))
	mux.HandleFunc("GET /entity/{code}", s.page(s.entityPage))
	mux.HandleFunc("GET /entity/{code}/template", s.page(s.template))
	mux.HandleFunc("POST /entity/{code}/upload", s.page(s.uploadForm))
	mux.HandleFunc("GET /uploads/{id}", s.page(s.uploadPage))
	mux.HandleFunc("GET /uploads/{id}/annotated", s.page(s.annotated))
	mux.HandleFunc("GET /prefecture/{code}", s.page(s.prefecturePage))
	mux.HandleFunc("POST /prefecture/{code}/review", s.page(s.review))
	mux.HandleFunc("GET /prefecture/{code}/review.xlsx", s.page(s.reviewWorkbook))
	mux.HandleFunc("GET /ministry", s.page(s.ministryPage))
	mux.HandleFunc("POST /ministry/run", s.page(s.runPipeline))
	mux.HandleFunc("POST /ministry/deadline", s.page(s.deadline))
	mux.HandleFunc("POST /ministry/tokens", s.page(s.issueToken))
	mux.HandleFunc("GET /ministry/runs/{id}", s.page(s.runPage))
	mux.HandleFunc("GET /ministry/files/{path...}", s.page(s.file))
	mux.HandleFunc("POST /api/v1/submissions", s.api(s.apiUpload))
	mux.HandleFunc("GET /api/v1/submissions", s.api(s.apiList))
	return s.logRequests(securityHeaders(mux))
}

var jst = time.FixedZone("JST", 9*3600)

var statusJA = map[string]string{"accepted": "受付", "unchanged": "変更なし（同一ファイル）", "rejected": "却下", "denied": "拒否",
	"current": "最新", "superseded": "旧版"}

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// request is what a page handler gets: who is asking and the session's CSRF token.
type request struct {
	p    store.Principal
	csrf string
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
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, s.MaxUpload+1<<20)
			got := r.Header.Get("X-CSRF-Token")
			if got == "" {
				got = formValue(r, "csrf")
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(csrf)) != 1 {
				s.Runner.Store.Audit(r.Context(), p, "denied", r.URL.Path, "CSRF token missing or wrong")
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
			r.ParseMultipartForm(32 << 20)
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
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Authorization: Bearer TOKEN is required", "error_ja": "トークンが必要です"})
			return
		}
		p, err := s.Runner.Store.Authenticate(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid or revoked token", "error_ja": "トークンが無効です"})
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

// canSee reports whether a principal may see or act for an entity: the ministry everything, a
// prefecture its own code and its municipalities and centres, others their own code only.
func canSee(p store.Principal, code string) bool {
	switch p.Role {
	case store.RoleMinistry:
		return true
	case store.RolePrefecture:
		return len(code) >= 2 && len(p.EntityCode) >= 2 && code[:2] == p.EntityCode[:2]
	case store.RoleMunicipality, store.RoleCentre:
		return code == p.EntityCode
	}
	return false
}

// deny answers 403 with nothing about the thing asked for, and records the denial.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, p store.Principal) {
	s.Runner.Store.Audit(r.Context(), p, "denied", r.URL.Path, r.Method)
	s.fail(w, http.StatusForbidden, "この操作の権限がありません。")
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
	cookie, _, err := s.Runner.Store.NewSession(r.Context(), token, s.SessionTTL)
	if err != nil {
		http.Redirect(w, r, "/login?e=1", http.StatusSeeOther)
		return
	}
	p, _ := s.Runner.Store.Authenticate(r.Context(), token)
	s.Runner.Store.Audit(r.Context(), p, "login", p.EntityCode, "")
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
	lv := string(loaders.LevelOfCode(code))
	list, err := s.Runner.Store.Entities(ctx, s.FiscalYear, lv)
	if err != nil {
		return nil, err
	}
	i := sort.Search(len(list), func(i int) bool { return list[i].Code >= code })
	if i < len(list) && list[i].Code == code {
		return &list[i], nil
	}
	return nil, fmt.Errorf("no entity %s", code)
}

func (s *Server) entityPage(w http.ResponseWriter, r *http.Request, q request) {
	code := r.PathValue("code")
	if !canSee(q.p, code) {
		s.deny(w, r, q.p)
		return
	}
	ctx := r.Context()
	e, err := s.entity(ctx, code)
	if err != nil {
		s.fail(w, http.StatusNotFound, "団体が見つかりません。")
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
	if !canSee(q.p, code) {
		s.deny(w, r, q.p)
		return
	}
	e, err := s.entity(r.Context(), code)
	if err != nil {
		s.fail(w, http.StatusNotFound, "団体が見つかりません。")
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

// accept validates and stores one uploaded file for a principal. The entity the file is for is
// read first: a file for an entity the principal may not submit for is refused (403) and nothing
// of it is stored. It returns the HTTP status, the file's report and the upload's id.
func (s *Server) accept(ctx context.Context, p store.Principal, name string, data []byte) (int, *pipeline.FileReport, int64) {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || name == "" {
		name = "upload.xlsx"
	}
	code := loaders.PeekEntity(data)
	owner := code
	if owner == "" {
		owner = p.EntityCode
	}
	rec := store.Upload{TokenID: p.TokenID, EntityCode: owner, FileName: name, SHA256: sha(data)}
	if code != "" && !canSee(p, code) || (code == "" && p.Role != store.RoleMinistry && strings.EqualFold(filepath.Ext(name), ".csv") && loaders.CSVKind(data) != loaders.CSVSurvey) {
		rec.Status, rec.Report = "denied", `{"error":"not allowed"}`
		id, _ := s.Runner.Store.AddUpload(ctx, rec)
		s.Runner.Store.Audit(ctx, p, "upload denied", owner, name)
		return http.StatusForbidden, nil, id
	}
	if why := s.closedReason(ctx, p, owner); why != "" {
		fr := &pipeline.FileReport{Path: name, Status: "denied", EntityCode: owner, Problems: []loaders.Problem{{Code: "E403", File: name, MessageJA: why, MessageEN: "submissions are closed"}}}
		js, _ := json.Marshal(fr)
		rec.Status, rec.Report = "denied", string(js)
		id, _ := s.Runner.Store.AddUpload(ctx, rec)
		s.Runner.Store.Audit(ctx, p, "upload closed", owner, why)
		return http.StatusForbidden, fr, id
	}
	dir, err := os.MkdirTemp("", "kofukin-upload-")
	if err != nil {
		return http.StatusInternalServerError, nil, 0
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return http.StatusInternalServerError, nil, 0
	}
	rep, err := s.Runner.Ingest(ctx, []string{path}, pipeline.IngestOptions{FiscalYear: s.FiscalYear})
	if err != nil || len(rep.Files) != 1 {
		s.Logger.Error("upload", "file", name, "error", err)
		return http.StatusInternalServerError, nil, 0
	}
	fr := rep.Files[0]
	fr.Path = name
	for i := range fr.Problems {
		fr.Problems[i].File = name
	}
	for i := range fr.Warnings {
		fr.Warnings[i].File = name
	}
	if fr.EntityCode != "" {
		rec.EntityCode = fr.EntityCode
	}
	rec.Status = fr.Status
	js, _ := json.Marshal(fr)
	rec.Report = string(js)
	id, _ := s.Runner.Store.AddUpload(ctx, rec)
	if fr.Status == pipeline.Rejected && strings.EqualFold(filepath.Ext(name), ".xlsx") {
		var ann bytes.Buffer
		if exporters.Annotate(&ann, data, fr.Problems) == nil {
			dst := filepath.Join(s.Out, "uploads", fmt.Sprintf("%d_%s_エラー箇所.xlsx", id, strings.TrimSuffix(name, filepath.Ext(name))))
			if pipeline.WriteFileAtomic(dst, ann.Bytes()) == nil {
				s.Runner.Store.DB.ExecContext(ctx, `UPDATE uploads SET annotated = ? WHERE id = ?`, dst, id)
			}
		}
	}
	s.Runner.Store.Audit(ctx, p, "upload "+fr.Status, rec.EntityCode, fmt.Sprintf("%s sha256 %s version %d", name, rec.SHA256[:12], fr.Version))
	if fr.Status == pipeline.Rejected {
		return http.StatusUnprocessableEntity, &fr, id
	}
	if fr.Status == store.Unchanged {
		return http.StatusOK, &fr, id
	}
	return http.StatusCreated, &fr, id
}

func (s *Server) uploadForm(w http.ResponseWriter, r *http.Request, q request) {
	code := r.PathValue("code")
	if !canSee(q.p, code) {
		s.deny(w, r, q.p)
		return
	}
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
	status, fr, id := s.accept(r.Context(), q.p, hdr.Filename, data)
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
	if err != nil || !(canSee(q.p, u.EntityCode) || u.TokenID == q.p.TokenID) {
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
	if !canSee(q.p, code) || loaders.LevelOfCode(code) != indicators.Prefecture {
		s.deny(w, r, q.p)
		return
	}
	ctx := r.Context()
	pref, err := s.entity(ctx, code)
	if err != nil {
		s.fail(w, http.StatusNotFound, "都道府県が見つかりません。")
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
				flags[code] = exporters.ReviewFlags(list, true)
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
	code := r.PathValue("code")
	entity := r.PostFormValue("entity")
	if !canSee(q.p, code) || !canSee(q.p, entity) || (q.p.Role != store.RolePrefecture && q.p.Role != store.RoleMinistry) ||
		loaders.LevelOfCode(code) != indicators.Prefecture || entity[:2] != code[:2] {
		s.deny(w, r, q.p)
		return
	}
	status, comment := r.PostFormValue("status"), strings.TrimSpace(r.PostFormValue("comment"))
	valid := false
	for _, v := range exporters.ReviewStatuses {
		valid = valid || v == status
	}
	if !valid {
		s.fail(w, http.StatusBadRequest, "審査状況は「未確認」「確認済」「差戻し」から選んでください。")
		return
	}
	if status == "差戻し" && comment == "" {
		s.fail(w, http.StatusBadRequest, "差戻しの場合は、市町村に伝える理由をコメントに記入してください。")
		return
	}
	if err := s.Runner.Store.SaveReviews(r.Context(), []store.Review{{FiscalYear: s.FiscalYear, EntityCode: entity, Status: status, Comment: comment, File: "web:" + q.p.TokenID, SHA256: ""}}); err != nil {
		s.fail(w, http.StatusInternalServerError, "保存できませんでした。")
		return
	}
	s.Runner.Store.Audit(r.Context(), q.p, "review "+status, entity, comment)
	http.Redirect(w, r, "/prefecture/"+code, http.StatusSeeOther)
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
	if !canSee(q.p, code) || loaders.LevelOfCode(code) != indicators.Prefecture {
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
	if q.p.Role != store.RoleMinistry {
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
	if q.p.Role != store.RoleMinistry {
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
	s.Runner.Store.Audit(ctx, q.p, "run pipeline", fmt.Sprint(s.FiscalYear), msg)
	http.Redirect(w, r, "/ministry?m="+urlEscape(msg), http.StatusSeeOther)
}

func (s *Server) deadline(w http.ResponseWriter, r *http.Request, q request) {
	if q.p.Role != store.RoleMinistry {
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
	s.Runner.Store.Audit(r.Context(), q.p, "set deadline", fmt.Sprint(s.FiscalYear), d)
	http.Redirect(w, r, "/ministry?m="+urlEscape("提出期限を設定しました: "+d), http.StatusSeeOther)
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request, q request) {
	if q.p.Role != store.RoleMinistry {
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
	if q.p.Role != store.RoleMinistry {
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
	status, fr, id := s.accept(r.Context(), p, hdr.Filename, data)
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
		if x.EntityCode == store.MinistryCode && p.Role != store.RoleMinistry {
			continue
		}
		if x.EntityCode != store.MinistryCode && !canSee(p, x.EntityCode) {
			continue
		}
		out = append(out, item{x.ID, x.EntityCode, x.Level, x.Kind, x.FileName, x.SHA256, x.Version, x.ReceivedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"fiscal_year": fy, "submissions": out})
}

// issueToken lets an analyst issue a token from the console (the process owns the database, so
// the command line cannot while the service runs). The token is shown once.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, q request) {
	if q.p.Role != store.RoleMinistry {
		s.deny(w, r, q.p)
		return
	}
	role, entity, label := r.PostFormValue("role"), strings.TrimSpace(r.PostFormValue("entity")), r.PostFormValue("label")
	if role != store.RoleMinistry {
		if _, err := s.entity(r.Context(), entity); err != nil {
			s.fail(w, http.StatusBadRequest, "団体コード「"+entity+"」が見つかりません。")
			return
		}
	}
	tok, p, err := s.Runner.Store.IssueToken(r.Context(), role, entity, label)
	if err != nil {
		s.fail(w, http.StatusBadRequest, "トークンを発行できません: "+err.Error())
		return
	}
	s.Runner.Store.Audit(r.Context(), q.p, "token issued", p.Role+" "+p.EntityCode, p.TokenID+" "+label)
	s.render(w, "token.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Token": tok, "T": p})
}
