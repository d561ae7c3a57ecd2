package web

import (
	"math"
	"net/http"
	"strconv"

	"github.com/kofukin/kofukin/pipeline"
)

// An entity's page (a municipality, a care centre or a prefecture's own survey) and its template.

func (s *Server) entityPage(w http.ResponseWriter, r *http.Request, q request) {
	v, err := s.Runner.EntityPage(r.Context(), q.p, s.FiscalYear, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := map[string]any{"P": q.p, "CSRF": q.csrf, "E": v.Entity, "FY": s.FiscalYear, "History": v.History, "Uploads": v.Uploads, "Closed": v.Closed, "Deadline": v.Deadline,
		"Trial": v.Trial, "Kept": v.Kept}
	if v.Review != nil {
		data["Review"], data["Verdict"] = *v.Review, v.Verdict
	}
	if v.Preview != nil {
		data["Preview"], data["ScoreRun"], data["ScoredVersion"], data["Stale"] = *v.Preview, v.ScoreRun, v.ScoredVersion, v.Stale
	}
	s.render(w, "entity.html", data)
}

// template sends an entity's survey template, stamped with its code.
func (s *Server) template(w http.ResponseWriter, r *http.Request, q request) {
	s.download(w, r, q, "code", s.Runner.Template)
}

// entityItems shows an entity's item-by-item points with their reasons.
func (s *Server) entityItems(w http.ResponseWriter, r *http.Request, q request) {
	v, err := s.Runner.EntityItems(r.Context(), q.p, s.FiscalYear, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, "items.html", map[string]any{"P": q.p, "CSRF": q.csrf, "V": v, "FY": s.FiscalYear})
}

// sentFile sends a version's file as it was sent.
func (s *Server) sentFile(w http.ResponseWriter, r *http.Request, q request) {
	version, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || version < 1 {
		s.fail(w, r, pipeline.ErrNotFound)
		return
	}
	name, data, err := s.Runner.SentFile(r.Context(), q.p, s.FiscalYear, r.PathValue("code"), version)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sendFile(w, name, data)
}

// feedbackWorkbook sends a municipality's own feedback workbook.
func (s *Server) feedbackWorkbook(w http.ResponseWriter, r *http.Request, q request) {
	s.download(w, r, q, "code", s.Runner.FeedbackWorkbook)
}

// signedPoints writes a difference of points (hundredths at most) with its sign: +4, −1.2, ±0.
func signedPoints(f float64) string {
	f = math.Round(f*100) / 100
	switch {
	case f > 0:
		return "+" + strconv.FormatFloat(f, 'f', -1, 64)
	case f < 0:
		return "−" + strconv.FormatFloat(-f, 'f', -1, 64)
	}
	return "±0"
}
