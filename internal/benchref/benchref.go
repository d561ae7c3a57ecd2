// Package benchref holds the reference readers that ingest's speed is measured against (issue 13):
// over a list of .xlsx workbooks, on a pool of workers,
//
//   - XMLScan: archive/zip opens each workbook and encoding/xml reads every token of every XML part
//     to its end (Decoder.Token), the "bare unzip + XML token scan" that any reader must at least do
//     with the standard library;
//   - Inflate: the same parts only inflated, to io.Discard: the limit no reader can beat;
//   - Openpyxl: each workbook read with Python's openpyxl in read-only mode, every cell value of every
//     sheet visited, one Python process per worker: what a typical ETL reader does.
//
// The readers read the files exactly as ingest does (the whole file into memory, then the zip), so
// the ratios compare the work, not the I/O. Standard library only: no kofukin package is imported.
package benchref

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what one reader did: the files it read, their size on disk and the wall time.
type Result struct {
	Files   int
	Bytes   int64
	Elapsed time.Duration
}

// PerSecond is the files read per second of wall time (0 when nothing was timed).
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Files) / r.Elapsed.Seconds()
}

// ErrNoPython: python3 with openpyxl is not installed, so Openpyxl cannot run (callers skip it).
var ErrNoPython = errors.New("python3 with openpyxl is not installed (apt-get install python3-openpyxl)")

// Workbooks lists the .xlsx files under dir (recursively), sorted.
func Workbooks(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".xlsx") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// XMLScan opens every workbook with archive/zip and reads every token of each XML part (names
// ending in .xml or .rels) with encoding/xml's Decoder.Token until EOF. workers ≤ 0 means
// runtime.GOMAXPROCS(0). The first error, naming its file and part, stops the scan.
func XMLScan(ctx context.Context, paths []string, workers int) (Result, error) {
	return pool(ctx, paths, workers, func(path string, data []byte) error {
		return eachPart(data, func(name string, r io.Reader) error {
			d := xml.NewDecoder(r)
			for {
				if _, err := d.Token(); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
			}
		})
	})
}

// Inflate opens every workbook with archive/zip and inflates the parts XMLScan reads to io.Discard.
func Inflate(ctx context.Context, paths []string, workers int) (Result, error) {
	return pool(ctx, paths, workers, func(path string, data []byte) error {
		return eachPart(data, func(name string, r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		})
	})
}

// eachPart calls fn with the inflating reader of each XML part of the zip in data.
func eachPart(data []byte, fn func(name string, r io.Reader) error) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".xml") && !strings.HasSuffix(f.Name, ".rels") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("part %s: %w", f.Name, err)
		}
		err = fn(f.Name, rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("part %s: %w", f.Name, err)
		}
	}
	return nil
}

// pool reads each file into memory and hands it to read, on workers goroutines. The first error
// (wrapped with the file's path) cancels the rest.
func pool(ctx context.Context, paths []string, workers int, read func(path string, data []byte) error) (Result, error) {
	return run(ctx, paths, workers, func(int) (func(string) error, func() error, error) {
		return func(p string) error {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return read(p, data)
		}, func() error { return nil }, nil
	})
}

// run is the worker pool: start makes each worker's read function and its closer (before the clock
// starts); the clock runs from the first file to the last.
func run(ctx context.Context, paths []string, workers int, start func(worker int) (func(path string) error, func() error, error)) (Result, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(paths)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	readers := make([]func(string) error, 0, workers)
	closers := make([]func() error, 0, workers)
	closeAll := func() error {
		var errs []error
		for _, c := range closers {
			errs = append(errs, c())
		}
		return errors.Join(errs...)
	}
	for w := 0; w < workers; w++ {
		read, closer, err := start(w)
		if err != nil {
			return Result{}, errors.Join(err, closeAll())
		}
		readers = append(readers, read)
		closers = append(closers, closer)
	}
	var (
		next     atomic.Int64
		total    atomic.Int64
		files    atomic.Int64
		firstErr error
		once     sync.Once
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	began := time.Now()
	for _, read := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(paths) {
					return
				}
				p := paths[i]
				if err := read(p); err != nil {
					fail(fmt.Errorf("%s: %w", p, err))
					return
				}
				if st, err := os.Stat(p); err == nil {
					total.Add(st.Size())
				}
				files.Add(1)
			}
		}()
	}
	wg.Wait()
	res := Result{Files: int(files.Load()), Bytes: total.Load(), Elapsed: time.Since(began)}
	err := firstErr
	if err == nil {
		err = ctx.Err()
	}
	return res, errors.Join(err, closeAll())
}

//go:embed reader.py
var script string

// python returns a python3 that can import openpyxl: Debian's first (where python3-openpyxl
// installs it), then the one on PATH.
func python() (string, error) {
	var why []string
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		exe, err := exec.LookPath(p)
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		out, err := exec.Command(exe, "-c", "import openpyxl").CombinedOutput()
		if err == nil {
			return exe, nil
		}
		why = append(why, exe+": "+string(bytes.TrimSpace(out)))
	}
	return "", fmt.Errorf("%w: %s", ErrNoPython, strings.Join(why, "; "))
}

// Openpyxl reads every workbook with openpyxl (load_workbook(read_only=True, data_only=True), every
// value of every row of every sheet), one python3 process per worker fed paths on its standard
// input. The processes are started, and have imported openpyxl, before the clock starts. Without
// python3 and openpyxl the error wraps ErrNoPython.
func Openpyxl(ctx context.Context, paths []string, workers int) (Result, error) {
	exe, err := python()
	if err != nil {
		return Result{}, err
	}
	return run(ctx, paths, workers, func(int) (func(string) error, func() error, error) {
		cmd := exec.Command(exe, "-c", script)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, nil, err
		}
		outPipe, err := cmd.StdoutPipe()
		if err != nil {
			return nil, nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, nil, err
		}
		out := bufio.NewReader(outPipe)
		closer := func() error {
			in.Close()
			if err := cmd.Wait(); err != nil {
				return fmt.Errorf("openpyxl: %w: %s", err, strings.TrimSpace(stderr.String()))
			}
			return nil
		}
		if line, err := out.ReadString('\n'); err != nil || line != "ready\n" {
			return nil, nil, errors.Join(fmt.Errorf("openpyxl did not start: %q %v", line, err), closer())
		}
		read := func(p string) error {
			if strings.ContainsAny(p, "\n\r") {
				return errors.New("a path with a line break cannot be handed to openpyxl")
			}
			if _, err := io.WriteString(in, p+"\n"); err != nil {
				return err
			}
			line, err := out.ReadString('\n')
			if err != nil {
				return fmt.Errorf("openpyxl: %w: %s", err, strings.TrimSpace(stderr.String()))
			}
			if msg, bad := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "err\t"); bad {
				return fmt.Errorf("openpyxl: %s", msg)
			}
			return nil
		}
		return read, closer, nil
	})
}
