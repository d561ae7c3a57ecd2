package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/allocation"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// File kinds and statuses of an ingest report.
const (
	KindSurvey     = "survey"
	KindOutcomes   = "outcomes"
	KindCentres    = "centres"    // reference list of care centres
	KindPopulation = "population" // reference update of 第1号被保険者数
	KindUnions     = "unions"     // reference list of unions and their members
	KindNeeds      = "needs"      // 所要見込額 per municipality and grant
	KindEntities   = "entities"   // entity list with validity years (mergers, new codes)
	KindLocal      = "local"      // 地域の指標: municipal indicators users bring (loaders/local.go)
)

// Statuses of a file that is not stored.
//
// Deprecated: use kofukin.StatusRejected and kofukin.StatusDenied.
const (
	Rejected = kofukin.StatusRejected
	Denied   = kofukin.StatusDenied
)

// FileReport says what became of one file.
type FileReport struct {
	Path         string                   `json:"path"`
	Kind         string                   `json:"kind,omitempty"`
	Status       kofukin.SubmissionStatus `json:"status"` // kofukin.StatusAccepted, StatusUnchanged, StatusRejected or StatusDenied
	FiscalYear   int                      `json:"fiscal_year,omitempty"`
	EntityCode   string                   `json:"entity_code,omitempty"`
	Version      int                      `json:"version,omitempty"`
	SubmissionID int64                    `json:"submission_id,omitempty"`
	Answers      int                      `json:"answers,omitempty"`
	SHA256       string                   `json:"sha256,omitempty"`
	Bytes        int64                    `json:"bytes"`
	Problems     []loaders.Problem        `json:"problems,omitempty"`
	Warnings     []loaders.Problem        `json:"warnings,omitempty"`
	// Quarantined is where a rejected file was moved, with its report and annotated copy.
	Quarantined string `json:"quarantined,omitempty"`
	// Annotated is the copy of a rejected workbook with each bad cell marked, for its submitter;
	// NotAnnotated says why none was made (in Japanese), when one was tried.
	Annotated    string `json:"annotated,omitempty"`
	NotAnnotated string `json:"not_annotated,omitempty"`
	// Preview is the entity's result had the file been stored (dry runs only).
	Preview *store.Preview `json:"preview,omitempty"`
	// Previous is the version a new version of a survey sent through Submit was compared with, and
	// Changes the answers that differ from it (at most MaxChanges; ChangesMore counts the rest).
	Previous    int            `json:"previous_version,omitempty"`
	Changes     []AnswerChange `json:"changes,omitempty"`
	ChangesMore int            `json:"changes_more,omitempty"`
}

// IngestReport is the outcome of one ingest.
type IngestReport struct {
	DryRun    bool         `json:"dry_run,omitempty"`
	Files     []FileReport `json:"files"`
	Accepted  int          `json:"accepted"`
	Unchanged int          `json:"unchanged"`
	Rejected  int          `json:"rejected"`
	Denied    int          `json:"denied,omitempty"`
	Bytes     int64        `json:"bytes"`
}

// Summary is the one-line summary of the report.
func (r *IngestReport) Summary() string {
	s := fmt.Sprintf("%d file(s): %d accepted, %d rejected, %d unchanged", len(r.Files), r.Accepted, r.Rejected, r.Unchanged)
	if r.Denied > 0 {
		s += fmt.Sprintf(", %d denied", r.Denied)
	}
	return s
}

// WriteJSON writes the report as indented JSON.
func (r *IngestReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// IngestOptions controls an ingest.
type IngestOptions struct {
	// FiscalYear, when not 0, is the only fiscal year accepted; 0 takes each file's own.
	FiscalYear int
	// Quarantine, when set, is the folder rejected files are moved to, each with its report and,
	// for a workbook, an annotated copy.
	Quarantine string
	// By is who sends the files (zero: the operator of the machine) and Via the door they came
	// through (cli, inbox, web, api). Each file's entity is authorised against By with
	// kofukin.Authorize (a survey: ActSubmit for its entity; the ministry's values and reference
	// lists: ActSubmitMinistryData); a file By may not send is reported denied and nothing of it is
	// stored. Every stored version records By and Via.
	By  kofukin.Principal
	Via string

	// years are the fiscal years of the files an ingest without FiscalYear stored, given to the
	// header-only lists it reads last.
	years []int
	// only, when set, is the one entity whose surveys may be stored (an upload sent from its
	// page): a survey of another entity is reported denied.
	only string
}

func (o IngestOptions) sender() (kofukin.Principal, string) {
	by, via := o.By, o.Via
	if via == "" {
		via = "cli"
	}
	if by.Role == "" {
		by = kofukin.Operator(via)
	}
	return by, via
}

// File is one file to ingest held in memory (an upload): its name as sent and its bytes.
type File struct {
	Name string
	Data []byte
}

// source is one file to ingest: on disk (read when its turn comes, after its size was checked) or
// in memory.
type source struct {
	path string // on disk, or the name of an in-memory file
	data []byte // nil: read path
	mem  bool
}

// read returns the file's bytes, refusing (before reading) a file larger than its kind allows.
func (s source) read() ([]byte, *loaders.Problem) {
	limit := int64(loaders.MaxFileSize)
	if strings.EqualFold(filepath.Ext(s.path), ".csv") {
		limit = loaders.MaxCSVSize
	}
	tooLarge := func(n int64) *loaders.Problem {
		return &loaders.Problem{Code: loaders.ErrFileTooLarge, File: s.path, Expected: fmt.Sprintf("%d bytes or less", limit), Found: fmt.Sprintf("%d bytes", n),
			MessageJA: fmt.Sprintf("ファイルが大きすぎます（%sバイト、上限%sバイト）。", exporters.Commas(n), exporters.Commas(limit)),
			MessageEN: fmt.Sprintf("the file is %d bytes, more than the limit of %d", n, limit)}
	}
	if s.mem {
		if int64(len(s.data)) > limit {
			return nil, tooLarge(int64(len(s.data)))
		}
		return s.data, nil
	}
	data, err := ReadFileLimit(s.path, limit)
	var big *TooLargeError
	switch {
	case errors.As(err, &big):
		return nil, tooLarge(big.Size)
	case err != nil:
		return nil, &loaders.Problem{Code: loaders.ErrNotWorkbook, File: s.path, MessageJA: "ファイルを読み込めません。", MessageEN: err.Error()}
	}
	return data, nil
}

// TooLargeError is ReadFileLimit's refusal of a file larger than its limit.
type TooLargeError struct {
	Path        string
	Size, Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is %d bytes, more than the limit of %d", e.Path, e.Size, e.Limit)
}

// ReadFileLimit reads a file of at most limit bytes: a larger one is refused (*TooLargeError)
// before it is read, and reading stops at the limit if it grows meanwhile.
func ReadFileLimit(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil {
		if size = st.Size(); size > limit {
			return nil, &TooLargeError{Path: path, Size: size, Limit: limit}
		}
	}
	var data []byte
	if size >= 0 {
		// Read into a buffer of the file's size and one byte more (to see its end) instead of
		// growing one: a file that grows meanwhile is still read up to the limit.
		data, err = loaders.ReadAllInto(make([]byte, 0, size+1), io.LimitReader(f, limit+1))
	} else {
		data, err = io.ReadAll(io.LimitReader(f, limit+1))
	}
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Size: int64(len(data)), Limit: limit}
	}
	return data, nil
}

// ExpandPaths turns files and folders into the sorted list of files to ingest: *.xlsx and *.csv,
// folders walked recursively, hidden files and Excel lock files (~$…) skipped.
func ExpandPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if path != p && strings.HasPrefix(name, ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") {
				return nil
			}
			switch strings.ToLower(filepath.Ext(name)) {
			case ".xlsx", ".csv":
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// ingestGroup is how many accepted files are written per transaction.
const ingestGroup = 256

// parsed is one file after reading and validation.
type parsed struct {
	report  FileReport
	meta    store.SubmissionMeta
	answers []store.AnswerRow
}

// Ingest validates each file against its rulebook and stores each good one atomically as a new
// version of its entity's submission. A bad file is rejected with every problem named and loads
// nothing; it does not stop the others. Reference lists are loaded first; then an ingest runs in
// three phases: prepare (the reference data and every rulebook the files may need, read from and
// registered in the store once), parse (the loaders only, in parallel, with no database access)
// and write (one writer, in path order, so submission ids are deterministic). The error is for failures of the system (the database), not of
// the files: no file can make Ingest fail or panic (a panic while reading one is recovered and
// reported as that file's problem E023).
func (r *Runner) Ingest(ctx context.Context, paths []string, opts IngestOptions) (*IngestReport, error) {
	files, err := ExpandPaths(paths)
	if err != nil {
		return nil, err
	}
	srcs := make([]source, len(files))
	for i, f := range files {
		srcs[i] = source{path: f}
	}
	return r.ingest(ctx, srcs, opts)
}

// IngestFiles is Ingest for files held in memory (uploads); nothing is written to disk for them and
// they are never quarantined.
func (r *Runner) IngestFiles(ctx context.Context, files []File, opts IngestOptions) (*IngestReport, error) {
	srcs := make([]source, len(files))
	for i, f := range files {
		srcs[i] = source{path: f.Name, data: f.Data, mem: true}
	}
	opts.Quarantine = ""
	return r.ingest(ctx, srcs, opts)
}

func (r *Runner) ingest(ctx context.Context, files []source, opts IngestOptions) (*IngestReport, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	by, via := opts.sender()
	rep := &IngestReport{}
	total := len(files)
	years := map[int]bool{} // the fiscal years of the files stored, for the header-only files
	count := func(fr FileReport) {
		switch fr.Status {
		case kofukin.StatusAccepted:
			rep.Accepted++
		case kofukin.StatusUnchanged:
			rep.Unchanged++
		case kofukin.StatusDenied:
			rep.Denied++
		default:
			rep.Rejected++
		}
		if (fr.Status == kofukin.StatusAccepted || fr.Status == kofukin.StatusUnchanged) && fr.FiscalYear != 0 {
			years[fr.FiscalYear] = true
		}
		rep.Bytes += fr.Bytes
		rep.Files = append(rep.Files, fr)
		r.progress(Progress{Stage: "ingest", Done: len(rep.Files), Total: total, Unit: "files"})
	}
	// A list that holds its header and no data row says nothing of its year. Without a fiscal
	// year for the ingest (--fy) it waits for the other files and takes theirs.
	var later []source
	if opts.FiscalYear == 0 {
		var now []source
		for _, f := range files {
			if headerOnly(f) {
				later = append(later, f)
			} else {
				now = append(now, f)
			}
		}
		files = now
	}
	// Reference lists first, so that the entities they add are known when workbooks are checked.
	var rest []source
	for _, f := range files {
		if kind := referenceKind(f); kind != "" {
			fr, err := r.ingestReferenceSafe(ctx, f, kind, opts)
			if err != nil {
				return rep, err
			}
			count(fr)
			continue
		}
		rest = append(rest, f)
	}
	files = rest
	// Phase 1, prepare: everything the parsers need from the store, read once (when anything is
	// left to parse).
	prep := &prepared{}
	toParse := len(files) > 0
	for _, f := range later {
		toParse = toParse || referenceKind(f) == ""
	}
	if toParse {
		var err error
		if prep, err = r.prepare(ctx, opts.FiscalYear); err != nil {
			return rep, err
		}
	}
	// Phase 2, parse: the loaders only, in parallel; the workers see prep, never the store.
	results := make([]chan parsed, len(files))
	for i := range results {
		results[i] = make(chan parsed, 1)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < r.workers(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] <- prep.parseSafe(files[i], opts)
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range files {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer wg.Wait()
	defer cancel() // before the wait: a failed write stops the parsing of the files left
	// Phase 3, write: one writer, in path order. Files are stored in groups, one transaction each;
	// a file's report joins the final report only once its group is committed.
	w := r.Store.Submissions().NewWriter()
	var group []FileReport
	var stored []*store.IngestResult // per file of the group; nil when not stored
	flush := func() error {
		if err := w.Flush(ctx); err != nil {
			return err
		}
		for i, fr := range group {
			if res := stored[i]; res != nil {
				fr.Status, fr.SubmissionID, fr.Version = res.Status, res.SubmissionID, res.Version
			}
			count(fr)
		}
		group, stored = group[:0], stored[:0]
		return nil
	}
	take := func(p parsed) error {
		var res *store.IngestResult
		if p.report.Status == kofukin.StatusRejected && p.report.Kind == KindSurvey && p.report.EntityCode != "" &&
			kofukin.Authorize(by, kofukin.ActSubmit, p.report.EntityCode) != nil {
			// Another body's survey: its problems are not the sender's to read.
			p.report.Status, p.report.Problems, p.report.Warnings = kofukin.StatusDenied, nil, nil
		}
		if opts.only != "" && p.report.Kind == KindSurvey && p.report.EntityCode != "" && p.report.EntityCode != opts.only {
			p.report.Status, p.report.Problems, p.report.Warnings = kofukin.StatusDenied, nil, nil
		}
		if p.report.Status != kofukin.StatusRejected && p.report.Status != kofukin.StatusDenied {
			if err := authorizeFile(by, p.meta); err != nil {
				r.logger().Warn("ingest denied", "path", p.report.Path, "error", err)
				p.report.Status, p.report.Problems, p.report.Warnings = kofukin.StatusDenied, nil, nil
			} else {
				p.meta.Via, p.meta.By = via, by
				res = w.Add(p.meta, p.answers)
			}
		}
		group = append(group, p.report)
		stored = append(stored, res)
		r.logger().Debug("ingest file", "path", p.report.Path, "status", p.report.Status, "entity", p.report.EntityCode, "problems", len(p.report.Problems))
		if w.Pending() >= ingestGroup {
			return flush()
		}
		return nil
	}
	for i := range files {
		var p parsed
		select {
		case p = <-results[i]:
		case <-ctx.Done():
			return rep, ctx.Err()
		}
		if err := take(p); err != nil {
			return rep, err
		}
	}
	if err := flush(); err != nil {
		return rep, err
	}
	if len(later) > 0 {
		o := opts
		for y := range years {
			o.years = append(o.years, y)
		}
		sort.Ints(o.years)
		for _, f := range later {
			if kind := referenceKind(f); kind != "" {
				fr, err := r.ingestReferenceSafe(ctx, f, kind, o)
				if err != nil {
					return rep, err
				}
				count(fr)
				continue
			}
			if err := take(prep.parseSafe(f, o)); err != nil {
				return rep, err
			}
		}
		if err := flush(); err != nil {
			return rep, err
		}
	}
	if opts.Quarantine != "" {
		for i := range rep.Files {
			if rep.Files[i].Status != kofukin.StatusRejected {
				continue
			}
			dst, ann, why, err := r.quarantine(opts.Quarantine, rep.Files[i])
			if err != nil {
				return rep, fmt.Errorf("quarantine %s: %w", rep.Files[i].Path, err)
			}
			rep.Files[i].Quarantined, rep.Files[i].Annotated, rep.Files[i].NotAnnotated = dst, ann, why
		}
	}
	r.logger().Info("ingest", "files", len(rep.Files), "accepted", rep.Accepted, "rejected", rep.Rejected, "unchanged", rep.Unchanged, "denied", rep.Denied)
	return rep, nil
}

// headerOnly reports whether a file is a CSV list (not a survey, not an entity list, which has no
// 年度) holding its header and no data row, judged from its first 4 KiB.
func headerOnly(src source) bool {
	head, whole := csvHead(src)
	if !whole {
		return false
	}
	switch loaders.CSVKind(head) {
	case loaders.CSVSurvey, loaders.CSVEntities:
		return false
	}
	text, _, err := loaders.DecodeText(head)
	if err != nil {
		return false
	}
	_, line, p := loaders.CSVFirstYear(text)
	return line == 0 && p == nil
}

// csvYear decides the fiscal year a CSV list (outcomes, care centres, population, unions, needs) is
// read for: the 年度 of its first data row, which must be the ingest's year when one is given; a
// header-only file takes the ingest's year (--fy; without it, the one fiscal year of the other files
// stored by the same ingest). A year that cannot be decided is a problem at its place.
func csvYear(path string, text []byte, opts IngestOptions) (int, *loaders.Problem) {
	fy, line, p := loaders.CSVFirstYear(text)
	switch {
	case p != nil && opts.FiscalYear != 0:
		return opts.FiscalYear, nil // the reader reports this row and every other at its place
	case p != nil:
		p.File = path
		return 0, p
	case line == 0 && opts.FiscalYear != 0:
		return opts.FiscalYear, nil
	case line == 0 && len(opts.years) == 1:
		return opts.years[0], nil
	case line == 0:
		found, foundEN := "他のファイルなし", "no other file"
		if len(opts.years) > 1 {
			ys := make([]string, len(opts.years))
			for i, y := range opts.years {
				ys[i] = fmt.Sprint(y)
			}
			found, foundEN = "他のファイルの年度 "+strings.Join(ys, "・"), "the other files are for "+strings.Join(ys, ", ")
		}
		return 0, &loaders.Problem{Code: loaders.ErrFiscalYear, File: path, Cell: "2行目", Expected: "--fy で指定する年度", Found: "データ行なし（" + found + "）",
			MessageJA: "データ行がない（見出し行だけの）ため、このファイルの年度が分かりません（" + found + "）。--fy で年度を指定して取り込んでください。",
			MessageEN: "no data rows, so the file's fiscal year is unknown (" + foundEN + "): give it with --fy"}
	case opts.FiscalYear != 0 && fy != opts.FiscalYear:
		return fy, &loaders.Problem{Code: loaders.ErrFiscalYear, File: path, Cell: fmt.Sprintf("%d行目 %s列", line, loaders.OutcomeColFiscalYear),
			Expected: fmt.Sprint(opts.FiscalYear), Found: fmt.Sprint(fy),
			MessageJA: fmt.Sprintf("このファイルは%d年度のものです。%d年度のファイルを使用してください。", fy, opts.FiscalYear),
			MessageEN: fmt.Sprintf("this file is for FY%d; use FY%d", fy, opts.FiscalYear)}
	}
	return fy, nil
}

// withFile names the file in problems that do not name one.
func withFile(ps []loaders.Problem, path string) []loaders.Problem {
	for i := range ps {
		if ps[i].File == "" {
			ps[i].File = path
		}
	}
	return ps
}

// authorizeFile asks the policy whether by may send the file: a survey for its entity, or the
// ministry's data.
func authorizeFile(by kofukin.Principal, m store.SubmissionMeta) error {
	if m.Kind == KindSurvey {
		return kofukin.Authorize(by, kofukin.ActSubmit, m.EntityCode)
	}
	return kofukin.Authorize(by, kofukin.ActSubmitMinistryData, "")
}

// parseSafe is parse that survives any input: a panic while reading a file (a bug, since no
// input should cause one) becomes the file's problem E023 and a log line with the stack, and the
// other files carry on.
func (pr *prepared) parseSafe(src source, opts IngestOptions) (p parsed) {
	defer func() {
		if v := recover(); v != nil {
			pr.logger.Error("panic while reading a file", "path", src.path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			p = parsed{report: FileReport{Path: src.path, Status: kofukin.StatusRejected, Problems: []loaders.Problem{internalProblem(src.path)}}}
		}
	}()
	return pr.parse(src, opts)
}

func internalProblem(path string) loaders.Problem {
	return loaders.Problem{Code: loaders.ErrInternal, File: path,
		MessageJA: "このファイルの処理中にシステム内部の誤りが発生しました。ファイルは受け付けていません。お手数ですが、国（厚生労働省）の担当者にこのファイルを添えてご連絡ください。",
		MessageEN: "an internal error occurred while processing this file; it was not accepted. Please send the file to the ministry's helpdesk."}
}

// ingestReferenceSafe is ingestReference that survives any input (see parseSafe).
func (r *Runner) ingestReferenceSafe(ctx context.Context, src source, kind string, opts IngestOptions) (fr FileReport, err error) {
	defer func() {
		if v := recover(); v != nil {
			r.logger().Error("panic while reading a reference file", "path", src.path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			fr, err = FileReport{Path: src.path, Kind: kind, Status: kofukin.StatusRejected, Problems: []loaders.Problem{internalProblem(src.path)}}, nil
		}
	}()
	by, _ := opts.sender()
	if err := kofukin.Authorize(by, kofukin.ActSubmitMinistryData, ""); err != nil {
		r.logger().Warn("ingest denied", "path", src.path, "error", err)
		return FileReport{Path: src.path, Kind: kind, Status: kofukin.StatusDenied}, nil
	}
	return r.ingestReference(ctx, src, kind, opts)
}

// parse reads and validates one file. It never touches the store: what it needs of it (rulebooks,
// entities) was prepared.
func (pr *prepared) parse(src source, opts IngestOptions) parsed {
	path := src.path
	rep := FileReport{Path: path}
	var data []byte
	reject := func(err error) parsed {
		rep.Status = kofukin.StatusRejected
		if rep.EntityCode == "" && data != nil {
			rep.EntityCode = loaders.PeekEntity(data) // whose survey it claims to be, for the policy
		}
		var rj *loaders.Rejection
		if errors.As(err, &rj) {
			rep.Problems = withFile(rj.Problems, path)
		} else {
			rep.Problems = []loaders.Problem{{Code: loaders.ErrNotWorkbook, File: path, MessageJA: "ファイルを読み込めません。", MessageEN: err.Error()}}
		}
		return parsed{report: rep}
	}
	var prob *loaders.Problem
	data, prob = src.read()
	if prob != nil {
		rep.Status, rep.Problems = kofukin.StatusRejected, []loaders.Problem{*prob}
		return parsed{report: rep}
	}
	rep.Bytes = int64(len(data))
	name := filepath.Base(path)
	expect := loaders.Expect{
		FiscalYear: opts.FiscalYear,
		Entity:     pr.has,
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		rep.Kind = KindSurvey
		sv, err := loaders.ReadSurvey(path, data, pr.lib, expect)
		if err != nil {
			return reject(err)
		}
		return pr.surveyParsed(rep, sv, name)
	case ".csv":
		if loaders.CSVKind(data) == loaders.CSVSurvey {
			rep.Kind = KindSurvey
			sv, err := loaders.ReadSurveyCSV(path, data, pr.lib, expect)
			if err != nil {
				return reject(err)
			}
			return pr.surveyParsed(rep, sv, name)
		}
		rep.Kind = KindOutcomes
		text, _, err := loaders.DecodeText(data) // for the year; the reader decodes (and bounds) the file itself
		if err != nil {
			return reject(err)
		}
		fy, prob := csvYear(path, text, opts)
		if prob != nil {
			return reject(&loaders.Rejection{File: path, Problems: []loaders.Problem{*prob}})
		}
		rb, err := pr.rulebook(fy, kofukin.Municipality)
		if err != nil {
			return reject(&loaders.Rejection{File: path, Problems: []loaders.Problem{{Code: loaders.ErrRulebook, File: path,
				MessageJA: fmt.Sprintf("%d年度の評価指標が登録されていません。", fy), MessageEN: err.Error()}}})
		}
		out, err := loaders.ReadOutcomes(path, data, rb, func(code string) bool { return pr.has(fy, rb.Level, code) })
		if err != nil {
			return reject(err)
		}
		rep.FiscalYear, rep.EntityCode, rep.Answers, rep.SHA256 = fy, store.MinistryCode, len(out.Rows), out.SHA256
		if len(out.Rows) == 0 {
			rep.Warnings = []loaders.Problem{loaders.NoRowsWarning(path)}
		}
		rows := make([]store.AnswerRow, len(out.Rows))
		for i, o := range out.Rows {
			rows[i] = store.AnswerRow{EntityCode: o.EntityCode, Answer: o.Answer}
		}
		return parsed{report: rep, answers: rows, meta: store.SubmissionMeta{
			FiscalYear: fy, EntityCode: store.MinistryCode, Level: "ministry", Kind: KindOutcomes,
			FileName: name, SHA256: out.SHA256, Size: out.Size, RulebookHash: rb.Hash,
		}}
	}
	return reject(&loaders.Rejection{File: path, Problems: []loaders.Problem{{Code: loaders.ErrNotWorkbook, File: path,
		MessageJA: "対応していないファイル形式です（.xlsx 又は .csv）。", MessageEN: "unsupported file type (use .xlsx or .csv)"}}})
}

// referenceKind tells whether a file is a reference list (care centres, population, unions,
// needs, entities) and which; "" for anything else.
func referenceKind(src source) string {
	head, _ := csvHead(src)
	if head == nil {
		return ""
	}
	switch loaders.CSVKind(head) {
	case loaders.CSVCentres:
		return KindCentres
	case loaders.CSVPopulation:
		return KindPopulation
	case loaders.CSVUnions:
		return KindUnions
	case loaders.CSVNeeds:
		return KindNeeds
	case loaders.CSVEntities:
		return KindEntities
	case loaders.CSVLocal:
		return KindLocal
	}
	return ""
}

// csvHead returns the first 4 KiB of a CSV file (nil for any other file) and whether that is the
// whole file.
func csvHead(src source) (head []byte, whole bool) {
	const size = 4096
	if strings.ToLower(filepath.Ext(src.path)) != ".csv" {
		return nil, false
	}
	head = src.data
	if !src.mem {
		f, err := os.Open(src.path)
		if err != nil {
			return nil, false
		}
		defer f.Close()
		head = make([]byte, size+1)
		n, err := io.ReadFull(f, head)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, false // unreadable: not taken for a list here; reading it again reports why
		}
		head = head[:n]
	}
	if len(head) > size {
		return head[:size], false
	}
	return head, true
}

// ingestReference loads a reference list in one transaction: care centres become entities valid
// from the file's fiscal year (its 年度 column, or --fy); population figures replace those of their
// year (the old ones kept in population_history); unions and their members are recorded.
func (r *Runner) ingestReference(ctx context.Context, src source, kind string, opts IngestOptions) (FileReport, error) {
	path := src.path
	rep := FileReport{Path: path, Kind: kind, EntityCode: store.MinistryCode}
	raw, prob := src.read()
	if prob != nil {
		rep.Status, rep.Problems = kofukin.StatusRejected, []loaders.Problem{*prob}
		return rep, nil
	}
	rep.Bytes = int64(len(raw))
	sum := sha256.Sum256(raw)
	rep.SHA256 = hex.EncodeToString(sum[:])
	file := store.ReferenceFile{Name: filepath.Base(path), SHA256: rep.SHA256}
	reject := func(err error) (FileReport, error) {
		var rj *loaders.Rejection
		if !errors.As(err, &rj) {
			return rep, err
		}
		rep.Status, rep.Problems = kofukin.StatusRejected, withFile(rj.Problems, path)
		return rep, nil
	}
	data := raw // the readers decode (UTF-8 or Shift_JIS) and bound the file themselves
	text, _, err := loaders.DecodeText(raw)
	if err != nil {
		return reject(err)
	}
	if kind == KindEntities {
		rows, err := loaders.ReadEntityList(path, data)
		if err != nil {
			return reject(err)
		}
		if err := r.EnsureReference(ctx, opts.FiscalYear); err != nil && opts.FiscalYear != 0 {
			return rep, err
		}
		added, updated, unchanged, err := r.Store.Reference().ApplyEntityList(ctx, opts.FiscalYear, file, rows)
		if err != nil {
			return rep, err
		}
		rep.Answers, rep.FiscalYear, rep.Status = added+updated, opts.FiscalYear, kofukin.StatusAccepted
		if unchanged {
			rep.Status = kofukin.StatusUnchanged
		}
		if len(rows) == 0 {
			rep.Warnings = []loaders.Problem{loaders.NoRowsWarning(path)}
		}
		r.logger().Info("entities", "path", path, "added", added, "updated", updated)
		return rep, nil
	}
	fy, prob := csvYear(path, text, opts)
	if prob != nil {
		return reject(&loaders.Rejection{File: path, Problems: []loaders.Problem{*prob}})
	}
	rep.FiscalYear = fy
	if err := r.EnsureReference(ctx, fy); err != nil {
		return rep, err
	}
	known := map[string]bool{}
	totals := map[string]int64{} // the total population recorded for fy, where there is one
	for _, lv := range []kofukin.Level{kofukin.Municipality, kofukin.Prefecture} {
		es, err := r.Store.Reference().Entities(ctx, fy, string(lv))
		if err != nil {
			return rep, err
		}
		for _, e := range es {
			known[e.Code] = true
			if e.Population > 0 {
				totals[e.Code] = e.Population
			}
		}
	}
	isKnown := func(c string) bool { return known[c] }
	var unchanged bool
	switch kind {
	case KindCentres:
		ents, err := loaders.ReadCentres(path, data, isKnown)
		if err != nil {
			return reject(err)
		}
		rep.Answers = len(ents)
		_, unchanged, err = r.Store.Reference().AddEntities(ctx, fy, file, ents)
		if err != nil {
			return rep, err
		}
	case KindPopulation:
		rows, err := loaders.ReadPopulation(path, data, isKnown, func(c string) (int64, bool) { n, ok := totals[c]; return n, ok })
		if err != nil {
			return reject(err)
		}
		rep.Answers = len(rows)
		if _, unchanged, err = r.Store.Reference().UpdatePopulation(ctx, fy, file, rows); err != nil {
			return rep, err
		}
	case KindNeeds:
		grants := map[string]string{"推進": "suishin", "支援": "shien", "suishin": "suishin", "shien": "shien"}
		if p, err := allocation.Load(fy); err == nil {
			for _, g := range p.Grants {
				grants[g.ID], grants[g.Short] = g.ID, g.ID
			}
		}
		rows, err := loaders.ReadNeeds(path, data, isKnown, grants)
		if err != nil {
			return reject(err)
		}
		rep.Answers = len(rows)
		if unchanged, err = r.Store.Reference().SetNeeds(ctx, fy, file, rows); err != nil {
			return rep, err
		}
	case KindLocal:
		rows, err := loaders.ReadLocalIndicators(path, data, fy, isKnown)
		if err != nil {
			return reject(err)
		}
		// An indicator keeps one unit in a year: a file giving it in another unit would leave the
		// municipalities it does not list in the old one, and the medians would mix the two.
		units, err := r.Store.Reference().LocalUnits(ctx, fy)
		if err != nil {
			return rep, err
		}
		var ps []loaders.Problem
		for _, v := range rows {
			if u, ok := units[v.Indicator]; ok && u != v.Unit && (len(ps) == 0 || ps[len(ps)-1].Found != v.Indicator) {
				ps = append(ps, loaders.Problem{Code: loaders.ErrCSV, Cell: v.Cell, Expected: u, Found: v.Indicator,
					MessageJA: fmt.Sprintf("「%s」は%d年度に単位「%s」で登録済みですが、このファイルでは「%s」です。同じ単位で送るか、指標の名前を変えてください。", v.Indicator, fy, u, v.Unit),
					MessageEN: fmt.Sprintf("%q is stored for FY%d in %q but this file gives it in %q", v.Indicator, fy, u, v.Unit)})
			}
		}
		if len(ps) > 0 {
			return reject(&loaders.Rejection{File: path, Problems: ps})
		}
		rep.Answers = len(rows)
		if unchanged, err = r.Store.Reference().SetLocalIndicators(ctx, fy, file, rows); err != nil {
			return rep, err
		}
	case KindUnions:
		unions, err := loaders.ReadUnions(path, data, isKnown)
		if err != nil {
			return reject(err)
		}
		rep.Answers = len(unions)
		if unchanged, err = r.Store.Reference().AddUnions(ctx, fy, file, unions); err != nil {
			return rep, err
		}
	}
	rep.Status = kofukin.StatusAccepted
	if unchanged {
		rep.Status = kofukin.StatusUnchanged
	}
	if rep.Answers == 0 {
		rep.Warnings = []loaders.Problem{loaders.NoRowsWarning(path)}
	}
	r.logger().Info("reference", "path", path, "kind", kind, "fiscal_year", fy, "rows", rep.Answers, "status", rep.Status)
	return rep, nil
}

// surveyParsed turns a validated survey (workbook or CSV) into what the store takes.
func (pr *prepared) surveyParsed(rep FileReport, sv *loaders.Survey, name string) parsed {
	rep.FiscalYear, rep.EntityCode, rep.Answers, rep.SHA256, rep.Warnings = sv.FiscalYear, sv.EntityCode, len(sv.Answers), sv.SHA256, sv.Warnings
	if _, err := pr.rulebook(sv.FiscalYear, sv.Level); err != nil {
		rep.Status = kofukin.StatusRejected
		rep.Problems = []loaders.Problem{{Code: loaders.ErrRulebook, File: rep.Path, MessageJA: "評価指標を登録できません。", MessageEN: err.Error()}}
		return parsed{report: rep}
	}
	rows := make([]store.AnswerRow, len(sv.Answers))
	for i, a := range sv.Answers {
		rows[i] = store.AnswerRow{EntityCode: sv.EntityCode, Answer: a}
	}
	return parsed{report: rep, answers: rows, meta: store.SubmissionMeta{
		FiscalYear: sv.FiscalYear, EntityCode: sv.EntityCode, Level: string(sv.Level), Kind: KindSurvey,
		FileName: name, SHA256: sv.SHA256, Size: sv.Size, RulebookHash: sv.RulebookHash, FilledOn: sv.FilledOn,
	}}
}

// prepared is what the parse phase of an ingest reads instead of the store: the rulebooks of the
// fiscal years the files may be for (registered in the store) and the entities valid in each of
// those years. It is read-only once made, so the parse workers share it without locks.
type prepared struct {
	lib       *indicators.Library
	logger    *slog.Logger
	rulebooks map[rulebookKey]*indicators.Rulebook
	entities  map[int]map[kofukin.Level]map[string]bool // fiscal year → level → codes
}

type rulebookKey struct {
	fy    int
	level kofukin.Level
}

// prepare reads and registers, before any file is parsed, everything the parsers may ask the
// store: for fiscal year fy, or (fy 0: each file's own year) every fiscal year the rulebook
// library has, the shipped reference data (loaded on first use), the year's rulebooks (registered)
// and its entities.
func (r *Runner) prepare(ctx context.Context, fy int) (*prepared, error) {
	p := &prepared{lib: r.Rulebooks, logger: r.logger(), rulebooks: map[rulebookKey]*indicators.Rulebook{},
		entities: map[int]map[kofukin.Level]map[string]bool{}}
	var books []*indicators.Rulebook // none without a library: then every file is refused by its reader
	if r.Rulebooks != nil {
		books = r.Rulebooks.All()
	}
	years := []int{fy}
	if fy == 0 {
		years = nil
		for _, rb := range books {
			if len(years) == 0 || years[len(years)-1] != rb.FiscalYear {
				years = append(years, rb.FiscalYear) // All is sorted by year
			}
		}
	}
	for _, y := range years {
		if err := r.EnsureReference(ctx, y); err != nil {
			return nil, fmt.Errorf("prepare FY%d reference data: %w", y, err)
		}
		for _, rb := range books {
			if rb.FiscalYear != y {
				continue
			}
			rb, err := r.rulebook(ctx, y, rb.Level)
			if err != nil {
				return nil, fmt.Errorf("prepare FY%d: %w", y, err)
			}
			p.rulebooks[rulebookKey{y, rb.Level}] = rb
		}
		byLevel := map[kofukin.Level]map[string]bool{}
		for _, lv := range kofukin.Levels {
			es, err := r.Store.Reference().Entities(ctx, y, string(lv))
			if err != nil {
				return nil, fmt.Errorf("prepare FY%d entities: %w", y, err)
			}
			set := make(map[string]bool, len(es))
			for _, e := range es {
				set[e.Code] = true
			}
			byLevel[lv] = set
		}
		p.entities[y] = byLevel
	}
	return p, nil
}

// has reports whether code is an entity of level valid in fy. For a fiscal year that was not
// prepared (one the library has no rulebook of) it cannot tell and says yes: the rulebook check
// that follows refuses the file.
func (p *prepared) has(fy int, level kofukin.Level, code string) bool {
	byLevel, ok := p.entities[fy]
	if !ok {
		return true
	}
	return byLevel[level][code]
}

// rulebook returns the registered rulebook of fy and level.
func (p *prepared) rulebook(fy int, level kofukin.Level) (*indicators.Rulebook, error) {
	if rb, ok := p.rulebooks[rulebookKey{fy, level}]; ok {
		return rb, nil
	}
	if _, err := p.lib.Get(fy, level); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("the FY%d %s rulebook was not prepared for this ingest", fy, level)
}
