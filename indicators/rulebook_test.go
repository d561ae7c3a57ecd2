package indicators

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestShippedRulebooks(t *testing.T) {
	lib, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		fy     int
		level  Level
		points float64
	}{
		{2023, Municipality, 2185}, {2024, Municipality, 800}, {2025, Municipality, 800}, {2026, Municipality, 800},
		{2026, Prefecture, 800}, {2026, Centre, 100},
	} {
		rb, err := lib.Get(c.fy, c.level)
		if err != nil {
			t.Error(err)
			continue
		}
		if got := rb.MaxPoints(); got != c.points {
			t.Errorf("FY%d %s: full score %g, want %g", c.fy, c.level, got, c.points)
		}
		if len(rb.Hash) != 64 || rb.Provenance == "" {
			t.Errorf("FY%d %s: hash %q, provenance %q", c.fy, c.level, rb.Hash, rb.Provenance)
		}
	}
	rb, _ := lib.Get(2026, Municipality)
	for _, g := range rb.Goals {
		if g.Points != 100 {
			t.Errorf("FY2026 goal %s has %g points, want 100", g.ID, g.Points)
		}
	}
	if o, _ := rb.Goal("O"); len(o.Grants) != 2 {
		t.Errorf("目標Ⅳ counts in %v, want both grants", o.Grants)
	}
	old, _ := lib.Get(2023, Municipality)
	want := map[string]float64{"suishin": 1355, "shien": 830}
	for _, g := range old.Grants {
		if g.Points != want[g.ID] {
			t.Errorf("FY2023 %s = %g, want %g", g.ID, g.Points, want[g.ID])
		}
	}
	if n := len(old.Indicators); n != 62 {
		t.Errorf("FY2023 has %d indicators, want 62", n)
	}
	if _, err := lib.Get(1999, Municipality); err == nil || !strings.Contains(err.Error(), "2026/municipality") {
		t.Errorf("unknown year error should list what exists, got %v", err)
	}
}

// broken returns a rulebook text with one part replaced, so that each test shows one error class.
const base = `{"fiscal_year": 2026, "level": "municipality", "version": "t",
 "grants": [{"id": "g", "name": "G", "points": 10}],
 "goals": [{"id": "A", "label": "A", "points": 10, "grants": {"g": 10}}],
 "groups": [{"id": "i"}],
 "indicators": [
  {"id": "X", "goal": "A", "group": "i", "name": "x", "points": 8, "items": [
    {"id": "X-a", "question": "q", "points": 4, "rule": {"type": "yesno"}},
    {"id": "X-b", "question": "q", "points": 4, "rule": {"type": "yesno"}, "requires": ["X-a"]}]},
  {"id": "Y", "goal": "A", "group": "i", "name": "y", "points": 2, "items": [
    {"id": "Y-a", "question": "q", "points": 2, "rule": {"type": "threshold", "min": 0, "bands": [
      {"to": 5, "points": 0}, {"from": 5, "points": 2}]}}]}
 ]}`

func TestCheckErrorClasses(t *testing.T) {
	if _, err := Parse("ok.json", []byte(base)); err != nil {
		t.Fatalf("base rulebook: %v", err)
	}
	for name, c := range map[string]struct{ old, new, want string }{
		"duplicate id":     {`"id": "X-b"`, `"id": "X-a"`, `items[1] "X-a": id is empty or repeated`},
		"indicator sum":    {`"points": 8,`, `"points": 9,`, `indicators[0] "X": items add up to 8 points, indicator declares 9`},
		"goal sum":         {`"points": 10, "grants": {"g": 10}`, `"points": 12, "grants": {"g": 10}`, `goals A: indicators add up to 10 points, goal declares 12`},
		"grant sum":        {`"name": "G", "points": 10`, `"name": "G", "points": 11`, `grants g: goals add up to 10 points, grant declares 11`},
		"unknown grant":    {`"grants": {"g": 10}`, `"grants": {"g": 10, "h": 1}`, `unknown grant "h"`},
		"band gap":         {`{"from": 5, "points": 2}`, `{"from": 6, "points": 2}`, `bands[1] does not start where bands[0] ends (gap or overlap)`},
		"band overlap":     {`{"from": 5, "points": 2}`, `{"from": 4, "points": 2}`, `bands[1] does not start where bands[0] ends (gap or overlap)`},
		"unknown rule":     {`"rule": {"type": "yesno"}, "requires"`, `"rule": {"type": "maybe"}, "requires"`, `unknown rule type "maybe"`},
		"unknown prereq":   {`"requires": ["X-a"]`, `"requires": ["Z-z"]`, `item "X-b": refers to unknown item "Z-z"`},
		"cycle":            {`{"id": "X-a", "question": "q", "points": 4, "rule": {"type": "yesno"}}`, `{"id": "X-a", "question": "q", "points": 4, "rule": {"type": "yesno"}, "requires": ["X-b"]}`, `prerequisites form a cycle: X-a → X-b → X-a`},
		"bad blank":        {`"requires": ["X-a"]`, `"requires": ["X-a"], "blank": "maybe"`, `blank must be zero, na or required`},
		"rollup level":     {`{"id": "Y-a", "question": "q",`, `{"id": "Y-a", "source": "rollup", "rollup": {"level": "prefecture", "measure": "mean_rate"}, "question": "q",`, `cannot roll up prefecture results`},
		"bad band points":  {`{"from": 5, "points": 2}`, `{"from": 5, "points": 3}`, `the best outcome gives 3 points, the item declares 2`},
		"negative choice":  {`"points": 2, "rule": {"type": "threshold"`, `"points": -2, "rule": {"type": "threshold"`, `negative points are only for yesno items`},
		"unknown field":    {`"question": "q", "points": 2`, `"question": "q", "pionts": 2, "points": 2`, `ok.json:10: json: unknown field "pionts"`},
		"max alternatives": {`"points": 8,`, `"points": 8, "combine": "max",`, `the best alternative gives 4 points, indicator declares 8`},
		// Policies made explicit (issue 10).
		"allow_negative without a penalty": {`"points": 8,`, `"points": 8, "allow_negative": true,`, `indicators[0] "X": allow_negative is set, but no item has negative points`},
		"allow_negative not a boolean":     {`"points": 8,`, `"points": 8, "allow_negative": "yes",`, `cannot unmarshal string`},
		"unsubmitted":                      {`"version": "t",`, `"version": "t", "unsubmitted": "ignore",`, `unsubmitted: must be score_supplied or zero, found "ignore"`},
		"sd_kind": {`{"id": "Y-a", "question": "q",`, `{"id": "Y-a", "source": "rollup", "rollup": {"level": "centre", "measure": "count_low", "sd_kind": "biased"}, "question": "q",`,
			`rollup.sd_kind must be population or sample, found "biased"`},
		"sd on another measure": {`{"id": "Y-a", "question": "q",`, `{"id": "Y-a", "source": "rollup", "rollup": {"level": "centre", "measure": "mean_rate", "sd_kind": "sample"}, "question": "q",`,
			`rollup.sd and rollup.sd_kind are only for count_low`},
		"sd decimals": {`{"id": "Y-a", "question": "q",`, `{"id": "Y-a", "source": "rollup", "rollup": {"level": "centre", "measure": "count_low", "sd": 1.2345}, "question": "q",`,
			`rollup.sd must be in (0, 10] with at most 3 decimal places, found 1.2345`},
		"prerequisite exclude without requires": {`"points": 2, "rule": {"type": "threshold", "min": 0, "bands": [
      {"to": 5, "points": 0}, {"from": 5, "points": 2}]}`, `"points": 2, "rule": {"type": "rank", "peers": {"prerequisite": "exclude"}, "bands": [{"top_percent": 50, "points": 2}]}`,
			`rule.peers.prerequisite exclude needs prerequisites (requires) to exclude by`},
		"prerequisite unknown": {`"points": 2, "rule": {"type": "threshold", "min": 0, "bands": [
      {"to": 5, "points": 0}, {"from": 5, "points": 2}]}`, `"points": 2, "rule": {"type": "rank", "peers": {"prerequisite": "drop"}, "bands": [{"top_percent": 50, "points": 2}]}`,
			`rule.peers.prerequisite must be keep or exclude, found "drop"`},
		"band edge decimals": {`{"to": 5, "points": 0}, {"from": 5, "points": 2}`, `{"to": 5.0000001, "points": 0}, {"from": 5.0000001, "points": 2}`, `rule.bands[0]: 5.0000001 has more than 6 decimal places`},
	} {
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(base, c.old, c.new, 1)
			if src == base {
				t.Fatalf("replacement %q not found", c.old)
			}
			_, err := Parse("ok.json", []byte(src))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "ok.json") {
				t.Errorf("error does not name the file and say %q:\n%v", c.want, err)
			}
		})
	}
}

func TestParseSyntaxErrorNamesLine(t *testing.T) {
	_, err := Parse("r.json", []byte("{\n\"fiscal_year\": 2026,\n\"level\": ,\n}"))
	if err == nil || !strings.Contains(err.Error(), "r.json:3:") {
		t.Fatalf("want an error naming r.json:3, got %v", err)
	}
}

func TestLibraryChecksCrossFileReferences(t *testing.T) {
	prev := strings.Replace(base, `"fiscal_year": 2026`, `"fiscal_year": 2025`, 1)
	next := strings.Replace(base, `"name": "x", "points": 8,`, `"name": "x", "points": 8, "predecessors": ["X", "GONE"],`, 1)
	fsys := fstest.MapFS{
		"rb/municipality_2025.json": {Data: []byte(prev)},
		"rb/municipality_2026.json": {Data: []byte(next)},
	}
	_, err := checked(Load(fsys, "rb"))
	if err == nil || !strings.Contains(err.Error(), `predecessor "GONE" is not an indicator of rb/municipality_2025.json`) {
		t.Fatalf("want the unresolved predecessor named, got %v", err)
	}
	if strings.Contains(err.Error(), `predecessor "X"`) {
		t.Errorf("a resolving predecessor was reported: %v", err)
	}
	roll := strings.Replace(base, `{"id": "Y-a", "question": "q",`, `{"id": "Y-a", "source": "rollup", "rollup": {"level": "centre", "measure": "share_item_met", "item": "C-1-a"}, "question": "q",`, 1)
	_, err = checked(Load(fstest.MapFS{"rb/m.json": {Data: []byte(roll)}}, "rb"))
	if err == nil || !strings.Contains(err.Error(), `rolls up centre item "C-1-a", but there is no FY2026 centre rulebook`) {
		t.Errorf("want the missing roll-up target named, got %v", err)
	}
}

// Exact decimals read as float64 print as the decimals they are, rounded half away from zero.
func TestFormatDecimalAndPercent(t *testing.T) {
	for _, c := range []struct {
		f      float64
		places int
		want   string
	}{{427.115, 2, "427.12"}, {427.114999, 2, "427.11"}, {0.625, 2, "0.63"}, {-0.625, 2, "-0.63"}, {-0.004, 2, "0.00"}, {3, 0, "3"}, {0.05, 1, "0.1"}, {1.005, 2, "1.01"}} {
		if got := FormatDecimal(c.f, c.places); got != c.want {
			t.Errorf("FormatDecimal(%v, %d) = %s, want %s", c.f, c.places, got, c.want)
		}
	}
	// 411.6 / 800 = 0.5145 → 51.45% → 51.5% (fmt's %.1f of 100 × 0.5145 prints 51.4); 492.4 / 800 = 0.6155 → 61.6%.
	for rate, want := range map[float64]string{0.5145: "51.5%", 0.6155: "61.6%", 0.615384615: "61.5%", 1: "100.0%", 0: "0.0%"} {
		if got := FormatPercent(rate, 1); got != want {
			t.Errorf("FormatPercent(%v) = %s, want %s", rate, got, want)
		}
	}
}
