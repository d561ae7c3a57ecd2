package store

import (
	"context"
	"database/sql/driver"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/marcboeker/go-duckdb"
)

// queryArrow runs a query through DuckDB's Arrow interface and hands each batch of its rows to
// each, in order: a large result read a column batch at a time costs a fraction of reading it
// value by value through database/sql. The batch's memory is DuckDB's until each returns: each
// copies what it keeps (strings.Clone, interner).
func (s *Store) queryArrow(ctx context.Context, each func(arrow.Record) error, query string, args ...any) error {
	conn, release, err := s.conn(ctx)
	if err != nil {
		return err
	}
	defer release()
	return conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rdr, err := ar.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rdr.Release()
		for rdr.Next() {
			if err := each(rdr.Record()); err != nil {
				return err
			}
		}
		return rdr.Err()
	})
}

// arrowText is an Arrow column of texts (string, large string or string view).
type arrowText interface {
	IsNull(i int) bool
	Value(i int) string
}

// interner copies texts out of Arrow batches, each distinct text once.
func interner() func(string) string {
	seen := map[string]string{}
	return func(s string) string {
		if v, ok := seen[s]; ok {
			return v
		}
		v := strings.Clone(s)
		seen[v] = v
		return v
	}
}
