package web

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/kofukin/kofukin/pipeline"
)

// A prefecture's 提出状況, its verdicts on its municipalities' submissions (one or several at
// once), its review workbook down and back up, and 提出状況 as a workbook.

func (s *Server) prefecturePage(w http.ResponseWriter, r *http.Request, q request) {
	v, err := s.Runner.PrefecturePage(r.Context(), q.p, s.FiscalYear, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := r.URL.Query().Get("f")
	label, ok := pipeline.FilterLabel(f)
	if !ok {
		f, label = "", "すべて"
	}
	missingMunis, missingCentres := v.Missing()
	s.render(w, "prefecture.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Pref": v.Pref, "FY": s.FiscalYear, "Munis": v.Munis, "Centres": v.Centres,
		"Rows": v.Filtered(f), "Filter": f, "FilterLabel": label, "Filters": v.Filters(), "MissingMunis": missingMunis, "MissingCentres": missingCentres,
		"Submitted": v.Submitted, "Deadline": v.Deadline, "Statuses": pipeline.ReviewStatuses,
		"NatRate": v.NatRate, "PrefRate": v.PrefRate, "Scored": v.Scored})
}

// review records a verdict (未確認・確認済・差戻し) given on the prefecture's page, on the version
// of the survey the page showed.
func (s *Server) review(w http.ResponseWriter, r *http.Request, q request) {
	code, entity := r.PathValue("code"), strings.TrimSpace(r.PostFormValue("entity"))
	version, _ := strconv.Atoi(r.PostFormValue("version")) // 0 when missing: refused as not knowing which
	err := s.Runner.Review(r.Context(), q.p, s.FiscalYear, code, entity, version, r.PostFormValue("status"), r.PostFormValue("comment"), "web:"+q.p.TokenID)
	var re *pipeline.ReviewError
	if errors.As(err, &re) { // not recorded: say why, with the way back to the row
		s.renderStatus(w, http.StatusBadRequest, "review_result.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Code": code, "FY": s.FiscalYear,
			"Single": re.MessageJA, "Entity": entity})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/prefecture/"+code+"#m"+entity, http.StatusSeeOther)
}

// reviewBulk confirms the municipalities ticked on the prefecture's page (each "code:version")
// and shows which were recorded and which not, and why.
func (s *Server) reviewBulk(w http.ResponseWriter, r *http.Request, q request) {
	code := r.PathValue("code")
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, &Error{Status: http.StatusBadRequest, MessageJA: "送信内容を読み取れませんでした。", MessageEN: "bad form", Err: err})
		return
	}
	var list []pipeline.Verdict
	for _, v := range r.PostForm["sel"] {
		entity, ver, _ := strings.Cut(strings.TrimSpace(v), ":")
		n, _ := strconv.Atoi(ver)
		list = append(list, pipeline.Verdict{Entity: entity, Version: n})
	}
	res, err := s.Runner.ReviewMany(r.Context(), q.p, s.FiscalYear, code, list, "確認済", r.PostFormValue("comment"), "web:"+q.p.TokenID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var done, refused []pipeline.VerdictResult
	for _, x := range res {
		if x.Recorded {
			done = append(done, x)
		} else {
			refused = append(refused, x)
		}
	}
	s.render(w, "review_result.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Code": code, "FY": s.FiscalYear, "Bulk": true,
		"Done": done, "Refused": refused})
}

// reviewImport takes a returned review workbook sent from the prefecture's page and shows what
// was recorded, what was skipped and why, or why the workbook was refused.
func (s *Server) reviewImport(w http.ResponseWriter, r *http.Request, q request) {
	code := r.PathValue("code")
	release, ok := s.uploadSlot(r.Context())
	if !ok {
		w.Header().Set("Retry-After", "30")
		s.fail(w, r, errBusy)
		return
	}
	defer release()
	name, data, err := s.readUpload(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.Runner.ImportReview(r.Context(), q.p, s.FiscalYear, code, name, data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m := map[string]any{"P": q.p, "CSRF": q.csrf, "Code": code, "FY": s.FiscalYear, "Import": res, "Name": name, "Done": res.Recorded, "Skipped": res.Skipped}
	status := http.StatusOK
	if res.Rejection != nil {
		m["Problems"] = res.Rejection.Problems
		status = http.StatusUnprocessableEntity
	}
	s.renderStatus(w, status, "review_result.html", m)
}

// reviewWorkbook sends the prefecture's review workbook.
func (s *Server) reviewWorkbook(w http.ResponseWriter, r *http.Request, q request) {
	s.download(w, r, q, "code", s.Runner.ReviewWorkbook)
}

// statusWorkbook sends the prefecture's 提出状況 as a workbook.
func (s *Server) statusWorkbook(w http.ResponseWriter, r *http.Request, q request) {
	s.download(w, r, q, "code", s.Runner.PrefectureStatus)
}

// renderStatus answers a page with status (a result page that reports a refusal).
func (s *Server) renderStatus(w http.ResponseWriter, status int, name string, data map[string]any) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.Logger.Error("render", "template", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
