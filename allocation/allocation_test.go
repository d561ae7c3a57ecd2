package allocation

import (
	"fmt"
	"math/big"
	"math/rand/v2"
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
		for i, x := range a {
			if x.Yen != b[i].Yen {
				t.Fatalf("trial %d: not deterministic", trial)
			}
			if x.Yen < 0 {
				t.Fatalf("trial %d: negative amount", trial)
			}
			sum += x.Yen
			// |yen - exact| < unit  ⇔  |yen·den - num| < unit·den
			diff := new(big.Int).Sub(new(big.Int).Mul(big.NewInt(x.Yen), x.Denominator), x.Numerator)
			lim := new(big.Int).Mul(big.NewInt(unit), x.Denominator)
			if diff.CmpAbs(lim) >= 0 {
				t.Fatalf("trial %d: %s gets %d yen, more than one unit from its exact share", trial, x.Code, x.Yen)
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
