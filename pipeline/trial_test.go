package pipeline

import (
	"context"
	"testing"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// TestTrialWithoutAResultIsNotAskedAgain: a 試算 that ends without a result for an entity (here:
// it has no current survey) is remembered, so that the next page views do not each start another
// scoring of the nation; an upload asks again.
func TestTrialWithoutAResultIsNotAskedAgain(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Store: st, Rulebooks: lib, Trials: true}
	r.queueTrial(2026, "312011")
	if err := r.WaitTrials(ctx); err != nil {
		t.Fatal(err)
	}
	if r.TrialFailed("312011") || !r.TrialNone("312011") {
		t.Fatalf("after a trial without a result: failed %v, none %v", r.TrialFailed("312011"), r.TrialNone("312011"))
	}
	r.queueTrial(2026, "312011") // an upload asks again
	if r.TrialNone("312011") {
		t.Error("a new request still reads as 'no result'")
	}
	if err := r.WaitTrials(ctx); err != nil {
		t.Fatal(err)
	}
}
