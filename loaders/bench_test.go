package loaders_test

import (
	"testing"

	"github.com/kofukin/kofukin/loaders"
)

func BenchmarkReadSurvey(b *testing.B) {
	lib, rb := library(b)
	data := filledB(b, rb)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := loaders.ReadSurvey("b.xlsx", data, lib, loaders.Expect{FiscalYear: 2026}); err != nil {
			b.Fatal(err)
		}
	}
}
