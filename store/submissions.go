package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
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

// AddSubmission stores a validated file as the new current version of its entity's submission
// for the year, superseding the previous one, in one transaction. A file identical (same SHA-256)
// to the current version writes nothing and is reported unchanged.
func (s *Store) AddSubmission(ctx context.Context, m SubmissionMeta, answers []AnswerRow) (IngestResult, error) {
	var res IngestResult
	err := s.withTx(ctx, func(c *txConn) error {
		var curID sql.NullInt64
		var curSHA sql.NullString
		var maxVer sql.NullInt64
		err := c.queryRow(`SELECT max(id) FILTER (WHERE status = 'current'), max(sha256) FILTER (WHERE status = 'current'), max(version)
			FROM submissions WHERE fiscal_year = ? AND entity_code = ? AND level = ? AND kind = ?`,
			m.FiscalYear, m.EntityCode, m.Level, m.Kind).Scan(&curID, &curSHA, &maxVer)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if curSHA.Valid && curSHA.String == m.SHA256 {
			res = IngestResult{Status: Unchanged, SubmissionID: curID.Int64, Version: int(maxVer.Int64)}
			return nil
		}
		if curID.Valid {
			if _, err := c.exec(`UPDATE submissions SET status = 'superseded' WHERE id = ?`, curID.Int64); err != nil {
				return err
			}
		}
		var id int64
		if err := c.queryRow(`SELECT nextval('submission_id_seq')`).Scan(&id); err != nil {
			return err
		}
		ver := int(maxVer.Int64) + 1
		var rh any
		if m.RulebookHash != "" {
			rh = m.RulebookHash
		}
		if _, err := c.exec(`INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', ?, ?)`,
			id, m.FiscalYear, m.EntityCode, m.Level, m.Kind, m.FileName, m.SHA256, m.Size, s.Now().UTC(), ver, rh, len(answers)); err != nil {
			return err
		}
		rows := make([][]driver.Value, len(answers))
		for i, a := range answers {
			var text, num driver.Value
			if !a.Blank {
				text, num = a.Text, a.Num
			}
			rows[i] = []driver.Value{id, a.EntityCode, a.ItemID, text, num, a.Cell}
		}
		if err := c.appendRows("answers", rows); err != nil {
			return err
		}
		res = IngestResult{Status: Accepted, SubmissionID: id, Version: ver}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("store submission %s: %w", m.FileName, err)
	}
	return res, nil
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
