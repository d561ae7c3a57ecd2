package exporters_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/internal/openpyxl"
)

// needOpenpyxl skips without openpyxl on a developer's machine; CI installs it (.ci/run), so there
// its absence fails.
func needOpenpyxl(t *testing.T) {
	t.Helper()
	if openpyxl.Python() != "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(openpyxl.ErrUnavailable)
	}
	t.Skip(openpyxl.ErrUnavailable)
}

// TestWorkbooksReadByOpenpyxl: openpyxl's read-only mode trusts each sheet's <dimension>; it must
// see every cell of the ministry and review workbooks, with the values written (before the
// dimensions were fixed it saw one cell of each stream-written sheet).
func TestWorkbooksReadByOpenpyxl(t *testing.T) {
	needOpenpyxl(t)
	dir := t.TempDir()
	for name, write := range map[string]func(*bytes.Buffer) error{
		"ministry.xlsx": func(b *bytes.Buffer) error { return exporters.WriteMinistry(b, sampleMinistry()) },
		"review.xlsx":   func(b *bytes.Buffer) error { return exporters.WriteReview(b, sampleReview()) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		bad, err := openpyxl.Disagreements(path)
		if errors.Is(err, openpyxl.ErrUnavailable) {
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range bad {
			if i == 20 {
				t.Errorf("%s: … and %d more", name, len(bad)-20)
				break
			}
			t.Errorf("%s: %s", name, d)
		}
	}
}
