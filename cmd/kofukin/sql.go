package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/kofukin/kofukin/store"
)

// cmdSQL runs one query against the store opened read-only and prints the rows as TSV: for analysts
// who need to look behind a figure. DuckDB refuses writes, file access and several statements.
func cmdSQL(ctx context.Context, a *app, args []string) error {
	fs := a.flags("sql")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &exitError{code: 2, msg: `sql: give one query, e.g. kofukin sql "SELECT * FROM runs ORDER BY id"`}
	}
	ro, err := store.OpenReadOnly(ctx, *db)
	if err != nil {
		return err
	}
	defer ro.Close()
	err = ro.Query(ctx, fs.Arg(0), func(cols []string, vals []any) error {
		if vals == nil {
			_, err := fmt.Fprintln(a.stdout, strings.Join(cols, "\t"))
			return err
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				cells[i] = "NULL"
			} else {
				cells[i] = fmt.Sprint(v)
			}
		}
		_, err := fmt.Fprintln(a.stdout, strings.Join(cells, "\t"))
		return err
	})
	if err != nil {
		msg := err.Error()
		for _, refused := range []string{"read-only mode", "disabled", "multiple statements", "has been locked"} {
			if strings.Contains(msg, refused) {
				return &exitError{code: 1, msg: "sql: 読み取り専用です。1つの SELECT 文だけを実行できます（書き込み・ファイルアクセス・複数の文は不可）。/ read-only: one SELECT statement only (no writes, no file access, no multiple statements)\n  " + msg}
			}
		}
		return &exitError{code: 1, msg: "sql: " + msg}
	}
	return nil
}
