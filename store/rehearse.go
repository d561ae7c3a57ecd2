package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
)

// dbtx is what the store's statements run on: *sql.DB (the pool) or *sql.Conn (a rehearsal's one
// connection).
type dbtx interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	PingContext(ctx context.Context) error
}

// rehearsalIDOffset is how far above a table's largest id a rehearsal numbers its own rows: the
// sequences are not transactional in DuckDB (a rolled-back nextval stays drawn), so a rehearsal
// never draws from them, and its ids never meet the ids real writes draw meanwhile.
const rehearsalIDOffset = 1_000_000_000

// rehearsalSeqTables names the table each sequence numbers.
var rehearsalSeqTables = map[string]string{
	"run_id_seq": "runs", "submission_id_seq": "submissions", "upload_id_seq": "uploads",
}

// rehearsal is the state of a view of the database inside one transaction that is rolled back.
type rehearsal struct {
	conn *sql.Conn
	// submissions: the rehearsal may write submissions (and holds the store's subMu); else
	// writing one is refused.
	submissions bool
	mu          sync.Mutex
	next        map[string]int64 // per sequence, the next id to hand out
	broken      error            // the first failed write: the rehearsal's state is no longer whole
}

// errNoSubmissionsHere refuses a submission written in a rehearsal that scores only
// (RehearseScoring).
var errNoSubmissionsHere = errors.New("this rehearsal only scores: it writes no submission")

// Rehearse runs fn on a view of the database inside one transaction that is always rolled back:
// what-if runs, dry runs, previews and reruns write there as the real runs do (the same SQL, the
// same methods), read their own writes, and leave nothing behind — no copy of the database is
// made. While fn runs, submissions and score runs of this store wait (subMu, scoreMu), so that a
// rehearsal never races a real write of the same submissions or score rows; reads go on (and so do
// other writes: reference loads, sessions, the audit). RehearseScoring is the same for a rehearsal
// that writes no submission (a 試算, a dry run of the cycle): uploads go on while it runs.
//
// The view's writes are not isolated from one another: a write that fails inside the rehearsal
// leaves what it did so far (there are no nested transactions), so every later write of the
// rehearsal is refused with that error. Rehearsals do not nest, and the view must not be used
// after fn returns.
func (s *Store) Rehearse(ctx context.Context, fn func(*Store) error) (err error) {
	return s.rehearse(ctx, true, fn)
}

// RehearseScoring is Rehearse for work that writes no submission: only score runs wait, and a
// submission written in it is refused.
func (s *Store) RehearseScoring(ctx context.Context, fn func(*Store) error) error {
	return s.rehearse(ctx, false, fn)
}

func (s *Store) rehearse(ctx context.Context, submissions bool, fn func(*Store) error) (err error) {
	if s.rehearsal != nil {
		return errors.New("rehearse: already inside a rehearsal")
	}
	if submissions {
		s.subMu.Lock()
		defer s.subMu.Unlock()
	}
	s.scoreMu.Lock()
	defer s.scoreMu.Unlock()
	conn, err := s.pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("rehearse: %w", err)
	}
	defer func() {
		// Always rolled back, whatever fn did. When the rollback fails, the connection is thrown
		// away (driver.ErrBadConn) rather than handed back to the pool with the transaction open.
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn }) // errcheck: it returns the ErrBadConn it is given
			if err == nil {
				err = fmt.Errorf("rehearse: roll back: %w", rerr)
			}
		}
	}()
	view := &Store{db: conn, Path: s.Path, Logger: s.Logger, Now: s.Now, itemRows: s.itemRows,
		rehearsal: &rehearsal{conn: conn, submissions: submissions, next: map[string]int64{}}}
	return fn(view)
}

// InRehearsal reports whether s is a rehearsal's view (Rehearse).
func (s *Store) InRehearsal() bool { return s.rehearsal != nil }

// within runs fn on the rehearsal's connection, inside its transaction: a write transaction of
// the view is a part of the rehearsal's.
func (r *rehearsal) within(ctx context.Context, fn func(*txConn) error) error {
	r.mu.Lock()
	broken := r.broken
	r.mu.Unlock()
	if broken != nil {
		// Not wrapped: the first error must not make a writer retry (retryable) what cannot succeed.
		return fmt.Errorf("rehearsal stopped at an earlier failed write: %v", broken)
	}
	if err := fn(&txConn{ctx: ctx, conn: r.conn}); err != nil {
		r.mu.Lock()
		r.broken = err
		r.mu.Unlock()
		return err
	}
	return nil
}

// nextIDs hands out n ids for seq from the rehearsal's own counter, starting rehearsalIDOffset
// above the largest id of the table the sequence numbers.
func (r *rehearsal) nextIDs(ctx context.Context, q querier, seq string, n int) ([]int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next, ok := r.next[seq]
	if !ok {
		table, known := rehearsalSeqTables[seq]
		if !known {
			return nil, fmt.Errorf("rehearsal: no table for sequence %s", seq)
		}
		rows, err := q.QueryContext(ctx, `SELECT coalesce(max(id), 0) FROM `+quoteIdent(table))
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var top int64
		for rows.Next() {
			if err := rows.Scan(&top); err != nil {
				return nil, err
			}
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		next = top + rehearsalIDOffset + 1
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = next
		next++
	}
	r.next[seq] = next
	return ids, nil
}

// conn returns a connection for work that needs one (DuckDB's Arrow interface): a fresh one from
// the pool, or the rehearsal's own; release hands it back.
func (s *Store) conn(ctx context.Context) (*sql.Conn, func(), error) {
	if s.rehearsal != nil {
		return s.rehearsal.conn, func() {}, nil
	}
	c, err := s.pool.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	return c, func() { c.Close() }, nil
}
