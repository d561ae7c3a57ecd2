package store

import (
	"embed"
	"fmt"
)

// The store's longer statements live in queries/*.sql, one statement a file, named for what it
// reads or writes; short statements (one or two lines) stay beside the Go that runs them. Values
// are always bind parameters (?), listed in order by a comment at the top of each file.
//
//go:embed queries/*.sql
var queryFiles embed.FS

// query returns the text of queries/name. A missing file is a programming error, caught by any
// test that loads the package.
func query(name string) string {
	b, err := queryFiles.ReadFile("queries/" + name)
	if err != nil {
		panic(fmt.Sprintf("store: query %s: %v", name, err))
	}
	return string(b)
}
