package store_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// The 地域診断 read models on a six-municipality nation, every expected value computed by hand in
// the comments (never by the code under test).
//
//	code  pref 65+    band  FY2026 answers Y1 Y2 Y3 N1(blank: 対象外)  O1 (ministry)
//	A1    01   1,000  <3k   no  no  yes  (blank)                      10
//	A2    01   2,000  <3k   yes yes yes  yes                          20
//	A3    02   2,500  <3k   yes no  no   yes                          30
//	A4    02     500  <3k   — no survey —                             40
//	B1    01  20,000  10k+  yes yes yes  no                           5
//	B2    02  40,000  10k+  no  no  no   no                           (none)
//
// (A1 = 000011 … B2 = 000022 below.) Each item is worth 1 point; O1 is linear from 0 to 100, so any
// value above 0 scores above 0.
func diagnosisNation(t *testing.T) (*store.Store, context.Context) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	day := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	munis := &loaders.Reference{}
	for _, c := range []struct {
		code, pref string
		n65        int64
	}{{"000011", "01", 1000}, {"000012", "01", 2000}, {"000013", "02", 2500}, {"000014", "02", 500}, {"000021", "01", 20000}, {"000022", "02", 40000}} {
		munis.Entities = append(munis.Entities, loaders.Entity{Code: c.code, Level: "municipality", PrefectureCode: c.pref, NameJA: "町" + c.code})
		munis.Populations = append(munis.Populations, loaders.Population{Code: c.code, Age65Plus: c.n65, ReferenceDate: day})
	}
	for _, fy := range []int{2025, 2026} {
		if _, _, err := st.Reference().Load(ctx, fy, 2018, store.ReferenceFile{Name: "municipality", SHA256: "x"}, munis, "test"); err != nil {
			t.Fatal(err)
		}
	}
	return st, ctx
}

const diagnosisInds = `
 {"id": "Y", "goal": "A", "group": "i", "name": "yes", "points": 3, "items": [
  {"id": "Y1", "question": "q1", "points": 1, "rule": {"type": "yesno"}},
  {"id": "Y2", "question": "q2", "points": 1, "rule": {"type": "yesno"}},
  {"id": "Y3", "question": "q3", "points": 1, "rule": {"type": "yesno"}}]},
 {"id": "N", "goal": "A", "group": "i", "name": "na", "points": 1, "items": [
  {"id": "N1", "question": "qn", "points": 1, "blank": "na", "rule": {"type": "yesno"}}]},
 {"id": "O", "goal": "A", "group": "i", "name": "outcome", "points": 1, "items": [
  {"id": "O1", "question": "qo", "source": "ministry", "points": 1, "rule": {"type": "linear", "lower": 0, "upper": 100}}]}`

func TestDiagnosisReadModels(t *testing.T) {
	st, ctx := diagnosisNation(t)
	n := &nation{t: t, ctx: ctx, st: st}
	book25, book26 := muniBook(2025, 5, diagnosisInds), muniBook(2026, 5, diagnosisInds)
	// FY2025: only A1 submits, every Y item yes.
	n.submit(2025, "municipality", "000011", map[string]string{"Y1": "yes", "Y2": "yes", "Y3": "yes", "N1": "yes"})
	finish(t, st, n.score(2025, book25))
	n.submit(2026, "municipality", "000011", map[string]string{"Y1": "no", "Y2": "no", "Y3": "yes", "N1": ""})
	n.submit(2026, "municipality", "000012", map[string]string{"Y1": "yes", "Y2": "yes", "Y3": "yes", "N1": "yes"})
	n.submit(2026, "municipality", "000013", map[string]string{"Y1": "yes", "Y2": "no", "Y3": "no", "N1": "yes"})
	n.submit(2026, "municipality", "000021", map[string]string{"Y1": "yes", "Y2": "yes", "Y3": "yes", "N1": "no"})
	n.submit(2026, "municipality", "000022", map[string]string{"Y1": "no", "Y2": "no", "Y3": "no", "N1": "no"})
	n.ministry(2026, "O1", map[string]float64{"000011": 10, "000012": 20, "000013": 30, "000014": 40, "000021": 5})
	run := n.score(2026, book26)
	finish(t, st, run)

	t.Run("peer items", func(t *testing.T) {
		// Peers: the band's submitters, itself excepted. <3k submitters: A1, A2, A3 (A4 sent nothing).
		//   A1 (peers A2, A3): Y1 2/2 = 1 listed; Y2 1/2 = 0.5 < 60 %; Y3 achieved; N1 対象外 (blank
		//      na) — never listed; O1 achieved (0.1 point).
		//   A3 (peers A1, A2): Y2 1/2 no; Y3 2/2 listed.
		//   A4 (no survey, peers A1, A2, A3): N1 2/2 = 1 (A1's is 対象外: not a peer for N1), Y1 2/3,
		//      Y3 2/3 = 0.666667 each, listed; Y2 1/3 no; O1 achieved (its value 40).
		//   A2 achieved everything. 10k+: B1 achieved everything but N1 (peer B2: 0/1).
		//   B2 (peer B1): Y1, Y2, Y3 1/1, and O1 (no value: 0 points; B1's 5 scores 0.05) 1/1.
		want := []store.PeerItem{
			{"000011", "Y1", 2, 2, 1},
			{"000013", "Y3", 2, 2, 1},
			{"000014", "N1", 2, 2, 1}, {"000014", "Y1", 2, 3, 0.666667}, {"000014", "Y3", 2, 3, 0.666667},
			{"000022", "O1", 1, 1, 1}, {"000022", "Y1", 1, 1, 1}, {"000022", "Y2", 1, 1, 1}, {"000022", "Y3", 1, 1, 1},
		}
		got, err := st.Scores().PeerItems(ctx, run, 2026, 60, "")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("peer items at 60 %%:\n got %v\nwant %v", got, want)
		}
		// At 50 % A1 also lacks Y2 (1/2 exactly: the boundary is inclusive), listed after Y1's 1.
		got, err = st.Scores().PeerItems(ctx, run, 2026, 50, "000011")
		if err != nil {
			t.Fatal(err)
		}
		if want := []store.PeerItem{{"000011", "Y1", 2, 2, 1}, {"000011", "Y2", 1, 2, 0.5}}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("A1 at 50 %%: got %v, want %v", got, want)
		}
	})

	t.Run("outcomes", func(t *testing.T) {
		// <3k values 10, 20, 30, 40 (n 4): quantile_cont at p is x[(n−1)p] interpolated:
		// Q1 at 0.75 → 10 + 0.75·10 = 17.5; median at 1.5 → 25; Q3 at 2.25 → 32.5. The nation's
		// values 5, 10, 20, 30, 40: median 20. 10k+: B1's 5 alone (B2 has none, no row).
		got, err := st.Scores().Outcomes(ctx, run, 2026, "")
		if err != nil {
			t.Fatal(err)
		}
		lt3k := store.Spread{N: 4, Q1: 17.5, Median: 25, Q3: 32.5, Min: 10, Max: 40}
		want := []store.OutcomeValue{
			{"000011", "O1", 10, lt3k, 20}, {"000012", "O1", 20, lt3k, 20}, {"000013", "O1", 30, lt3k, 20}, {"000014", "O1", 40, lt3k, 20},
			{"000021", "O1", 5, store.Spread{N: 1, Q1: 5, Median: 5, Q3: 5, Min: 5, Max: 5}, 20},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("outcomes:\n got %v\nwant %v", got, want)
		}
	})

	t.Run("yen per person", func(t *testing.T) {
		alloc, err := st.Runs().Start(ctx, store.KindAllocate, 2026, nil)
		if err != nil {
			t.Fatal(err)
		}
		var rows []store.AllocationRow
		// Each municipality's weight is its 65+ population of the year (what the allocation
		// weighted it by; the per-person figures divide by it, not by the population table).
		weight := map[string]int64{"000011": 1000, "000012": 2000, "000013": 2500, "000014": 500, "000021": 20000, "000022": 40000}
		for code, pools := range map[string][]int64{"000011": {100000, 23455}, "000012": {300000}, "000013": {250000}, "000014": {100000}, "000021": {2000000}, "000022": {6000000}} {
			for k, yen := range pools {
				rows = append(rows, store.AllocationRow{EntityCode: code, Level: "municipality", PoolID: fmt.Sprint("p", k), GrantID: "g", Weight: weight[code], AmountYen: yen, ProposalYen: yen, FloorYen: yen})
			}
		}
		if err := st.Allocations().Save(ctx, alloc, rows); err != nil {
			t.Fatal(err)
		}
		// Per person, half away from zero to 0.01 yen: A1 (100,000 + 23,455) / 1,000 = 123.455 →
		// 123.46; A2 300,000 / 2,000 = 150; A3 250,000 / 2,500 = 100; A4 100,000 / 500 = 200;
		// B1 2,000,000 / 20,000 = 100; B2 6,000,000 / 40,000 = 150.
		// <3k sorted 100, 123.46, 150, 200: Q1 at 0.75 → 100 + 0.75·23.46 = 117.595; median at 1.5 →
		// (123.46 + 150) / 2 = 136.73; Q3 at 2.25 → 150 + 0.25·50 = 162.5.
		// Prefecture 01 (A1, A2, B1): 2,423,455 / 23,000 = 105.3676… → 105.37; 02 (A3, A4, B2):
		// 6,350,000 / 43,000 = 147.6744… → 147.67. Nation: 8,773,455 / 66,000 = 132.9311… → 132.93.
		got, err := st.Allocations().YenPerPersons(ctx, alloc, 2026, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 6 {
			t.Fatalf("%d rows, want 6: %v", len(got), got)
		}
		a1 := got[0]
		lt3k := store.Spread{N: 4, Q1: 117.595, Median: 136.73, Q3: 162.5, Min: 100, Max: 200}
		if a1.Code != "000011" || a1.Yen != 123455 || a1.Pop65 != 1000 || a1.PerPerson != 123.46 || a1.BandLabel != "3千人未満" ||
			!near(a1.Band, lt3k) || a1.Prefecture != 105.37 || a1.National != 132.93 {
			t.Errorf("A1: %+v", a1)
		}
		b2 := got[5]
		if b2.Code != "000022" || b2.PerPerson != 150 || b2.Band.N != 2 || b2.Band.Median != 125 || b2.Prefecture != 147.67 || b2.BandLabel != "1万～5万人" {
			t.Errorf("B2 (10k+ band 100 and 150: median 125): %+v", b2)
		}
		one, err := st.Allocations().YenPerPersons(ctx, alloc, 2026, "000013")
		if err != nil || len(one) != 1 || one[0].PerPerson != 100 || one[0].Prefecture != 147.67 {
			t.Errorf("A3 alone: %v %v", one, err)
		}
	})

	t.Run("trend", func(t *testing.T) {
		// A1's Y: FY2025 3 (all yes), FY2026 1 (Y3). Means over the run's six municipalities:
		// FY2025 A1 alone submitted: 3/6 = 0.5; FY2026 1 + 3 + 1 + 0 + 3 + 0 = 8, 8/6 = 1.3333….
		got, err := st.Scores().Trend(ctx, 2026, "000011")
		if err != nil {
			t.Fatal(err)
		}
		var y []store.TrendPoint
		for _, p := range got {
			if p.IndicatorID == "Y" {
				y = append(y, p)
			}
		}
		if len(y) != 2 || y[0].FiscalYear != 2025 || y[0].Points != 3 || y[0].Max != 3 || y[0].Mean != 0.5 ||
			y[1].FiscalYear != 2026 || y[1].Points != 1 || math.Abs(y[1].Mean-8.0/6) > 1e-9 {
			t.Errorf("trend of Y: %+v", y)
		}
		// Up to FY2025 only: one year.
		got, err = st.Scores().Trend(ctx, 2025, "000011")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range got {
			if p.FiscalYear != 2025 {
				t.Errorf("trend up to FY2025 has %+v", p)
			}
		}
	})
}

func near(a, b store.Spread) bool {
	eq := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return a.N == b.N && eq(a.Q1, b.Q1) && eq(a.Median, b.Median) && eq(a.Q3, b.Q3) && eq(a.Min, b.Min) && eq(a.Max, b.Max)
}

// finish marks a score run succeeded (the trend reads the latest succeeded run of each year).
func finish(t *testing.T, st *store.Store, run int64) {
	t.Helper()
	if err := st.Runs().Finish(context.Background(), run, map[string]any{}, "", nil); err != nil {
		t.Fatal(err)
	}
}
