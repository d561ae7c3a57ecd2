package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kofukin/kofukin"
)

// Run kinds.
const (
	KindScore    = "score"
	KindAllocate = "allocate"
	KindExport   = "export"
	KindIngest   = "ingest"
	KindNightly  = "nightly"
)

// Run statuses.
//
// Deprecated: use kofukin.RunRunning, kofukin.RunSucceeded and kofukin.RunFailed.
const (
	RunRunning   = kofukin.RunRunning
	RunSucceeded = kofukin.RunSucceeded
	RunFailed    = kofukin.RunFailed
)

// Run is one recorded run.
type Run struct {
	ID         int64
	Kind       string
	FiscalYear int
	StartedAt  time.Time
	FinishedAt *time.Time
	Status     kofukin.RunStatus
	Parameters string
	Manifest   string
	Summary    string
	Error      string
}

// Start records the start of a run with its parameters and returns its id.
func (rs *Runs) Start(ctx context.Context, kind string, fy int, params any) (int64, error) {
	p, err := json.Marshal(params)
	if err != nil {
		return 0, err
	}
	ids, err := rs.s.nextIDs(ctx, rs.s.db, "run_id_seq", 1)
	if err != nil {
		return 0, err
	}
	id := ids[0]
	_, err = rs.s.db.ExecContext(ctx, `INSERT INTO runs (id, kind, fiscal_year, started_at, status, parameters) VALUES (?, ?, ?, ?, ?, ?)`,
		id, kind, fy, rs.s.Now().UTC(), kofukin.RunRunning, string(p))
	if err != nil {
		return 0, fmt.Errorf("start %s run: %w", kind, err)
	}
	return id, nil
}

// Finish records the end of a run: its manifest and summary when it succeeded, its error when
// runErr is not nil.
func (rs *Runs) Finish(ctx context.Context, id int64, manifest any, summary string, runErr error) error {
	status, errText := kofukin.RunSucceeded, ""
	if runErr != nil {
		status, errText = kofukin.RunFailed, runErr.Error()
	}
	var m any
	if manifest != nil {
		b, err := json.Marshal(manifest)
		if err != nil {
			return err
		}
		m = string(b)
	}
	_, err := rs.s.db.ExecContext(context.WithoutCancel(ctx), `UPDATE runs SET finished_at = ?, status = ?, manifest = ?, summary = ?, error = ? WHERE id = ?`,
		rs.s.Now().UTC(), status, m, summary, errText, id)
	return err
}

// Latest returns the newest succeeded run of a kind for a fiscal year.
func (rs *Runs) Latest(ctx context.Context, kind string, fy int) (*Run, error) {
	runs, err := rs.s.runs(ctx, `WHERE kind = ? AND fiscal_year = ? AND status = 'succeeded' ORDER BY id DESC LIMIT 1`, kind, fy)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, &NoRunError{Kind: kind, FiscalYear: fy}
	}
	return &runs[0], nil
}

// NoRunError is Runs.Latest's answer when no run of the kind has succeeded for the fiscal year.
type NoRunError struct {
	Kind       string
	FiscalYear int
}

func (e *NoRunError) Error() string {
	return fmt.Sprintf("no succeeded %s run for fiscal year %d", e.Kind, e.FiscalYear)
}

// Unwrap makes a missing run an ErrNotFound, as the service answers it.
func (e *NoRunError) Unwrap() error { return ErrNotFound }

// Get returns one run by id.
func (rs *Runs) Get(ctx context.Context, id int64) (*Run, error) {
	runs, err := rs.s.runs(ctx, `WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("no run %d: %w", id, ErrNotFound)
	}
	return &runs[0], nil
}

// List lists every run, newest first.
func (rs *Runs) List(ctx context.Context) ([]Run, error) {
	return rs.s.runs(ctx, `ORDER BY id DESC`)
}

func (s *Store) runs(ctx context.Context, tail string, args ...any) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, fiscal_year, started_at, finished_at, status, parameters,
		coalesce(manifest, ''), coalesce(summary, ''), coalesce(error, '') FROM runs `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var fin sql.NullTime
		if err := rows.Scan(&r.ID, &r.Kind, &r.FiscalYear, &r.StartedAt, &fin, &r.Status, &r.Parameters, &r.Manifest, &r.Summary, &r.Error); err != nil {
			return nil, err
		}
		if fin.Valid {
			t := fin.Time
			r.FinishedAt = &t
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RulebookContent returns the stored text of a rulebook by its hash.
func (rs *Runs) RulebookContent(ctx context.Context, hash string) (file string, content []byte, err error) {
	var text string
	err = rs.s.db.QueryRowContext(ctx, `SELECT file_name, content FROM rulebooks WHERE hash = ?`, hash).Scan(&file, &text)
	if err != nil {
		return "", nil, fmt.Errorf("rulebook %s is not stored: %w", hash, err)
	}
	return file, []byte(text), nil
}

// RestoreInputs makes the submission versions a run read the current ones again, for re-creating
// the run in a rehearsal (Rehearse); on the real database it is refused.
func (rs *Runs) RestoreInputs(ctx context.Context, runID int64, fy int) error {
	if !rs.s.InRehearsal() {
		return fmt.Errorf("restore the inputs of run %d: only inside a rehearsal", runID)
	}
	if !rs.s.rehearsal.submissions {
		return errNoSubmissionsHere
	}
	return rs.s.withTx(ctx, func(c *txConn) error {
		if _, err := c.exec(`UPDATE submissions SET status = 'superseded' WHERE fiscal_year IN (?, ?) AND status = 'current'`, fy, fy-1); err != nil {
			return err
		}
		_, err := c.exec(`UPDATE submissions SET status = 'current' WHERE id IN (SELECT submission_id FROM run_inputs WHERE run_id = ?)`, runID)
		return err
	})
}

// ScoreLines renders everything a score run stored, for comparing two runs line by line: after
// the item scores (as ItemScoreLines), each entity's indicator points, goal subtotals and grant
// totals per grant, and 総合計, maximum, 得点率, rank and whether it submitted. Each line names its
// table; lines come in a fixed order.
func (rs *Runs) ScoreLines(ctx context.Context, runID int64) ([]string, error) {
	out, err := rs.ItemScoreLines(ctx, runID)
	if err != nil {
		return nil, err
	}
	rows, err := rs.s.db.QueryContext(ctx, scoreLinesSQL, runID, runID, runID, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind int
		var code, key, l string
		if err := rows.Scan(&kind, &code, &key, &l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// ItemScoreLines renders a score run's item scores, one line per entity and item, in order.
func (rs *Runs) ItemScoreLines(ctx context.Context, runID int64) ([]string, error) {
	rows, err := rs.s.db.QueryContext(ctx, `SELECT entity_code || ' ' || item_id || ' ' || CAST(points AS VARCHAR) || ' ' || status || ' ' || reason
		FROM item_scores WHERE run_id = ? ORDER BY entity_code, item_id`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Statements in store/queries (what each does and its args at the top of its file).
var (
	scoreLinesSQL = query("score_lines.sql")
)

// InputVersions returns the version of each entity's submission of kind that a run read (an entity
// without one is absent).
func (rs *Runs) InputVersions(ctx context.Context, runID int64, kind string) (map[string]int, error) {
	rows, err := rs.s.db.QueryContext(ctx, `SELECT entity_code, version FROM run_inputs WHERE run_id = ? AND kind = ? ORDER BY entity_code`, runID, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var code string
		var v int
		if err := rows.Scan(&code, &v); err != nil {
			return nil, err
		}
		out[code] = v
	}
	return out, rows.Err()
}
