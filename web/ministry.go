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
	"github.com/kofukin/kofukin/pipeline"
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
		"Already": r.URL.Query().Get("already") != "", "Stages": jobStages(job, s.Now()), "Grants": jobGrants(job)})
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

// file sends a file of the newest export.
func (s *Server) file(w http.ResponseWriter, r *http.Request, q request) {
	s.download(w, r, q, "path", s.Runner.ExportFile)
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

// tokens lists the issued tokens (never their values) with a revoke button for each active one,
// and the forms to issue one or many.
func (s *Server) tokens(w http.ResponseWriter, r *http.Request, q request) {
	list, err := s.Runner.Tokens(r.Context(), q.p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type row struct {
		ID, Role, Entity, Label, Issued, Expires, State string
		Active, Own                                     bool // Own: the token of this session (not revoked from here)
	}
	now := s.Now()
	var rows []row
	active := 0
	for _, t := range list {
		x := row{ID: t.ID, Own: t.ID == q.p.TokenID, Role: roleJA(t.Role), Entity: t.EntityCode, Label: t.Label, Issued: t.CreatedAt.In(jst).Format("2006-01-02"), Expires: t.ExpiresAt.In(jst).Format("2006-01-02")}
		switch {
		case t.RevokedAt != nil:
			x.State = "失効（" + t.RevokedAt.In(jst).Format("2006-01-02") + "）"
		case !t.ExpiresAt.After(now):
			x.State = "期限切れ"
		case !t.Active(now):
			x.State = "無効（役割と団体コードが不整合）"
		default:
			x.State, x.Active = "有効", true
			active++
		}
		rows = append(rows, x)
	}
	s.render(w, "tokens.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Tokens": rows, "Active": active, "Message": r.URL.Query().Get("m")})
}

// revokeToken revokes one token from the list.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, q request) {
	id := r.PathValue("id")
	if err := s.Runner.RevokeToken(r.Context(), q.p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/ministry/tokens?m="+urlEscape("トークン "+id+" を失効させました。"), http.StatusSeeOther)
}

// bulkTokens issues a token for every municipality of a prefecture or of the nation and answers
// them as a CSV download (never cached; the tokens are nowhere else).
func (s *Server) bulkTokens(w http.ResponseWriter, r *http.Request, q request) {
	b := pipeline.BulkTokens{Prefecture: strings.TrimSpace(r.PostFormValue("prefecture")), Centres: r.PostFormValue("centres") == "on",
		Prefectures: r.PostFormValue("prefectures") == "on", Label: strings.TrimSpace(r.PostFormValue("label"))}
	if d := strings.TrimSpace(r.PostFormValue("expires")); d != "" {
		t, err := time.ParseInLocation("2006-01-02", d, jst)
		if err != nil {
			s.fail(w, r, &Error{Status: http.StatusBadRequest, MessageJA: "有効期限は 2027-03-31 の形で入力してください。", MessageEN: "expires must be a date such as 2027-03-31"})
			return
		}
		b.Expires = t.Add(24*time.Hour - time.Second)
	}
	data, n, err := s.Runner.IssueTokens(r.Context(), q.p, s.FiscalYear, b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := fmt.Sprintf("トークン_FY%d_全国_%d件.csv", s.FiscalYear, n)
	if b.Prefecture != "" {
		name = fmt.Sprintf("トークン_FY%d_%s_%d件.csv", s.FiscalYear, b.Prefecture, n)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+urlEscape(name))
	w.Write(data)
}

// jobGrants are the grant totals of a finished job's allocation (none before it ends).
func jobGrants(j pipeline.Job) []grantTotal {
	if j.Result == nil {
		return nil
	}
	return grantTotals(j.Result.Allocate)
}
