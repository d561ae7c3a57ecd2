package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/survey"
)

// tottoriScored is 鳥取県's synthetic nation ingested (version 1 of everyone) and scored once.
func tottoriScored(t *testing.T) (*pipeline.Runner, string) {
	t.Helper()
	fix, _ := tottori(t)
	r := newRunner(t, "")
	ctx := context.Background()
	if rep, err := r.Ingest(ctx, []string{fix}, pipeline.IngestOptions{FiscalYear: 2026}); err != nil || rep.Rejected > 0 {
		t.Fatalf("ingest: %v %+v", err, rep)
	}
	if _, err := r.Score(ctx, 2026); err != nil {
		t.Fatal(err)
	}
	return r, fix
}

var (
	tottoriCity = kofukin.Principal{TokenID: "t1", Role: kofukin.RoleMunicipality, EntityCode: "312011"}
	tottoriPref = kofukin.Principal{TokenID: "t2", Role: kofukin.RolePrefecture, EntityCode: "310000"}
)

// withAnswer returns the workbook with the answer cells set (cell → value).
func withAnswer(t *testing.T, data []byte, cells map[string]string) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for c, v := range cells {
		if err := f.SetCellStr(survey.SheetAnswers, c, v); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func currentVersion(t *testing.T, r *pipeline.Runner, code string) int {
	t.Helper()
	hist, err := r.Store.Submissions().History(context.Background(), 2026, code)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range hist {
		if x.Status == "current" && x.Kind == pipeline.KindSurvey {
			return x.Version
		}
	}
	return 0
}

func hasCode(ps []kofukin.Problem, code string) bool {
	for _, p := range ps {
		if p.Code == code {
			return true
		}
	}
	return false
}

// A blank survey — the template as downloaded, through the web form or the API, or as a CSV with
// every answer blank — is refused with E025 and never becomes the current version.
func TestBlankSurveyIsRefused(t *testing.T) {
	ctx := context.Background()
	r, _ := tottoriScored(t)
	_, blank, err := r.Template(ctx, tottoriCity, 2026, "312011")
	if err != nil {
		t.Fatal(err)
	}
	for _, via := range []string{"web", "api"} {
		res, err := r.Submit(ctx, tottoriCity, pipeline.SubmitRequest{FiscalYear: 2026, Name: "blank.xlsx", Data: blank, Via: via, For: map[string]string{"web": "312011"}[via], AnnotatedDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if res.Report.Status != pipeline.Rejected || !hasCode(res.Report.Problems, kofukin.ErrNoAnswer) {
			t.Errorf("%s: a blank template is %s with %+v, want rejected with %s", via, res.Report.Status, res.Report.Problems, kofukin.ErrNoAnswer)
		}
		if v := currentVersion(t, r, "312011"); v != 1 {
			t.Errorf("%s: after a blank upload the current version is %d, want 1", via, v)
		}
	}
	// The operator's ingest refuses it the same way.
	rep, err := r.IngestFiles(ctx, []pipeline.File{{Name: "blank.xlsx", Data: blank}}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if f := rep.Files[0]; f.Status != pipeline.Rejected || !hasCode(f.Problems, kofukin.ErrNoAnswer) || len(f.Problems) != 1 {
		t.Errorf("ingest of a blank template: %s %+v, want rejected with %s alone", f.Status, f.Problems, kofukin.ErrNoAnswer)
	}
	// A care centre's blank template: its required answer is blank (E017) and nothing else is
	// filled in (E025).
	_, centre, err := r.Template(ctx, tottoriPref, 2026, "312011001")
	if err != nil {
		t.Fatal(err)
	}
	rep, err = r.IngestFiles(ctx, []pipeline.File{{Name: "centre.xlsx", Data: centre}}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if f := rep.Files[0]; f.Status != pipeline.Rejected || !hasCode(f.Problems, kofukin.ErrNoAnswer) || !hasCode(f.Problems, kofukin.ErrAnswerRequired) {
		t.Errorf("a centre's blank template: %s %+v, want E017 and E025", f.Status, f.Problems)
	}
	// A CSV whose every answer is blank.
	rb, _ := mustLib().Get(2026, indicators.Municipality)
	var csv strings.Builder
	csv.WriteString("年度,団体コード,項目ID,設問,回答\r\n")
	for _, it := range rb.SelfItems() {
		csv.WriteString("2026,312011," + it.ID + ",\"" + it.Question + "\",\r\n")
	}
	rep, err = r.IngestFiles(ctx, []pipeline.File{{Name: "blank.csv", Data: []byte(csv.String())}}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if f := rep.Files[0]; f.Status != pipeline.Rejected || !hasCode(f.Problems, kofukin.ErrNoAnswer) {
		t.Errorf("a CSV of blanks: %s %+v, want rejected with %s", f.Status, f.Problems, kofukin.ErrNoAnswer)
	}
	if v := currentVersion(t, r, "312011"); v != 1 {
		t.Errorf("the current version is %d, want 1", v)
	}
	// One answer is enough.
	one := withAnswer(t, blank, map[string]string{"F7": "はい"})
	rep, err = r.IngestFiles(ctx, []pipeline.File{{Name: "one.xlsx", Data: one}}, pipeline.IngestOptions{FiscalYear: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if f := rep.Files[0]; f.Status != kofukin.StatusAccepted {
		t.Errorf("a template with one answer: %s %+v", f.Status, f.Problems)
	}
}

var _ = os.ReadFile
var _ = filepath.Join
var _ = fixtures.SurveyFileName
