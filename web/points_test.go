package web

import "testing"

// TestSignedPoints: a difference of points prints as the decimal it is, with its sign — also when
// it comes from a float subtraction (computed at run time: Go's constant arithmetic is exact).
func TestSignedPoints(t *testing.T) {
	sub := func(a, b float64) float64 { return a - b }
	for _, c := range []struct {
		f    float64
		want string
	}{{sub(2.3, 1.1), "+1.2"}, {sub(10.1, 12.5), "−2.4"}, {4, "+4"}, {0, "±0"}, {sub(0.3, 0.1), "+0.2"}} {
		if got := signedPoints(c.f); got != c.want {
			t.Errorf("signedPoints(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}
