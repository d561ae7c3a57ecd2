package exporters_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/kofukin/kofukin/exporters"
)

// BenchmarkFeedback writes a feedback workbook of 40 municipalities with and without their 地域診断
// (the cost the block adds to an export: 1,741 sheets in 47 such workbooks).
func BenchmarkFeedback(b *testing.B) {
	one := sampleFeedback().Municipalities[0]
	for _, diag := range []bool{false, true} {
		fb := sampleFeedback()
		fb.Municipalities = nil
		for k := range 40 {
			m := one
			m.Code = fmt.Sprint(312000 + k)
			if !diag {
				m.Diagnosis = nil
			} else {
				d := *m.Diagnosis
				for len(d.PeerItems) < 10 {
					d.PeerItems = append(d.PeerItems, d.PeerItems[0])
				}
				for len(d.Outcomes) < 6 {
					d.Outcomes = append(d.Outcomes, d.Outcomes[0])
				}
				m.Diagnosis = &d
			}
			fb.Municipalities = append(fb.Municipalities, m)
		}
		b.Run(fmt.Sprint("diagnosis=", diag), func(b *testing.B) {
			for b.Loop() {
				var buf bytes.Buffer
				if err := exporters.WriteFeedback(&buf, fb); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
