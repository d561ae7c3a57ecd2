package web

import (
	"net/http"
	"strings"

	"github.com/kofukin/kofukin/pipeline"
)

// A prefecture's 提出状況, its verdicts on its municipalities' submissions and its review workbook.

func (s *Server) prefecturePage(w http.ResponseWriter, r *http.Request, q request) {
	v, err := s.Runner.PrefecturePage(r.Context(), q.p, s.FiscalYear, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, "prefecture.html", map[string]any{"P": q.p, "CSRF": q.csrf, "Pref": v.Pref, "FY": s.FiscalYear, "Munis": v.Munis, "Centres": v.Centres,
		"Submitted": v.Submitted, "Deadline": v.Deadline, "Statuses": pipeline.ReviewStatuses,
		"NatRate": v.NatRate, "PrefRate": v.PrefRate, "Scored": v.Scored})
}

// review records a verdict (未確認・確認済・差戻し) given on the prefecture's page.
func (s *Server) review(w http.ResponseWriter, r *http.Request, q request) {
	code, entity := r.PathValue("code"), strings.TrimSpace(r.PostFormValue("entity"))
	err := s.Runner.Review(r.Context(), q.p, s.FiscalYear, code, entity, r.PostFormValue("status"), r.PostFormValue("comment"), "web:"+q.p.TokenID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/prefecture/"+code, http.StatusSeeOther)
}

func (s *Server) reviewWorkbook(w http.ResponseWriter, r *http.Request, q request) {
	name, data, err := s.Runner.ReviewWorkbook(r.Context(), q.p, s.FiscalYear, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sendFile(w, name, data)
}
