package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/kofukin/kofukin/loaders"
)

// Ingest outcomes.
const (
	Accepted  = "accepted"
	Unchanged = "unchanged"
)

// MinistryCode is the entity code recorded for ministry-supplied files.
const MinistryCode = "MHLW"

// SubmissionMeta describes one accepted file.
type SubmissionMeta struct {
	FiscalYear   int
	EntityCode   string
	Level        string
	Kind         string // survey | outcomes
	FileName     string
	SHA256       string
	Size         int64
	RulebookHash string
	FilledOn     time.Time // 記入日 given in the workbook, if any
}

// IngestResult says what became of one file.
type IngestResult struct {
	Status       string // accepted | unchanged
	SubmissionID int64
	Version      int
}

// AnswerRow is one answer to store.
type AnswerRow struct {
	EntityCode string
	loaders.Answer
}

// AddSubmission stores one validated file as the new current version of its entity's submission
// for the year, superseding the previous one, in one transaction. A file identical (same SHA-256)
// to the current version writes nothing and is reported unchanged.
func (s *Store) AddSubmission(ctx context.Context, m SubmissionMeta, answers []AnswerRow) (IngestResult, error) {
	w := s.NewSubmissionWriter()
	res, err := w.Add(ctx, m, answers)
	if err != nil {
		return res, err
	}
	return res, w.Flush(ctx)
}

// SubmissionWriter stores many validated files in few transactions: files are buffered and
// written together by Flush, each file all or nothing (a failed Flush writes none of the buffered
// files). It decides at Add whether a file is a new version or unchanged, counting the files
// buffered before it. It is not safe for concurrent use.
type SubmissionWriter struct {
	s       *Store
	current map[subKey]currentVersion // loaded per fiscal year on first use
	loaded  map[int]bool
	pending []pendingSubmission
}

type subKey struct {
	fy                  int
	entity, level, kind string
}

type currentVersion struct {
	id      int64 // 0 when none
	sha     string
	version int // highest version, current or not
}

type pendingSubmission struct {
	id         int64
	meta       SubmissionMeta
	answers    []AnswerRow
	version    int
	supersedes int64
	result     *IngestResult
}

// NewSubmissionWriter returns a writer over the store.
func (s *Store) NewSubmissionWriter() *SubmissionWriter {
	return &SubmissionWriter{s: s, current: map[subKey]currentVersion{}, loaded: map[int]bool{}}
}

// Pending is the number of files buffered.
func (w *SubmissionWriter) Pending() int { return len(w.pending) }

func (w *SubmissionWriter) load(ctx context.Context, fy int) error {
	if w.loaded[fy] {
		return nil
	}
	rows, err := w.s.DB.QueryContext(ctx, `SELECT entity_code, level, kind,
			coalesce(max(id) FILTER (WHERE status = 'current'), 0), coalesce(max(sha256) FILTER (WHERE status = 'current'), ''), max(version)
		FROM submissions WHERE fiscal_year = ? GROUP BY entity_code, level, kind`, fy)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k subKey
		var c currentVersion
		if err := rows.Scan(&k.entity, &k.level, &k.kind, &c.id, &c.sha, &c.version); err != nil {
			return err
		}
		k.fy = fy
		w.current[k] = c
	}
	w.loaded[fy] = true
	return rows.Err()
}

// Add buffers one validated file. The result's status is final; its id and version are filled
// in now, but nothing is written before Flush.
func (w *SubmissionWriter) Add(ctx context.Context, m SubmissionMeta, answers []AnswerRow) (IngestResult, error) {
	if err := w.load(ctx, m.FiscalYear); err != nil {
		return IngestResult{}, fmt.Errorf("store submission %s: %w", m.FileName, err)
	}
	k := subKey{m.FiscalYear, m.EntityCode, m.Level, m.Kind}
	cur := w.current[k]
	if cur.id != 0 && cur.sha == m.SHA256 {
		return IngestResult{Status: Unchanged, SubmissionID: cur.id, Version: cur.version}, nil
	}
	var id int64
	if err := w.s.DB.QueryRowContext(ctx, `SELECT nextval('submission_id_seq')`).Scan(&id); err != nil {
		return IngestResult{}, err
	}
	res := IngestResult{Status: Accepted, SubmissionID: id, Version: cur.version + 1}
	w.pending = append(w.pending, pendingSubmission{id: id, meta: m, answers: answers, version: res.Version, supersedes: cur.id})
	w.current[k] = currentVersion{id: id, sha: m.SHA256, version: res.Version}
	return res, nil
}

// Flush writes the buffered files in one transaction.
func (w *SubmissionWriter) Flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	now := w.s.Now().UTC()
	err := w.s.withTx(ctx, func(c *txConn) error {
		var subs, ans [][]driver.Value
		var superseded []string
		for _, p := range w.pending {
			id := p.id
			if p.supersedes != 0 {
				superseded = append(superseded, fmt.Sprint(p.supersedes))
			}
			var rh driver.Value
			if p.meta.RulebookHash != "" {
				rh = p.meta.RulebookHash
			}
			var filled driver.Value
			if !p.meta.FilledOn.IsZero() {
				filled = p.meta.FilledOn
			}
			subs = append(subs, []driver.Value{id, int32(p.meta.FiscalYear), p.meta.EntityCode, p.meta.Level, p.meta.Kind, p.meta.FileName,
				p.meta.SHA256, p.meta.Size, now, int32(p.version), "current", rh, int32(len(p.answers)), filled})
			for _, a := range p.answers {
				var text, num driver.Value
				if !a.Blank {
					text, num = a.Text, a.Num
				}
				ans = append(ans, []driver.Value{id, a.EntityCode, a.ItemID, text, num, a.Cell})
			}
		}
		if len(superseded) > 0 {
			if _, err := c.exec(`UPDATE submissions SET status = 'superseded' WHERE id IN (` + strings.Join(superseded, ",") + `)`); err != nil {
				return err
			}
		}
		if err := c.appendRows("submissions", subs); err != nil {
			return err
		}
		return c.appendRows("answers", ans)
	})
	if err != nil {
		// Nothing of the group was written: forget what Add decided, so that state matches the store.
		n := len(w.pending)
		w.current, w.loaded = map[subKey]currentVersion{}, map[int]bool{}
		w.pending = nil
		return fmt.Errorf("store %d submission(s): %w", n, err)
	}
	w.pending = w.pending[:0]
	return nil
}

// Submission is one row of the submissions table.
type Submission struct {
	ID           int64
	FiscalYear   int
	EntityCode   string
	Level        string
	Kind         string
	FileName     string
	SHA256       string
	ReceivedAt   time.Time
	Version      int
	Status       string
	RulebookHash string
	AnswerCount  int
}

// CurrentSubmissions lists the current submissions of a fiscal year, ordered by level, entity and
// kind.
func (s *Store) CurrentSubmissions(ctx context.Context, fy int) ([]Submission, error) {
	return s.submissions(ctx, `WHERE fiscal_year = ? AND status = 'current'`, fy)
}

// SubmissionHistory lists every version of an entity's submissions for a year, newest first.
func (s *Store) SubmissionHistory(ctx context.Context, fy int, entity string) ([]Submission, error) {
	return s.submissions(ctx, `WHERE fiscal_year = ? AND entity_code = ?`, fy, entity)
}

func (s *Store) submissions(ctx context.Context, where string, args ...any) ([]Submission, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id, fiscal_year, entity_code, level, kind, file_name, sha256, received_at,
		version, status, coalesce(rulebook_hash, ''), answer_count FROM submissions `+where+` ORDER BY level, entity_code, kind, version DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Submission
	for rows.Next() {
		var x Submission
		if err := rows.Scan(&x.ID, &x.FiscalYear, &x.EntityCode, &x.Level, &x.Kind, &x.FileName, &x.SHA256, &x.ReceivedAt,
			&x.Version, &x.Status, &x.RulebookHash, &x.AnswerCount); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// SubmissionAnswers returns the answers of one submission, by entity and item.
func (s *Store) SubmissionAnswers(ctx context.Context, id int64) ([]AnswerRow, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT entity_code, item_id, value_text, value_num, cell FROM answers WHERE submission_id = ? ORDER BY entity_code, item_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AnswerRow
	for rows.Next() {
		var a AnswerRow
		var text *string
		var num *float64
		if err := rows.Scan(&a.EntityCode, &a.ItemID, &text, &num, &a.Cell); err != nil {
			return nil, err
		}
		if text == nil {
			a.Blank = true
		} else {
			a.Text = *text
		}
		if num != nil {
			a.Num = *num
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
