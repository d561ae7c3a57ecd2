package pipeline_test

import (
	"strings"
	"testing"

	"github.com/kofukin/kofukin/pipeline"
)

// 「効果検証」 in the words the page uses: a one-year range is 「2026年度」, and the sheet says why
// its 全体 row's two changes do not subtract to the estimate.
func TestImpactSheetWording(t *testing.T) {
	one := (&pipeline.ImpactReport{Request: pipeline.ImpactRequest{ActionItem: "S1-8-a", OutcomeItem: "O-1-a", FirstFY: 2026, LastFY: 2026}}).ImpactSheet()
	if one.Years != "2026年度" {
		t.Errorf("one year printed %q", one.Years)
	}
	three := (&pipeline.ImpactReport{Request: pipeline.ImpactRequest{ActionItem: "S1-8-a", OutcomeItem: "O-1-a", FirstFY: 2024, LastFY: 2026}}).ImpactSheet()
	if three.Years != "2024–2026年度" {
		t.Errorf("three years printed %q", three.Years)
	}
	found := false
	for _, m := range three.Method {
		if m.Label == "全体の行" && strings.Contains(m.Value.(string), "一致しない") {
			found = true
		}
	}
	if !found {
		t.Errorf("the sheet does not explain its 全体 row: %+v", three.Method)
	}
}
