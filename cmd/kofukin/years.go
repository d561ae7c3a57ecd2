package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parseYears reads a --years flag: one fiscal year ("2026") or a range ("2024-2026"); empty gives
// def. The years returned are consecutive and ascending.
func parseYears(s string, def []int) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	bad := &exitError{code: 2, msg: fmt.Sprintf("--years %q: give a fiscal year (2026) or a range of them (2024-2026)", s)}
	from, to, isRange := strings.Cut(s, "-")
	a, err := strconv.Atoi(strings.TrimSpace(from))
	if err != nil {
		return nil, bad
	}
	b := a
	if isRange {
		if b, err = strconv.Atoi(strings.TrimSpace(to)); err != nil {
			return nil, bad
		}
	}
	if b < a || b-a > 20 {
		return nil, bad
	}
	var out []int
	for y := a; y <= b; y++ {
		out = append(out, y)
	}
	return out, nil
}

// yearsEndingAt are the n fiscal years ending at fy.
func yearsEndingAt(fy, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = fy - n + 1 + i
	}
	return out
}
