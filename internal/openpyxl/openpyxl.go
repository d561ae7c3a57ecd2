// Package openpyxl reads a workbook with openpyxl in read-only mode, a reader that trusts each
// sheet's <dimension> element: what it returns is what such readers (pandas, many ETL tools) see.
// The tests use it to check the workbooks kofukin writes against an independent reader; it needs
// Debian's python3-openpyxl (CI installs it).
package openpyxl

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
)

//go:embed read.py
var script string

// Python is the interpreter with openpyxl ("" when none is found).
func Python() string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		exe, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(exe, "-c", "import openpyxl").Run() == nil {
			return exe
		}
	}
	return ""
}

// ErrUnavailable: no Python with openpyxl on this machine.
var ErrUnavailable = errors.New("openpyxl is not installed (apt-get install python3-openpyxl)")

// Sheet is one worksheet as openpyxl's read-only mode reads it.
type Sheet struct {
	Name      string  `json:"name"`
	State     string  `json:"state"` // visible, hidden, veryHidden
	MaxRow    int     `json:"max_row"`
	MaxColumn int     `json:"max_column"`
	Rows      [][]any `json:"rows"` // nil, bool, string, or Number
}

// Number is a numeric cell as openpyxl read it (Python's repr: 12 or 0.05).
type Number string

// Int is the number as an integer, false when it is not one.
func (n Number) Int() (int64, bool) {
	v, err := strconv.ParseInt(string(n), 10, 64)
	return v, err == nil
}

// Text is a cell as text: "" for an empty cell, a number as openpyxl printed it.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case Number:
		return string(x)
	case bool:
		if x {
			return "TRUE"
		}
		return "FALSE"
	}
	return fmt.Sprint(v)
}

// ReadSheets reads the workbook at path.
func ReadSheets(path string) ([]Sheet, error) {
	py := Python()
	if py == "" {
		return nil, ErrUnavailable
	}
	f, err := os.CreateTemp("", "openpyxl-*.py")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(script); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(py, f.Name(), path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("openpyxl %s: %w: %s", path, err, stderr.String())
	}
	var raw []struct {
		Sheet
		Rows [][]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
		return nil, fmt.Errorf("openpyxl %s: %w", path, err)
	}
	sheets := make([]Sheet, len(raw))
	for i, s := range raw {
		sheets[i] = s.Sheet
		sheets[i].Rows = make([][]any, len(s.Rows))
		for j, row := range s.Rows {
			cells := make([]any, len(row))
			for k, c := range row {
				var n struct{ N *string }
				var v any
				if len(c) > 0 && c[0] == '{' {
					if err := json.Unmarshal(c, &n); err != nil || n.N == nil {
						return nil, fmt.Errorf("openpyxl %s: cell %s", path, c)
					}
					v = Number(*n.N)
				} else if err := json.Unmarshal(c, &v); err != nil {
					return nil, fmt.Errorf("openpyxl %s: cell %s: %w", path, c, err)
				}
				cells[k] = v
			}
			sheets[i].Rows[j] = cells
		}
	}
	return sheets, nil
}
