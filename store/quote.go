package store

import "strings"

// DuckDB binds parameters only where a statement takes a value: not the file name of COPY … TO,
// not the file of ATTACH, not the database named by COPY FROM DATABASE. There, and only there,
// a value goes into the SQL text through these two functions.

// quoteLiteral quotes s as a SQL string literal, doubling its single quotes.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// quoteIdent quotes s as a SQL identifier, doubling its double quotes.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
