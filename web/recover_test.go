package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A handler that panics answers 500 in Japanese and the server goes on.
func TestPanickingHandlerAnswers500(t *testing.T) {
	s := &Server{}
	s.Handler() // templates, logger
	h := s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	for i := 0; i < 2; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "システム内部の誤り") {
			t.Errorf("panic answered %d %q", rec.Code, rec.Body.String())
		}
	}
}
