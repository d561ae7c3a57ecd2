package pipeline_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// TestReferenceLoadResumes: a process killed after the prefectures' reference file was loaded and
// before the municipalities' (each is its own transaction) must load the municipalities the next
// time. Before the fix, the prefectures' population made the whole step look done, and every
// municipal code stayed unknown (found by cmd TestIngestSurvivesSIGKILL).
func TestReferenceLoadResumes(t *testing.T) {
	ctx := context.Background()
	r := newRunner(t, filepath.Join(t.TempDir(), "k.duckdb"))
	data, err := fixtures.ReferenceFile(fixtures.PrefecturesFile)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := loaders.ReadReference(fixtures.PrefecturesFile, bytes.NewReader(data), kofukin.Prefecture)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Store.Reference().Load(ctx, 2026, store.FirstGrantYear, store.ReferenceFile{Name: fixtures.PrefecturesFile, SHA256: "x"}, ref, "test"); err != nil {
		t.Fatal(err)
	}
	if err := r.EnsureReference(ctx, 2026); err != nil {
		t.Fatal(err)
	}
	for level, want := range map[string]int{"prefecture": 47, "municipality": 1741} {
		ents, err := r.Store.Reference().Entities(ctx, 2026, level)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != want {
			t.Errorf("%d %s entities after the resumed load, want %d", len(ents), level, want)
		}
	}
	for _, level := range []kofukin.Level{kofukin.Prefecture, kofukin.Municipality} {
		if have, err := r.Store.Reference().HasPopulation(ctx, 2026, level); err != nil || !have {
			t.Errorf("%s population for 2026: %v %v", level, have, err)
		}
	}
}
