package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/marcboeker/go-duckdb"
)

// txConn is one connection inside an open transaction, able to run SQL and bulk-append rows.
type txConn struct {
	ctx  context.Context
	conn *sql.Conn
}

func (c *txConn) exec(query string, args ...any) (sql.Result, error) {
	return c.conn.ExecContext(c.ctx, query, args...)
}

func (c *txConn) queryRow(query string, args ...any) *sql.Row {
	return c.conn.QueryRowContext(c.ctx, query, args...)
}

// appendRows bulk-loads rows into table through DuckDB's Appender, inside the transaction.
func (c *txConn) appendRows(table string, rows [][]driver.Value) error {
	if len(rows) == 0 {
		return nil
	}
	return c.conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", table)
		if err != nil {
			return fmt.Errorf("appender %s: %w", table, err)
		}
		for _, r := range rows {
			if err := a.AppendRow(r...); err != nil {
				a.Close()
				return fmt.Errorf("append to %s: %w", table, err)
			}
		}
		if err := a.Close(); err != nil {
			return fmt.Errorf("flush %s: %w", table, err)
		}
		return nil
	})
}

// withTx runs fn on one connection inside a transaction: all of it commits, or none of it.
func (s *Store) withTx(ctx context.Context, fn func(*txConn) error) (err error) {
	if s.rehearsal != nil {
		return s.rehearsal.within(ctx, fn)
	}
	conn, err := s.pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") // errcheck: best effort; the panic carries on
			panic(p)
		}
	}()
	if err := fn(&txConn{ctx: ctx, conn: conn}); err != nil {
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
			return fmt.Errorf("%w (and rollback failed: %v)", err, rerr)
		}
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
			return fmt.Errorf("commit: %w (and rollback failed: %v)", err, rerr)
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
