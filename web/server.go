// Package web is kofukin's service: sign-in with a token, uploads and reports for municipal and
// care-centre staff, submission status and review for prefectural officials, a console for
// ministry analysts, and a small JSON API — all from the process that owns the database.
//
// It is a thin adapter: every request becomes one call of the application (pipeline.Runner),
// which decides with the written policy whether its principal may; web holds no SQL and no policy.
// Its files are named for the nouns they serve: auth.go (sign-in, sessions, tokens on requests),
// entity.go (an entity's page and template), upload.go, prefecture.go, ministry.go, api.go, and
// errors.go (the one mapping of failures to HTTP statuses). The pages are embedded templates.
package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/pipeline"
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
	s.tmpl = template.Must(template.New("").Funcs(templateFuncs).Funcs(consoleFuncs).Funcs(equityFuncs).ParseFS(templateFS, "templates/*.html"))
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.HandleFunc(rt.pattern, doing(rt.what, rt.handler))
	}
	return s.logRequests(s.recoverPanics(securityHeaders(mux)))
}

// route is one pattern of the service, how it is guarded — "session" (a signed-in user; a POST
// must carry the session's CSRF token), "bearer" (the JSON API's token) or "public" — and what it
// does, in the words a refusal names (「この操作（…）の権限がありません」).
type route struct {
	pattern string
	guard   string
	what    string
	handler http.HandlerFunc
}

// routes is every route of the service (tests walk it: every POST with a session needs CSRF).
func (s *Server) routes() []route {
	public := func(p, what string, h http.HandlerFunc) route { return route{p, "public", what, h} }
	session := func(p, what string, h func(http.ResponseWriter, *http.Request, request)) route {
		return route{p, "session", what, s.page(h)}
	}
	bearer := func(p, what string, h func(http.ResponseWriter, *http.Request, kofukin.Principal)) route {
		return route{p, "bearer", what, s.api(h)}
	}
	return []route{
		public("GET /healthz", "稼働確認", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") }),
		public("GET /readyz", "稼働確認", s.readyz),
		public("GET /{$}", "ホーム", s.root),
		public("GET /login", "ログイン", s.loginPage),
		public("POST /login", "ログイン", s.login), // double-submit cookie against cross-site posting
		session("POST /logout", "ログアウト", s.logout),
		session("GET /home", "ホーム", s.home),
		session("GET /entity/{code}", "団体の画面の閲覧", s.entityPage),
		session("GET /entity/{code}/template", "調査票（様式）のダウンロード", s.template),
		session("POST /entity/{code}/upload", "調査票の提出", s.uploadForm),
		session("GET /uploads/{id}", "提出結果の閲覧", s.uploadPage),
		session("GET /uploads/{id}/annotated", "エラー箇所付きの写しのダウンロード", s.annotated),
		// the municipality's working day (helper C): item-by-item points, the files it sent
		session("GET /entity/{code}/items", "回答・得点の閲覧", s.entityItems),
		session("GET /entity/{code}/diagnosis", "地域診断の閲覧", s.diagnosisPage),
		session("GET /entity/{code}/sent/{version}", "提出ファイルのダウンロード", s.sentFile),
		session("GET /entity/{code}/feedback.xlsx", "フィードバック票のダウンロード", s.feedbackWorkbook),
		session("GET /prefecture/{code}", "提出状況の閲覧", s.prefecturePage),
		session("POST /prefecture/{code}/review", "審査結果の登録", s.review),
		session("GET /prefecture/{code}/review.xlsx", "審査用ブックのダウンロード", s.reviewWorkbook),
		session("POST /prefecture/{code}/review/bulk", "審査結果の一括登録", s.reviewBulk),
		session("POST /prefecture/{code}/review/import", "審査用ブックの返送", s.reviewImport),
		session("GET /prefecture/{code}/status.xlsx", "提出状況（Excel）のダウンロード", s.statusWorkbook),
		session("GET /ministry", "国の画面の閲覧", s.ministryPage),
		session("GET /ministry/run/confirm", "採点・算定・出力の実行", s.runConfirm),
		session("POST /ministry/run", "採点・算定・出力の実行", s.runCycle),
		session("GET /ministry/jobs/{id}", "実行状況の閲覧", s.jobPage),
		session("GET /ministry/compare", "算定結果の比較", s.compare),
		session("GET /ministry/impact", "効果検証", s.impactPage),
		session("GET /ministry/status", "全国の提出状況の閲覧", s.nationalStatus),
		session("GET /ministry/equity", "公平性（全国）の閲覧", s.equityNational),
		session("GET /prefecture/{code}/equity", "公平性の閲覧", s.equityPrefecture),
		session("GET /ministry/tokens", "トークンの一覧", s.tokens),
		session("POST /ministry/tokens/{id}/revoke", "トークンの失効", s.revokeToken),
		session("POST /ministry/tokens/bulk", "トークンの一括発行", s.bulkTokens),
		session("POST /ministry/deadline", "提出期限の設定", s.deadline),
		session("POST /ministry/tokens", "トークンの発行", s.issueToken),
		session("GET /ministry/runs/{id}", "実行記録の閲覧", s.runPage),
		session("GET /ministry/files/{path...}", "出力ファイルのダウンロード", s.file),
		bearer("POST /api/v1/submissions", "調査票の提出", s.apiUpload),
		bearer("GET /api/v1/submissions", "提出一覧の取得", s.apiList),
		bearer("GET /api/v1/equity", "公平性の取得", s.apiEquity),
	}
}

var jst = time.FixedZone("JST", 9*3600)

var viaJA = map[string]string{"web": "画面", "api": "API", "inbox": "受信フォルダ", "cli": "コマンド"}

// statusJA names the statuses of versions; those of uploads are kofukin.StatusLabelJA.
var statusJA = map[string]string{"current": "最新", "superseded": "旧版"}

var templateFuncs = template.FuncMap{
	"yen":    exporters.Commas[int64],
	"pct":    func(f float64) string { return indicators.FormatPercent(f, 1) },
	"pts":    func(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }, // points are hundredths
	"signed": signedPoints,
	"date":   func(t time.Time) string { return t.In(jst).Format("2006-01-02 15:04") },
	"status": statusLabel,
	"level":  func(l string) string { return indicators.Level(l).LabelJA() },
	"split":  splitProblems,
	"day":    dayJA,
	"role":   func(r kofukin.Role) string { return r.LabelJA() },
	"submitter": func(x pipeline.Submission) string {
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
}

// statusLabel names an upload's status (kofukin.StatusLabelJA) or a version's.
func statusLabel(s string) string {
	if l := kofukin.StatusLabelJA(s); l != "" {
		return l
	}
	return statusJA[s]
}

// problemTables are a report's problems as its page lists them: the errors to fix, then the
// warnings that do not stop the file.
type problemTables struct {
	Errors, Warnings []kofukin.Problem
}

// splitProblems puts the problems of lists (a report's problems and its warnings) in two tables.
func splitProblems(lists ...[]kofukin.Problem) problemTables {
	var t problemTables
	for _, l := range lists {
		e, w := kofukin.SplitProblems(l)
		t.Errors, t.Warnings = append(t.Errors, e...), append(t.Warnings, w...)
	}
	return t
}

// dayJA renders a day kept as YYYY-MM-DD as officials write it (2026年7月31日); anything else as it is.
func dayJA(d string) string {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		return d
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
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
				s.fail(w, r, errInternal)
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// render answers a page; a template that fails is logged and answered 500.
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

// sendFile answers a download.
// download answers a GET of a file: one call of the application with the request's principal,
// the service's fiscal year and the path value key (a code or an export's path), and the file it
// returns or the failure.
func (s *Server) download(w http.ResponseWriter, r *http.Request, q request, key string,
	get func(context.Context, kofukin.Principal, int, string) (string, []byte, error)) {
	name, data, err := get(r.Context(), q.p, s.FiscalYear, r.PathValue(key))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sendFile(w, name, data)
}

func sendFile(w http.ResponseWriter, name string, data []byte) {
	ct := "application/octet-stream"
	if strings.HasSuffix(name, ".xlsx") {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ct)
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

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Runner.Ready(ctx); err != nil {
		s.Logger.Warn("not ready", "error", err)
		http.Error(w, "database not ready", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ready\n")
}
