package web

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/survey"
)

// answerCell is the 回答 cell of item id in the FY2026 municipal template.
func answerCell(t *testing.T, id string) string {
	t.Helper()
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := lib.Get(2026, indicators.Municipality)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range rb.SelfItems() {
		if it.ID == id {
			return "F" + strconv.Itoa(survey.HeaderRow+1+i)
		}
	}
	t.Fatalf("no item %s", id)
	return ""
}

// table returns the HTML of the table with id on page ("" when absent).
func table(page, id string) string {
	i := strings.Index(page, `<table id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(page[i:], "</table>")
	return page[i : i+j]
}

// The report of a refused upload: errors and warnings in two tables with their counts, the count of
// what to fix being the errors' alone; Japanese first, the English messages folded away; wording of
// a return (「受付できませんでした」), not of a formal rejection (却下).
func TestReportSeparatesErrorsAndWarnings(t *testing.T) {
	w := newWorld(t)
	muni, csrf := w.client("muni")
	data := w.workbook("312011")
	for id, v := range map[string]string{"P1-3-a": "いいえ", "P1-3-b": "はい", "P1-3-c": "いいえ", "P1-3-d": "いいえ"} {
		data = edited(t, data, answerCell(t, id), v)
	}
	bad := edited(t, data, "F7", "たぶん")
	code, loc := w.upload(muni, "312011", csrf, "鳥取市.xlsx", bad)
	if code != http.StatusSeeOther {
		t.Fatalf("upload: %d", code)
	}
	_, page := w.do(muni, "GET", loc, nil)
	if !strings.Contains(page, "受付できませんでした。次のエラー 1 件を修正して、もう一度提出してください。") {
		t.Errorf("the result should count the one error only: %s", page)
	}
	if strings.Contains(page, "却下") {
		t.Error("the report says 却下")
	}
	errs, warns := table(page, "problems"), table(page, "warnings")
	if !strings.Contains(page, "エラー 1 件（修正が必要です）") || strings.Count(errs, "<td>E011</td>") != 1 || strings.Contains(errs, "W001") {
		t.Errorf("errors table: %q", errs)
	}
	n := strings.Count(warns, "<td>W001</td>")
	if !strings.Contains(page, "注意 "+strconv.Itoa(n)+" 件（受付には影響しません") || n == 0 || !strings.Contains(warns, ">"+answerCell(t, "P1-3-b")+"<") || strings.Contains(warns, "E011") {
		t.Errorf("warnings table: %q", warns)
	}
	for name, tbl := range map[string]string{"errors": errs, "warnings": warns} {
		if strings.Contains(tbl, "Message") || regexp.MustCompile(`<td[^>]*>[a-z ]{12,}`).MatchString(tbl) {
			t.Errorf("the %s table shows English: %q", name, tbl)
		}
	}
	english := page[strings.Index(page, `<details id="english">`)+1:]
	if !strings.Contains(page, `<details id="english">`) || !strings.Contains(english, "answer yes or no") || !strings.Contains(english, "prerequisite") {
		t.Errorf("the English messages should be folded away in a <details>: %s", page)
	}
	// The entity's upload list says the same.
	if _, page := w.do(muni, "GET", "/entity/312011", nil); !strings.Contains(page, "受付できませんでした") || strings.Contains(page, "却下") {
		t.Errorf("the upload list should say 受付できませんでした")
	}
}

// A template of last year is explained with the years in the era and what to do, without the hidden
// sheet's name.
func TestReportWrongYear(t *testing.T) {
	w := newWorld(t)
	muni, csrf := w.client("muni")
	f, err := excelize.OpenReader(bytes.NewReader(w.workbook("312011")))
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellStr(survey.SheetStamp, "B2", "2025")
	var b bytes.Buffer
	f.WriteTo(&b)
	f.Close()
	_, loc := w.upload(muni, "312011", csrf, "昨年度.xlsx", b.Bytes())
	_, page := w.do(muni, "GET", loc, nil)
	if !strings.Contains(page, "この調査票は令和7年度用です。令和8年度の調査票をダウンロードして記入してください。") || strings.Contains(page, survey.SheetStamp) {
		t.Errorf("wrong-year report: %s", table(page, "problems"))
	}
}

// The municipal page shows the deadline from the start, not only once uploads have closed.
func TestEntityPageShowsDeadline(t *testing.T) {
	w := newWorld(t)
	muni, _ := w.client("muni")
	min, csrf := w.client("ministry")
	if _, page := w.do(muni, "GET", "/entity/312011", nil); !strings.Contains(page, `<p id="deadline">提出期限：未定`) {
		t.Errorf("no deadline set: the page should say so")
	}
	if got, _ := w.do(min, "POST", "/ministry/deadline", url.Values{"csrf": {csrf}, "deadline": {"2099-07-31"}}); got != http.StatusSeeOther {
		t.Fatalf("set deadline: %d", got)
	}
	_, page := w.do(muni, "GET", "/entity/312011", nil)
	if !strings.Contains(page, "提出期限：<strong>2099年7月31日</strong>まで") || !strings.Contains(page, `id="submit"`) {
		t.Errorf("an open deadline should show with the form: %s", page)
	}
}
