package exporters_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoDatabaseBelowTheStore: the writers receive rows and never link the database (nor do the
// loaders, the rulebooks and the allocation arithmetic they sit beside): none of them may depend,
// even indirectly, on the store or on go-duckdb.
func TestNoDatabaseBelowTheStore(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies with")
	}
	pkgs := []string{"exporters", "loaders", "indicators", "allocation"}
	// One line per package: its path, then every package it depends on, directly or not.
	args := []string{"list", "-f", `{{.ImportPath}} {{join .Deps " "}}`}
	for _, p := range pkgs {
		args = append(args, "github.com/kofukin/kofukin/"+p)
	}
	out, err := exec.Command(goTool, args...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(pkgs) {
		t.Fatalf("go list gave %d lines for %d packages", len(lines), len(pkgs))
	}
	for _, line := range lines {
		f := strings.Fields(line)
		for _, dep := range f[1:] {
			if strings.Contains(dep, "go-duckdb") || dep == "github.com/kofukin/kofukin/store" {
				t.Errorf("%s depends on %s", f[0], dep)
			}
		}
	}
}
