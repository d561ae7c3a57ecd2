package kofukin

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// errcheckSkip lists the folders the dropped-error guard does not read (none: every package
// handles its errors).
var errcheckSkip = []string{}

// errcheckIgnore are names the guard does not check: a Close as a statement is the clean-up on
// the failure path of an error already being returned (a deferred Close is not a statement).
var errcheckIgnore = []string{"Close"}

// errcheckCalls are functions and methods outside this module whose error must never be dropped,
// by the name they are called with.
var errcheckCalls = []string{
	"json.Unmarshal", "json.Marshal", "json.MarshalIndent",
	"ExecContext", "QueryRowContext", "RowsAffected", "LastInsertId",
	"ReadFile", "WriteFile", "ReadDir", "MkdirAll", "Rename", "Sync",
	"ReadAll", "ReadFull", "Glob", "Rel", "NewRequestWithContext",
}

// TestNoDroppedErrors is a cheap errcheck over the module's non-test Go files (go/parser only, no
// type information): a call to a function of this module that returns an error as its last
// result (known by its name and number of arguments), or to one of errcheckCalls, must not have
// that error discarded — neither by calling it as a statement nor by assigning its last result to
// _. A line that must drop one says why in a comment holding "errcheck:".
func TestNoDroppedErrors(t *testing.T) {
	fset := token.NewFileSet()
	var files []*ast.File
	var names []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if path != "." && (strings.HasPrefix(base, ".") || base == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution|parser.ParseComments)
		if err != nil {
			return err
		}
		files = append(files, f)
		names = append(names, filepath.ToSlash(path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The module's functions and methods whose last result is an error, by name and number of
	// parameters (-1: variadic); a name and arity some other function shares without returning
	// an error is left out rather than guessed.
	type sig struct {
		name  string
		arity int
	}
	returnsErr, other := map[sig]bool{}, map[sig]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			k := sig{fd.Name.Name, arity(fd.Type.Params)}
			if lastIsError(fd.Type.Results) {
				returnsErr[k] = true
			} else {
				other[k] = true
			}
		}
	}
	for k := range other {
		delete(returnsErr, k)
	}
	for _, n := range errcheckIgnore {
		for k := range returnsErr {
			if k.name == n {
				delete(returnsErr, k)
			}
		}
	}
	external := map[string]bool{}
	for _, c := range errcheckCalls {
		external[c] = true
	}
	module := func(name string, call *ast.CallExpr) bool {
		return returnsErr[sig{name, len(call.Args)}] || (call.Ellipsis == token.NoPos && returnsErr[sig{name, -1}])
	}
	checked := func(call *ast.CallExpr) (string, bool) {
		switch fn := call.Fun.(type) {
		case *ast.Ident:
			return fn.Name, module(fn.Name, call)
		case *ast.SelectorExpr:
			full := fn.Sel.Name
			if x, ok := fn.X.(*ast.Ident); ok {
				full = x.Name + "." + fn.Sel.Name
			}
			return full, module(fn.Sel.Name, call) || external[full] || external[fn.Sel.Name]
		}
		return "", false
	}
	var found []string
	for i, f := range files {
		if skipped(names[i]) {
			continue
		}
		allowed := map[int]bool{} // lines that say why they drop an error
		for _, cg := range f.Comments {
			if strings.Contains(cg.Text(), "errcheck:") {
				allowed[fset.Position(cg.Pos()).Line] = true
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if n != nil && allowed[fset.Position(n.Pos()).Line] {
				return true
			}
			switch s := n.(type) {
			case *ast.ExprStmt:
				if call, ok := s.X.(*ast.CallExpr); ok {
					if name, ok := checked(call); ok {
						found = append(found, fset.Position(s.Pos()).String()+": result of "+name+" dropped")
					}
				}
			case *ast.AssignStmt:
				if len(s.Rhs) != 1 {
					return true
				}
				call, ok := s.Rhs[0].(*ast.CallExpr)
				if !ok {
					return true
				}
				if last, ok := s.Lhs[len(s.Lhs)-1].(*ast.Ident); ok && last.Name == "_" {
					if name, ok := checked(call); ok {
						found = append(found, fset.Position(s.Pos()).String()+": error of "+name+" assigned to _")
					}
				}
			}
			return true
		})
	}
	sort.Strings(found)
	for _, f := range found {
		t.Error(f)
	}
}

func skipped(path string) bool {
	for _, dir := range errcheckSkip {
		if path == dir || strings.HasPrefix(path, dir+"/") {
			return true
		}
	}
	return false
}

// arity is the number of parameters of a function, or -1 if it is variadic.
func arity(params *ast.FieldList) int {
	n := 0
	for _, f := range params.List {
		if _, ok := f.Type.(*ast.Ellipsis); ok {
			return -1
		}
		n += max(len(f.Names), 1)
	}
	return n
}

func lastIsError(results *ast.FieldList) bool {
	if results == nil || len(results.List) == 0 {
		return false
	}
	id, ok := results.List[len(results.List)-1].Type.(*ast.Ident)
	return ok && id.Name == "error"
}
