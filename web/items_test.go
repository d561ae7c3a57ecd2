package web

import (
	"archive/zip"
	"bytes"
	"html"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The item-by-item page shows every item of the rulebook with the answer, the points and the
// reason, to the entity, its prefecture and the ministry; another municipality or prefecture gets
// 403 and nothing of it.
func TestEntityItemsPage(t *testing.T) {
	w := newWorld(t)
	muni, _ := w.client("muni")
	_, page := w.do(muni, "GET", "/entity/312011/items", nil)
	page = html.UnescapeString(page)
	for _, want := range []string{
		"鳥取市の回答と得点", "正式な採点（採点実行 1・第1版）", // no 試算 yet: the official run, saying which
		"推進 目標Ⅰ 持続可能な地域のあるべき姿をかたちにする", "指標 1　地域の介護保険事業の特徴を把握し", // 目標・指標 headings (FY2026 rulebook)
		`id="item-P1-1-a"`, "介護予防・日常生活圏域ニーズ調査等により",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the items page lacks %q", want)
		}
	}
	row := page[strings.Index(page, `id="item-P1-1-a"`):]
	row = row[:strings.Index(row, "</tr>")]
	answer := cellOf(t, w.workbook("312011"), "F7")
	points, reason := "0 / 4", "いいえ（未実施）→ 0点"
	if answer == "はい" {
		points, reason = "4 / 4", "はい（実施）→ 4点"
	}
	for _, want := range []string{`data-label="回答">` + answer + "<", `data-label="得点">` + points + "<", `data-label="理由">` + reason + "<"} {
		if !strings.Contains(row, want) {
			t.Errorf("P1-1-a row lacks %s: %s", want, row)
		}
	}
	for _, who := range []string{"pref", "ministry"} {
		c, _ := w.client(who)
		if code, p := w.do(c, "GET", "/entity/312011/items", nil); code != http.StatusOK || !strings.Contains(p, `id="item-P1-1-a"`) {
			t.Errorf("%s: %d", who, code)
		}
	}
	for _, who := range []string{"othermuni", "otherpref", "centre"} {
		c, _ := w.client(who)
		code, p := w.do(c, "GET", "/entity/312011/items", nil)
		if code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", who, code)
		}
		for _, leak := range []string{"鳥取市", "介護予防・日常生活圏域", "item-P1-1-a", "採点実行"} {
			if strings.Contains(p, leak) {
				t.Errorf("%s's refusal shows %q", who, leak)
			}
		}
	}
}

// A version accepted through the service can be downloaded as it was sent, by those who may view
// the entity; an older version says its file was not kept; another municipality gets nothing.
func TestSentFile(t *testing.T) {
	w := newWorld(t)
	muni, csrf := w.client("muni")
	sent := edited(t, w.workbook("312011"), "F7", "はい")
	if _, page := w.uploadPage(muni, "312011", csrf, "v2.xlsx", sent); !strings.Contains(page, "受け付けました（第2版）") {
		t.Fatalf("upload: %.300s", page)
	}
	if _, page := w.do(muni, "GET", "/entity/312011", nil); !strings.Contains(page, `href="/entity/312011/sent/2"`) || !strings.Contains(page, "保存されていません") {
		t.Errorf("the history does not offer version 2's file and say version 1's was not kept")
	}
	get := func(c *http.Client, path string) (int, []byte, string) {
		resp, err := c.Get(w.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, resp.Header.Get("Content-Disposition")
	}
	code, body, disp := get(muni, "/entity/312011/sent/2")
	if code != http.StatusOK || string(body) != string(sent) || !strings.Contains(disp, "v2.xlsx") {
		t.Errorf("version 2: %d, %d bytes (sent %d), %q", code, len(body), len(sent), disp)
	}
	if code, body, _ := get(muni, "/entity/312011/sent/1"); code != http.StatusNotFound || !strings.Contains(string(body), "保存されていません") {
		t.Errorf("version 1: %d %s", code, body)
	}
	pref, _ := w.client("pref")
	if code, body, _ := get(pref, "/entity/312011/sent/2"); code != http.StatusOK || string(body) != string(sent) {
		t.Errorf("its prefecture: %d", code)
	}
	other, _ := w.client("othermuni")
	if code, body, _ := get(other, "/entity/312011/sent/2"); code != http.StatusForbidden || strings.Contains(string(body), "PK") || strings.Contains(string(body), "鳥取市") {
		t.Errorf("another municipality: %d %.200s", code, body)
	}
}

// A municipality's feedback workbook holds its own sheet only: nothing of another municipality of
// its prefecture (whose sheets the exported prefectural workbook holds), in any part of the file.
func TestFeedbackWorkbookIsTheMunicipalitysOwn(t *testing.T) {
	w := newWorld(t)
	muni, _ := w.client("muni")
	resp, err := muni.Get(w.srv.URL + "/entity/312011/feedback.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, data)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sheets := f.GetSheetList(); len(sheets) != 1 || sheets[0] != "312011 鳥取市" {
		t.Errorf("sheets %q, want only 312011 鳥取市", sheets)
	}
	if a1, _ := f.GetCellValue("312011 鳥取市", "A1"); !strings.Contains(a1, "鳥取市") {
		t.Errorf("A1 %q", a1)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range zr.File {
		rc, err := part.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		for _, other := range []string{"312029", "米子市", "境港市", "312037"} {
			if bytes.Contains(b, []byte(other)) {
				t.Errorf("%s holds %s", part.Name, other)
			}
		}
	}
	// The exported prefectural workbook does hold the others: the reason this copy exists.
	exported, _ := filepath.Glob(filepath.Join(base.dir, "out", "FY2026", "feedback", "*_310000_*.xlsx"))
	if len(exported) != 1 {
		t.Fatalf("exported feedback workbooks %q", exported)
	}
	if ef, err := excelize.OpenFile(exported[0]); err != nil {
		t.Fatal(err)
	} else {
		if sheets := ef.GetSheetList(); !slices.Contains(sheets, "312029 米子市") {
			t.Errorf("the exported workbook's sheets %q lack 米子市 (the test's premise)", sheets)
		}
		ef.Close()
	}
	other, _ := w.client("othermuni")
	if code, body := w.do(other, "GET", "/entity/312011/feedback.xlsx", nil); code != http.StatusForbidden || strings.Contains(body, "鳥取市") {
		t.Errorf("another municipality: %d", code)
	}
	if _, page := w.do(muni, "GET", "/entity/312011", nil); !strings.Contains(page, `href="/entity/312011/feedback.xlsx"`) {
		t.Errorf("the entity page does not offer the feedback workbook")
	}
}
