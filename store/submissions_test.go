package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

func survey(code, sha string) store.SubmissionMeta {
	return store.SubmissionMeta{FiscalYear: 2026, EntityCode: code, Level: "municipality", Kind: "survey", FileName: sha + ".xlsx", SHA256: sha}
}

func answersOf(code string, n int) []store.AnswerRow {
	rows := make([]store.AnswerRow, n)
	for i := range rows {
		rows[i] = store.AnswerRow{EntityCode: code, Answer: loaders.Answer{ItemID: fmt.Sprintf("I-%d", i), Text: "はい", Num: 1, Cell: fmt.Sprintf("回答!F%d", 7+i)}}
	}
	return rows
}

// slotInvariants checks one entity's submissions: versions 1..n without a gap or a repeat, exactly
// one current (the newest), every version with all its answers.
func slotInvariants(t *testing.T, st *store.Store, code string, answers int) []store.Submission {
	t.Helper()
	ctx := context.Background()
	hist, err := st.Submissions().History(ctx, 2026, code)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(hist, func(i, j int) bool { return hist[i].Version < hist[j].Version })
	current := 0
	for i, h := range hist {
		if h.Version != i+1 {
			t.Errorf("%s: version %d at position %d: versions are not 1..%d", code, h.Version, i+1, len(hist))
		}
		if h.Status == "current" {
			current++
			if i != len(hist)-1 {
				t.Errorf("%s: version %d is current but not the newest", code, h.Version)
			}
		}
		got, err := st.Submissions().Answers(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != answers || h.AnswerCount != answers {
			t.Errorf("%s v%d: %d answers stored (%d recorded), want %d", code, h.Version, len(got), h.AnswerCount, answers)
		}
	}
	if current != 1 {
		t.Errorf("%s: %d current versions, want exactly 1", code, current)
	}
	return hist
}

// Twenty different files for one municipality arrive at once (a double click, a client's retry,
// the inbox racing the web): each becomes exactly one version, numbered 1..20, one current.
func TestConcurrentVersionsOfOneEntity(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "k.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const n = 20
	results := make([]store.IngestResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			results[i], errs[i] = st.Submissions().Add(ctx, survey("312011", fmt.Sprintf("sha-%02d", i)), answersOf("312011", 5))
		}(i)
	}
	close(start)
	wg.Wait()
	versions := map[int]bool{}
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("file %d: %v (a concurrent write must never be lost)", i, errs[i])
		}
		if results[i].Status != store.Accepted {
			t.Errorf("file %d: %s, want accepted", i, results[i].Status)
		}
		if versions[results[i].Version] {
			t.Errorf("version %d given twice", results[i].Version)
		}
		versions[results[i].Version] = true
	}
	hist := slotInvariants(t, st, "312011", 5)
	if len(hist) != n {
		t.Fatalf("%d versions stored, want %d", len(hist), n)
	}
	shas := map[string]bool{}
	for _, h := range hist {
		shas[h.SHA256] = true
	}
	if len(shas) != n {
		t.Errorf("%d distinct files stored, want %d", len(shas), n)
	}
	// The newest version is the one the scoring reads.
	cur, err := st.Submissions().Current(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if len(cur) != 1 || cur[0].Version != n {
		t.Errorf("current submissions: %+v, want one, version %d", cur, n)
	}
}

// Ten identical files at once: the first is version 1, the nine others are unchanged.
func TestConcurrentIdenticalUploadsAreUnchanged(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "k.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const n = 10
	results := make([]store.IngestResult, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var err error
			if results[i], err = st.Submissions().Add(ctx, survey("312029", "same"), answersOf("312029", 3)); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Status]++
		if r.Version != 1 || r.SubmissionID != results[0].SubmissionID {
			t.Errorf("result %+v: want version 1 and the one submission id %d", r, results[0].SubmissionID)
		}
	}
	if counts[store.Accepted] != 1 || counts[store.Unchanged] != n-1 {
		t.Errorf("statuses %v, want 1 accepted and %d unchanged", counts, n-1)
	}
	slotInvariants(t, st, "312029", 3)
}

// Within one group (one transaction) the versions of a slot follow the files' order, an identical
// file is unchanged against the one written just before it, and only the last is current.
func TestWriterGroupOrder(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Submissions().Add(ctx, survey("312011", "a"), answersOf("312011", 2)); err != nil {
		t.Fatal(err)
	}
	w := st.Submissions().NewWriter()
	rb := w.Add(survey("312011", "b"), answersOf("312011", 2))
	rb2 := w.Add(survey("312011", "b"), answersOf("312011", 2))
	rc := w.Add(survey("312011", "c"), answersOf("312011", 2))
	rx := w.Add(survey("312029", "x"), answersOf("312029", 2))
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := []store.IngestResult{{store.Accepted, rb.SubmissionID, 2}, {store.Unchanged, rb.SubmissionID, 2}, {store.Accepted, rc.SubmissionID, 3}, {store.Accepted, rx.SubmissionID, 1}}
	for i, got := range []*store.IngestResult{rb, rb2, rc, rx} {
		if *got != want[i] {
			t.Errorf("file %d: %+v, want %+v", i, *got, want[i])
		}
	}
	if !(rb.SubmissionID < rc.SubmissionID && rc.SubmissionID < rx.SubmissionID) {
		t.Errorf("ids %d %d %d do not follow the files' order", rb.SubmissionID, rc.SubmissionID, rx.SubmissionID)
	}
	hist := slotInvariants(t, st, "312011", 2)
	if hist[len(hist)-1].SHA256 != "c" {
		t.Errorf("current is %s, want c", hist[len(hist)-1].SHA256)
	}
	slotInvariants(t, st, "312029", 2)
}

// TestVerdictOnASupersededVersionIsNotSaved: a 確認済 given on version 1 after version 2 came in
// (the new version landed between the reviewer's check and the save) is refused with
// VersionChangedError and nothing of the batch is saved; on the current version it is saved.
func TestVerdictOnASupersededVersionIsNotSaved(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, sha := range []string{"v1", "v2"} {
		if _, err := st.Submissions().Add(ctx, survey("312011", sha), answersOf("312011", 2)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Submissions().Add(ctx, survey("312029", "w1"), answersOf("312029", 2)); err != nil {
		t.Fatal(err)
	}
	batch := []store.Review{
		{FiscalYear: 2026, EntityCode: "312029", Status: "確認済", Version: 1},
		{FiscalYear: 2026, EntityCode: "312011", Status: "確認済", Version: 1},
	}
	err = st.Submissions().SaveReviews(ctx, batch)
	var vc *store.VersionChangedError
	if !errors.As(err, &vc) || vc.Entity != "312011" || vc.Given != 1 || vc.Current != 2 {
		t.Fatalf("確認済 on a superseded version: %v", err)
	}
	if got, err := st.Submissions().Reviews(ctx, 2026); err != nil || len(got) != 0 {
		t.Fatalf("after the refused batch the store holds %v (%v), want nothing", got, err)
	}
	batch[1].Version = 2
	if err := st.Submissions().SaveReviews(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := st.Submissions().Reviews(ctx, 2026)
	if err != nil || got["312011"].Version != 2 || got["312029"].Version != 1 {
		t.Fatalf("saved: %v %v", got, err)
	}
	// 未確認 and a verdict of unknown version (0) are not version-checked.
	if err := st.Submissions().SaveReviews(ctx, []store.Review{{FiscalYear: 2026, EntityCode: "312011", Status: "未確認", Version: 1}, {FiscalYear: 2026, EntityCode: "312029", Status: "確認済"}}); err != nil {
		t.Fatal(err)
	}
}
