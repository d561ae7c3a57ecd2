package exporters

import (
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestRowHeightsCapped: a municipality with many flagged items (a three-year nation's review: its
// answers changed from last year in many items) gets Excel's tallest row, 409 points, not an
// error; a two-line flag gets 2 × 15 + 3.
func TestRowHeightsCapped(t *testing.T) {
	long := []string{"前年度から回答が変化：\n・" + strings.Repeat("とても長い項目の名前、", 40), "外れ値：\n・" + strings.Repeat("x\n・", 40)}
	if h := flagsHeight(long); h != excelize.MaxRowHeight {
		t.Errorf("flagsHeight of %d lines: %v, want %v", 80, h, excelize.MaxRowHeight)
	}
	if h := statusHeight(StatusLine{Flags: long}); h > excelize.MaxRowHeight || h < excelize.MaxRowHeight-15 {
		t.Errorf("statusHeight: %v, want at most %v (whole lines of 15 points)", h, excelize.MaxRowHeight)
	}
	if h := flagsHeight([]string{"外れ値：\n・S1-1-a"}); h != 33 {
		t.Errorf("flagsHeight of two lines: %v, want 33", h)
	}
}
