package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/internal/atomicfile"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// SubmitRequest is one file sent to the service: its name as sent and its bytes, held in memory.
type SubmitRequest struct {
	FiscalYear int
	Name       string
	Data       []byte
	Via        string // the door it came through: web | api
	// For is the entity whose page the file was sent from ("" through the API): the sender must
	// be allowed to submit for it as well as for the entity the file names.
	For string
	// AnnotatedDir is where the copy of a rejected workbook with its bad cells marked is written.
	AnnotatedDir string
}

// SubmitResult is what became of a submitted file.
type SubmitResult struct {
	UploadID int64
	Report   *FileReport
	// Closed says why submissions are closed ("" when they are open); the file was then not read
	// and its report (status Denied) says the same.
	Closed string
}

// Submit validates and stores one file on behalf of by, held in memory (no temporary file). The
// entity the file is for is read first and the policy asked whether by may submit for it: a file
// by may not submit is refused with a *kofukin.Denied, nothing of it is stored, and the refusal is
// recorded under by's own entity (never in another body's history); a survey of another entity
// than the one it was sent for (req.For, or by's own) is refused with a *WrongEntityError saying
// whose survey it is and whose to send. A file for an entity whose
// submissions are closed is recorded as refused with the reason (E024). Every upload is in the
// audit log.
func (r *Runner) Submit(ctx context.Context, by kofukin.Principal, req SubmitRequest) (*SubmitResult, error) {
	if req.For != "" {
		if err := r.authorize(ctx, by, kofukin.ActSubmit, req.For); err != nil {
			return nil, err
		}
	}
	name := filepath.Base(strings.ReplaceAll(req.Name, "\\", "/"))
	if name == "." || name == "/" || name == "" {
		name = "upload.xlsx"
	}
	data := req.Data
	sum := sha256.Sum256(data)
	code := loaders.PeekEntity(data)
	rec := store.Upload{TokenID: by.TokenID, EntityCode: by.EntityCode, FileName: name, SHA256: hex.EncodeToString(sum[:])}
	denied := func(err error, detail string) (*SubmitResult, error) {
		rec.Status, rec.Report = Denied, `{"error":"not allowed"}`
		if _, aerr := r.Store.Submissions().AddUpload(ctx, rec); aerr != nil {
			return nil, fmt.Errorf("record upload %s: %w", name, aerr)
		}
		r.audit(ctx, by, "upload denied", code, name+": "+detail)
		return nil, err
	}
	switch {
	case code != "":
		if err := kofukin.Authorize(by, kofukin.ActSubmit, code); err != nil {
			return denied(r.wrongEntity(ctx, by, req.FiscalYear, code, req.For, err), err.Error())
		}
		if req.For != "" && code != req.For { // sent from another entity's page
			return denied(r.wrongEntity(ctx, by, req.FiscalYear, code, req.For, nil), "the file is for "+code+", sent for "+req.For)
		}
		rec.EntityCode = code
	case strings.EqualFold(filepath.Ext(name), ".csv") && loaders.CSVKind(data) != loaders.CSVSurvey:
		if err := kofukin.Authorize(by, kofukin.ActSubmitMinistryData, ""); err != nil {
			return denied(err, err.Error())
		}
	}
	why, err := r.closedReason(ctx, by, req.FiscalYear, rec.EntityCode)
	if err != nil {
		return nil, err
	}
	if why != "" {
		fr := &FileReport{Path: name, Status: Denied, EntityCode: rec.EntityCode, Problems: []loaders.Problem{{Code: loaders.ErrClosed, File: name, MessageJA: why, MessageEN: "submissions are closed"}}}
		id, err := r.recordUpload(ctx, rec, fr)
		if err != nil {
			return nil, err
		}
		r.audit(ctx, by, "upload closed", rec.EntityCode, why)
		return &SubmitResult{UploadID: id, Report: fr, Closed: why}, nil
	}
	rep, err := r.IngestFiles(ctx, []File{{Name: name, Data: data}}, IngestOptions{FiscalYear: req.FiscalYear, By: by, Via: req.Via, only: req.For})
	if err != nil {
		return nil, fmt.Errorf("ingest upload %s: %w", name, err)
	}
	if len(rep.Files) != 1 {
		return nil, fmt.Errorf("ingest upload %s: %d reports for one file", name, len(rep.Files))
	}
	fr := rep.Files[0]
	if fr.Status == Denied { // the file's entity, once read, is not one by may submit for (from this page)
		refusal := &kofukin.Denied{Principal: by, Action: kofukin.ActSubmit, Target: fr.EntityCode, Why: "the file's entity, once read"}
		if fr.Kind != KindSurvey || fr.EntityCode == "" {
			return denied(refusal, "entity "+fr.EntityCode)
		}
		var cause error = refusal
		if kofukin.Allowed(by, kofukin.ActSubmit, fr.EntityCode) { // but not from this page
			cause = nil
		}
		return denied(r.wrongEntity(ctx, by, req.FiscalYear, fr.EntityCode, req.For, cause), "entity "+fr.EntityCode)
	}
	if fr.EntityCode != "" && fr.EntityCode != store.MinistryCode {
		rec.EntityCode = fr.EntityCode
	}
	rec.Status = fr.Status
	if err := r.answerChanges(ctx, &fr); err != nil { // the version is stored: its report stands without them
		r.logger().Error("answer changes", "file", name, "error", err)
	}
	if fr.Status == kofukin.StatusAccepted && fr.SubmissionID > 0 {
		if err := r.Store.Submissions().SaveFile(ctx, fr.SubmissionID, name, data); err != nil { // the version stands without it
			r.logger().Error("keep the file as sent", "file", name, "error", err)
		}
		if fr.Kind == KindSurvey {
			r.queueTrial(fr.FiscalYear, fr.EntityCode)
		}
	}
	if fr.Status == Rejected && strings.EqualFold(filepath.Ext(name), ".xlsx") {
		rec.Annotated, fr.NotAnnotated = r.annotatedCopy(req.AnnotatedDir, name, rec.SHA256, data, fr.Problems)
	}
	id, err := r.recordUpload(ctx, rec, &fr)
	if err != nil {
		return nil, err
	}
	version := ""
	if fr.Version > 0 {
		version = fmt.Sprintf(" version %d", fr.Version)
	}
	r.audit(ctx, by, "upload "+fr.Status, rec.EntityCode, fmt.Sprintf("%s sha256 %s%s", name, rec.SHA256[:12], version))
	return &SubmitResult{UploadID: id, Report: &fr}, nil
}

// annotatedCopy writes the copy of a rejected workbook with its bad cells marked into dir and
// returns its path, or (in Japanese) why none was made. A failure to make it is logged: the
// report stands without it.
func (r *Runner) annotatedCopy(dir, name, sha string, data []byte, problems []loaders.Problem) (path, why string) {
	ann, why, err := r.AnnotateData(data, problems)
	switch {
	case err != nil:
		r.logger().Error("annotate", "file", name, "error", err)
		return "", ""
	case ann == nil:
		return "", why
	}
	dst := filepath.Join(dir, fmt.Sprintf("%s_%s_エラー箇所.xlsx", sha[:12], strings.TrimSuffix(name, filepath.Ext(name))))
	if err := atomicfile.WriteFile(dst, ann); err != nil {
		r.logger().Error("write annotated copy", "file", name, "error", err)
		return "", ""
	}
	return dst, ""
}

// recordUpload stores an upload with its report and returns its id.
func (r *Runner) recordUpload(ctx context.Context, rec store.Upload, fr *FileReport) (int64, error) {
	js, err := json.Marshal(fr)
	if err != nil {
		return 0, fmt.Errorf("encode the report of %s: %w", rec.FileName, err)
	}
	rec.Report = string(js)
	id, err := r.Store.Submissions().AddUpload(ctx, rec)
	if err != nil {
		return 0, fmt.Errorf("record upload %s: %w", rec.FileName, err)
	}
	return id, nil
}

// UploadReport returns an upload and its report for by. An upload is recorded under the entity it
// was for, or (refused) under the uploader's own; by must be allowed to view that entity. An upload
// that does not exist is ErrNotFound, answered as a refusal.
func (r *Runner) UploadReport(ctx context.Context, by kofukin.Principal, id int64) (*store.Upload, *FileReport, error) {
	u, err := r.Store.Submissions().Upload(ctx, id)
	if noRows(err) {
		r.audit(ctx, by, "denied", fmt.Sprintf("upload %d", id), "no such upload")
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read upload %d: %w", id, err)
	}
	if err := r.authorize(ctx, by, kofukin.ActView, u.EntityCode); err != nil {
		return nil, nil, err
	}
	var fr FileReport
	if err := json.Unmarshal([]byte(u.Report), &fr); err != nil {
		return nil, nil, fmt.Errorf("decode the report of upload %d: %w", id, err)
	}
	return u, &fr, nil
}

// AnnotatedUpload returns the annotated copy of a rejected upload (its file name and bytes) for by.
func (r *Runner) AnnotatedUpload(ctx context.Context, by kofukin.Principal, id int64) (string, []byte, error) {
	u, _, err := r.UploadReport(ctx, by, id)
	if err != nil {
		return "", nil, err
	}
	if u.Annotated == "" {
		return "", nil, missing("エラー箇所付きの写しはありません。", nil)
	}
	data, err := os.ReadFile(u.Annotated)
	if err != nil {
		return "", nil, missing("エラー箇所付きの写しが見つかりません。", err)
	}
	return filepath.Base(u.Annotated), data, nil
}
