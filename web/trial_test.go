package web

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// cellOf reads a cell of a survey workbook's 回答 sheet.
func cellOf(t *testing.T, data []byte, cell string) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := f.GetCellValue("回答", cell)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitTrial reloads an upload's or entity's page until its 試算 is shown (at most 60 s).
func (w *world) waitTrial(c *http.Client, path string) string {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := w.s.Runner.WaitTrials(ctx); err != nil {
		w.t.Fatal(err)
	}
	_, page := w.do(c, "GET", path, nil)
	if !strings.Contains(page, `id="trial"`) {
		w.t.Fatalf("%s shows no 試算 once the trials are done: %s", path, page)
	}
	return page
}

// number reads the first number after the element id in a page.
func number(t *testing.T, page, id string) float64 {
	t.Helper()
	m := regexp.MustCompile(`id="` + id + `">([0-9.]+)<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s in the page", id)
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// After an accepted upload that changes one answer, the 試算 of the new version differs from the
// official score by that item's points (P1-1-a, はい/いいえ, 4 points in 推進 only, required by no
// other item: FY2026 municipal rulebook), its rank is the one the official totals give it, the
// change list carries the points, and the official run is left as it was.
func TestTrialAfterUpload(t *testing.T) {
	w := newWorld(t).withTrials()
	ctx := context.Background()
	muni, csrf := w.client("muni")
	st := w.s.Runner.Store
	run, err := st.Runs().Latest(ctx, "score", 2026)
	if err != nil {
		t.Fatal(err)
	}
	official, err := st.Scores().Standings(ctx, run.ID, "municipality")
	if err != nil {
		t.Fatal(err)
	}
	before := official["312011"]
	runsBefore, err := st.Runs().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	good := w.workbook("312011")
	old := cellOf(t, good, "F7")
	newAnswer, delta := "はい", 4.0
	if old == "はい" {
		newAnswer, delta = "いいえ", -4.0
	}
	code, page := w.uploadPage(muni, "312011", csrf, "v2.xlsx", edited(t, good, "F7", newAnswer))
	if code != http.StatusSeeOther || !strings.Contains(page, "受け付けました（第2版）") {
		t.Fatalf("upload: %d %.300s", code, page)
	}
	loc := regexp.MustCompile(`受付番号 (\d+)`).FindStringSubmatch(page)
	if loc == nil {
		t.Fatalf("no upload id: %.300s", page)
	}
	path := "/uploads/" + loc[1]
	page = html.UnescapeString(w.waitTrial(muni, path))
	for _, want := range []string{"試算（第2版、", "時点の全団体の最新回答による。正式な採点ではありません）"} {
		if !strings.Contains(page, want) {
			t.Errorf("the upload page lacks %q", want)
		}
	}
	total := number(t, page, "trial-total")
	if total != before.Total+delta {
		t.Errorf("試算 total %v, want the official %v %+v", total, before.Total, delta)
	}
	rank := int64(1)
	for c, s := range official {
		if c != "312011" && s.Total > before.Total+delta {
			rank++
		}
	}
	if got := number(t, page, "trial-rank"); got != float64(rank) {
		t.Errorf("試算 rank %v, want %d (1 + municipalities whose official total is higher)", got, rank)
	}
	if !strings.Contains(page, fmt.Sprintf("全国順位 <strong id=\"trial-rank\">%d</strong> / %d", rank, len(official))) {
		t.Errorf("rank not out of %d municipalities", len(official))
	}
	row := page[strings.Index(page, `<table id="changes">`):]
	row = row[:strings.Index(row, "</table>")]
	b, a := "0", "4"
	if delta < 0 {
		b, a = "4", "0"
	}
	wantRow := fmt.Sprintf(`<td class="num" data-label="得点（前回）">%s</td><td class="num" data-label="得点（今回・試算）">%s</td><td class="num delta" data-label="差">%s</td>`, b, a, signedPoints(delta))
	if !strings.Contains(row, "P1-1-a") || !strings.Contains(row, wantRow) {
		t.Errorf("the change list lacks P1-1-a with %s: %s", wantRow, row)
	}
	if !strings.Contains(page, "差 <strong>"+signedPoints(delta)+"</strong> 点") {
		t.Errorf("the total difference is not %s", signedPoints(delta))
	}

	// The official run is untouched: no new run, the same totals.
	latest, err := st.Runs().Latest(ctx, "score", 2026)
	if err != nil || latest.ID != run.ID {
		t.Fatalf("latest score run %v (%v), want %d", latest, err, run.ID)
	}
	after, err := st.Scores().Standings(ctx, run.ID, "municipality")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(official) {
		t.Errorf("run %d has %d municipalities, had %d", run.ID, len(after), len(official))
	}
	for c, s := range official {
		if after[c] != s {
			t.Errorf("run %d's %s changed: %+v → %+v", run.ID, c, s, after[c])
		}
	}
	if left, err := st.Scores().Standings(ctx, -1, "municipality"); err != nil || len(left) > 0 {
		t.Errorf("the 試算's rolled-back run left %d totals (%v)", len(left), err)
	}
	runs, err := st.Runs().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != len(runsBefore) {
		t.Errorf("%d runs after the 試算, %d before", len(runs), len(runsBefore))
	}

	// The entity page shows the same 試算 beside the official score.
	_, page = w.do(muni, "GET", "/entity/312011", nil)
	page = html.UnescapeString(page)
	if !strings.Contains(page, "試算（第2版、") || number(t, page, "trial-total") != total || !strings.Contains(page, "採点実行 1・第1版") {
		t.Errorf("the entity page does not show the 試算 of version 2 beside the official score")
	}
}

// Uploads sent together are each given the 試算 of their own version: each total is its official
// one with its own change (P1-1-a flipped, ±4), whatever order the two trials took.
func TestTrialsOfUploadsSentTogether(t *testing.T) {
	w := newWorld(t).withTrials()
	ctx := context.Background()
	st := w.s.Runner.Store
	run, err := st.Runs().Latest(ctx, "score", 2026)
	if err != nil {
		t.Fatal(err)
	}
	official, err := st.Scores().Standings(ctx, run.ID, "municipality")
	if err != nil {
		t.Fatal(err)
	}
	muni, csrf := w.client("muni")
	other, ocsrf := w.client("othermuni")
	want := map[string]float64{}
	flipped := map[string][]byte{}
	for _, code := range []string{"312011", "312029"} {
		good := w.workbook(code)
		answer, delta := "はい", 4.0
		if cellOf(t, good, "F7") == "はい" {
			answer, delta = "いいえ", -4.0
		}
		flipped[code], want[code] = edited(t, good, "F7", answer), official[code].Total+delta
	}
	done := make(chan string, 2)
	go func() {
		_, p := w.uploadPage(muni, "312011", csrf, "a.xlsx", flipped["312011"])
		done <- p
	}()
	go func() {
		_, p := w.uploadPage(other, "312029", ocsrf, "b.xlsx", flipped["312029"])
		done <- p
	}()
	for i := 0; i < 2; i++ {
		if p := <-done; !strings.Contains(p, "受け付けました") {
			t.Fatalf("upload: %.300s", p)
		}
	}
	for code, c := range map[string]*http.Client{"312011": muni, "312029": other} {
		page := w.waitTrial(c, "/entity/"+code)
		if !strings.Contains(page, "試算（第2版、") {
			t.Errorf("%s: no 試算 of version 2", code)
		}
		if got := number(t, page, "trial-total"); got != want[code] {
			t.Errorf("%s: 試算 total %v, want %v", code, got, want[code])
		}
		if other := map[string]string{"312011": "312029", "312029": "312011"}[code]; strings.Contains(page, other) {
			t.Errorf("%s's page names %s", code, other)
		}
	}
}
