package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"

	"github.com/marcboeker/go-duckdb"
)

// ReadOnly is a database opened for looking only: DuckDB itself refuses every write (access mode
// READ_ONLY), every file or network access beyond the database (enable_external_access off: no
// COPY … TO, read_text, read_csv, ATTACH or extension loading), and any change of those settings
// (lock_configuration). It is what `kofukin sql` gives analysts.
type ReadOnly struct {
	db        *sql.DB
	connector *duckdb.Connector
}

// OpenReadOnly opens an existing kofukin database read-only. It never creates or migrates one.
func OpenReadOnly(ctx context.Context, path string) (*ReadOnly, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open database read-only: %q is not a usable file name", path)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database read-only: %w", err)
	}
	c, err := duckdb.NewConnector(path+"?access_mode=READ_ONLY&enable_external_access=false&autoinstall_known_extensions=false&autoload_known_extensions=false&lock_configuration=true", nil)
	if err != nil {
		return nil, fmt.Errorf("open database %s read-only: %w", path, err)
	}
	return &ReadOnly{db: sql.OpenDB(c), connector: c}, nil
}

// Close closes the database.
func (r *ReadOnly) Close() error {
	err := r.db.Close()
	if cerr := r.connector.Close(); err == nil {
		err = cerr
	}
	return err
}

// Column is one column of a query's result: its name and DuckDB's name for its type (VARCHAR,
// DECIMAL(9,2), TIMESTAMP, DATE, INTEGER[] …).
type Column struct {
	Name string
	Type string
}

// Query runs exactly one SQL statement (DuckDB refuses to prepare several at once) and calls row
// with the columns, first with nil values (the header), then once for each result row with the
// values as go-duckdb returns them (nil for NULL, duckdb.Decimal for DECIMAL, time.Time for
// dates and timestamps, …).
func (r *ReadOnly) Query(ctx context.Context, query string, row func(cols []Column, vals []any) error) error {
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	stmt, err := conn.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	rows, err := stmt.QueryContext(ctx)
	if err != nil {
		return err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	cols := make([]Column, len(types))
	for i, t := range types {
		cols[i] = Column{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	if err := row(cols, nil); err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := row(cols, vals); err != nil {
			return err
		}
	}
	return rows.Err()
}
