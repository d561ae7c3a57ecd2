package pipeline_test

import (
	"bytes"
	"context"
	"errors"
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

// tottoriScored is 鳥取県's synthetic nation ingested (version 1 of everyone) and scored: this
// test's copy of the package's shared cycle (cycled), which also allocated and exported.
func tottoriScored(t *testing.T) (*pipeline.Runner, string) {
	t.Helper()
	r, fix, _ := cycled(t)
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

// workbookOf reads an entity's survey workbook of the synthetic nation.
func workbookOf(t *testing.T, fix, code string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fix, fixtures.SurveyFileName(2026, indicators.Municipality, code)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// An accepted new version's report lists the answers that changed since the previous version
// (item, question, old → new), at most MaxChanges of them, the rest counted.
func TestNewVersionListsChangedAnswers(t *testing.T) {
	ctx := context.Background()
	r, fix := tottoriScored(t)
	good := workbookOf(t, fix, "312011")
	before := currentAnswers(t, r, "312011")
	rb, _ := mustLib().Get(2026, indicators.Municipality)
	first := rb.SelfItems()[0]
	flip := map[string]string{"はい": "いいえ", "いいえ": "はい", "": "はい"}[before[first.ID].Text]
	res, err := r.Submit(ctx, tottoriCity, pipeline.SubmitRequest{FiscalYear: 2026, Name: "v2.xlsx", Data: withAnswer(t, good, map[string]string{"F7": flip}), Via: "web", For: "312011"})
	if err != nil {
		t.Fatal(err)
	}
	fr := res.Report
	if fr.Status != kofukin.StatusAccepted || fr.Version != 2 || fr.Previous != 1 {
		t.Fatalf("second version: %s version %d previous %d", fr.Status, fr.Version, fr.Previous)
	}
	want := pipeline.AnswerChange{Item: first.ID, Question: first.Question, Old: before[first.ID].Text, New: flip}
	if len(fr.Changes) != 1 || fr.Changes[0] != want || fr.ChangesMore != 0 {
		t.Errorf("changes %+v (+%d), want only %+v", fr.Changes, fr.ChangesMore, want)
	}
	// The stored report (what the upload page shows) holds them too.
	if _, stored, err := r.UploadReport(ctx, tottoriCity, res.UploadID); err != nil || len(stored.Changes) != 1 || stored.Previous != 1 {
		t.Errorf("stored report: %v %+v", err, stored)
	}
	// Every answer but the first blanked: many changes, MaxChanges listed and the rest counted.
	cells := map[string]string{}
	changed := 0
	for i, it := range rb.SelfItems()[1:] {
		cells["F"+itoa(8+i)] = ""
		if before[it.ID].Text != "" {
			changed++
		}
	}
	res, err = r.Submit(ctx, tottoriCity, pipeline.SubmitRequest{FiscalYear: 2026, Name: "v3.xlsx", Data: withAnswer(t, good, cells), Via: "api"})
	if err != nil {
		t.Fatal(err)
	}
	fr = res.Report
	changed++ // the first item goes back to its version-1 answer
	if fr.Status != kofukin.StatusAccepted || fr.Previous != 2 || len(fr.Changes) != pipeline.MaxChanges || fr.ChangesMore != changed-pipeline.MaxChanges {
		t.Errorf("third version: %s previous %d, %d changes listed + %d, want %d + %d", fr.Status, fr.Previous, len(fr.Changes), fr.ChangesMore, pipeline.MaxChanges, changed-pipeline.MaxChanges)
	}
	if c := fr.Changes[1]; c.New != "" || c.Old == "" {
		t.Errorf("a blanked answer: %+v", c)
	}
	// Back to the answers of version 1: every change is listed again.
	res, err = r.Submit(ctx, tottoriCity, pipeline.SubmitRequest{FiscalYear: 2026, Name: "own.xlsx", Data: good, Via: "api"})
	if err != nil || res.Report.Version != 4 || len(res.Report.Changes) == 0 {
		t.Errorf("back to the first answers: %v %+v", err, res.Report)
	}
}

// A score shown for an entity that resubmitted after the run says so, on its page and on its
// prefecture's 提出状況, until a new run scores the new version.
func TestScoreBeforeResubmissionIsMarked(t *testing.T) {
	ctx := context.Background()
	r, fix := tottoriScored(t)
	stale := func() (string, string, int) {
		t.Helper()
		v, err := r.EntityPage(ctx, tottoriCity, 2026, "312011")
		if err != nil {
			t.Fatal(err)
		}
		if v.Preview == nil {
			t.Fatal("no score on the page")
		}
		p, err := r.PrefecturePage(ctx, tottoriPref, 2026, "310000")
		if err != nil {
			t.Fatal(err)
		}
		row := ""
		for _, m := range p.Munis {
			if m.E.Code == "312011" {
				row = m.Stale
			} else if m.Stale != "" {
				t.Errorf("%s is marked %q", m.E.Code, m.Stale)
			}
		}
		return v.Stale, row, v.ScoredVersion
	}
	if page, row, scored := stale(); page != "" || row != "" || scored != 1 {
		t.Errorf("scored version 1 shown as %q / %q (scored version %d)", page, row, scored)
	}
	good := workbookOf(t, fix, "312011")
	for _, v := range []string{"はい", "いいえ"} {
		if _, err := r.Submit(ctx, tottoriCity, pipeline.SubmitRequest{FiscalYear: 2026, Name: "x.xlsx", Data: withAnswer(t, good, map[string]string{"F8": v}), Via: "web", For: "312011"}); err != nil {
			t.Fatal(err)
		}
	}
	want := "採点後に再提出あり（第" + itoa(currentVersion(t, r, "312011")) + "版は未採点）"
	if page, row, scored := stale(); page != want || row != want || scored != 1 {
		t.Errorf("after resubmitting: %q / %q (scored version %d), want %q", page, row, scored, want)
	}
	if _, err := r.Score(ctx, 2026); err != nil {
		t.Fatal(err)
	}
	if page, row, scored := stale(); page != "" || row != "" || scored != currentVersion(t, r, "312011") {
		t.Errorf("after a new run: %q / %q (scored version %d)", page, row, scored)
	}
}

func TestStaleNote(t *testing.T) {
	for _, c := range []struct {
		scored, current int
		want            string
	}{
		{1, 1, ""},
		{0, 0, ""},
		{2, 1, ""}, // a rerun restored an older version: the score is not older than it
		{1, 3, "採点後に再提出あり（第3版は未採点）"},
		{0, 1, "採点後に提出あり（第1版は未採点）"},
	} {
		if got := pipeline.StaleNote(c.scored, c.current); got != c.want {
			t.Errorf("StaleNote(%d, %d) = %q, want %q", c.scored, c.current, got, c.want)
		}
	}
}

// Another municipality's survey is refused saying whose it is and whose to send, from the
// municipality's own page, the API, or a prefecture's upload on another municipality's page; it
// never lands in the other body's history.
func TestWrongEntityUpload(t *testing.T) {
	ctx := context.Background()
	r, fix := tottoriScored(t)
	yonago := withAnswer(t, workbookOf(t, fix, "312029"), map[string]string{"F8": "はい"})
	const want = "このファイルは 米子市（312029）の調査票です。鳥取市（312011）の調査票をアップロードしてください。"
	for _, c := range []struct {
		name string
		by   kofukin.Principal
		via  string
		For  string
	}{
		{"the municipality's page", tottoriCity, "web", "312011"},
		{"the municipality's API", tottoriCity, "api", ""},
		{"the prefecture on 鳥取市's page", tottoriPref, "web", "312011"},
	} {
		_, err := r.Submit(ctx, c.by, pipeline.SubmitRequest{FiscalYear: 2026, Name: "米子市.xlsx", Data: yonago, Via: c.via, For: c.For})
		var wrong *pipeline.WrongEntityError
		if !errors.As(err, &wrong) || wrong.MessageJA != want || wrong.FileEntity != "312029" || wrong.Want != "312011" {
			t.Errorf("%s: %v, want %q", c.name, err, want)
		}
		var denied *kofukin.Denied
		if got := errors.As(err, &denied); got != (c.by.Role == kofukin.RoleMunicipality) {
			t.Errorf("%s: a policy refusal %v, want %v", c.name, got, !got)
		}
	}
	if v := currentVersion(t, r, "312029"); v != 1 {
		t.Errorf("米子市 holds version %d, want 1", v)
	}
	if ups, err := r.Store.Submissions().Uploads(ctx, "312029", 100); err != nil || len(ups) != 0 {
		t.Errorf("米子市's history shows uploads it never made: %v %+v", err, ups)
	}
	for code, n := range map[string]int{"312011": 2, "310000": 1} {
		ups, err := r.Store.Submissions().Uploads(ctx, code, 100)
		if err != nil || len(ups) != n {
			t.Errorf("%s's own refused uploads: %v %d, want %d", code, err, len(ups), n)
		}
		for _, u := range ups {
			if u.Status != pipeline.Denied {
				t.Errorf("%s: upload %d %s", code, u.ID, u.Status)
			}
		}
	}
	// A prefecture may still send 米子市's survey through the API (on its behalf).
	res, err := r.Submit(ctx, tottoriPref, pipeline.SubmitRequest{FiscalYear: 2026, Name: "米子市.xlsx", Data: yonago, Via: "api"})
	if err != nil || res.Report.Status != kofukin.StatusAccepted || res.Report.EntityCode != "312029" {
		t.Errorf("the prefecture's upload for 米子市: %v %+v", err, res)
	}
	// Another prefecture's municipality is named with what the prefecture may send.
	_, err = r.Submit(ctx, tottoriPref, pipeline.SubmitRequest{FiscalYear: 2026, Name: "x.xlsx", Data: withStamp(t, yonago, "322016"), Via: "api"})
	var wrong *pipeline.WrongEntityError
	if !errors.As(err, &wrong) || !strings.Contains(wrong.MessageJA, "（322016）の調査票です。鳥取県（310000）又はその管内") {
		t.Errorf("another prefecture's municipality: %v", err)
	}
}

// withStamp returns the workbook stamped (and headed) with another entity code.
func withStamp(t *testing.T, data []byte, code string) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(survey.SheetStamp)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		if len(row) > 1 && row[0] == survey.StampEntityCode {
			if err := f.SetCellStr(survey.SheetStamp, "B"+itoa(i+1), code); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
