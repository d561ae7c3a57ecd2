package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kofukin/kofukin/pipeline"
)

// Uploads through the web form, their reports and annotated copies.

// multipartMemory is how much of a multipart form is held in memory; the rest of an upload (at most
// MaxUpload) waits in a temporary file.
const multipartMemory = 1 << 20

var (
	errBusy = &Error{Status: http.StatusServiceUnavailable, MessageJA: "提出が混み合っています。しばらく（30秒ほど）待ってから、もう一度提出してください。",
		MessageEN: "too many uploads at once; retry later"}
	errNoFile = &Error{Status: http.StatusBadRequest, MessageJA: "ファイルを選択してください。", MessageEN: `multipart field "file" is required`}
)

// uploadSlot waits (up to UploadWait, 30 seconds by default) for one of the uploads that may be read and checked at once:
// each takes up to MaxUpload in memory and its inflated parts, so their number is bounded. The
// caller calls release when done; ok is false when no slot freed in time.
func (s *Server) uploadSlot(ctx context.Context) (release func(), ok bool) {
	wait := s.UploadWait
	if wait == 0 {
		wait = 30 * time.Second
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.uploads <- struct{}{}:
		return func() { <-s.uploads }, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// readUpload reads the multipart field "file" of at most MaxUpload bytes.
func (s *Server) readUpload(r *http.Request) (name string, data []byte, err error) {
	if err := r.ParseMultipartForm(multipartMemory); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return "", nil, s.tooLarge()
		}
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return "", nil, s.tooLarge()
		}
		return "", nil, errNoFile
	}
	defer file.Close()
	data, err = io.ReadAll(io.LimitReader(file, s.MaxUpload+1))
	if err != nil || int64(len(data)) > s.MaxUpload {
		return "", nil, s.tooLarge()
	}
	return hdr.Filename, data, nil
}

func (s *Server) tooLarge() *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, MessageJA: fmt.Sprintf("ファイルが大きすぎます（上限 %d MB）。", s.MaxUpload>>20), MessageEN: "file too large"}
}

// submit reads an upload (waiting for a slot) and hands it to the application.
func (s *Server) submit(r *http.Request, q request, via, page string) (*pipeline.SubmitResult, error) {
	release, ok := s.uploadSlot(r.Context())
	if !ok {
		return nil, errBusy
	}
	defer release()
	name, data, err := s.readUpload(r)
	if err != nil {
		return nil, err
	}
	return s.Runner.Submit(r.Context(), q.p, pipeline.SubmitRequest{FiscalYear: s.FiscalYear, Name: name, Data: data, Via: via, For: page,
		AnnotatedDir: filepath.Join(s.Out, "uploads")})
}

// uploadForm takes a file sent from an entity's page and shows its report (a file for an entity
// the user may not submit for is refused, nothing about it shown).
func (s *Server) uploadForm(w http.ResponseWriter, r *http.Request, q request) {
	res, err := s.submit(r, q, "web", r.PathValue("code"))
	if errors.Is(err, errBusy) {
		w.Header().Set("Retry-After", "30")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/uploads/%d", res.UploadID), http.StatusSeeOther)
}

// uploadID reads the upload id of the path; a malformed one is answered as one that does not exist.
func uploadID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, pipeline.ErrNotFound
	}
	return id, nil
}

func (s *Server) uploadPage(w http.ResponseWriter, r *http.Request, q request) {
	id, err := uploadID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.Runner.UploadPage(r.Context(), q.p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, "upload.html", map[string]any{"P": q.p, "CSRF": q.csrf, "U": v.Upload, "R": *v.Report, "V": v})
}

func (s *Server) annotated(w http.ResponseWriter, r *http.Request, q request) {
	id, err := uploadID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name, data, err := s.Runner.AnnotatedUpload(r.Context(), q.p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sendFile(w, name, data)
}
