package kofukin_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowedImports is ARCHITECTURE.md's table: the module's packages each package may import. A
// package missing here, or an import outside its row, fails TestArchitecture; change the table and
// ARCHITECTURE.md together.
var allowedImports = map[string][]string{
	".":                   {},
	"internal/atomicfile": {},
	"internal/openpyxl":   {},
	"internal/benchref":   {},
	"config":              {},
	"allocation":          {},
	"indicators":          {"."},
	"survey":              {"indicators"},
	"loaders":             {".", "indicators", "survey"},
	"store":               {".", "indicators", "loaders", "internal/atomicfile"},
	"exporters":           {".", "indicators", "survey"},
	"fixtures":            {".", "exporters", "indicators", "loaders", "survey"},
	"fixtures/hostile":    {"indicators", "loaders", "survey"},
	"pipeline":            {".", "allocation", "exporters", "fixtures", "indicators", "internal/atomicfile", "loaders", "store"},
	"web":                 {".", "exporters", "indicators", "pipeline"},
	"cmd/kofukin":         {".", "config", "exporters", "fixtures", "indicators", "internal/atomicfile", "internal/benchref", "loaders", "pipeline", "store", "web"},
}

// TestArchitecture: the imports between the module's packages (tests aside) are those that
// ARCHITECTURE.md allows, so that dependencies keep pointing one way.
func TestArchitecture(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the imports with")
	}
	const mod = "github.com/kofukin/kofukin"
	out, err := exec.Command(goTool, "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, mod+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	rel := func(p string) string {
		if p == mod {
			return "."
		}
		return strings.TrimPrefix(p, mod+"/")
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := rel(f[0])
		allowed, ok := allowedImports[pkg]
		if !ok {
			t.Errorf("package %s is not in ARCHITECTURE.md's table (allowedImports)", pkg)
			continue
		}
		for _, imp := range f[1:] {
			if imp != mod && !strings.HasPrefix(imp, mod+"/") {
				continue
			}
			if !slices.Contains(allowed, rel(imp)) {
				t.Errorf("%s imports %s, which ARCHITECTURE.md does not allow", pkg, rel(imp))
			}
		}
	}
}
