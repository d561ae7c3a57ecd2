package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// A panic while reading a file (here forced by a runner without rulebooks, which the readers
// dereference) is that file's problem E023 with a log line; Ingest returns, the other files are
// reported, nothing is stored and the process carries on.
func TestPanicInAWorkerIsTheFilesProblem(t *testing.T) {
	ctx := context.Background()
	dir, _ := tottori(t)
	st := newRunner(t, "").Store
	r := &pipeline.Runner{Store: st} // no rulebooks: reading a survey panics
	files := []string{
		filepath.Join(dir, fixtures.SurveyFileName(2026, indicators.Municipality, "312011")),
		filepath.Join(dir, fixtures.SurveyFileName(2026, indicators.Municipality, "312029")),
	}
	rep, err := r.Ingest(ctx, files, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil {
		t.Fatalf("Ingest failed for the system instead of the files: %v", err)
	}
	if len(rep.Files) != 2 || rep.Rejected != 2 {
		t.Fatalf("report: %+v", rep)
	}
	for _, f := range rep.Files {
		if len(f.Problems) != 1 || f.Problems[0].Code != loaders.ErrInternal || f.Problems[0].File != f.Path {
			t.Errorf("%s: problems %+v, want one E023 naming the file", f.Path, f.Problems)
		}
	}
	subs, err := st.Submissions().Current(ctx, 2026)
	if err != nil || len(subs) != 0 {
		t.Errorf("stored %d submissions (%v), want none", len(subs), err)
	}
}

// Ingest asks the policy for every file: a municipality sending another's survey, or a prefecture
// sending the ministry's values, is denied and nothing of it is stored; what is stored records who
// sent it and how.
func TestIngestAuthorizesEachFile(t *testing.T) {
	ctx := context.Background()
	dir, _ := tottori(t)
	r := newRunner(t, "")
	st := r.Store
	read := func(name string) pipeline.File {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return pipeline.File{Name: name, Data: data}
	}
	muni := kofukin.Principal{TokenID: "t1", Role: kofukin.RoleMunicipality, EntityCode: "312011"}
	pref := kofukin.Principal{TokenID: "t2", Role: kofukin.RolePrefecture, EntityCode: "310000"}
	own := read(fixtures.SurveyFileName(2026, indicators.Municipality, "312011"))
	other := read(fixtures.SurveyFileName(2026, indicators.Municipality, "312029"))
	outcomes := read(fixtures.OutcomesFileName(2026))
	broken := func(f pipeline.File) pipeline.File {
		x, err := excelize.OpenReader(bytes.NewReader(f.Data))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		x.SetCellStr("回答", "F7", "たぶん")
		var buf bytes.Buffer
		x.WriteTo(&buf)
		return pipeline.File{Name: "broken_" + filepath.Base(f.Name), Data: buf.Bytes()}
	}
	for _, c := range []struct {
		by   kofukin.Principal
		file pipeline.File
		want string
	}{
		{muni, other, pipeline.Denied},
		{muni, broken(other), pipeline.Denied}, // not rejected with its problems: they are not the sender's to read
		{muni, broken(own), pipeline.Rejected},
		{pref, outcomes, pipeline.Denied},
		{muni, outcomes, pipeline.Denied},
		{muni, own, store.Accepted},
		{pref, other, store.Accepted},
	} {
		rep, err := r.IngestFiles(ctx, []pipeline.File{c.file}, pipeline.IngestOptions{FiscalYear: 2026, By: c.by, Via: "api"})
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Files[0].Status; got != c.want {
			t.Errorf("%s %s sending %s: %s, want %s", c.by.Role, c.by.EntityCode, c.file.Name, got, c.want)
		}
		if rep.Files[0].Status == pipeline.Denied && len(rep.Files[0].Problems) > 0 {
			t.Errorf("%s: a denied file's problems are shown to its sender", c.file.Name)
		}
	}
	subs, err := st.Submissions().Current(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.Submission{}
	for _, s := range subs {
		got[s.EntityCode] = s
	}
	if len(got) != 2 || got[store.MinistryCode].ID != 0 {
		t.Errorf("stored %v, want 312011 and 312029 only", got)
	}
	if s := got["312011"]; s.Via != "api" || s.ByEntity != "312011" || s.OnBehalf() {
		t.Errorf("312011 sent by %s %s via %s (on behalf %v)", s.ByRole, s.ByEntity, s.Via, s.OnBehalf())
	}
	if s := got["312029"]; s.ByRole != kofukin.RolePrefecture || s.ByEntity != "310000" || s.ByToken != "t2" || !s.OnBehalf() {
		t.Errorf("312029 sent by %s %s token %s (on behalf %v)", s.ByRole, s.ByEntity, s.ByToken, s.OnBehalf())
	}
}
