package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/pipeline"
)

// TestBulkVerdictIsBounded: a bulk 確認済 of more municipalities than any prefecture has (a forged
// form) is refused whole before any of them is looked up.
func TestBulkVerdictIsBounded(t *testing.T) {
	r := newRunner(t, "")
	by := kofukin.Principal{TokenID: "t", Role: kofukin.RolePrefecture, EntityCode: "310000"}
	list := make([]pipeline.Verdict, pipeline.MaxBulkVerdicts+1)
	for i := range list {
		list[i] = pipeline.Verdict{Entity: fmt.Sprintf("31%04d", i), Version: 1}
	}
	_, err := r.ReviewMany(context.Background(), by, 2026, "310000", list, "確認済", "", "web")
	var re *pipeline.ReviewError
	if !errors.As(err, &re) || !strings.Contains(re.MessageJA, "500 団体まで") {
		t.Fatalf("%d selections: %v", len(list), err)
	}
}

// TestBulkTokensExpiryInThePast: a bulk issue with an expiry already past is the user's mistake
// (a 400 with the reason), not a failure of the store.
func TestBulkTokensExpiryInThePast(t *testing.T) {
	r := newRunner(t, "")
	_, n, err := r.IssueTokens(context.Background(), kofukin.Operator("test"), 2026, pipeline.BulkTokens{Prefecture: "31", Expires: time.Now().Add(-24 * time.Hour)})
	var ue *pipeline.UserError
	if !errors.As(err, &ue) || !strings.Contains(ue.MessageJA, "有効期限") || n != 0 {
		t.Fatalf("expiry in the past: %d issued, %v", n, err)
	}
}
