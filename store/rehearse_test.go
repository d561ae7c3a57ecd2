package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A rehearsal reads its own writes, leaves nothing behind, draws no ids from the sequences, and
// refuses to go on after a failed write.
func TestRehearseLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir()+"/k.duckdb")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first, err := s.Runs().Start(ctx, KindScore, 2026, nil)
	if err != nil {
		t.Fatal(err)
	}
	var inside int64
	err = s.Rehearse(ctx, func(v *Store) error {
		if !v.InRehearsal() || s.InRehearsal() {
			t.Errorf("InRehearsal: view %v, store %v", v.InRehearsal(), s.InRehearsal())
		}
		id, err := v.Runs().Start(ctx, KindScore, 2026, map[string]any{"rehearsal": true})
		if err != nil {
			return err
		}
		inside = id
		if run, err := v.Runs().Get(ctx, id); err != nil || run.ID != id {
			t.Errorf("the rehearsal cannot read its own run %d: %v %v", id, run, err)
		}
		if _, err := s.Runs().Get(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("the store sees the rehearsal's run %d before the end: %v", id, err)
		}
		if err := v.Rehearse(ctx, func(*Store) error { return nil }); err == nil {
			t.Errorf("a rehearsal inside a rehearsal is not refused")
		}
		// A write that fails inside the rehearsal stops it.
		boom := errors.New("boom")
		if err := v.withTx(ctx, func(c *txConn) error {
			if _, err := c.exec(`INSERT INTO settings VALUES ('k', 'v')`); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Errorf("the failed write returned %v", err)
		}
		err = v.withTx(ctx, func(*txConn) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "earlier failed write") || !strings.Contains(err.Error(), "boom") || errors.Is(err, boom) {
			t.Errorf("a write after a failed one: %v, want the refusal naming the first error, not wrapping it", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if inside != first+rehearsalIDOffset+1 {
		t.Errorf("the rehearsal's run id is %d, want %d (the largest id %d + %d + 1)", inside, first+rehearsalIDOffset+1, first, rehearsalIDOffset)
	}
	if _, err := s.Runs().Get(ctx, inside); !errors.Is(err, ErrNotFound) {
		t.Errorf("the rehearsal's run %d stayed: %v", inside, err)
	}
	var n int
	if err := s.pool.QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE key = 'k'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the rehearsal's setting stayed: %d rows, %v", n, err)
	}
	next, err := s.Runs().Start(ctx, KindScore, 2026, nil)
	if err != nil {
		t.Fatal(err)
	}
	if next != first+1 {
		t.Errorf("the run after the rehearsal has id %d, want %d: the rehearsal drew from the sequence", next, first+1)
	}
	if err := s.Runs().RestoreInputs(ctx, first, 2026); err == nil {
		t.Errorf("RestoreInputs on the real database is not refused")
	}
}

// A rehearsal that only scores refuses to write a submission, and Amend refuses to run outside a
// rehearsal.
func TestRehearseScoringWritesNoSubmission(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir()+"/k.duckdb")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.RehearseScoring(ctx, func(v *Store) error {
		w := v.Submissions().NewWriter()
		w.Add(SubmissionMeta{FiscalYear: 2026, EntityCode: "312011", Level: "municipality", Kind: "survey", FileName: "x.xlsx", SHA256: "x"}, nil)
		if err := w.Flush(ctx); !errors.Is(err, errNoSubmissionsHere) {
			t.Errorf("a submission written in a scoring rehearsal: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Scores().Amend(ctx, 1, 2026, nil); err == nil || !strings.Contains(err.Error(), "only inside a rehearsal") {
		t.Errorf("Amend outside a rehearsal: %v", err)
	}
}

// An upload waits for a rehearsal that writes submissions (Rehearse holds subMu), and goes on
// during one that only scores (RehearseScoring).
func TestRehearseHoldsUploads(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir()+"/k.duckdb")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	upload := func(code string) error {
		w := s.Submissions().NewWriter()
		w.Add(SubmissionMeta{FiscalYear: 2026, EntityCode: code, Level: "municipality", Kind: "survey", FileName: code + ".xlsx", SHA256: code}, nil)
		return w.Flush(ctx)
	}
	for _, c := range []struct {
		name     string
		rehearse func(context.Context, func(*Store) error) error
		holds    bool
	}{{"Rehearse", s.Rehearse, true}, {"RehearseScoring", s.RehearseScoring, false}} {
		var ended atomic.Bool // the rehearsal has returned
		flushed := make(chan bool, 1)
		err := c.rehearse(ctx, func(*Store) error {
			go func() {
				if err := upload("31201" + fmt.Sprint(len(c.name)%10)); err != nil {
					t.Error(err)
				}
				flushed <- ended.Load()
			}()
			select { // with the lock held the upload cannot end; without it, it ends at once
			case after := <-flushed:
				flushed <- after
			case <-time.After(500 * time.Millisecond):
			}
			ended.Store(true)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if after := <-flushed; after != c.holds {
			t.Errorf("%s: the upload ended after the rehearsal: %v, want %v", c.name, after, c.holds)
		}
	}
}
