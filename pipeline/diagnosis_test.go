package pipeline_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// lineageBook is a municipal rulebook of fy with the given indicators (one item of 1 point each).
func lineageBook(t *testing.T, fy int, inds ...string) *indicators.Rulebook {
	t.Helper()
	var parts []string
	for _, ind := range inds {
		// id[:preds][!]: preds comma-separated; ! marks not_comparable.
		id, extra := ind, ""
		if strings.HasSuffix(id, "!") {
			id, extra = strings.TrimSuffix(id, "!"), `, "not_comparable": true`
		}
		if k := strings.Index(id, ":"); k >= 0 {
			extra += fmt.Sprintf(`, "predecessors": ["%s"]`, strings.ReplaceAll(id[k+1:], ",", `", "`))
			id = id[:k]
		}
		parts = append(parts, fmt.Sprintf(`{"id": "%s", "goal": "A", "group": "i", "name": "%s", "points": 1%s, "items": [
  {"id": "%s-a", "question": "q", "points": 1, "rule": {"type": "yesno"}}]}`, id, id, extra, id))
	}
	src := fmt.Sprintf(`{"fiscal_year": %d, "level": "municipality", "version": "t",
 "grants": [{"id": "g", "name": "G", "short": "G", "points": %d}],
 "goals": [{"id": "A", "label": "A", "name": "a", "points": %d, "grants": {"g": %d}}],
 "groups": [{"id": "i"}], "indicators": [%s]}`, fy, len(inds), len(inds), len(inds), strings.Join(parts, ","))
	rb, err := indicators.Parse(fmt.Sprintf("municipality_%d.json", fy), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return rb
}

// TestLineage follows indicators back through three years of rulebooks written for the test: the
// same id (continued), a named predecessor (replaced), not_comparable (shown with a break), two
// predecessors (merged: ends), new (ends, said so).
func TestLineage(t *testing.T) {
	books := map[int]*indicators.Rulebook{
		2024: lineageBook(t, 2024, "A", "B", "C"),
		2025: lineageBook(t, 2025, "A", "B", "C"),
		2026: lineageBook(t, 2026, "A!", "B2:B", "M:A,C", "N"),
	}
	get := func(y int) *indicators.Rulebook { return books[y] }
	for _, c := range []struct {
		id, want, note string
	}{
		{"A", "2026 A break, 2025 A, 2024 A", "2026年度に評価の方法が変わり、2025年度以前とは比べられません"},
		{"B2", "2026 B2, 2025 B, 2024 B", ""},
		{"M", "2026 M", "2026年度に複数の指標を統合"},
		{"N", "2026 N", "2026年度の新設の指標です。"},
	} {
		steps, note := pipeline.Lineage(get, 2026, c.id)
		var got []string
		for _, s := range steps {
			x := fmt.Sprint(s.FiscalYear, " ", s.ID)
			if s.Break {
				x += " break"
			}
			got = append(got, x)
		}
		if g := strings.Join(got, ", "); g != c.want {
			t.Errorf("%s: %s, want %s", c.id, g, c.want)
		}
		if (c.note == "") != (note == "") || !strings.Contains(note, c.note) {
			t.Errorf("%s: note %q, want %q", c.id, note, c.note)
		}
	}
}

var diagMinistry = kofukin.Principal{Role: kofukin.RoleMinistry}

// TestDiagnosisOverTheYears reads 鳥取市's diagnosis from the database of every shipped year
// (yearsScored: FY2023–FY2026 scored, nothing allocated) and checks each indicator's points over
// the years against the item points of each year's run (another table, item_scores), the lineage
// against the shipped rulebooks (FY2024 renumbered everything: no series goes back to FY2023;
// S2-12 continues FY2025's S2-2; S1-17 is new in FY2026), and that no allocation is said so.
func TestDiagnosisOverTheYears(t *testing.T) {
	ctx := context.Background()
	r, _, scores := yearsScored(t)
	v, err := r.Diagnosis(ctx, diagMinistry, 2026, "312011")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(v.Years) != "[2023 2024 2025 2026]" || v.TrendNote != "" {
		t.Fatalf("years %v, note %q", v.Years, v.TrendNote)
	}
	if !strings.Contains(v.YenMissing, "算定") || v.Parts.Yen != nil {
		t.Errorf("yen without an allocation: %q %+v", v.YenMissing, v.Parts.Yen)
	}
	itemPoints := map[int]map[string]float64{} // fy → item → points of 312011
	for fy, res := range scores {
		items, err := r.Store.Scores().ItemScores(ctx, res.RunID, "312011")
		if err != nil {
			t.Fatal(err)
		}
		itemPoints[fy] = map[string]float64{}
		for _, it := range items {
			itemPoints[fy][it.ItemID] = it.Points
		}
	}
	lib, _ := indicators.Shipped()
	byID := map[string]pipeline.TrendSeries{}
	for _, s := range v.Trends {
		byID[s.ID] = s
		for _, y := range s.Years {
			rb, _ := lib.Get(y.FiscalYear, indicators.Municipality)
			ind, ok := rb.Indicator(y.ID)
			if !ok {
				t.Fatalf("%s: FY%d has no %s", s.ID, y.FiscalYear, y.ID)
			}
			// The indicator's points: its items' sum (or best, combine max), capped at its points,
			// floored at 0 — the README's rule, recomputed here from item_scores.
			sum, best := 0.0, 0.0
			for _, it := range ind.Items {
				p := itemPoints[y.FiscalYear][it.ID]
				sum += p
				best = math.Max(best, p)
			}
			want := sum
			if ind.Combine == "max" {
				want = best
			}
			want = math.Max(0, math.Min(want, ind.Points))
			if math.Abs(y.Points-want) > 0.005 || y.Max > ind.Points {
				t.Errorf("%s FY%d (%s): %g of %g, want %g", s.ID, y.FiscalYear, y.ID, y.Points, y.Max, want)
			}
			if y.FiscalYear < 2024 {
				t.Errorf("%s reaches FY%d across the FY2024 renumbering", s.ID, y.FiscalYear)
			}
		}
	}
	if s := byID["S2-12"]; len(s.Years) != 3 || s.Years[0].ID != "S2-2" || s.Years[1].ID != "S2-2" || s.Years[2].ID != "S2-12" {
		t.Errorf("S2-12: %+v", s.Years)
	}
	if s := byID["S1-17"]; len(s.Years) != 1 || !strings.Contains(s.Note, "新設") {
		t.Errorf("S1-17: %+v %q", s.Years, s.Note)
	}
	if s := byID["P1-1"]; len(s.Years) != 3 || s.Years[0].FiscalYear != 2024 {
		t.Errorf("P1-1: %+v", s.Years)
	}
}

// TestDiagnosisOneYear reads 鳥取市's diagnosis after the shared one-year cycle (cycled): the
// over-the-years part says in Japanese that there is one year only; the yen per person is its
// amounts (summed here from the allocation rows) over its 65+ population; the peer items are
// questions it answers itself; its outcome values are the six O-* items. Another municipality's
// official is refused, its prefecture's is not.
func TestDiagnosisOneYear(t *testing.T) {
	ctx := context.Background()
	r, _, _ := cycled(t)
	v, err := r.Diagnosis(ctx, kofukin.Principal{Role: kofukin.RoleMunicipality, EntityCode: "312011"}, 2026, "312011")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v.TrendNote, "2026年度のみ") || len(v.Years) != 1 {
		t.Errorf("one year: %v %q", v.Years, v.TrendNote)
	}
	alloc, err := r.Store.Runs().Latest(ctx, store.KindAllocate, 2026)
	if err != nil {
		t.Fatal(err)
	}
	amounts, err := r.Store.Allocations().Amounts(ctx, alloc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var yen int64
	for _, a := range amounts {
		if a.EntityCode == "312011" {
			yen += a.AmountYen
		}
	}
	y := v.Parts.Yen
	if y == nil || y.Yen != yen || yen == 0 || math.Abs(y.PerPerson-float64(yen)/float64(y.Pop65)) > 0.005 || y.N < 2 || y.Median < y.Q1 || y.Q3 < y.Median {
		t.Errorf("yen: %+v, want %d yen in all", y, yen)
	}
	rb, _ := r.Rulebooks.Get(2026, indicators.Municipality)
	for _, it := range v.Parts.PeerItems {
		item, ok := rb.Item(it.ItemID)
		if !ok || (item.Source != "" && item.Source != "self") || it.Question != item.Question || it.Share < 0.6 || it.Achieved > it.Peers {
			t.Errorf("peer item %+v", it)
		}
	}
	if len(v.Parts.Outcomes) != 6 || v.Parts.Outcomes[0].ItemID != "O-1-a" || !v.Parts.Outcomes[1].LowerIsBetter {
		t.Errorf("outcomes %+v", v.Parts.Outcomes)
	}
	if len(v.Goals) == 0 || v.Parts.Band == "" {
		t.Errorf("goals %+v band %q", v.Goals, v.Parts.Band)
	}
	// The scope: the prefecture of 鳥取市 may, another municipality (米子市) and another prefecture may not.
	if _, err := r.Diagnosis(ctx, kofukin.Principal{Role: kofukin.RolePrefecture, EntityCode: "310000"}, 2026, "312011"); err != nil {
		t.Errorf("鳥取県: %v", err)
	}
	for _, p := range []kofukin.Principal{{Role: kofukin.RoleMunicipality, EntityCode: "312029"}, {Role: kofukin.RolePrefecture, EntityCode: "320005"}} {
		var denied *kofukin.Denied
		if _, err := r.Diagnosis(ctx, p, 2026, "312011"); !errors.As(err, &denied) {
			t.Errorf("%v: %v, want denied", p, err)
		}
	}
	// Its feedback workbook holds the 地域診断 block with its two native charts.
	_, data, err := r.FeedbackWorkbook(ctx, kofukin.Principal{Role: kofukin.RoleMunicipality, EntityCode: "312011"}, 2026, "312011")
	if err != nil {
		t.Fatal(err)
	}
	charts := chartKinds(t, data)
	if charts != "barChart radarChart" {
		t.Errorf("charts of the feedback workbook: %q", charts)
	}
}

// chartKinds lists the kinds of chart in a workbook's chart parts (radarChart …), sorted.
func chartKinds(t *testing.T, data []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "xl/charts/chart") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"radarChart", "barChart"} {
			if bytes.Contains(b, []byte("<c:"+k)) || bytes.Contains(b, []byte("<"+k)) {
				kinds = append(kinds, k)
			}
		}
	}
	sort.Strings(kinds)
	return strings.Join(kinds, " ")
}
