package web

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/pipeline"
)

// Sign-in with a token, sessions with their CSRF token, and bearer tokens of the JSON API.

const (
	sessionCookie = "kofukin_session"
	loginCookie   = "kofukin_login"
)

// request is what a page handler gets: who is asking and the session's CSRF token.
type request struct {
	p    kofukin.Principal
	csrf string
}

var (
	errCSRF      = &Error{Status: http.StatusForbidden, MessageJA: "フォームの有効期限が切れたか、不正な送信です。ページを開き直してください。", MessageEN: "CSRF token missing or wrong"}
	errLoginCSRF = &Error{Status: http.StatusForbidden, MessageJA: "フォームの有効期限が切れたか、不正な送信です。ログイン画面を開き直してください。", MessageEN: "login form expired or forged"}
	errNoSession = &Error{Status: http.StatusInternalServerError, MessageJA: "ログインできませんでした。時間をおいて再度お試しください。", MessageEN: "cannot start a session"}
)

// page wraps a handler that needs a signed-in user; POSTs must carry the session's CSRF token.
func (s *Server) page(h func(http.ResponseWriter, *http.Request, request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		p, csrf, err := s.Runner.Session(r.Context(), c.Value)
		if errors.Is(err, kofukin.ErrNoCredentials) {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if err != nil {
			s.fail(w, r, err)
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
				s.Runner.Audit(r.Context(), p, "denied", r.URL.Path, "CSRF token missing or wrong")
				s.fail(w, r, errCSRF)
				return
			}
		}
		h(w, r, request{p: p, csrf: csrf})
	}
}

// formValue reads a form field from a urlencoded or multipart body ("" when the body cannot be
// read: the caller refuses it).
func formValue(r *http.Request, key string) string {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if r.MultipartForm == nil {
			if err := r.ParseMultipartForm(multipartMemory); err != nil {
				return ""
			}
		}
		if v := r.MultipartForm.Value[key]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	return r.PostFormValue(key)
}

// api wraps a JSON API handler authenticated by a bearer token.
func (s *Server) api(h func(http.ResponseWriter, *http.Request, kofukin.Principal)) http.HandlerFunc {
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
		p, err := s.Runner.Authenticate(r.Context(), tok, "api sign-in failed", r.URL.Path, failureDetail(r, tok))
		if errors.Is(err, kofukin.ErrNoCredentials) {
			s.throttle.Fail(keys)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid, expired or revoked token", "error_ja": "トークンが無効です（期限切れ又は失効を含む）"})
			return
		}
		if err != nil {
			s.failJSON(w, r, err)
			return
		}
		h(w, r, p)
	}
}

// failureDetail is what the audit log keeps of a failed sign-in: the address and the first
// characters of the token tried (never enough to use it).
func failureDetail(r *http.Request, token string) string {
	return fmt.Sprintf("from %s token %s…", r.RemoteAddr, tokenPrefix(token))
}

func (s *Server) secure(r *http.Request) bool {
	return s.SecureCookies || r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		_, _, err := s.Runner.Session(r.Context(), c.Value)
		if err == nil {
			http.Redirect(w, r, "/home", http.StatusSeeOther)
			return
		}
		if !errors.Is(err, kofukin.ErrNoCredentials) {
			s.Logger.Error("session", "error", err)
		}
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
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
		s.fail(w, r, errLoginCSRF)
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	keys := throttleKeys(r, token)
	if blocked, wait := s.throttle.Blocked(keys); blocked {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		s.fail(w, r, &Error{Status: http.StatusTooManyRequests, MessageEN: "too many failed sign-ins",
			MessageJA: fmt.Sprintf("ログインの失敗が続いたため、一時的にログインを止めています。約%d分後に再度お試しください。", int(wait.Minutes())+1)})
		return
	}
	_, cookie, err := s.Runner.SignIn(r.Context(), token, s.SessionTTL, failureDetail(r, token))
	if errors.Is(err, kofukin.ErrNoCredentials) {
		s.throttle.Fail(keys)
		http.Redirect(w, r, "/login?e=1", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.fail(w, r, &Error{Status: errNoSession.Status, MessageJA: errNoSession.MessageJA, MessageEN: errNoSession.MessageEN, Err: err})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: cookie, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r), MaxAge: int(s.SessionTTL.Seconds())})
	http.Redirect(w, r, "/home", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, q request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.Runner.SignOut(r.Context(), c.Value); err != nil {
			s.Logger.Error("sign out", "error", err) // the cookie is cleared; the session ends at its expiry
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// home sends a principal to where it starts.
func (s *Server) home(w http.ResponseWriter, r *http.Request, q request) {
	h := pipeline.HomeOf(q.p)
	switch {
	case h.Console:
		http.Redirect(w, r, "/ministry", http.StatusSeeOther)
	case h.Prefecture != "":
		http.Redirect(w, r, "/prefecture/"+h.Prefecture, http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/entity/"+h.Entity, http.StatusSeeOther)
	}
}
