package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/pipeline"
)

// Error is how a request that failed is answered: its HTTP status and what the official is told
// (in Japanese) and a program (in English). errorOf is the one place that decides which failure
// gets which status; fail and failJSON render it.
type Error struct {
	Status    int
	MessageJA string
	MessageEN string
	Err       error // the cause, logged when the status is 500
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.MessageEN + ": " + e.Err.Error()
	}
	return e.MessageEN
}

func (e *Error) Unwrap() error { return e.Err }

// errInternal is the answer to a failure of the service itself.
var errInternal = &Error{Status: http.StatusInternalServerError, MessageJA: "システム内部の誤りが発生しました。時間をおいて再度お試しください。", MessageEN: "internal error"}

// errorOf maps a failure to its answer. A refusal and an entity that does not exist in the year
// get the same 403, naming only what the request tried to do (what), never its target, so that
// nobody learns which codes exist outside their scope. A survey of another entity than the one it
// was sent for is refused with 403 too, saying whose survey the file is (from the file and the
// public list of entities) and whose to send.
func errorOf(err error, what string) *Error {
	var (
		e      *Error
		denied *kofukin.Denied
		review *pipeline.ReviewError
		user   *pipeline.UserError
		large  *pipeline.TooLargeError
		wrong  *pipeline.WrongEntityError
	)
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &wrong): // a survey of another entity: say whose it is and whose to send
		return &Error{Status: http.StatusForbidden, MessageJA: wrong.MessageJA, MessageEN: wrong.MessageEN, Err: err}
	case errors.As(err, &denied), errors.Is(err, pipeline.ErrNotFound):
		ja := "この操作の権限がありません。"
		if what != "" {
			ja = "この操作（" + what + "）の権限がありません。"
		}
		return &Error{Status: http.StatusForbidden, MessageJA: ja, MessageEN: "forbidden", Err: err}
	case errors.As(err, &review):
		return &Error{Status: http.StatusBadRequest, MessageJA: review.MessageJA, MessageEN: "bad request", Err: err}
	case errors.As(err, &user) && user.Missing:
		return &Error{Status: http.StatusNotFound, MessageJA: user.MessageJA, MessageEN: "not found", Err: err}
	case errors.As(err, &user):
		return &Error{Status: http.StatusBadRequest, MessageJA: user.MessageJA, MessageEN: "bad request", Err: err}
	case errors.As(err, &large):
		return &Error{Status: http.StatusRequestEntityTooLarge, MessageJA: "ファイルが大きすぎます。", MessageEN: "file too large", Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Status: http.StatusServiceUnavailable, MessageJA: "処理を中断しました。", MessageEN: "canceled", Err: err}
	}
	return &Error{Status: errInternal.Status, MessageJA: errInternal.MessageJA, MessageEN: errInternal.MessageEN, Err: err}
}

// answer maps err and logs a failure of the service with its cause.
func (s *Server) answer(r *http.Request, err error) *Error {
	e := errorOf(err, what(r))
	if e.Status >= http.StatusInternalServerError && e.Err != nil {
		s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", e.Err)
	}
	return e
}

// fail answers a page request with the error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := s.answer(r, err)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(e.Status)
	if err := s.tmpl.ExecuteTemplate(w, "error.html", map[string]any{"Code": e.Status, "Message": e.MessageJA}); err != nil {
		s.Logger.Error("render the error page", "error", err)
	}
}

// failJSON answers an API request with {"error": …, "error_ja": …}.
func (s *Server) failJSON(w http.ResponseWriter, r *http.Request, err error) {
	e := s.answer(r, err)
	writeJSON(w, e.Status, map[string]string{"error": e.MessageEN, "error_ja": e.MessageJA})
}

// whatKey holds, in a request's context, what its route does (for the words of a refusal).
type whatKey struct{}

// doing labels the requests of a route with what it does.
func doing(what string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h(w, r.WithContext(context.WithValue(r.Context(), whatKey{}, what)))
	}
}

// what says what the request tries to do ("" when unlabelled).
func what(r *http.Request) string {
	s, _ := r.Context().Value(whatKey{}).(string)
	return s
}
