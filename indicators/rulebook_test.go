package indicators

import (
	"strings"
	"testing"
)

func TestShippedRulebooks(t *testing.T) {
	lib, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := lib.Get(2026, Municipality)
	if err != nil {
		t.Fatal(err)
	}
	if got := rb.MaxPoints(); got != 800 {
		t.Errorf("FY2026 municipal full score = %g, want 800", got)
	}
	perGoal := map[string]float64{}
	for _, ind := range rb.Indicators {
		perGoal[ind.Goal] += ind.Points
	}
	for _, g := range rb.Goals {
		if perGoal[g.ID] != 100 {
			t.Errorf("goal %s has %g points, want 100", g.ID, perGoal[g.ID])
		}
	}
	o, _ := rb.Goal("O")
	if len(o.Grants) != 2 {
		t.Errorf("目標Ⅳ counts in %v, want both grants", o.Grants)
	}
	if len(rb.Hash) != 64 {
		t.Errorf("hash %q", rb.Hash)
	}
	if _, err := lib.Get(1999, Municipality); err == nil || !strings.Contains(err.Error(), "2026/municipality") {
		t.Errorf("unknown year error should list what exists, got %v", err)
	}
}

func TestCheckFindsEveryProblem(t *testing.T) {
	src := `{"fiscal_year": 2026, "level": "municipality",
 "grants": [{"id": "g", "name": "G", "points": 10}],
 "goals": [{"id": "A", "label": "A", "grants": ["g", "nope"], "points": 10}],
 "groups": [{"id": "i"}],
 "indicators": [
  {"id": "X", "goal": "A", "group": "i", "name": "x", "points": 8, "items": [
    {"id": "X-a", "question": "q", "points": 4, "rule": {"type": "yesno"}},
    {"id": "X-a", "question": "q", "points": 4, "rule": {"type": "maybe"}}]},
  {"id": "Y", "goal": "A", "group": "i", "name": "y", "points": 2, "items": [
    {"id": "Y-a", "question": "q", "points": 2, "rule": {"type": "threshold", "min": 0, "bands": [
      {"to": 5, "points": 0}, {"from": 6, "to": 9, "points": 2}]}}]}
 ]}`
	_, err := Parse("broken.json", []byte(src))
	if err == nil {
		t.Fatal("broken rulebook accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		`unknown grant "nope"`,
		`items[1] "X-a": id is empty or repeated`,
		`unknown rule type "maybe"`,
		`bands[1] does not start where bands[0] ends`,
		`the last band must be open`,
		`broken.json`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %q:\n%s", want, msg)
		}
	}
}

func TestParseSyntaxErrorNamesLine(t *testing.T) {
	_, err := Parse("r.json", []byte("{\n\"fiscal_year\": 2026,\n\"level\": ,\n}"))
	if err == nil || !strings.Contains(err.Error(), "r.json:3:") {
		t.Fatalf("want an error naming r.json:3, got %v", err)
	}
}
