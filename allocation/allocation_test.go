package allocation

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestSplitHandComputed(t *testing.T) {
	// Weights 1:1:1 of 100 yen: 33.33… each; one unit left over goes to the lowest code on a tie.
	got, err := Split(100, 1, []Share{{"C", 100, 1}, {"A", 100, 1}, {"B", 100, 1}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"A": 34, "B": 33, "C": 33}
	for _, a := range got {
		if a.Yen != want[a.Code] {
			t.Errorf("%s: %d yen, want %d", a.Code, a.Yen, want[a.Code])
		}
	}
	// 1000 yen by products 600:300:100 (score 3,3,1 × weight 200,100,100): exact.
	got, _ = Split(1000, 1, []Share{{"X", 300, 200}, {"Y", 300, 100}, {"Z", 100, 100}})
	for i, w := range []int64{600, 300, 100} {
		if got[i].Yen != w || got[i].Extra != 0 {
			t.Errorf("%s: %+v, want %d", got[i].Code, got[i], w)
		}
	}
	// 10 yen by 2:1 → 6.67, 3.33: floors 6 and 3, remainders 2/3 and 1/3: X gets the unit.
	got, _ = Split(10, 1, []Share{{"X", 2, 1}, {"Y", 1, 1}})
	if got[0].Yen != 7 || got[1].Yen != 3 {
		t.Errorf("got %d, %d; want 7, 3", got[0].Yen, got[1].Yen)
	}
	// Rounding unit 1,000 yen: 10,000 yen by 1:1:1 → 3 units each, one left for A.
	got, _ = Split(10000, 1000, []Share{{"B", 1, 1}, {"A", 1, 1}, {"C", 1, 1}})
	if got[1].Yen != 4000 || got[0].Yen != 3000 || got[2].Yen != 3000 {
		t.Errorf("1000-yen units: %+v", got)
	}
}

func TestSplitRejects(t *testing.T) {
	for name, c := range map[string]struct {
		pool, unit int64
		s          []Share
	}{
		"no weight":  {100, 1, []Share{{"A", 0, 10}, {"B", 10, 0}}},
		"negative":   {100, 1, []Share{{"A", -1, 10}}},
		"duplicate":  {100, 1, []Share{{"A", 1, 1}, {"A", 1, 1}}},
		"bad unit":   {100, 0, []Share{{"A", 1, 1}}},
		"not a unit": {1500, 1000, []Share{{"A", 1, 1}}},
	} {
		if _, err := Split(c.pool, c.unit, c.s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestSplitProperties checks the invariants on random nations: the sum is the pool exactly, no
// amount is negative, each is within one unit of its exact share, equal weights get amounts
// monotone in score, and the result is deterministic.
func TestSplitProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := 1 + r.IntN(300)
		unit := []int64{1, 1000}[r.IntN(2)]
		pool := (1 + r.Int64N(20_000_000_000/unit)) * unit
		shares := make([]Share, n)
		for i := range shares {
			shares[i] = Share{Code: fmt.Sprintf("%06d", i), ScoreCenti: r.Int64N(80001), Weight: 1 + r.Int64N(600000)}
		}
		shares[0].ScoreCenti = 1 + shares[0].ScoreCenti // at least one positive product
		a, err := Split(pool, unit, shares)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Split(pool, unit, shares)
		var sum int64
		// The exact shares, computed here (not taken from what Split returns): pool·w_i / Σw.
		total := new(big.Rat)
		for _, s := range shares {
			total.Add(total, new(big.Rat).SetInt64(s.ScoreCenti*s.Weight))
		}
		for i, x := range a {
			if x.Yen != b[i].Yen {
				t.Fatalf("trial %d: not deterministic", trial)
			}
			if x.Yen < 0 {
				t.Fatalf("trial %d: negative amount", trial)
			}
			sum += x.Yen
			exact := new(big.Rat).Quo(new(big.Rat).SetInt64(pool), total)
			exact.Mul(exact, new(big.Rat).SetInt64(shares[i].ScoreCenti*shares[i].Weight))
			diff := new(big.Rat).Sub(new(big.Rat).SetInt64(x.Yen), exact)
			if diff.Abs(diff).Cmp(new(big.Rat).SetInt64(unit)) >= 0 {
				t.Fatalf("trial %d: %s gets %d yen, a unit or more from its exact share %s", trial, x.Code, x.Yen, exact.FloatString(3))
			}
		}
		if sum != pool {
			t.Fatalf("trial %d: sum %d != pool %d", trial, sum, pool)
		}
	}
	// Monotone in score at equal weight.
	shares := make([]Share, 50)
	for i := range shares {
		shares[i] = Share{Code: fmt.Sprintf("%02d", i), ScoreCenti: int64(i * 37 % 50), Weight: 1000}
	}
	a, _ := Split(999_999_999, 1, shares)
	for i := range a {
		for j := range a {
			if shares[i].ScoreCenti > shares[j].ScoreCenti && a[i].Yen < a[j].Yen {
				t.Fatalf("higher score %s got less than %s", a[i].Code, a[j].Code)
			}
		}
	}
}

func TestShippedParams(t *testing.T) {
	p, err := Load(2026)
	if err != nil {
		t.Fatal(err)
	}
	pools, err := p.Pools()
	if err != nil {
		t.Fatal(err)
	}
	// 推進: 101億 − 5% (5.05億) − the 成果指向型配分枠 (10億) = 85.95億; 支援: 200億 − 10億.
	want := map[string][2]int64{"suishin": {505_000_000, 8_595_000_000}, "shien": {1_000_000_000, 19_000_000_000}}
	for _, pl := range pools {
		if w := want[pl.Grant.ID]; pl.PrefectureYen != w[0] || pl.MunicipalYen != w[1] || pl.PrefectureYen+pl.ExtraYen+pl.MunicipalYen != pl.Grant.BudgetYen {
			t.Errorf("%s: pools %d/%d, want %v", pl.Grant.ID, pl.PrefectureYen, pl.MunicipalYen, w)
		}
	}
	if _, err := Load(1999); err == nil {
		t.Error("FY1999 parameters should not exist")
	}
}

func TestSplitCappedHandComputed(t *testing.T) {
	shares := []Share{{"A", 100, 1}, {"B", 100, 1}, {"C", 200, 1}} // exact 25, 25, 50 of 100
	// Return: C capped at 40 → 10 returned.
	got, err := SplitCapped(100, 1, shares, map[string]int64{"C": 40}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got.Amounts[2].Yen != 40 || got.Proposal[2] != 50 || got.Surplus != 10 || got.Amounts[0].Yen != 25 {
		t.Errorf("return: %+v", got)
	}
	// Redistribute: C fixed at 40, the other 60 split 1:1 → 30, 30; nothing returned.
	got, _ = SplitCapped(100, 1, shares, map[string]int64{"C": 40}, true)
	if got.Amounts[2].Yen != 40 || got.Amounts[0].Yen != 30 || got.Amounts[1].Yen != 30 || got.Surplus != 0 || got.Rounds != 1 {
		t.Errorf("redistribute: %+v", got)
	}
	// Redistribution that caps a second entity in the next round: B capped at 28.
	got, _ = SplitCapped(100, 1, shares, map[string]int64{"C": 40, "B": 28}, true)
	if got.Amounts[2].Yen != 40 || got.Amounts[1].Yen != 28 || got.Amounts[0].Yen != 32 || got.Rounds != 2 {
		t.Errorf("two rounds: %+v", got)
	}
	// Everyone capped: the rest is surplus.
	got, _ = SplitCapped(100, 1, shares, map[string]int64{"A": 10, "B": 10, "C": 10}, true)
	if got.Surplus != 70 {
		t.Errorf("all capped: %+v", got)
	}
}

func TestSplitCappedProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		n := 2 + r.IntN(100)
		pool := 1 + r.Int64N(1_000_000_000)
		shares := make([]Share, n)
		caps := map[string]int64{}
		for i := range shares {
			shares[i] = Share{Code: fmt.Sprintf("%04d", i), ScoreCenti: 1 + r.Int64N(80000), Weight: 1 + r.Int64N(100000)}
			if r.IntN(4) == 0 {
				caps[shares[i].Code] = r.Int64N(pool / int64(n) * 2)
			}
		}
		for _, redistribute := range []bool{false, true} {
			got, err := SplitCapped(pool, 1, shares, caps, redistribute)
			if err != nil {
				t.Fatal(err)
			}
			var sum int64
			for i, a := range got.Amounts {
				if c, ok := caps[a.Code]; ok && a.Yen > c {
					t.Fatalf("trial %d: %s gets %d above its cap %d", trial, a.Code, a.Yen, c)
				}
				if a.Yen < 0 || a.Yen > got.Proposal[i] && !redistribute {
					t.Fatalf("trial %d: %s gets %d (proposal %d)", trial, a.Code, a.Yen, got.Proposal[i])
				}
				sum += a.Yen
			}
			if sum+got.Surplus != pool {
				t.Fatalf("trial %d (redistribute %v): Σ %d + surplus %d != pool %d", trial, redistribute, sum, got.Surplus, pool)
			}
			if got.Rounds > n {
				t.Fatalf("trial %d: %d rounds for %d entities", trial, got.Rounds, n)
			}
		}
	}
}

// TestLargestRemainderNotWeightOrder: the leftover units go to the largest remainders, which here
// are in the reverse order of the weights (and of the codes), so giving them by weight or by code
// gives other amounts. Hand-computed: 100 yen by weights 30, 29, 21, 11, 10 (Σ 101):
//
//	A 3000/101 = 29 + 71/101    floor 29
//	B 2900/101 = 28 + 72/101    floor 28
//	C 2100/101 = 20 + 80/101    floor 20
//	D 1100/101 = 10 + 90/101    floor 10
//	E 1000/101 =  9 + 91/101    floor  9    Σ floors 96: 4 yen left → E, D, C, B
//
// By weight the 4 yen would go to A, B, C, D (A 30 … E 9); by code the same.
func TestLargestRemainderNotWeightOrder(t *testing.T) {
	shares := []Share{{"A", 30, 1}, {"B", 29, 1}, {"C", 21, 1}, {"D", 11, 1}, {"E", 10, 1}}
	for _, c := range []struct {
		pool, unit int64
		want       []int64
		extra      []int64
	}{
		{100, 1, []int64{29, 29, 21, 11, 10}, []int64{0, 1, 1, 1, 1}},
		// The same in 1,000-yen units: 100,000 yen, 100 units, the same remainders.
		{100_000, 1000, []int64{29_000, 29_000, 21_000, 11_000, 10_000}, []int64{0, 1, 1, 1, 1}},
	} {
		got, err := Split(c.pool, c.unit, shares)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range got {
			if a.Yen != c.want[i] || a.Extra != c.extra[i] {
				t.Errorf("pool %d (unit %d): %s gets %d (%d extra), want %d (%d extra)", c.pool, c.unit, a.Code, a.Yen, a.Extra, c.want[i], c.extra[i])
			}
		}
	}
	// Three entities: 10 yen by 5:4:2 → 50/11 = 4 + 6/11, 40/11 = 3 + 7/11, 20/11 = 1 + 9/11; two
	// yen left go to C and B: 4, 4, 2 (by weight it would be 5, 4, 1).
	got, _ := Split(10, 1, []Share{{"A", 5, 1}, {"B", 4, 1}, {"C", 2, 1}})
	if got[0].Yen != 4 || got[1].Yen != 4 || got[2].Yen != 2 {
		t.Errorf("10 yen by 5:4:2: %d, %d, %d; want 4, 4, 2", got[0].Yen, got[1].Yen, got[2].Yen)
	}
}

// TestSplitGrantHandComputed: the needs cap on the sum of a grant's pools. Municipal pool 700 yen
// by score × weight A 4×100, B 2×100, C 1×100 → 400, 200, 100; extra pool 300 yen for A and B by
// their goal points A 10×100, B 20×100 → 100, 200. B's 所要見込額 is 250: without the cross-pool
// cap B would get 200 + 200 = 400.
func TestSplitGrantHandComputed(t *testing.T) {
	muni := []Share{{"A", 400, 100}, {"B", 200, 100}, {"C", 100, 100}}
	extra := []Share{{"A", 1000, 100}, {"B", 2000, 100}}
	needs := map[string]int64{"B": 250}
	type want struct {
		yen     map[string]int64
		surplus int64
	}
	for _, c := range []struct {
		name         string
		extraFirst   bool
		redistribute bool
		muni, extra  want
	}{
		// Extra pool paid first (the default): B keeps its 200 there; the municipal pool may give
		// it only 250 − 200 = 50 and returns the other 150.
		{"extra first, return", true, false, want{map[string]int64{"A": 400, "B": 50, "C": 100}, 150}, want{map[string]int64{"A": 100, "B": 200}, 0}},
		// … or shares the 150 among A and C by 4:1 → A 400 + 120, C 100 + 30.
		{"extra first, redistribute", true, true, want{map[string]int64{"A": 520, "B": 50, "C": 130}, 0}, want{map[string]int64{"A": 100, "B": 200}, 0}},
		// Municipal pool paid first: B keeps 200 there; the extra pool may give it only 50 and
		// returns 150 …
		{"municipal first, return", false, false, want{map[string]int64{"A": 400, "B": 200, "C": 100}, 0}, want{map[string]int64{"A": 100, "B": 50}, 150}},
		// … or gives the 150 to A, its only other entity: 250.
		{"municipal first, redistribute", false, true, want{map[string]int64{"A": 400, "B": 200, "C": 100}, 0}, want{map[string]int64{"A": 250, "B": 50}, 0}},
	} {
		pm := GrantPool{ID: "muni", Yen: 700, Shares: muni, Redistribute: c.redistribute}
		pe := GrantPool{ID: "extra", Yen: 300, Shares: extra, Redistribute: c.redistribute}
		pools, wants := []GrantPool{pe, pm}, []want{c.extra, c.muni}
		if !c.extraFirst {
			pools, wants = []GrantPool{pm, pe}, []want{c.muni, c.extra}
		}
		got, err := SplitGrant(1, pools, needs)
		if err != nil {
			t.Fatal(err)
		}
		paidB := int64(0)
		for k, ps := range got {
			var sum int64
			for _, a := range ps.Amounts {
				if a.Yen != wants[k].yen[a.Code] {
					t.Errorf("%s: pool %s: %s gets %d, want %d", c.name, ps.ID, a.Code, a.Yen, wants[k].yen[a.Code])
				}
				sum += a.Yen
				if a.Code == "B" {
					paidB += a.Yen
				}
			}
			if ps.Surplus != wants[k].surplus || sum+ps.Surplus != pools[k].Yen {
				t.Errorf("%s: pool %s: surplus %d (Σ %d), want %d", c.name, ps.ID, ps.Surplus, sum, wants[k].surplus)
			}
		}
		if paidB != 250 {
			t.Errorf("%s: B is paid %d in all, want its 所要見込額 250", c.name, paidB)
		}
		// The cap B had in the pool paid second is what the first one left of its 所要見込額.
		if got[1].Caps["B"] != 50 || got[0].Caps["B"] != 250 {
			t.Errorf("%s: caps %v then %v, want B 250 then 50", c.name, got[0].Caps, got[1].Caps)
		}
	}
	// 1,000-yen units: a 所要見込額 of 2,500 yen is 2 units. Municipal 7,000 yen by 4:2:1 → 4,000,
	// 2,000, 1,000; extra 3,000 yen to B alone. Extra first: B 3,000 → capped at 2,000 (1,000
	// returned); the municipal pool has 0 left for B (2,000 returned).
	got, err := SplitGrant(1000, []GrantPool{{ID: "extra", Yen: 3000, Shares: []Share{{"B", 1, 1}}}, {ID: "muni", Yen: 7000, Shares: muni}}, map[string]int64{"B": 2500})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Amounts[0].Yen != 2000 || got[0].Surplus != 1000 || got[1].Amounts[1].Yen != 0 || got[1].Surplus != 2000 || got[1].Amounts[0].Yen != 4000 {
		t.Errorf("1,000-yen units: extra %+v surplus %d; municipal B %d surplus %d", got[0].Amounts[0].Yen, got[0].Surplus, got[1].Amounts[1].Yen, got[1].Surplus)
	}
	// A pool nobody can share (no positive score): all of it is returned, the others go on.
	got, err = SplitGrant(1, []GrantPool{{ID: "extra", Yen: 300, Shares: []Share{{"A", 0, 100}}}, {ID: "muni", Yen: 700, Shares: muni}}, needs)
	if err != nil || !got[0].Empty || got[0].Surplus != 300 || got[1].Amounts[1].Yen != 200 {
		t.Errorf("empty pool: %v %+v", err, got)
	}
}

// TestAdmitBoundaryTies: "top N%" with ties at the boundary, hand-computed. Scores 30, 20, 20, 20,
// 10 of n = 5 have competition ranks 1, 2, 2, 2, 5; the tie group of 20 takes positions 2–4.
func TestAdmitBoundaryTies(t *testing.T) {
	scores := []int64{3000, 2000, 2000, 2000, 1000}
	for _, c := range []struct {
		percent float64
		ties    string
		want    string
	}{
		// Top 40% = 2 positions. include: rank ≤ 2 → the whole tie group is in (4 of 5, 80%).
		{40, TiesInclude, "TTTTF"},
		{40, "", "TTTTF"}, // the default is include
		// exclude: the tie group ends at position 4 > 2 → only the first (1 of 5, 20%).
		{40, TiesExclude, "TFFFF"},
		// Top 80% = 4 positions: the tie group ends at 4, within: both rules admit 4.
		{80, TiesInclude, "TTTTF"},
		{80, TiesExclude, "TTTTF"},
		// Top 20% = 1 position: only the first under both rules.
		{20, TiesInclude, "TFFFF"},
		{20, TiesExclude, "TFFFF"},
		// Top 100%: everyone.
		{100, TiesExclude, "TTTTT"},
		// Top 39.9% = 1.995 positions: rank 2 is outside, under both rules.
		{39.9, TiesInclude, "TFFFF"},
	} {
		got, err := Admit(scores, c.percent, c.ties)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, in := range got {
			s += map[bool]string{true: "T", false: "F"}[in]
		}
		if s != c.want {
			t.Errorf("top %g%% (ties %q): %s, want %s", c.percent, c.ties, s, c.want)
		}
	}
	// A score of 0 is never admitted, even within the top percent.
	if got, _ := Admit([]int64{500, 0, 0}, 100, TiesInclude); !got[0] || got[1] || got[2] {
		t.Errorf("zeros admitted: %v", got)
	}
	// The percent is the decimal written: top 33.3% of 3,000 is exactly 999 positions; in binary
	// floating point 999·100 ≤ 33.3·3000 is false.
	many := make([]int64, 3000)
	for i := range many {
		many[i] = int64(3000 - i) // distinct, position i+1
	}
	got, err := Admit(many, 33.3, TiesExclude)
	if err != nil {
		t.Fatal(err)
	}
	if !got[998] || got[999] {
		t.Errorf("top 33.3%% of 3,000: position 999 admitted %v, 1000 admitted %v; want true, false", got[998], got[999])
	}
	for _, bad := range []struct {
		p float64
		t string
	}{{0, ""}, {100.5, ""}, {30, "some"}} {
		if _, err := Admit(scores, bad.p, bad.t); err == nil {
			t.Errorf("Admit(%g, %q) accepted", bad.p, bad.t)
		}
	}
}

// TestParamsRules: the rules the parameters state, their defaults and their checks.
func TestParamsRules(t *testing.T) {
	p, err := Load(2026)
	if err != nil {
		t.Fatal(err)
	}
	// The shipped file states every rule explicitly.
	if p.NeedsCapGivesWay != GivesWayMunicipal || p.NonSubmitters != NonSubmittersScore || p.ExtraPools[0].Ties != TiesInclude {
		t.Errorf("shipped rules: gives way %q, non-submitters %q, ties %q", p.NeedsCapGivesWay, p.NonSubmitters, p.ExtraPools[0].Ties)
	}
	if got := p.ExtraPools[0].TieRuleJA(); got != "上位30%（同点は含める）" {
		t.Errorf("rule %q", got)
	}
	if got := fmt.Sprint(p.PayOrder("suishin"), p.PayOrder("shien")); got != "[outcome suishin] [shien]" {
		t.Errorf("pay order %s", got)
	}
	p.NeedsCapGivesWay = GivesWayExtra
	if got := fmt.Sprint(p.PayOrder("suishin")); got != "[suishin outcome]" {
		t.Errorf("pay order, extra giving way: %s", got)
	}
	// Absent (an older run's manifest): the defaults.
	var old Params
	if old.CapGivesWay() != GivesWayMunicipal || old.NonSubmitterRule() != NonSubmittersScore || (ExtraPool{}).TieRule() != TiesInclude {
		t.Error("defaults")
	}
	base := `{"fiscal_year": 2026, "rounding_unit_yen": 1, "prefecture_share": "0.05", "weight": "population_65plus", "surplus": "return",
		"grants": [{"id": "suishin", "name": "推進", "short": "推進", "budget_yen": 1000}], %s
		"extra_pools": [{"id": "x", "name": "x", "from_grant": "suishin", "budget_yen": 100, "top_percent": 30 %s}]}`
	for name, c := range map[string][2]string{
		"gives way":      {`"needs_cap_gives_way": "prefecture",`, ""},
		"non-submitters": {`"non_submitters": "ignore",`, ""},
		"ties":           {"", `, "ties": "half"`},
	} {
		if _, err := Parse(name, []byte(fmt.Sprintf(base, c[0], c[1]))); err == nil {
			t.Errorf("%s: an unknown value was accepted", name)
		}
	}
	if _, err := Parse("ok", []byte(fmt.Sprintf(base, `"needs_cap_gives_way": "extra", "non_submitters": "exclude",`, `, "ties": "exclude"`))); err != nil {
		t.Errorf("valid rules refused: %v", err)
	}
	if _, err := Parse("unit 0", []byte(strings.Replace(fmt.Sprintf(base, "", ""), `"rounding_unit_yen": 1`, `"rounding_unit_yen": 0`, 1))); err == nil {
		t.Error("rounding unit 0 accepted")
	}
}
