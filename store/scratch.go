package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Scratch copies the whole database (schema, sequences, macros, data) into a new file in a temporary
// folder and opens it: dry runs and what-if runs write there, and the real database is never
// touched. Close the scratch store with the returned function, which also removes its folder.
func (s *Store) Scratch(ctx context.Context) (*Store, func(), error) {
	dir, err := os.MkdirTemp("", "kofukin-scratch-")
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(dir, "scratch.duckdb")
	// No score run or 試算 writes while the copy is made (see Store.scoreMu); the copy is
	// checkpointed before it is detached, so that nothing of it stays in a log.
	s.scoreMu.Lock()
	defer s.scoreMu.Unlock()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	var name string
	err = conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name)
	if err == nil {
		// ATTACH takes no bind parameter for its file, nor COPY FROM DATABASE for its source: both
		// are quoted (quote.go).
		_, err = conn.ExecContext(ctx, `ATTACH `+quoteLiteral(path)+` AS kf_scratch; COPY FROM DATABASE `+quoteIdent(name)+` TO kf_scratch; CHECKPOINT kf_scratch; DETACH kf_scratch`)
	}
	conn.Close()
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("copy the database to a scratch copy: %w", err)
	}
	sc, err := Open(ctx, path)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	sc.Logger, sc.Now = s.Logger, s.Now
	return sc, func() { sc.Close(); os.RemoveAll(dir) }, nil
}
