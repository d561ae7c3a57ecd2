package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// uploadPage sends a file through an entity page's form and returns the status and the page shown
// (the report page the form redirects to, or the error page).
func (w *world) uploadPage(c *http.Client, code, csrf, name string, data []byte) (int, string) {
	w.t.Helper()
	resp := w.postUpload(c, code, csrf, name, data)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusSeeOther {
		_, page := w.do(c, "GET", resp.Header.Get("Location"), nil)
		return resp.StatusCode, page
	}
	return resp.StatusCode, string(body)
}

func (w *world) currentVersion(code string) int {
	w.t.Helper()
	hist, err := w.s.Runner.Store.Submissions().History(context.Background(), 2026, code)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, x := range hist {
		if x.Status == "current" {
			return x.Version
		}
	}
	return 0
}

// The template as downloaded, sent back blank, is refused with E025 through the form and the API
// (422); the current version stays.
func TestBlankTemplateIsRefused(t *testing.T) {
	w := newWorld(t)
	muni, csrf := w.client("muni")
	code, blank := w.do(muni, "GET", "/entity/312011/template", nil)
	if code != http.StatusOK {
		t.Fatalf("template: %d", code)
	}
	if code, page := w.uploadPage(muni, "312011", csrf, "blank.xlsx", []byte(blank)); code != http.StatusSeeOther || !strings.Contains(page, "E025") || !strings.Contains(page, "回答が1件もありません") {
		t.Errorf("the form: %d %.500s", code, page)
	}
	code, out := w.apiPost(w.tokens["muni"], "blank.xlsx", []byte(blank))
	probs, _ := out["report"].(map[string]any)["problems"].([]any)
	if code != http.StatusUnprocessableEntity || len(probs) != 1 || probs[0].(map[string]any)["code"] != "E025" {
		t.Errorf("the API: %d %v", code, out)
	}
	if v := w.currentVersion("312011"); v != 1 {
		t.Errorf("current version %d after blank uploads, want 1", v)
	}
}

// After an accepted upload the report lists what changed, and the pages that show the earlier
// score say it predates the new version.
func TestNewVersionChangesAndStaleScore(t *testing.T) {
	w := newWorld(t)
	muni, csrf := w.client("muni")
	pref, _ := w.client("pref")
	const stale = "採点後に再提出あり（第3版は未採点）"
	for path, c := range map[string]*http.Client{"/entity/312011": muni, "/prefecture/310000": pref} {
		if _, page := w.do(c, "GET", path, nil); strings.Contains(page, "採点後に") {
			t.Errorf("%s is marked before any resubmission", path)
		}
	}
	good := w.workbook("312011")
	w.uploadPage(muni, "312011", csrf, "v2.xlsx", edited(t, good, "F7", "はい"))
	_, page := w.uploadPage(muni, "312011", csrf, "v3.xlsx", edited(t, good, "F7", "いいえ"))
	if !strings.Contains(page, "受け付けました（第3版）") {
		t.Fatalf("upload: %.300s", page)
	}
	for _, want := range []string{"第2版からの変更", `<table id="changes">`, "前回（第2版）", "今回（第3版）", "<td>はい</td><td>いいえ</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the report lacks %q: %s", want, page)
		}
	}
	if _, page := w.do(muni, "GET", "/entity/312011", nil); !strings.Contains(page, stale) || !strings.Contains(page, "採点実行 1・第1版") {
		t.Errorf("the municipality's page does not mark its score of version 1")
	}
	_, page = w.do(pref, "GET", "/prefecture/310000", nil)
	row := page[strings.Index(page, `id="m312011"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, stale) {
		t.Errorf("提出状況 does not mark 鳥取市's score: %s", row)
	}
	if strings.Count(page, "採点後に") != 1 {
		t.Errorf("提出状況 marks %d rows, want 1", strings.Count(page, "採点後に"))
	}
}

// Another municipality's survey is refused with whose it is and whose to send (403), and never
// shows in that municipality's history.
func TestWrongEntityUploadSaysWhose(t *testing.T) {
	w := newWorld(t)
	const want = "このファイルは 米子市（312029）の調査票です。鳥取市（312011）の調査票をアップロードしてください。"
	yonago := edited(t, w.workbook("312029"), "F7", "いいえ")
	muni, mcsrf := w.client("muni")
	if code, page := w.uploadPage(muni, "312011", mcsrf, "米子市.xlsx", yonago); code != http.StatusForbidden || !strings.Contains(page, want) {
		t.Errorf("the municipality's form: %d %.400s", code, page)
	}
	if code, out := w.apiPost(w.tokens["muni"], "米子市.xlsx", yonago); code != http.StatusForbidden || out["error_ja"] != want {
		t.Errorf("the municipality's API: %d %v", code, out)
	}
	pref, pcsrf := w.client("pref")
	if code, page := w.uploadPage(pref, "312011", pcsrf, "米子市.xlsx", yonago); code != http.StatusForbidden || !strings.Contains(page, want) {
		t.Errorf("the prefecture on 鳥取市's page: %d %.400s", code, page)
	}
	other, _ := w.client("othermuni")
	_, page := w.do(other, "GET", "/entity/312029", nil)
	if strings.Contains(page, "米子市.xlsx") || w.currentVersion("312029") != 1 {
		t.Errorf("米子市's page shows an upload it never made")
	}
	if _, page := w.do(muni, "GET", "/entity/312011", nil); strings.Count(page, "米子市.xlsx") != 2 {
		t.Errorf("鳥取市's page should list its own 2 refused uploads")
	}
}
