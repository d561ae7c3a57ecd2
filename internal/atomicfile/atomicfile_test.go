package atomicfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kofukin/kofukin/internal/atomicfile"
)

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Name())
	}
	return out
}

func TestWrite(t *testing.T) {
	t.Run("new file in a new folder", func(t *testing.T) {
		name := filepath.Join(t.TempDir(), "out", "book.xlsx")
		if err := atomicfile.WriteFile(name, []byte("new")); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil || string(got) != "new" {
			t.Fatalf("read back %q, %v", got, err)
		}
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != atomicfile.Perm {
			t.Errorf("mode %v, want %v", fi.Mode().Perm(), atomicfile.Perm)
		}
		if e := entries(t, filepath.Dir(name)); len(e) != 1 {
			t.Errorf("folder holds %v, want only the file", e)
		}
	})
	t.Run("replaces", func(t *testing.T) {
		name := filepath.Join(t.TempDir(), "book.xlsx")
		for _, s := range []string{"a much longer old content", "new"} {
			if err := atomicfile.WriteFile(name, []byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := os.ReadFile(name); string(got) != "new" {
			t.Fatalf("read back %q", got)
		}
	})
	// A writer that fails halfway leaves the old file whole and nothing else behind.
	failing := map[string]func(name string) error{
		"Write": func(name string) error {
			return atomicfile.Write(name, func(f *os.File) error {
				if _, err := f.Write([]byte("half of a new")); err != nil {
					return err
				}
				return errBroken
			})
		},
		"WriteWith": func(name string) error {
			return atomicfile.WriteWith(name, func(tmp string) error {
				if err := os.WriteFile(tmp, []byte("half of a new"), 0o600); err != nil {
					return err
				}
				return errBroken
			})
		},
	}
	for fn, write := range failing {
		t.Run(fn+" fails midway", func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, "book.xlsx")
			if err := atomicfile.WriteFile(name, []byte("old")); err != nil {
				t.Fatal(err)
			}
			if err := write(name); !errors.Is(err, errBroken) {
				t.Fatalf("error %v, want %v", err, errBroken)
			}
			if got, _ := os.ReadFile(name); string(got) != "old" {
				t.Errorf("old file now holds %q", got)
			}
			if e := entries(t, dir); len(e) != 1 || e[0] != "book.xlsx" {
				t.Errorf("folder holds %v, want only book.xlsx", e)
			}
		})
	}
	t.Run("rename fails", func(t *testing.T) {
		// The name is taken by a non-empty folder: the rename fails and the temporary file goes.
		dir := t.TempDir()
		name := filepath.Join(dir, "book.xlsx")
		if err := os.MkdirAll(filepath.Join(name, "inside"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.WriteFile(name, []byte("new")); err == nil {
			t.Fatal("no error writing over a folder")
		}
		if e := entries(t, dir); len(e) != 1 || e[0] != "book.xlsx" {
			t.Errorf("folder holds %v, want only book.xlsx", e)
		}
	})
	t.Run("WriteWith gives an empty file in the target folder", func(t *testing.T) {
		dir := t.TempDir()
		name := filepath.Join(dir, "t.parquet")
		err := atomicfile.WriteWith(name, func(tmp string) error {
			if filepath.Dir(tmp) != dir {
				t.Errorf("temporary file %s is not in %s", tmp, dir)
			}
			if fi, err := os.Stat(tmp); err != nil || fi.Size() != 0 {
				t.Errorf("temporary file: %v, %v", fi, err)
			}
			return os.WriteFile(tmp, []byte("PAR1"), 0o600)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(name); string(got) != "PAR1" {
			t.Errorf("read back %q", got)
		}
	})
}

var errBroken = errors.New("disk on fire")
