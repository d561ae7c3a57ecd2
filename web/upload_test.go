package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/fixtures/hostile"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// A prefecture may submit for its municipality: the version records it was sent on its behalf,
// and the municipality's page says so.
func TestPrefectureSubmitsOnBehalf(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	code, out := w.apiPost(w.tokens["pref"], "鳥取市.xlsx", edited(t, w.workbook("312011"), "F7", "いいえ"))
	if code != http.StatusCreated {
		t.Fatalf("the prefecture's upload: %d %v", code, out)
	}
	hist, err := w.s.Runner.Store.Submissions().History(ctx, 2026, "312011")
	if err != nil {
		t.Fatal(err)
	}
	x := hist[0]
	if x.Version != 2 || x.Via != "api" || x.ByRole != kofukin.RolePrefecture || x.ByEntity != "310000" || !x.OnBehalf() {
		t.Errorf("the new version records via %q by %s %s (on behalf %v), version %d", x.Via, x.ByRole, x.ByEntity, x.OnBehalf(), x.Version)
	}
	m, _ := w.client("muni")
	if _, page := w.do(m, "GET", "/entity/312011", nil); !strings.Contains(page, "都道府県 310000 による代理提出") {
		t.Errorf("the municipality's history does not say who sent version 2")
	}
	// Another prefecture may not.
	if code, _ := w.apiPost(w.tokens["otherpref"], "鳥取市.xlsx", edited(t, w.workbook("312011"), "F7", "はい")); code != http.StatusForbidden {
		t.Errorf("another prefecture's upload: %d, want 403", code)
	}
	// A refused upload shows in the uploader's history, not in the entity's.
	ups, _ := w.s.Runner.Store.Submissions().Uploads(ctx, "312011", 100)
	for _, u := range ups {
		if u.Status == pipeline.Denied {
			t.Errorf("a refused upload by another body is in 312011's history: %+v", u)
		}
	}
	own, _ := w.s.Runner.Store.Submissions().Uploads(ctx, "320005", 100)
	if len(own) != 1 || own[0].Status != pipeline.Denied || own[0].FileName != "鳥取市.xlsx" {
		t.Errorf("the refused upload is not in the uploader's (320005) history: %+v", own)
	}
}

// Many uploads of one municipality at once — through the web form, the API, the ingest function
// and the inbox job — leave versions 1..n without a gap, one current, every request answered, and
// the next score run reads one submission for it.
func TestConcurrentUploadsOfOneEntity(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	good := w.workbook("312011")
	const perDoor = 5
	type result struct {
		door string
		code int
		body string
	}
	var mu sync.Mutex
	var results []result
	record := func(door string, code int, body string) {
		mu.Lock()
		results = append(results, result{door, code, body})
		mu.Unlock()
	}
	// Each file differs only in its 記入日 (days 1..21 of May): days 1..20 go through the four doors,
	// day 21 three times at once through the API (a double click).
	file := func(day int) []byte { return withFilledOn(t, good, day) }
	files := make([][]byte, 4*perDoor+2)
	for d := 1; d < len(files); d++ {
		files[d] = file(d)
	}
	inbox := filepath.Join(t.TempDir(), "inbox")
	os.MkdirAll(inbox, 0o755)
	for i := 0; i < perDoor; i++ {
		os.WriteFile(filepath.Join(inbox, fmt.Sprintf("FY2026_312011_%02d.xlsx", i)), files[3*perDoor+1+i], 0o644)
	}
	sched := &pipeline.Scheduler{Runner: w.s.Runner, FiscalYear: 2026, Inbox: inbox, Quarantine: filepath.Join(t.TempDir(), "q")}
	web, csrf := w.client("muni")
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < perDoor; i++ {
		i := i
		wg.Add(3)
		go func() {
			defer wg.Done()
			<-start
			code, out := w.apiPost(w.tokens["muni"], "api.xlsx", files[1+i])
			js, _ := json.Marshal(out)
			record("api", code, string(js))
		}()
		go func() {
			defer wg.Done()
			<-start
			code, loc := w.upload(web, "312011", csrf, "web.xlsx", files[1+perDoor+i])
			record("web", code, loc)
		}()
		go func() {
			defer wg.Done()
			<-start
			rep, err := w.s.Runner.IngestFiles(ctx, []pipeline.File{{Name: "ingest.xlsx", Data: files[1+2*perDoor+i]}}, pipeline.IngestOptions{FiscalYear: 2026})
			if err != nil {
				record("ingest", 500, err.Error())
				return
			}
			record("ingest", 200, rep.Files[0].Status)
		}()
	}
	for i := 0; i < 3; i++ { // the same file three times at once: a double click
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code, _ := w.apiPost(w.tokens["muni"], "again.xlsx", files[4*perDoor+1])
			record("api-copy", code, "")
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		sched.InboxJob(ctx)
		record("inbox", 200, "")
	}()
	close(start)
	wg.Wait()
	for _, r := range results {
		switch {
		case r.door == "ingest" && r.body == store.Accepted, r.door == "api" && r.code == http.StatusCreated,
			r.door == "web" && r.code == http.StatusSeeOther, r.door == "inbox":
		case r.door == "api-copy" && (r.code == http.StatusOK || r.code == http.StatusCreated):
		default:
			t.Errorf("%s answered %d %s", r.door, r.code, r.body)
		}
	}
	left, _ := os.ReadDir(inbox)
	if len(left) != 0 {
		t.Errorf("%d file(s) left in the inbox", len(left))
	}
	runs, _ := w.s.Runner.Store.Runs().List(ctx)
	inboxRuns := 0
	for _, r := range runs {
		if r.Kind == store.KindIngest {
			inboxRuns++
			if r.Status != "succeeded" || !strings.Contains(r.Summary, fmt.Sprintf("%d accepted", perDoor)) {
				t.Errorf("the inbox run: %s %q, want succeeded with %d accepted", r.Status, r.Summary, perDoor)
			}
		}
	}
	if inboxRuns != 1 {
		t.Errorf("%d inbox runs recorded, want 1", inboxRuns)
	}
	hist, err := w.s.Runner.Store.Submissions().History(ctx, 2026, "312011")
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(hist, func(i, j int) bool { return hist[i].Version < hist[j].Version })
	current := 0
	shas := map[string]bool{}
	for i, h := range hist {
		if h.Version != i+1 {
			t.Errorf("version %d at position %d", h.Version, i+1)
		}
		if h.Status == "current" {
			current++
		}
		shas[h.SHA256] = true
	}
	if current != 1 {
		t.Errorf("%d current versions, want 1", current)
	}
	// Every distinct file of the 20 is a version (the original fixture is version 1).
	for d := 1; d < len(files); d++ {
		if !shas[sha(files[d])] {
			t.Errorf("the file of day %d was lost", d)
		}
	}
	// The copies of day 21 are one version, or more when another version landed between them.
	if len(hist) < 1+4*perDoor+1 || len(hist) > 1+4*perDoor+3 {
		t.Errorf("%d versions, want %d to %d", len(hist), 1+4*perDoor+1, 1+4*perDoor+3)
	}
	// The next score run reads exactly one submission of 312011.
	sr, err := w.s.Runner.Score(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := w.s.Runner.Rulebooks.Get(2026, "municipality")
	items := 0
	for _, ind := range rb.Indicators {
		items += len(ind.Items)
	}
	lines, err := w.s.Runner.Store.Runs().ItemScoreLines(ctx, sr.RunID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "312011 ") {
			n++
		}
	}
	if n != items {
		t.Errorf("the score run has %d item scores for 312011, want %d (one submission)", n, items)
	}
}

// Hostile files sent to the API are refused with their code at their place while the service keeps
// answering, and the next good upload is taken.
func TestHostileUploadsKeepServing(t *testing.T) {
	w := newWorld(t)
	rb, err := w.s.Runner.Rulebooks.Get(2026, "municipality")
	if err != nil {
		t.Fatal(err)
	}
	files, err := hostile.Files(w.workbook("312011"), rb, "312011")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range files {
		code, out := w.apiPost(w.tokens["muni"], h.Name, h.Data)
		if len(h.Data) > int(w.s.MaxUpload) {
			if code != http.StatusRequestEntityTooLarge {
				t.Errorf("%s (%d bytes): %d, want 413", h.Name, len(h.Data), code)
			}
			continue
		}
		rep, _ := out["report"].(map[string]any)
		probs, _ := rep["problems"].([]any)
		found := false
		for _, p := range probs {
			m := p.(map[string]any)
			found = found || (m["code"] == h.Code && fmt.Sprint(m["cell"]) == h.Cell || m["code"] == h.Code && h.Cell == "" && m["cell"] == nil)
		}
		if code != http.StatusUnprocessableEntity || !found {
			t.Errorf("%s: %d, want 422 with %s at %q: %.500v", h.Name, code, h.Code, h.Cell, out)
		}
		resp, err := http.Get(w.srv.URL + "/healthz")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("the service stopped answering after %s: %v", h.Name, err)
		}
		resp.Body.Close()
	}
	if code, out := w.apiPost(w.tokens["muni"], "good.xlsx", edited(t, w.workbook("312011"), "F7", "いいえ")); code != http.StatusCreated {
		t.Errorf("a good upload after the hostile ones: %d %v", code, out)
	}
}

// Only a bounded number of uploads are read and checked at once; one that finds no slot in time is
// answered 503 with Retry-After (nothing stored), and is taken once a slot is free.
func TestUploadsAreBoundedAtOnce(t *testing.T) {
	w := newWorld(t)
	w.s.UploadWait = 100 * time.Millisecond
	for i := 0; i < cap(w.s.uploads); i++ {
		w.s.uploads <- struct{}{} // every slot busy
	}
	file := edited(t, w.workbook("312011"), "F7", "いいえ")
	if code, out := w.apiPost(w.tokens["muni"], "a.xlsx", file); code != http.StatusServiceUnavailable {
		t.Errorf("an upload with every slot busy: %d %v, want 503", code, out)
	}
	web, csrf := w.client("muni")
	if code, _ := w.upload(web, "312011", csrf, "a.xlsx", file); code != http.StatusServiceUnavailable {
		t.Errorf("a web upload with every slot busy: %d, want 503", code)
	}
	if hist, _ := w.s.Runner.Store.Submissions().History(context.Background(), 2026, "312011"); len(hist) != 1 {
		t.Errorf("%d versions after refused uploads, want the 1 there was", len(hist))
	}
	<-w.s.uploads
	if code, out := w.apiPost(w.tokens["muni"], "a.xlsx", file); code != http.StatusCreated {
		t.Errorf("an upload once a slot is free: %d %v", code, out)
	}
}

// The same file sent five times at once through the API (a double click, a client's retries): one
// new version, four answers "unchanged" with the same version, none lost or failed.
func TestIdenticalUploadsAtOnce(t *testing.T) {
	w := newWorld(t)
	file := edited(t, w.workbook("312011"), "F7", "いいえ")
	const n = 5
	codes := make([]int, n)
	versions := make([]any, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			code, out := w.apiPost(w.tokens["muni"], "same.xlsx", file)
			codes[i] = code
			if rep, ok := out["report"].(map[string]any); ok {
				versions[i] = rep["version"]
			}
		}(i)
	}
	close(start)
	wg.Wait()
	created, unchanged := 0, 0
	for i, c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusOK:
			unchanged++
		default:
			t.Errorf("upload %d: %d", i, c)
		}
		if fmt.Sprint(versions[i]) != "2" {
			t.Errorf("upload %d reports version %v, want 2", i, versions[i])
		}
	}
	if created != 1 || unchanged != n-1 {
		t.Errorf("%d created and %d unchanged, want 1 and %d", created, unchanged, n-1)
	}
	if hist, _ := w.s.Runner.Store.Submissions().History(context.Background(), 2026, "312011"); len(hist) != 2 {
		t.Errorf("%d versions, want 2", len(hist))
	}
}
