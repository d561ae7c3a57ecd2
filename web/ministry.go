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

// The ministry's console: runs, outputs, the deadline, tokens and the audit log; cycles run as
// background jobs with a page that follows them.

func (s *Server) ministryPage(w http.ResponseWriter, r *http.Request, q request) {
	v, err := s.Runner.Console(r.Context(), q.p, s.FiscalYear)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var allocs []int64 // the succeeded allocation runs, newest first: the comparison's choices
	for _, x := range v.Runs {
		if x.Kind == "allocate" && x.Status == kofukin.RunSucceeded {
			allocs = append(allocs, x.ID)
		}
	}
	s.render(w, "ministry.html", map[string]any{"P": q.p, "CSRF": q.csrf, "FY": s.FiscalYear, "Runs": v.Runs, "Counts": v.Counts, "Deadline": v.Deadline,
		"Files": groupFiles(v.Files), "FileCount": len(v.Files), "Audit": v.Audit, "Job": v.Job, "Message": r.URL.Query().Get("m"),
		"Allocs": allocs})
}

// errUnconfirmed answers a real run posted without its confirmation.
var errUnconfirmed = &Error{Status: http.StatusBadRequest,
	MessageJA: "採点・算定・出力の実行には確認が必要です。確認画面（国の画面の「採点・算定・出力を実行」）から実行してください。",
	MessageEN: "a real run needs confirm=yes (open /ministry/run/confirm)"}

// runConfirm shows what a real run will do before it is started.
func (s *Server) runConfirm(w http.ResponseWriter, r *http.Request, q request) {
	c, err := s.Runner.CycleConfirmation(r.Context(), q.p, s.FiscalYear)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, "runconfirm.html", map[string]any{"P": q.p, "CSRF": q.csrf, "C": c})
}

// runCycle starts the year's cycle (or a dry run) in the background and sends the browser to the
// job's page; a real run needs the confirmation step's confirm=yes.
func (s *Server) runCycle(w http.ResponseWriter, r *http.Request, q request) {
	dry := r.PostFormValue("mode") == "dry"
	if !dry && r.PostFormValue("confirm") != "yes" {
		s.fail(w, r, errUnconfirmed)
		return
	}
	job, started, err := s.Runner.StartCycle(r.Context(), q.p, s.FiscalYear, dry, filepath.Join(s.Out, fmt.Sprintf("FY%d", s.FiscalYear)))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	loc := fmt.Sprintf("/ministry/jobs/%d", job.ID)
	if !started {
		loc += "?already=1"
	}
	http.Redirect(w, r, loc, http.StatusSeeOther)
}

// jobPage follows a background cycle: its stages, counts and time while it runs (the page reloads
// itself every 2 seconds), then its result.
func (s *Server) jobPage(w http.ResponseWriter, r *http.Request, q request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		id = 0 // no such job
	}
	job, err := s.Runner.CycleJob(r.Context(), q.p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if job.Running() {
		w.Header().Set("Refresh", "2")
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, "job.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Job": job, "Elapsed": job.Elapsed(s.Now()),
		"Already": r.URL.Query().Get("already") != "", "Stages": jobStages(job, s.Now())})
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
	s.render(w, "run.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Run": run, "Manifest": manifest, "View": runViewOf(run.Kind, run.Parameters, run.Manifest)})
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
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, "token.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Token": tok, "T": t.Principal(), "Expires": t.ExpiresAt})
}

// compare shows the yen difference between two allocation runs (b − a).
func (s *Server) compare(w http.ResponseWriter, r *http.Request, q request) {
	a, errA := strconv.ParseInt(r.URL.Query().Get("a"), 10, 64)
	b, errB := strconv.ParseInt(r.URL.Query().Get("b"), 10, 64)
	if errA != nil || errB != nil {
		s.fail(w, r, &Error{Status: http.StatusBadRequest, MessageJA: "比べる算定の実行を2つ選んでください。", MessageEN: "a and b must be allocation run ids"})
		return
	}
	c, err := s.Runner.CompareAllocations(r.Context(), q.p, a, b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var ta, tb int64
	for _, p := range c.Pools {
		ta, tb = ta+p.AYen, tb+p.BYen
	}
	s.render(w, "compare.html", map[string]any{"P": q.p, "CSRF": q.csrf, "C": c, "TotalA": ta, "TotalB": tb, "TotalDelta": tb - ta})
}

// nationalStatus shows the 提出状況 of every prefecture with the nation's totals.
func (s *Server) nationalStatus(w http.ResponseWriter, r *http.Request, q request) {
	v, err := s.Runner.NationalStatus(r.Context(), q.p, s.FiscalYear)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, "national.html", map[string]any{"P": q.p, "CSRF": q.csrf, "FY": s.FiscalYear, "V": v})
}
