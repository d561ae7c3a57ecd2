package store

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sprintfSQLAllowed names the functions (file and function) allowed to build SQL with fmt.Sprintf,
// and why: only identifiers or compiled rulebook SQL may go in that way, never a value (a code, a
// year, a number, a path), which is a bind parameter or, where DuckDB cannot bind one, goes
// through quoteLiteral/quoteIdent. There is no such site in store today.
var sprintfSQLAllowed = map[string]string{
	// "file.go:function": "why",
}

var (
	sqlKeyword = regexp.MustCompile(`\b(SELECT|INSERT|UPDATE|DELETE|COPY|FROM|WHERE)\b`)
	fmtVerb    = regexp.MustCompile(`%[^%]`)
)

// sprintfSQL returns, for one Go source file, the fmt.Sprintf calls whose format is SQL with a
// verb (or cannot be read as a constant), as "file:function: format".
func sprintfSQL(t *testing.T, fset *token.FileSet, name string, src any) []string {
	t.Helper()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	fmtNames := map[string]bool{} // what package fmt is imported as
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == "fmt" {
			if im.Name != nil {
				fmtNames[im.Name.Name] = true
			} else {
				fmtNames["fmt"] = true
			}
		}
	}
	if len(fmtNames) == 0 {
		return nil
	}
	var out []string
	for _, d := range f.Decls {
		fn := "(package level)"
		if fd, ok := d.(*ast.FuncDecl); ok {
			fn = fd.Name.Name
		}
		ast.Inspect(d, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Sprintf" {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || !fmtNames[id.Name] {
				return true
			}
			site := filepath.Base(name) + ":" + fn
			format, ok := constString(call.Args[0])
			switch {
			case !ok:
				out = append(out, site+": format is not a constant string")
			case sqlKeyword.MatchString(format) && fmtVerb.MatchString(strings.ReplaceAll(format, "%%", "")):
				out = append(out, site+": "+strings.Join(strings.Fields(format), " "))
			}
			return true
		})
	}
	return out
}

// constString evaluates a string literal or a concatenation of string literals.
func constString(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		v := constant.MakeFromLiteral(x.Value, x.Kind, 0)
		return constant.StringVal(v), v.Kind() == constant.String
	case *ast.ParenExpr:
		return constString(x.X)
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		a, ok1 := constString(x.X)
		b, ok2 := constString(x.Y)
		return a + b, ok1 && ok2
	}
	return "", false
}

// No fmt.Sprintf builds SQL with values in store: every value is a bind parameter (or, where
// DuckDB cannot bind one, quoted by quote.go); a Sprintf of SQL with a verb is allowed only at the
// sites sprintfSQLAllowed names.
func TestNoSprintfSQL(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	used := map[string]bool{}
	var bad []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, hit := range sprintfSQL(t, fset, name, src) {
			site := hit[:strings.Index(hit, ": ")]
			if _, ok := sprintfSQLAllowed[site]; ok {
				used[site] = true
				continue
			}
			bad = append(bad, hit)
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("fmt.Sprintf builds SQL with a value (bind it with ?, or quote a file name with quoteLiteral): %s", b)
	}
	for site := range sprintfSQLAllowed {
		if !used[site] {
			t.Errorf("sprintfSQLAllowed names %s, which no longer builds SQL with Sprintf: remove it", site)
		}
	}
}

// The guard catches what it is for, and lets through what is not SQL.
func TestSprintfSQLGuard(t *testing.T) {
	src := `package store

import (
	"fmt"
	f2 "fmt"
)

func bad(code string) string { return fmt.Sprintf("SELECT name FROM entities WHERE code = '%s'", code) }
func badYear(fy int) string {
	return fmt.Sprintf(` + "`" + `DELETE FROM populations
		WHERE fiscal_year = %d` + "`" + `, fy)
}
func aliased(id int64) string { return f2.Sprintf("UPDATE runs SET status = 'x' WHERE id = " + "%d", id) }
func dynamic(format string, x int) string { return fmt.Sprintf(format, x) }
func fine(n int) string { return fmt.Sprintf("%d rows from the file", n) }
func percent() string { return fmt.Sprintf("SELECT 100 %% 7") }
`
	got := sprintfSQL(t, token.NewFileSet(), "bad.go", src)
	want := []string{
		"bad.go:bad: SELECT name FROM entities WHERE code = '%s'",
		"bad.go:badYear: DELETE FROM populations WHERE fiscal_year = %d",
		"bad.go:aliased: UPDATE runs SET status = 'x' WHERE id = %d",
		"bad.go:dynamic: format is not a constant string",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("guard found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Every embedded query that returns rows has an ORDER BY (outputs are deterministic), and every
// file in queries/ is loaded by some query("…") call.
func TestQueryFiles(t *testing.T) {
	// Bodies of CREATE TABLE … AS written in Go, not result queries.
	bodies := map[string]bool{"score_level_answers.sql": true, // the bodies of statements (INSERT … SELECT, UPDATE … FROM), not result sets
		"score_indicator_grants.sql": true, "score_goals.sql": true, "score_grants.sql": true, "score_totals.sql": true}
	entries, err := queryFiles.ReadDir("queries")
	if err != nil {
		t.Fatal(err)
	}
	var code strings.Builder
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if !strings.HasSuffix(name, "_test.go") {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			code.Write(b)
		}
	}
	for _, e := range entries {
		body := query(e.Name())
		var stmt []string
		for _, l := range strings.Split(body, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				stmt = append(stmt, l)
			}
		}
		s := strings.TrimSpace(strings.Join(stmt, "\n"))
		if (strings.HasPrefix(s, "SELECT") || strings.HasPrefix(s, "WITH")) && !bodies[e.Name()] {
			if !strings.Contains(s, "ORDER BY") {
				t.Errorf("queries/%s returns rows without ORDER BY", e.Name())
			}
		}
		if !strings.Contains(code.String(), `query("`+e.Name()+`")`) {
			t.Errorf("queries/%s is not loaded by any query call", e.Name())
		}
	}
}
