package web

import (
	"net/http"
)

// An entity's page (a municipality, a care centre or a prefecture's own survey) and its template.

func (s *Server) entityPage(w http.ResponseWriter, r *http.Request, q request) {
	v, err := s.Runner.EntityPage(r.Context(), q.p, s.FiscalYear, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := map[string]any{"P": q.p, "CSRF": q.csrf, "E": v.Entity, "FY": s.FiscalYear, "History": v.History, "Uploads": v.Uploads, "Closed": v.Closed, "Deadline": v.Deadline}
	if v.Review != nil {
		data["Review"], data["Verdict"] = *v.Review, v.Verdict
	}
	if v.Preview != nil {
		data["Preview"], data["ScoreRun"], data["ScoredVersion"], data["Stale"] = *v.Preview, v.ScoreRun, v.ScoredVersion, v.Stale
	}
	s.render(w, "entity.html", data)
}

func (s *Server) template(w http.ResponseWriter, r *http.Request, q request) {
	name, data, err := s.Runner.Template(r.Context(), q.p, s.FiscalYear, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sendFile(w, name, data)
}
