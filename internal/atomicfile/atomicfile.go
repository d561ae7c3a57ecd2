// Package atomicfile writes files so that a reader sees the old file or the new one, never half
// of one: every output of kofukin (workbooks, Parquet and Arrow tables, ingest reports, annotated
// copies, quarantined files) is written to a temporary file in the target folder, synced, closed,
// renamed over its name, and the folder synced. It imports only the standard library.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// Perm is the mode of every file written.
const Perm os.FileMode = 0o644

// WriteFile writes data to name atomically, making name's folder if needed.
func WriteFile(name string, data []byte) error {
	return Write(name, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// Write writes name atomically with what write puts into f, a temporary file in name's folder
// (an *os.File, for writers that seek; write must not close it), making the folder if needed. If
// write fails, name is left as it was and the temporary file is removed.
func Write(name string, write func(f *os.File) error) error {
	return WriteWith(name, func(tmp string) error {
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}

// WriteWith writes name atomically through a writer that opens the file itself (DuckDB's
// COPY … TO): write is given the path of an empty temporary file in name's folder, which it may
// overwrite; when it returns nil the file is synced and renamed over name. If write fails, name
// is left as it was and the temporary file is removed.
func WriteWith(name string, write func(tmp string) error) (err error) {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, Perm); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncFile flushes a closed file's contents to stable storage (through a writable handle, which
// some systems require).
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable, where the system can: a folder that cannot be synced
// (Windows, some network or FUSE file systems) is not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) && !errors.Is(err, syscall.EBADF) {
		return err
	}
	return nil
}
