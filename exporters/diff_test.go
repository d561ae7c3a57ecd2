package exporters_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const oldBook = `{"fiscal_year": 2025, "level": "municipality", "version": "25",
 "grants": [{"id": "g", "name": "G", "points": 30}],
 "goals": [{"id": "A", "label": "目標Ⅰ", "name": "a", "points": 30, "grants": {"g": 30}}],
 "groups": [{"id": "i"}],
 "indicators": [
  {"id": "K", "goal": "A", "group": "i", "no": "1", "name": "継続", "points": 4, "items": [{"id": "K-a", "branch": "ア", "question": "同じ", "points": 4, "rule": {"type": "yesno"}}]},
  {"id": "P", "goal": "A", "group": "i", "no": "2", "name": "配点", "points": 6, "items": [{"id": "P-a", "branch": "ア", "question": "同じ", "points": 6, "rule": {"type": "yesno"}}]},
  {"id": "W", "goal": "A", "group": "i", "no": "3", "name": "文言", "points": 4, "items": [{"id": "W-a", "branch": "ア", "question": "旧い設問", "points": 4, "rule": {"type": "yesno"}}]},
  {"id": "R", "goal": "A", "group": "i", "no": "4", "name": "置換される", "points": 8, "items": [{"id": "R-a", "branch": "ア", "question": "設置しているか", "points": 8, "rule": {"type": "yesno"}}]},
  {"id": "X", "goal": "A", "group": "i", "no": "5", "name": "廃止される", "points": 8, "items": [{"id": "X-a", "branch": "ア", "question": "q", "points": 8, "rule": {"type": "yesno"}}]}
 ]}`

const newBook = `{"fiscal_year": 2026, "level": "municipality", "version": "26",
 "grants": [{"id": "g", "name": "G", "points": 30}],
 "goals": [{"id": "A", "label": "目標Ⅰ", "name": "a", "points": 30, "grants": {"g": 30}}],
 "groups": [{"id": "i"}],
 "indicators": [
  {"id": "K", "goal": "A", "group": "i", "no": "1", "name": "継続", "points": 4, "items": [{"id": "K-a", "branch": "ア", "question": "同じ", "points": 4, "rule": {"type": "yesno"}}]},
  {"id": "P", "goal": "A", "group": "i", "no": "2", "name": "配点", "points": 8, "items": [{"id": "P-a", "branch": "ア", "question": "同じ", "points": 8, "rule": {"type": "yesno"}}]},
  {"id": "W", "goal": "A", "group": "i", "no": "3", "name": "文言", "points": 4, "items": [{"id": "W-a", "branch": "ア", "question": "新しい設問", "points": 4, "rule": {"type": "yesno"}}]},
  {"id": "R2", "goal": "A", "group": "i", "no": "4", "name": "置換した", "points": 8, "predecessors": ["R"], "items": [{"id": "R2-a", "branch": "ア", "question": "活動を評価しているか", "points": 8, "rule": {"type": "yesno"}}]},
  {"id": "N", "goal": "A", "group": "i", "no": "5", "name": "新設", "points": 6, "not_comparable": true, "items": [{"id": "N-a", "branch": "ア", "question": "q", "points": 6, "rule": {"type": "yesno"}}]}
 ]}`

func TestDiffGolden(t *testing.T) {
	from, err := indicators.Parse("old.json", []byte(oldBook))
	if err != nil {
		t.Fatal(err)
	}
	to, err := indicators.Parse("new.json", []byte(newBook))
	if err != nil {
		t.Fatal(err)
	}
	changes := indicators.Diff(from, to)
	kinds := map[string]string{}
	for _, c := range changes {
		id := ""
		if c.New != nil {
			id = c.New.ID
		} else {
			id = c.Old[0].ID
		}
		kinds[id] = c.Kind
	}
	want := map[string]string{"K": "変更なし", "P": "配点変更", "W": "文言変更", "R2": "置換", "N": "追加", "X": "廃止"}
	for id, k := range want {
		if kinds[id] != k {
			t.Errorf("%s: %q, want %q", id, kinds[id], k)
		}
	}
	var buf bytes.Buffer
	if err := exporters.WriteDiff(&buf, from, to, changes); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	exporters.WriteDiff(&again, from, to, changes)
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("the same diff gave different bytes")
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	golden(t, "diff.tsv", renderTSV(t, f, exporters.SheetDiff))
}

func renderTSV(t *testing.T, f *excelize.File, sheet string) string {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rows {
		for i := range r {
			r[i] = strings.ReplaceAll(r[i], "\n", "⏎")
		}
		b.WriteString(strings.Join(r, "\t") + "\n")
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./exporters -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n got:\n%s\nwant:\n%s", name, got, want)
	}
}
