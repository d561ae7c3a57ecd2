package web

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/fixtures/hostile"
)

// postFile sends a file to a multipart form at path and returns the status and the body.
func (w *world) postFile(c *http.Client, path, csrf, name string, data []byte) (int, string) {
	w.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// shoot saves a full-page screenshot when KOFUKIN_SCREENSHOTS names a folder.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("KOFUKIN_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// row returns the text of the prefecture page's row of code ("" when absent).
func pageRow(page, code string) string {
	m := regexp.MustCompile(`(?s)<tr id="m` + code + `">(.*?)</tr>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], " ")
}

// TestWalkPrefecture walks a prefectural official's day: 鳥取市 resubmits after scoring; the
// prefecture filters 要確認 and 未確認, sees 「採点後に再提出あり」, cannot confirm the version it
// no longer sees, bulk-confirms two municipalities, downloads 提出状況 as Excel and returns its
// review workbook through the page (rows given on superseded versions or older than a verdict
// skipped, said why). Another prefecture sees none of it and cannot import into 鳥取県; hostile
// files are refused without harm.
func TestWalkPrefecture(t *testing.T) {
	exe := chromium(t)
	w := newWorld(t)
	muni, mcsrf := w.client("muni")
	pref, pcsrf := w.client("pref")
	other, ocsrf := w.client("otherpref")
	ctx0 := context.Background()

	// 鳥取市 resubmits after the score run (version 2, unscored).
	if code, loc := w.upload(muni, "312011", mcsrf, "鳥取市.xlsx", edited(t, w.workbook("312011"), "F7", "いいえ")); code != http.StatusSeeOther {
		t.Fatalf("resubmission: %d %s", code, loc)
	}
	// The review workbook as exported before any of today's verdicts.
	code, reviewBook := w.do(pref, "GET", "/prefecture/310000/review.xlsx", nil)
	if code != http.StatusOK || !strings.HasPrefix(reviewBook, "PK") {
		t.Fatalf("review workbook: %d", code)
	}
	_, page := w.do(pref, "GET", "/prefecture/310000", nil)
	if r := pageRow(page, "312011"); !strings.Contains(r, "採点後に再提出あり（第2版は未採点）") || !strings.Contains(r, "第2版") {
		t.Errorf("鳥取市's row should show version 2 and that its score predates it: %q", r)
	}
	// Filters: counts by hand: 19 municipalities submitted; 鳥取市 and every other one is 未確認 (no verdicts yet).
	for _, want := range []string{"すべて（19）", "未確認（19）", "差戻し（0）", "未提出（0）"} {
		if !strings.Contains(page, want) {
			t.Errorf("the filters lack %q", want)
		}
	}
	// A verdict on the version the page no longer shows is refused, saying why.
	code, body := w.do(pref, "POST", "/prefecture/310000/review", url.Values{"csrf": {pcsrf}, "entity": {"312011"}, "version": {"1"}, "status": {"確認済"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "第2版が提出されたため、第1版への確認は登録できません。最新版を確認してください。") ||
		!strings.Contains(body, `href="/prefecture/310000#m312011"`) {
		t.Errorf("a 確認済 on version 1 after version 2: %d %.300s", code, body)
	}

	// The prefecture in the browser.
	bctx, cancel := browser(t, exe)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.Navigate(w.srv.URL+"/login")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	lctx, lcancel := context.WithTimeout(bctx, 30*time.Second)
	err := chromedp.Do(lctx,
		chromedp.WaitVisible(`#token`),
		chromedp.SendKeys(`#token`, w.tokens["pref"]),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(`#filters`),
	)
	lcancel()
	if err != nil {
		shoot(t, bctx, "prefecture_login_failed.png")
		loc, _ := chromedp.Run(bctx, chromedp.Location())
		t.Fatalf("sign in as the prefecture: %v (at %s)", err, loc)
	}
	shoot(t, bctx, "prefecture_all.png")
	if err := chromedp.Do(bctx, chromedp.Click(`a[data-filter=flagged]`), chromedp.WaitVisible(`a.on[data-filter=flagged]`)); err != nil {
		t.Fatal(err)
	}
	flagged, err := chromedp.Run(bctx, chromedp.Text(`#munis tbody`))
	if err != nil {
		t.Fatal(err)
	}
	shoot(t, bctx, "prefecture_flagged.png")
	if err := chromedp.Do(bctx, chromedp.Click(`a[data-filter=unreviewed]`), chromedp.WaitVisible(`a.on[data-filter=unreviewed]`)); err != nil {
		t.Fatal(err)
	}
	shoot(t, bctx, "prefecture_unreviewed.png")
	unreviewed, err := chromedp.Run(bctx, chromedp.Text(`#munis tbody`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(unreviewed, "採点後に再提出あり") || !strings.Contains(unreviewed, "鳥取市") {
		t.Errorf("未確認 should list 鳥取市 with its stale score: %.300s", unreviewed)
	}
	if strings.Contains(flagged, "未提出") || flagged == "" {
		t.Errorf("要確認 should list submitted municipalities with flags: %.200s", flagged)
	}
	// Bulk-confirm 鳥取市 (version 2) and 米子市 (version 1).
	err = chromedp.Do(bctx,
		chromedp.Click(`#m312011 input[name=sel]`),
		chromedp.Click(`#m312029 input[name=sel]`),
		chromedp.Click(`#bulk-submit`),
		chromedp.WaitVisible(`#summary`),
	)
	if err != nil {
		t.Fatal(err)
	}
	result, err := chromedp.Run(bctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	shoot(t, bctx, "prefecture_bulk.png")
	if !strings.Contains(result, "2 団体を確認済にしました") || !strings.Contains(result, "鳥取市") || !strings.Contains(result, "米子市") || strings.Contains(result, "登録できませんでした") {
		t.Errorf("bulk result: %.400s", result)
	}
	reviews, err := w.s.Runner.Store.Submissions().Reviews(ctx0, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if r := reviews["312011"]; r.Status != "確認済" || r.Version != 2 {
		t.Errorf("鳥取市's verdict: %+v, want 確認済 on version 2", r)
	}
	if r := reviews["312029"]; r.Status != "確認済" || r.Version != 1 {
		t.Errorf("米子市's verdict: %+v, want 確認済 on version 1", r)
	}
	// A bulk confirm with one stale version records the others and says which not and why.
	code, body = w.do(pref, "POST", "/prefecture/310000/review/bulk", url.Values{"csrf": {pcsrf}, "sel": {"312011:1", "322016:1"}})
	if code != http.StatusOK || !strings.Contains(body, "0 団体を確認済にしました") || !strings.Contains(body, "第2版が提出されたため、第1版への確認は登録できません") ||
		!strings.Contains(body, "この都道府県の市町村ではありません") {
		t.Errorf("bulk with a stale version and a foreign code: %d %.600s", code, body)
	}

	// The ministry sends a new version of 米子市 after the confirmation: both pages say so.
	if code, out := w.apiPost(w.tokens["ministry"], "米子市.xlsx", edited(t, w.workbook("312029"), "F7", "いいえ")); code != http.StatusCreated {
		t.Fatalf("ministry upload for 米子市: %d %v", code, out)
	}
	_, page = w.do(pref, "GET", "/prefecture/310000", nil)
	if r := pageRow(page, "312029"); !strings.Contains(r, "確認済（第1版）— 確認後に再提出あり（第2版）") {
		t.Errorf("米子市's row: %q", r)
	}
	om, _ := w.client("othermuni")
	if _, p := w.do(om, "GET", "/entity/312029", nil); !strings.Contains(p, "確認済（第1版）— 確認後に再提出あり（第2版）") {
		t.Errorf("米子市's own page does not say it resubmitted after the confirmation")
	}
	if !strings.Contains(page, "未確認（18）") { // 米子市 resubmitted: back among 未確認; 鳥取市 confirmed
		t.Errorf("after the bulk confirm and 米子市's new version, 未確認 should count 18")
	}

	// 提出状況 as Excel.
	code, xl := w.do(pref, "GET", "/prefecture/310000/status.xlsx", nil)
	if code != http.StatusOK || !strings.HasPrefix(xl, "PK") {
		t.Fatalf("status.xlsx: %d", code)
	}
	checkStatusWorkbook(t, []byte(xl))
	if dir := os.Getenv("KOFUKIN_SCREENSHOTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, "status.xlsx"), []byte(xl), 0o644)
	}

	// The review workbook comes back: a row confirmed after the workbook (鳥取市) is skipped as
	// older, a row on a municipality resubmitted since (米子市, version 2) is skipped for its
	// version, a fresh 確認済 and a 差戻し with a comment are recorded.
	f, err := excelize.OpenReader(strings.NewReader(reviewBook))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("審査")
	if err != nil {
		t.Fatal(err)
	}
	rowOf := map[string]int{}
	var others []string
	for i, r := range rows {
		if len(r) > 0 && regexp.MustCompile(`^31\d{4}$`).MatchString(r[0]) {
			rowOf[r[0]] = i + 1
			if r[0] != "312011" && r[0] != "312029" {
				others = append(others, r[0])
			}
		}
	}
	if len(others) < 3 {
		t.Fatalf("review workbook rows: %v", rowOf)
	}
	third, fourth, fifth := others[0], others[1], others[2]
	// The ministry sends a new version of the third after the workbook was written.
	if code, out := w.apiPost(w.tokens["ministry"], third+".xlsx", edited(t, w.workbook(third), "F7", "いいえ")); code != http.StatusCreated {
		t.Fatalf("ministry upload for %s: %d %v", third, code, out)
	}
	for code, v := range map[string][2]string{"312011": {"差戻し", "古い版"}, third: {"確認済", ""}, fourth: {"差戻し", "回収率を確認してください。"}, fifth: {"確認済", ""}} {
		f.SetCellStr("審査", fmt.Sprintf("L%d", rowOf[code]), v[0])
		f.SetCellStr("審査", fmt.Sprintf("M%d", rowOf[code]), v[1])
	}
	var edited bytes.Buffer
	if err := f.Write(&edited); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// Another prefecture cannot import it, neither on 鳥取県's page nor on its own.
	if code, body := w.postFile(other, "/prefecture/310000/review/import", ocsrf, "review.xlsx", edited.Bytes()); code != http.StatusForbidden || strings.Contains(body, "鳥取市") {
		t.Errorf("another prefecture importing into 鳥取県: %d", code)
	}
	if code, body := w.postFile(other, "/prefecture/320005/review/import", ocsrf, "review.xlsx", edited.Bytes()); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "別の都道府県") || strings.Contains(body, "鳥取市") || strings.Contains(body, "登録した審査") {
		t.Errorf("another prefecture importing 鳥取県's workbook on its page: %d %.400s", code, body)
	}
	if after, _ := w.s.Runner.Store.Submissions().Reviews(ctx0, 2026); len(after) != len(reviews) || after[fifth].Status != "" {
		t.Errorf("a refused import recorded verdicts: %v", after)
	}
	path := filepath.Join(t.TempDir(), "鳥取県_審査_記入済.xlsx")
	if err := os.WriteFile(path, edited.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(bctx,
		chromedp.Navigate(w.srv.URL+"/prefecture/310000"),
		chromedp.WaitVisible(`#review-file`),
		chromedp.SetUploadFiles(`#review-file`, []string{path}),
		chromedp.Click(`#import-submit`),
		chromedp.WaitVisible(`#summary`),
	)
	if err != nil {
		t.Fatal(err)
	}
	imported, err := chromedp.Run(bctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	shoot(t, bctx, "prefecture_import.png")
	skippedRow := func(code string) string {
		m := regexp.MustCompile(`(?m)^.*` + code + `.*審査!L\d+.*$`).FindString(imported)
		return m
	}
	if !strings.Contains(imported, "2 件を登録しました") || !strings.Contains(imported, "3 件は取り込みませんでした") || !strings.Contains(imported, "そのままです") ||
		!strings.Contains(skippedRow(third), fmt.Sprintf("審査!L%d\t確認済\t第2版が提出されたため、第1版への確認は登録できません。最新版を確認してください。", rowOf[third])) ||
		!strings.Contains(skippedRow("312011"), "審査!L5\t差戻し\tこのブックの作成後に審査状況が「確認済」に更新されているため") ||
		!strings.Contains(skippedRow("312029"), "審査!L6\t未確認\tこのブックの作成後に審査状況が「確認済」に更新されているため") {
		t.Errorf("the import result should name the rows recorded, skipped and why: %.1500s", imported)
	}
	after, err := w.s.Runner.Store.Submissions().Reviews(ctx0, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if after["312011"].Status != "確認済" || after["312029"].Version != 1 || after[third].Status != "" || after[fifth].Status != "確認済" || after[fifth].Version != 1 ||
		after[fourth].Status != "差戻し" || after[fourth].Comment != "回収率を確認してください。" || after[fourth].Version != 1 || len(after) != 4 {
		t.Errorf("after the import: 鳥取市 %+v, 米子市 %+v, %s %+v, %s %+v, %s %+v (%d verdicts)", after["312011"], after["312029"], third, after[third], fourth, after[fourth], fifth, after[fifth], len(after))
	}
	_, page = w.do(pref, "GET", "/prefecture/310000?f=returned", nil)
	if !strings.Contains(page, `id="m`+fourth+`"`) || strings.Contains(page, `id="m`+fifth+`"`) || !strings.Contains(page, "差戻し（1）") {
		t.Errorf("差戻し should list %s only", fourth)
	}

	// Hostile files answer a clear refusal, never a crash.
	bomb, err := hostile.WithPart(edited.Bytes(), "xl/worksheets/sheet1.xml", func(body []byte) (*hostile.Raw, error) { return hostile.BigDeflate(body, ' ', 200<<20, nil) })
	if err != nil {
		t.Fatal(err)
	}
	laughs, err := hostile.BillionLaughs(edited.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"not.xlsx": []byte("hello, not a workbook"), "bomb.xlsx": bomb, "laughs.xlsx": laughs} {
		code, body := w.postFile(pref, "/prefecture/310000/review/import", pcsrf, name, data)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "このブックは取り込めませんでした") {
			t.Errorf("hostile %s: %d %.300s", name, code, body)
		}
	}
	if code, _ := w.do(pref, "GET", "/healthz", nil); code != http.StatusOK {
		t.Errorf("the service after hostile files: %d", code)
	}

	// Another prefecture's token sees none of 鳥取県's municipalities.
	for _, p := range []string{"/prefecture/310000", "/prefecture/310000?f=unreviewed", "/prefecture/310000/status.xlsx", "/prefecture/320005", "/prefecture/320005?f=missing"} {
		code, body := w.do(other, "GET", p, nil)
		if strings.Contains(body, "鳥取市") || strings.Contains(body, "312011") || strings.Contains(body, "米子市") {
			t.Errorf("%s shows 鳥取県's municipalities to another prefecture (%d)", p, code)
		}
		if strings.HasPrefix(p, "/prefecture/310000") && code != http.StatusForbidden {
			t.Errorf("%s for another prefecture: %d", p, code)
		}
	}
	if code, xl := w.do(other, "GET", "/prefecture/320005/status.xlsx", nil); code == http.StatusOK {
		for _, s := range sheetStrings(t, []byte(xl)) {
			if strings.HasPrefix(s, "31") || strings.Contains(s, "鳥取") {
				t.Errorf("another prefecture's 提出状況 holds %q", s)
			}
		}
	}
}

// sheetStrings returns every string of a workbook's shared strings and sheets' inline strings.
func sheetStrings(t *testing.T, data []byte) []string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	for _, s := range f.GetSheetList() {
		rows, err := f.GetRows(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out = append(out, r...)
		}
	}
	return out
}

// checkStatusWorkbook checks 鳥取県's 提出状況 workbook after the bulk confirm and 米子市's new
// version: the header, 鳥取市's and 米子市's lines, numbers stored as numbers, the filter, the
// frozen header, the print setup and the sheet's <dimension>.
func checkStatusWorkbook(t *testing.T, data []byte) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const s = "提出状況"
	rows, err := f.GetRows(s)
	if err != nil {
		t.Fatal(err)
	}
	head := "団体コード|団体名|区分|提出|版|受付日時|総合計|得点率|全国順位|全国順位の母数|採点後の再提出|確認すべき点|審査状況|審査コメント"
	if len(rows) < 4 || strings.Join(rows[2], "|") != head {
		t.Fatalf("header row 3: %q", rows[min(2, len(rows)-1)])
	}
	line := map[string][]string{}
	munis, centres := 0, 0
	for i, r := range rows[3:] {
		for len(r) < 14 {
			r = append(r, "")
		}
		if !strings.HasPrefix(r[0], "31") {
			t.Errorf("row %d is not of 鳥取県: %q", i+4, r[0])
		}
		line[r[0]] = r
		switch r[2] {
		case "市町村":
			munis++
		case "センター":
			centres++
		}
	}
	if munis != 19 || len(rows)-3 != munis+centres {
		t.Errorf("%d municipalities and %d centres in %d lines, want 19 municipalities", munis, centres, len(rows)-3)
	}
	if r := line["312011"]; r[1] != "鳥取市" || r[3] != "提出済" || r[4] != "2" || !strings.Contains(r[10], "採点後に再提出あり（第2版は未採点）") || r[12] != "確認済（第2版）" {
		t.Errorf("鳥取市's line: %q", r)
	}
	if r := line["312029"]; r[4] != "2" || r[12] != "確認済（第1版）— 確認後に再提出あり（第2版）" {
		t.Errorf("米子市's line: %q", r)
	}
	// Numbers are numbers: 版, 総合計, 得点率, 全国順位 of 鳥取市's line.
	at := 0
	for i, r := range rows {
		if len(r) > 0 && r[0] == "312011" {
			at = i + 1
		}
	}
	for _, col := range []string{"E", "G", "H", "I", "J"} {
		cell := fmt.Sprintf("%s%d", col, at)
		if typ, err := f.GetCellType(s, cell); err != nil || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
			t.Errorf("%s is of type %v, want a number", cell, typ)
		}
		if v, _ := f.GetCellValue(s, cell, excelize.Options{RawCellValue: true}); !regexp.MustCompile(`^[0-9.]+$`).MatchString(v) {
			t.Errorf("%s holds %q, want a number", cell, v)
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var xml string
	for _, zf := range zr.File {
		if zf.Name == "xl/worksheets/sheet1.xml" {
			rc, _ := zf.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			xml = string(b)
		}
	}
	last := len(rows)
	for _, want := range []string{fmt.Sprintf(`<dimension ref="A1:N%d"`, last), fmt.Sprintf(`<autoFilter ref="$A$3:$N$%d"`, last), `state="frozen"`, `orientation="landscape"`, `fitToHeight="0"`, `fitToPage="true"`} {
		if !strings.Contains(xml, want) {
			t.Errorf("the sheet lacks %s", want)
		}
	}
	if !strings.Contains(fmt.Sprint(mustDefinedNames(t, f)), "$3:$3") {
		t.Errorf("the header row is not repeated on printed pages: %v", mustDefinedNames(t, f))
	}
}

func mustDefinedNames(t *testing.T, f *excelize.File) []string {
	t.Helper()
	var out []string
	for _, d := range f.GetDefinedName() {
		out = append(out, d.Name+"="+d.RefersTo)
	}
	return out
}
