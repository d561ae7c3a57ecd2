package allocation

// An independent reference for the split, written from the README's rule ("How a yen comes out",
// steps 3 and 4) in exact rationals (math/big.Rat), sharing no code with allocation.go, and the
// property tests that compare Split, SplitCapped and SplitGrant with it exactly on random cases.
//
//	amount_i = pool × w_i / Σw, w_i = score_i × weight_i; each entity gets the floor in whole
//	rounding units; the units left over go one each to the largest remainders, ties by code.
//	Caps (floored to the unit): return — min(案, cap), the excess returned; redistribute — the
//	capped get their cap and the rest of the pool is shared among the others until no amount
//	exceeds its cap. Across the pools of a grant: the pools are paid in order and each pool's cap
//	is the 所要見込額 less what the earlier pools paid.
//
// The redistribution is computed here as water-filling — the level λ with Σ min(cap_i, λ·w_i) =
// pool, found by taking the entities in increasing cap_i / w_i — not as the rounds the code runs.

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// refResult is what the reference gives for one pool.
type refResult struct {
	proposal []int64 // the uncapped split (案)
	yen      []int64 // 確定
	floor    []int64 // yen of the floor, for an uncapped split
	extra    []int64 // units by largest remainder, for an uncapped split
	exact    []*big.Rat
	surplus  int64
	noWeight bool // Σw = 0: Split must refuse
}

func ratInt(n int64) *big.Rat { return new(big.Rat).SetInt64(n) }

// ratFloor is ⌊x⌋ for x ≥ 0.
func ratFloor(x *big.Rat) *big.Int {
	return new(big.Int).Quo(x.Num(), x.Denom())
}

// refSplit shares pool by largest remainder, in rationals.
func refSplit(pool, unit int64, shares []Share) refResult {
	n := len(shares)
	w := make([]*big.Rat, n)
	sum := new(big.Rat)
	for i, s := range shares {
		w[i] = new(big.Rat).Mul(ratInt(s.ScoreCenti), ratInt(s.Weight))
		sum.Add(sum, w[i])
	}
	res := refResult{yen: make([]int64, n), floor: make([]int64, n), extra: make([]int64, n), exact: make([]*big.Rat, n)}
	if sum.Sign() == 0 {
		res.noWeight = true
		return res
	}
	units := new(big.Rat).Quo(ratInt(pool), ratInt(unit))
	frac := make([]*big.Rat, n)
	left := new(big.Rat).Set(units)
	for i := range shares {
		share := new(big.Rat).Quo(new(big.Rat).Mul(units, w[i]), sum) // in units
		res.exact[i] = new(big.Rat).Mul(share, ratInt(unit))          // in yen
		f := ratFloor(share)
		frac[i] = new(big.Rat).Sub(share, new(big.Rat).SetInt(f))
		left.Sub(left, new(big.Rat).SetInt(f))
		res.floor[i] = f.Int64() * unit
	}
	if !left.IsInt() || left.Sign() < 0 || left.Cmp(ratInt(int64(n))) >= 0 {
		panic(fmt.Sprintf("reference: %s units left over for %d entities", left.RatString(), n))
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		if c := frac[order[a]].Cmp(frac[order[b]]); c != 0 {
			return c > 0
		}
		return shares[order[a]].Code < shares[order[b]].Code
	})
	for k := int64(0); k < left.Num().Int64(); k++ {
		res.extra[order[k]] = 1
	}
	for i := range shares {
		res.yen[i] = res.floor[i] + res.extra[i]*unit
	}
	res.proposal = append([]int64(nil), res.yen...)
	return res
}

// refCap is a cap as the rule takes it: not below 0, floored to whole units.
func refCap(c, unit int64) int64 {
	if c < 0 {
		return 0
	}
	return c / unit * unit
}

// refCapped applies the caps to the reference split: return or redistribute (water-filling).
func refCapped(pool, unit int64, shares []Share, caps map[string]int64, redistribute bool) refResult {
	res := refSplit(pool, unit, shares)
	if res.noWeight {
		return res
	}
	if !redistribute {
		for i, s := range shares {
			if c, ok := caps[s.Code]; ok && res.yen[i] > refCap(c, unit) {
				res.surplus += res.yen[i] - refCap(c, unit)
				res.yen[i] = refCap(c, unit)
			}
		}
		return res
	}
	// Water-filling: candidates (capped, positive weight) by increasing cap / w.
	type cand struct {
		i     int
		cap   int64
		w     *big.Rat
		ratio *big.Rat
	}
	total := new(big.Rat)
	var cands []cand
	for i, s := range shares {
		w := new(big.Rat).Mul(ratInt(s.ScoreCenti), ratInt(s.Weight))
		total.Add(total, w)
		if c, ok := caps[s.Code]; ok && w.Sign() > 0 {
			cc := refCap(c, unit)
			cands = append(cands, cand{i, cc, w, new(big.Rat).Quo(ratInt(cc), w)})
		}
	}
	sort.Slice(cands, func(a, b int) bool { return cands[a].ratio.Cmp(cands[b].ratio) < 0 })
	capped := map[int]int64{}
	restW := new(big.Rat).Set(total)
	restPool := pool
	for _, c := range cands {
		if restW.Sign() == 0 {
			break
		}
		level := new(big.Rat).Quo(ratInt(restPool), restW) // λ: yen per unit of weight
		if ratInt(c.cap).Cmp(new(big.Rat).Mul(level, c.w)) >= 0 {
			break // its share is within its cap, and so is every later one's
		}
		capped[c.i] = c.cap
		restPool -= c.cap
		restW.Sub(restW, c.w)
	}
	var others []Share
	var idx []int
	for i, s := range shares {
		if c, ok := capped[i]; ok {
			res.yen[i] = c
		} else {
			others, idx = append(others, s), append(idx, i)
		}
	}
	if restW.Sign() == 0 {
		for _, i := range idx {
			res.yen[i] = 0
		}
		res.surplus = restPool
		return res
	}
	rest := refSplit(restPool, unit, others)
	for k, i := range idx {
		res.yen[i] = rest.yen[k]
	}
	return res
}

// refPool is one pool of a grant for refGrant.
type refPool struct {
	shares       []Share
	yen          int64
	redistribute bool
}

// refGrant pays the pools in order, each capped at the 所要見込額 less what the earlier ones paid.
func refGrant(unit int64, pools []refPool, needs map[string]int64) []refResult {
	paid := map[string]int64{}
	out := make([]refResult, len(pools))
	for k, p := range pools {
		caps := map[string]int64{}
		for _, s := range p.shares {
			if c, ok := needs[s.Code]; ok {
				caps[s.Code] = refCap(c, unit) - paid[s.Code]
			}
		}
		r := refCapped(p.yen, unit, p.shares, caps, p.redistribute)
		if r.noWeight {
			r.surplus = p.yen
			r.yen = make([]int64, len(p.shares))
		}
		for i, s := range p.shares {
			paid[s.Code] += r.yen[i]
		}
		out[k] = r
	}
	return out
}

// randomShares draws n entities with distinct codes: zero, small, typical and huge scores and
// weights.
func randomShares(r *rand.Rand, n int) []Share {
	draw := func(typical int64) int64 {
		switch r.IntN(10) {
		case 0, 1:
			return 0
		case 2, 3:
			return 1 + r.Int64N(5)
		case 4:
			return 1 + r.Int64N(1<<62) // huge: the products need big integers
		default:
			return 1 + r.Int64N(typical)
		}
	}
	codes := r.Perm(10 * n)
	shares := make([]Share, n)
	for i := range shares {
		shares[i] = Share{Code: fmt.Sprintf("%06d", codes[i]), ScoreCenti: draw(80000), Weight: draw(600000)}
	}
	return shares
}

func randomPool(r *rand.Rand, unit int64) int64 {
	switch r.IntN(4) {
	case 0:
		return r.Int64N(30) * unit // a few units: many remainders decide
	case 1:
		return r.Int64N(1<<62/unit) * unit // huge
	default:
		return r.Int64N(20_000_000_000/unit+1) * unit
	}
}

func randomCaps(r *rand.Rand, shares []Share, pool int64) map[string]int64 {
	caps := map[string]int64{}
	for _, s := range shares {
		switch r.IntN(6) {
		case 0:
			caps[s.Code] = r.Int64N(pool/int64(len(shares))*2 + 2)
		case 1:
			caps[s.Code] = r.Int64N(pool/int64(len(shares))/2 + 2)
		case 2:
			caps[s.Code] = []int64{0, -5, 999, 1000, 1001, 1 << 62}[r.IntN(6)]
		}
	}
	return caps
}

func sizeOf(r *rand.Rand) int {
	if r.IntN(10) == 0 {
		return 1 + r.IntN(80)
	}
	return 1 + r.IntN(12)
}

func TestReferenceSplit(t *testing.T) {
	start := time.Now()
	r := rand.New(rand.NewPCG(20261121, 10))
	const trials = 12000 // 4,000 each of Split, SplitCapped (both surplus rules) and SplitGrant
	for trial := 0; trial < trials; trial++ {
		unit := []int64{1, 1000}[r.IntN(2)]
		switch trial % 3 {
		case 0:
			checkSplit(t, trial, r, unit)
		case 1:
			checkCapped(t, trial, r, unit)
		case 2:
			checkGrant(t, trial, r, unit)
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("%d random cases against the big.Rat reference in %v", trials, time.Since(start))
}

func checkSplit(t *testing.T, trial int, r *rand.Rand, unit int64) {
	shares := randomShares(r, sizeOf(r))
	pool := randomPool(r, unit)
	want := refSplit(pool, unit, shares)
	got, err := Split(pool, unit, shares)
	if want.noWeight {
		if err == nil {
			t.Errorf("trial %d: Split shared %d yen among entities without weight: %+v", trial, pool, got)
		}
		return
	}
	if err != nil {
		t.Fatalf("trial %d: %v", trial, err)
	}
	var sum int64
	for i, a := range got {
		if a.Code != shares[i].Code || a.Yen != want.yen[i] || a.Floor != want.floor[i] || a.Extra != want.extra[i] {
			t.Fatalf("trial %d (pool %d, unit %d): %s gets %d (floor %d + %d units), the reference %d (floor %d + %d)",
				trial, pool, unit, a.Code, a.Yen, a.Floor, a.Extra, want.yen[i], want.floor[i], want.extra[i])
		}
		if new(big.Rat).SetFrac(a.Numerator, a.Denominator).Cmp(want.exact[i]) != 0 {
			t.Fatalf("trial %d: %s: exact share %s/%s, the reference %s", trial, a.Code, a.Numerator, a.Denominator, want.exact[i].RatString())
		}
		sum += a.Yen
	}
	if sum != pool {
		t.Fatalf("trial %d: Σ %d != pool %d", trial, sum, pool)
	}
}

func checkCapped(t *testing.T, trial int, r *rand.Rand, unit int64) {
	shares := randomShares(r, sizeOf(r))
	pool := randomPool(r, unit)
	caps := randomCaps(r, shares, pool)
	for _, redistribute := range []bool{false, true} {
		want := refCapped(pool, unit, shares, caps, redistribute)
		got, err := SplitCapped(pool, unit, shares, caps, redistribute)
		if want.noWeight {
			if err == nil {
				t.Errorf("trial %d: SplitCapped accepted entities without weight", trial)
			}
			return
		}
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		var sum int64
		for i, a := range got.Amounts {
			if a.Code != shares[i].Code || a.Yen != want.yen[i] || got.Proposal[i] != want.proposal[i] {
				t.Fatalf("trial %d (pool %d, unit %d, redistribute %v): %s gets %d (案 %d), the reference %d (案 %d); cap %v",
					trial, pool, unit, redistribute, a.Code, a.Yen, got.Proposal[i], want.yen[i], want.proposal[i], caps[a.Code])
			}
			if c, ok := caps[a.Code]; ok && a.Yen > refCap(c, unit) {
				t.Fatalf("trial %d: %s gets %d above its cap %d", trial, a.Code, a.Yen, c)
			}
			sum += a.Yen
		}
		if got.Surplus != want.surplus || sum+got.Surplus != pool {
			t.Fatalf("trial %d (redistribute %v): surplus %d, the reference %d; Σ %d + surplus != pool %d", trial, redistribute, got.Surplus, want.surplus, sum, pool)
		}
	}
}

func checkGrant(t *testing.T, trial int, r *rand.Rand, unit int64) {
	// One set of municipalities; 1–3 pools of a grant, each shared by some of them with its own
	// scores (the extra pools by a goal's points among the eligible).
	all := randomShares(r, sizeOf(r))
	npools := 1 + r.IntN(3)
	var gp []GrantPool
	var rp []refPool
	var total int64
	for k := 0; k < npools; k++ {
		var shares []Share
		for _, s := range all {
			if k == 0 || r.IntN(2) == 0 {
				if k > 0 {
					s.ScoreCenti = r.Int64N(10001)
				}
				shares = append(shares, s)
			}
		}
		pool := randomPool(r, unit) / 4 / unit * unit
		total += pool
		red := r.IntN(2) == 0
		gp = append(gp, GrantPool{ID: fmt.Sprintf("p%d", k), Yen: pool, Shares: shares, Redistribute: red})
		rp = append(rp, refPool{shares: shares, yen: pool, redistribute: red})
	}
	needs := randomCaps(r, all, total)
	want := refGrant(unit, rp, needs)
	got, err := SplitGrant(unit, gp, needs)
	if err != nil {
		t.Fatalf("trial %d: %v", trial, err)
	}
	paid := map[string]int64{}
	for k, ps := range got {
		w := want[k]
		if ps.Empty != w.noWeight || ps.Surplus != w.surplus {
			t.Fatalf("trial %d pool %d: empty %v surplus %d, the reference %v %d", trial, k, ps.Empty, ps.Surplus, w.noWeight, w.surplus)
		}
		var sum int64
		for i, a := range ps.Amounts {
			if a.Yen != w.yen[i] {
				t.Fatalf("trial %d pool %d (redistribute %v): %s gets %d, the reference %d (所要見込額 %v, paid before %d)",
					trial, k, gp[k].Redistribute, a.Code, a.Yen, w.yen[i], needs[a.Code], paid[a.Code])
			}
			sum += a.Yen
			paid[a.Code] += a.Yen
		}
		if sum+ps.Surplus != gp[k].Yen {
			t.Fatalf("trial %d pool %d: Σ %d + surplus %d != pool %d", trial, k, sum, ps.Surplus, gp[k].Yen)
		}
	}
	for code, p := range paid {
		if c, ok := needs[code]; ok && p > refCap(c, unit) {
			t.Fatalf("trial %d: %s is paid %d over all pools, above its 所要見込額 %d", trial, code, p, c)
		}
	}
}
