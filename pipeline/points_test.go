package pipeline_test

import (
	"strconv"
	"testing"

	"github.com/kofukin/kofukin/pipeline"
)

// TestPointsDelta: differences of points (hundredths) are the decimal differences, whatever a
// float subtraction of the same values gives (2.3 − 1.1 = 1.1999999999999997 in float64).
func TestPointsDelta(t *testing.T) {
	for _, c := range []struct {
		after, before float64
		want          string
	}{
		{2.3, 1.1, "1.2"}, {12.5, 10.1, "2.4"}, {1.1, 2.3, "-1.2"}, {485, 481, "4"}, {0.07, 0.1, "-0.03"}, {427.11, 427.11, "0"},
	} {
		if got := strconv.FormatFloat(pipeline.PointsDelta(c.after, c.before), 'f', -1, 64); got != c.want {
			t.Errorf("%v − %v = %s, want %s", c.after, c.before, got, c.want)
		}
	}
}
