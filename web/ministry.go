package web

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kofukin/kofukin"
)

// The ministry's console: runs, outputs, the deadline, tokens and the audit log.

func (s *Server) ministryPage(w http.ResponseWriter, r *http.Request, q request) {
	v, err := s.Runner.Console(r.Context(), q.p, s.FiscalYear)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, "ministry.html", map[string]any{"P": q.p, "CSRF": q.csrf, "FY": s.FiscalYear, "Runs": v.Runs, "Counts": v.Counts, "Deadline": v.Deadline,
		"Files": v.Files, "Audit": v.Audit, "Message": r.URL.Query().Get("m")})
}

// runCycle scores, allocates and exports the year (or tries it in a scratch copy) and shows how it
// went on the console.
func (s *Server) runCycle(w http.ResponseWriter, r *http.Request, q request) {
	dry := r.PostFormValue("mode") == "dry"
	res, err := s.Runner.RunCycle(r.Context(), q.p, s.FiscalYear, dry, filepath.Join(s.Out, fmt.Sprintf("FY%d", s.FiscalYear)))
	var denied *kofukin.Denied
	if errors.As(err, &denied) {
		s.fail(w, r, err)
		return
	}
	var msg string
	switch {
	case err != nil && dry:
		msg = "試算に失敗しました: " + err.Error()
	case err != nil:
		msg = "実行に失敗しました: " + err.Error()
	case dry:
		m := res.Score.Municipal()
		msg = fmt.Sprintf("試算（保存なし）: 市町村 %d（提出 %d）、平均 %.2f 点、配分枠 %d", m.Entities, m.Submitted, m.MeanTotal, len(res.Allocate.Results))
	default:
		msg = fmt.Sprintf("実行しました: 採点 %d、算定 %d、出力 %d（%d ファイル）", res.Score.RunID, res.Allocate.RunID, res.Export.RunID, len(res.Export.Files))
	}
	if err != nil {
		s.Logger.Error("run", "dry", dry, "error", err)
	}
	http.Redirect(w, r, "/ministry?m="+urlEscape(msg), http.StatusSeeOther)
}

func (s *Server) deadline(w http.ResponseWriter, r *http.Request, q request) {
	d := strings.TrimSpace(r.PostFormValue("deadline"))
	if err := s.Runner.SetDeadline(r.Context(), q.p, s.FiscalYear, d); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/ministry?m="+urlEscape("提出期限を設定しました: "+d), http.StatusSeeOther)
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request, q request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		id = 0 // no such run
	}
	run, manifest, err := s.Runner.Run(r.Context(), q.p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, "run.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Run": run, "Manifest": manifest})
}

func (s *Server) file(w http.ResponseWriter, r *http.Request, q request) {
	name, data, err := s.Runner.ExportFile(r.Context(), q.p, s.FiscalYear, r.PathValue("path"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sendFile(w, name, data)
}

// issueToken lets an analyst issue a token from the console (the process owns the database, so
// the command line cannot while the service runs). The token is shown once; the page is never
// cached.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, q request) {
	role, entity, label := kofukin.Role(r.PostFormValue("role")), strings.TrimSpace(r.PostFormValue("entity")), r.PostFormValue("label")
	spec := kofukin.TokenSpec{Role: role, Entity: entity, Label: label}
	if d := strings.TrimSpace(r.PostFormValue("expires")); d != "" {
		t, err := time.ParseInLocation("2006-01-02", d, jst)
		if err != nil {
			s.fail(w, r, &Error{Status: http.StatusBadRequest, MessageJA: "有効期限は 2027-03-31 の形で入力してください。", MessageEN: "expires must be a date such as 2027-03-31"})
			return
		}
		spec.Expires = t.Add(24*time.Hour - time.Second) // to the end of that day
	}
	tok, t, err := s.Runner.IssueToken(r.Context(), q.p, s.FiscalYear, spec)
	var denied *kofukin.Denied
	switch {
	case errors.As(err, &denied):
		s.fail(w, r, err)
		return
	case err != nil: // the role, the entity or the expiry given is not one a token can have
		s.fail(w, r, &Error{Status: http.StatusBadRequest, MessageJA: "トークンを発行できません: " + err.Error(), MessageEN: "cannot issue the token", Err: err})
		return
	}
	s.render(w, "token.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Token": tok, "T": t.Principal(), "Expires": t.ExpiresAt})
}
