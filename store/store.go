// Package store owns kofukin's DuckDB database: the schema (embedded, numbered migrations),
// reference data, submissions and their answers, rulebooks, score and allocation runs. One process
// owns the database file; every component of that process shares the one *Store.
package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/marcboeker/go-duckdb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is an open kofukin database.
type Store struct {
	// db is what every query runs on: the pool, or in a rehearsal (Rehearse) the one connection
	// holding the rehearsal's transaction.
	db     dbtx
	pool   *sql.DB // nil in a rehearsal
	Path   string
	Logger *slog.Logger
	// Now returns the current time; tests may replace it.
	Now func() time.Time

	connector *duckdb.Connector
	// rehearsal is set on the view of the database Rehearse hands out.
	rehearsal *rehearsal
	// subMu serialises every write of submissions in the process (see SubmissionWriter).
	subMu sync.Mutex
	// scoreMu serialises the long write transactions that score the nation — score runs
	// (Scores.Compute) and 試算 (Scores.Trial, which share one run id) — with each other and with
	// rehearsals (Rehearse).
	scoreMu sync.Mutex
	// entitiesPerSlice, when not 0, is how many peers a score run scores at a time (sliceSize;
	// tests: SliceEvery).
	entitiesPerSlice int
	// itemRows keeps, by score run, its item rows by level (itemRowsByLevel), which an amended run
	// reads for its summary; shared with the rehearsals' views.
	itemRows *itemRowCache
}

// Open opens (creating if needed) the DuckDB file at path and applies pending migrations.
// An empty path opens an in-memory database.
func Open(ctx context.Context, path string) (*Store, error) {
	c, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db := sql.OpenDB(c)
	s := &Store{db: db, pool: db, Path: path, connector: c, Logger: slog.New(slog.DiscardHandler), Now: time.Now, itemRows: &itemRowCache{}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if s.rehearsal != nil {
		return nil // the rehearsal's transaction ends with Rehearse
	}
	err := s.pool.Close()
	if cerr := s.connector.Close(); err == nil {
		err = cerr
	}
	return err
}

// migrate applies every embedded migration not yet recorded, each in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its number", base)
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, v).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("apply %s: %w", base, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?, ?)`, v, base, s.Now().UTC())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// inTx runs fn in a transaction, committing when it returns nil and rolling back otherwise.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// DuckDBVersion reports the version of the embedded DuckDB library.
func (s *Store) DuckDBVersion(ctx context.Context) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT version()`).Scan(&v)
	return v, err
}
