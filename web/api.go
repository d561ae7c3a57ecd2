package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/pipeline"
)

// The JSON API: POST /api/v1/submissions (multipart field "file") and GET /api/v1/submissions.

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) // a client gone away is not the service's failure
}

// submitStatus is the HTTP status of what became of a submitted file.
func submitStatus(fr *pipeline.FileReport) int {
	switch fr.Status {
	case pipeline.Denied: // submissions closed
		return http.StatusForbidden
	case pipeline.Rejected:
		return http.StatusUnprocessableEntity
	case kofukin.StatusUnchanged:
		return http.StatusOK
	}
	return http.StatusCreated
}

// apiUpload: POST /api/v1/submissions, multipart field "file".
func (s *Server) apiUpload(w http.ResponseWriter, r *http.Request, p kofukin.Principal) {
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxUpload+1<<20)
	res, err := s.submit(r, request{p: p}, "api", "")
	if errors.Is(err, errBusy) {
		w.Header().Set("Retry-After", "30")
	}
	if err != nil {
		s.failJSON(w, r, err)
		return
	}
	writeJSON(w, submitStatus(res.Report), map[string]any{"upload_id": res.UploadID, "report": res.Report})
}

// apiList: GET /api/v1/submissions?fy=2026 — the current submissions the caller may see.
func (s *Server) apiList(w http.ResponseWriter, r *http.Request, p kofukin.Principal) {
	fy := s.FiscalYear
	if v := r.URL.Query().Get("fy"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.failJSON(w, r, &Error{Status: http.StatusBadRequest, MessageJA: "fy には年度（例: 2026）を指定してください", MessageEN: "fy must be a year"})
			return
		}
		fy = n
	}
	subs, err := s.Runner.Submissions(r.Context(), p, fy)
	if err != nil {
		s.failJSON(w, r, err)
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
		out = append(out, item{x.ID, x.EntityCode, x.Level, x.Kind, x.FileName, x.SHA256, x.Version, x.ReceivedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"fiscal_year": fy, "submissions": out})
}
