package main

import (
	"context"
	"fmt"
	"strings"
)

// cmdSQL runs one read-only query against the store and prints the rows as TSV: for analysts who
// need to look behind a figure.
func cmdSQL(ctx context.Context, a *app, args []string) error {
	fs := a.flags("sql")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &exitError{code: 2, msg: `sql: give one query, e.g. kofukin sql "SELECT * FROM runs ORDER BY id"`}
	}
	r, closeStore, err := a.runner(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore()
	conn, err := r.Store.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Read-only: the query runs in a transaction that is always rolled back.
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	rows, err := conn.QueryContext(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, strings.Join(cols, "\t"))
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		cells := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				cells[i] = "NULL"
			} else {
				cells[i] = fmt.Sprint(v)
			}
		}
		fmt.Fprintln(a.stdout, strings.Join(cells, "\t"))
	}
	return rows.Err()
}
