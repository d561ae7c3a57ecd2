// Package allocation splits a grant's pool among entities in proportion to score × weight, in exact
// integer arithmetic: each entity gets the floor of its exact share in rounding units, and the units
// left over go one each to the largest remainders (ties broken by code). The amounts sum to the pool
// exactly. The package is pure: it reads no clock, database or file beyond its embedded parameters.
package allocation

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Share is one entity's claim on a pool.
type Share struct {
	Code string
	// ScoreCenti is the score in hundredths of a point (exact DECIMAL(9,2) scores).
	ScoreCenti int64
	// Weight is the entity's weight, e.g. 第1号被保険者数.
	Weight int64
}

// Amount is one entity's allocated amount.
type Amount struct {
	Code  string
	Yen   int64
	Floor int64 // yen from the floor of the exact share
	Extra int64 // rounding units added by largest remainder (0 or 1)
	// Exact share of the pool in yen as a fraction: Numerator / Denominator.
	Numerator   *big.Int
	Denominator *big.Int
}

// Split divides pool yen (a whole number of units of unit yen) among shares in proportion to
// ScoreCenti × Weight. The result is ordered like shares. It fails when a score or weight is
// negative, when codes repeat, or when no share has a positive product.
func Split(pool, unit int64, shares []Share) ([]Amount, error) {
	if pool < 0 {
		return nil, fmt.Errorf("pool %d is negative", pool)
	}
	if unit <= 0 {
		return nil, fmt.Errorf("rounding unit %d must be positive", unit)
	}
	if pool%unit != 0 {
		return nil, fmt.Errorf("pool %d is not a whole number of %d-yen units", pool, unit)
	}
	seen := map[string]bool{}
	total := new(big.Int)
	w := make([]*big.Int, len(shares))
	for i, s := range shares {
		if s.ScoreCenti < 0 || s.Weight < 0 {
			return nil, fmt.Errorf("%s: negative score %d or weight %d", s.Code, s.ScoreCenti, s.Weight)
		}
		if seen[s.Code] {
			return nil, fmt.Errorf("%s appears twice", s.Code)
		}
		seen[s.Code] = true
		w[i] = new(big.Int).Mul(big.NewInt(s.ScoreCenti), big.NewInt(s.Weight))
		total.Add(total, w[i])
	}
	if total.Sign() == 0 {
		return nil, errors.New("no entity has a positive score × weight: nothing to share the pool by")
	}
	units := big.NewInt(pool / unit)
	out := make([]Amount, len(shares))
	rem := make([]*big.Int, len(shares))
	left := pool / unit
	for i, s := range shares {
		num := new(big.Int).Mul(units, w[i])
		q, r := new(big.Int).QuoRem(num, total, new(big.Int))
		rem[i] = r
		out[i] = Amount{Code: s.Code, Floor: q.Int64() * unit,
			Numerator: new(big.Int).Mul(num, big.NewInt(unit)), Denominator: new(big.Int).Set(total)}
		left -= q.Int64()
	}
	order := make([]int, len(shares))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		if c := rem[order[a]].Cmp(rem[order[b]]); c != 0 {
			return c > 0
		}
		return shares[order[a]].Code < shares[order[b]].Code
	})
	for k := 0; k < int(left); k++ {
		out[order[k]].Extra = 1
	}
	for i := range out {
		out[i].Yen = out[i].Floor + out[i].Extra*unit
	}
	return out, nil
}

// Capped is the result of a split with caps (所要見込額).
type Capped struct {
	Amounts []Amount // Yen is the final amount (確定); Proposal the uncapped one (案)
	// Proposal is each entity's amount before caps, as Split gives it (交付見込額（案）).
	Proposal []int64
	// Surplus is what the caps left unallocated (returned), in yen.
	Surplus int64
	// Rounds is the number of redistribution rounds (0 without redistribution).
	Rounds int
}

// SplitCapped splits pool like Split, then applies caps (code → yen; absent: no cap). With
// redistribute false, an amount above its cap is cut to it and the excess is returned (Surplus).
// With redistribute true, capped entities are fixed at their cap and the rest of the pool is split
// again among the others, round after round, until no amount exceeds its cap (as the NHI scheme
// does): Σ = pool unless every entity is capped. Caps are taken in whole rounding units (floored).
func SplitCapped(pool, unit int64, shares []Share, caps map[string]int64, redistribute bool) (Capped, error) {
	first, err := Split(pool, unit, shares)
	if err != nil {
		return Capped{}, err
	}
	out := Capped{Amounts: first, Proposal: make([]int64, len(first))}
	for i, a := range first {
		out.Proposal[i] = a.Yen
	}
	capOf := func(code string) (int64, bool) {
		c, ok := caps[code]
		if !ok {
			return 0, false
		}
		if c < 0 {
			c = 0
		}
		return c / unit * unit, true
	}
	if !redistribute {
		for i := range out.Amounts {
			if c, ok := capOf(out.Amounts[i].Code); ok && out.Amounts[i].Yen > c {
				out.Surplus += out.Amounts[i].Yen - c
				out.Amounts[i].Yen = c
			}
		}
		return out, nil
	}
	fixed := map[int]int64{}
	remaining := pool
	for {
		var active []Share
		var idx []int
		for i, s := range shares {
			if _, ok := fixed[i]; !ok {
				active, idx = append(active, s), append(idx, i)
			}
		}
		total := new(big.Int)
		for _, s := range active {
			total.Add(total, new(big.Int).Mul(big.NewInt(s.ScoreCenti), big.NewInt(s.Weight)))
		}
		if len(active) == 0 || total.Sign() == 0 {
			out.Surplus = remaining
			break
		}
		// Exact share of the remaining pool above the cap: remaining·w > cap·Σw.
		newly := false
		for k, s := range active {
			c, ok := capOf(s.Code)
			if !ok {
				continue
			}
			w := new(big.Int).Mul(big.NewInt(s.ScoreCenti), big.NewInt(s.Weight))
			lhs := new(big.Int).Mul(big.NewInt(remaining), w)
			rhs := new(big.Int).Mul(big.NewInt(c), total)
			if lhs.Cmp(rhs) > 0 {
				fixed[idx[k]] = c
				remaining -= c
				newly = true
			}
		}
		if !newly {
			amounts, err := Split(remaining, unit, active)
			if err != nil {
				return Capped{}, err
			}
			for k, a := range amounts {
				out.Amounts[idx[k]] = a
			}
			break
		}
		out.Rounds++
	}
	for i, c := range fixed {
		out.Amounts[i] = Amount{Code: shares[i].Code, Yen: c, Floor: c, Numerator: big.NewInt(c), Denominator: big.NewInt(1)}
	}
	return out, nil
}

// GrantPool is one pool of a grant for SplitGrant: the municipal pool or an extra pool taken from
// the grant, with the entities that share it.
type GrantPool struct {
	ID     string
	Yen    int64
	Shares []Share
	// Redistribute: what a cap cuts from an amount of this pool goes to the pool's uncapped entities
	// (iteratively, as in SplitCapped); otherwise it is returned (the pool's Surplus).
	Redistribute bool
}

// PoolSplit is how SplitGrant shared one pool.
type PoolSplit struct {
	ID string
	Capped
	// Caps is the cap each capped entity had in this pool: its 所要見込額 (floored to the rounding
	// unit) less what the pools paid before this one gave it. An entity without 所要見込額 is absent.
	Caps map[string]int64
	// Empty: no share had a positive score × weight. Amounts is nil and the whole pool is Surplus.
	Empty bool
}

// SplitGrant shares the pools of one grant, in the order given (the order they are paid), so that
// no entity's amounts over all of them exceed its 所要見込額 (needs: code → yen; absent: no cap).
// Each pool is split like SplitCapped with, as each entity's cap, its 所要見込額 less what the
// earlier pools paid it: the pools paid first are paid in full up to the 所要見込額 and the later
// ones give way. What a cap cuts is returned or redistributed within the pool it is cut from, so
// for every pool Σ amounts + Surplus = pool, exactly.
func SplitGrant(unit int64, pools []GrantPool, needs map[string]int64) ([]PoolSplit, error) {
	if unit <= 0 {
		return nil, fmt.Errorf("rounding unit %d must be positive", unit)
	}
	paid := map[string]int64{}
	out := make([]PoolSplit, len(pools))
	for k, p := range pools {
		ps := PoolSplit{ID: p.ID}
		for _, s := range p.Shares {
			c, ok := needs[s.Code]
			if !ok {
				continue
			}
			if ps.Caps == nil {
				ps.Caps = map[string]int64{}
			}
			c = max(c, 0) / unit * unit
			ps.Caps[s.Code] = max(c-paid[s.Code], 0)
		}
		positive := false
		for _, s := range p.Shares {
			if s.ScoreCenti < 0 || s.Weight < 0 {
				return nil, fmt.Errorf("pool %s: %s: negative score %d or weight %d", p.ID, s.Code, s.ScoreCenti, s.Weight)
			}
			positive = positive || s.ScoreCenti > 0 && s.Weight > 0
		}
		if !positive {
			if p.Yen < 0 || p.Yen%unit != 0 {
				return nil, fmt.Errorf("pool %s: %d yen is not a whole number of %d-yen units", p.ID, p.Yen, unit)
			}
			ps.Empty, ps.Surplus = true, p.Yen
			out[k] = ps
			continue
		}
		got, err := SplitCapped(p.Yen, unit, p.Shares, ps.Caps, p.Redistribute)
		if err != nil {
			return nil, fmt.Errorf("pool %s: %w", p.ID, err)
		}
		ps.Capped = got
		for _, a := range got.Amounts {
			paid[a.Code] += a.Yen
		}
		out[k] = ps
	}
	return out, nil
}

// Tie rules at the boundary of a top-percent pool (ExtraPool.Ties).
const (
	// TiesInclude admits every entity whose competition rank r (1 + the number of higher scores)
	// is within the top percent, r·100 ≤ percent·n: all those tied at the boundary are in, and
	// more than percent % of n may be admitted.
	TiesInclude = "include"
	// TiesExclude admits an entity only when its whole tie group is within the top percent,
	// (r + t − 1)·100 ≤ percent·n with t the number of entities of its score: a tie group across
	// the boundary is out, and at most percent % of n are admitted.
	TiesExclude = "exclude"
)

// Admit says, for each score (hundredths of a point), whether it is within the top percent of the
// n = len(scores) scores under a tie rule (TiesInclude, TiesExclude; empty: TiesInclude). Equal
// scores are always treated alike; a score of 0 or less is never admitted. percent is compared
// as the decimal it is written as (33.3 is 333/10, not its binary approximation).
func Admit(scores []int64, percent float64, ties string) ([]bool, error) {
	pct, ok := new(big.Rat).SetString(strconv.FormatFloat(percent, 'f', -1, 64))
	if !ok || pct.Sign() <= 0 || pct.Cmp(big.NewRat(100, 1)) > 0 {
		return nil, fmt.Errorf("top percent %v must be in (0, 100]", percent)
	}
	if ties == "" {
		ties = TiesInclude
	}
	if ties != TiesInclude && ties != TiesExclude {
		return nil, fmt.Errorf("ties %q must be %s or %s", ties, TiesInclude, TiesExclude)
	}
	// limit = percent·n / 100: a position p (1-based) is within the top percent when p ≤ limit.
	limit := new(big.Rat).Mul(pct, big.NewRat(int64(len(scores)), 100))
	higher := map[int64]int64{} // score → entities scoring more (r − 1)
	same := map[int64]int64{}   // score → entities of that score (t)
	distinct := make([]int64, 0, len(scores))
	for _, s := range scores {
		if same[s] == 0 {
			distinct = append(distinct, s)
		}
		same[s]++
	}
	sort.Slice(distinct, func(i, j int) bool { return distinct[i] > distinct[j] })
	var above int64
	for _, s := range distinct {
		higher[s] = above
		above += same[s]
	}
	out := make([]bool, len(scores))
	for i, s := range scores {
		last := higher[s] + 1 // the competition rank r
		if ties == TiesExclude {
			last = higher[s] + same[s] // the tie group's last position
		}
		out[i] = s > 0 && new(big.Rat).SetInt64(last).Cmp(limit) <= 0
	}
	return out, nil
}

// Grant is one grant's budget in the parameters.
type Grant struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Short     string `json:"short"`
	BudgetYen int64  `json:"budget_yen"`
}

// ExtraPool is a pool carved out of a grant's budget for some municipalities only: the outcome
// pool for the top of 目標Ⅳ, a pool for sustained high scorers, the FY2026 成果指向型配分枠.
type ExtraPool struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	FromGrant string `json:"from_grant"`
	BudgetYen int64  `json:"budget_yen"`
	// Goal is the goal whose points (in FromGrant) are the pool's score, e.g. "O" for 目標Ⅳ; empty:
	// the grant's total.
	Goal string `json:"goal,omitempty"`
	// TopPercent: eligible are the municipalities whose pool score ranks within the top
	// TopPercent % by competition rank among the n ranked, under the tie rule Ties (Admit).
	TopPercent float64 `json:"top_percent"`
	// Ties is the rule at the boundary of TopPercent: TiesInclude (everyone tied at the boundary is
	// in, as rank bands are scored) or TiesExclude (a tie group across the boundary is out); empty:
	// TiesInclude.
	Ties string `json:"ties,omitempty"`
	// SustainedYears > 0 also requires the municipality's 総合計 to have ranked within the top
	// TopPercent % (under the same tie rule) in each of that many previous fiscal years' latest
	// score runs.
	SustainedYears int `json:"sustained_years,omitempty"`
}

// TieRule is the pool's tie rule, TiesInclude when none is given.
func (e ExtraPool) TieRule() string {
	if e.Ties == "" {
		return TiesInclude
	}
	return e.Ties
}

// TieRuleJA names the pool's admission rule for officials, e.g. 「上位30%（同点は含める）」.
func (e ExtraPool) TieRuleJA() string {
	pct := strconv.FormatFloat(e.TopPercent, 'f', -1, 64)
	if e.TieRule() == TiesExclude {
		return "上位" + pct + "%（境界の同点は含めない）"
	}
	return "上位" + pct + "%（同点は含める）"
}

// Params are one fiscal year's allocation parameters.
type Params struct {
	FiscalYear      int     `json:"fiscal_year"`
	Note            string  `json:"note"`    // what is assumed, in English
	NoteJA          string  `json:"note_ja"` // the same for officials, in Japanese
	RoundingUnitYen int64   `json:"rounding_unit_yen"`
	PrefectureShare string  `json:"prefecture_share"` // exact decimal, e.g. "0.05"
	Weight          string  `json:"weight"`
	Grants          []Grant `json:"grants"`
	// NeedsCap makes a municipality's 所要見込額 for a grant, where known, the ceiling of the sum of
	// its amounts from all of the grant's pools (SplitGrant): in each pool 確定額 = min(案, what the
	// pools paid before it left of the 所要見込額).
	NeedsCap bool `json:"needs_cap"`
	// NeedsCapGivesWay says which pools of a grant give way when a municipality's amounts from the
	// grant's pools together exceed its 所要見込額 (the cap is on their sum): GivesWayMunicipal (the
	// extra pools are paid first, in the order listed, and the municipal pool is reduced) or
	// GivesWayExtra (the municipal pool is paid first and the extra pools are reduced, the last
	// listed first); empty: GivesWayMunicipal.
	NeedsCapGivesWay string `json:"needs_cap_gives_way,omitempty"`
	// Surplus is what happens, within each pool, to what caps cut: "return" (reported, not
	// allocated) or "redistribute" (iteratively to the pool's uncapped entities).
	Surplus string `json:"surplus"`
	// NonSubmitters says what becomes of an entity that submitted no survey (score_totals.submitted
	// false): NonSubmittersScore (it shares every pool by the score it has — 0 on self-reported
	// items, ministry-supplied and computed items still scored) or NonSubmittersExclude (it shares
	// no pool and takes no place in a top-percent ranking); empty: NonSubmittersScore.
	NonSubmitters string      `json:"non_submitters,omitempty"`
	ExtraPools    []ExtraPool `json:"extra_pools,omitempty"`
}

// Values of Params.NeedsCapGivesWay and Params.NonSubmitters.
const (
	GivesWayMunicipal    = "municipal"
	GivesWayExtra        = "extra"
	NonSubmittersScore   = "score"
	NonSubmittersExclude = "exclude"
)

// CapGivesWay is NeedsCapGivesWay, GivesWayMunicipal when none is given.
func (p Params) CapGivesWay() string {
	if p.NeedsCapGivesWay == "" {
		return GivesWayMunicipal
	}
	return p.NeedsCapGivesWay
}

// NonSubmitterRule is NonSubmitters, NonSubmittersScore when none is given.
func (p Params) NonSubmitterRule() string {
	if p.NonSubmitters == "" {
		return NonSubmittersScore
	}
	return p.NonSubmitters
}

// PayOrder lists the pools of grant g in the order SplitGrant pays them under the needs cap: the
// grant's municipal pool (its id is the grant's id) and the ids of the extra pools taken from it.
func (p Params) PayOrder(g string) []string {
	var extra []string
	for _, e := range p.ExtraPools {
		if e.FromGrant == g {
			extra = append(extra, e.ID)
		}
	}
	if p.CapGivesWay() == GivesWayExtra {
		return append([]string{g}, extra...)
	}
	return append(extra, g)
}

// Pools of one grant.
type Pools struct {
	Grant         Grant
	PrefectureYen int64
	ExtraYen      int64 // Σ of the extra pools taken from this grant
	MunicipalYen  int64
}

// Pools splits each grant's budget into the prefectural pool (budget × share, floored to the
// rounding unit), the extra pools taken from it, and the municipal pool (the rest).
func (p Params) Pools() ([]Pools, error) {
	share, ok := new(big.Rat).SetString(p.PrefectureShare)
	if !ok || share.Sign() < 0 || share.Cmp(big.NewRat(1, 1)) > 0 {
		return nil, fmt.Errorf("prefecture_share %q is not a decimal between 0 and 1", p.PrefectureShare)
	}
	if p.RoundingUnitYen <= 0 {
		return nil, fmt.Errorf("rounding_unit_yen %d must be positive", p.RoundingUnitYen)
	}
	var out []Pools
	for _, g := range p.Grants {
		pref := new(big.Rat).Mul(new(big.Rat).SetInt64(g.BudgetYen), share)
		units := new(big.Int).Quo(pref.Num(), new(big.Int).Mul(pref.Denom(), big.NewInt(p.RoundingUnitYen)))
		py := units.Int64() * p.RoundingUnitYen
		var extra int64
		for _, e := range p.ExtraPools {
			if e.FromGrant == g.ID {
				extra += e.BudgetYen
			}
		}
		if extra > g.BudgetYen-py {
			return nil, fmt.Errorf("grant %s: extra pools of %d yen exceed what the prefectural share leaves (%d)", g.ID, extra, g.BudgetYen-py)
		}
		out = append(out, Pools{Grant: g, PrefectureYen: py, ExtraYen: extra, MunicipalYen: g.BudgetYen - py - extra})
	}
	return out, nil
}

//go:embed params/*.json
var paramFiles embed.FS

// Load returns the shipped parameters of a fiscal year, checked.
func Load(fy int) (Params, error) {
	name := fmt.Sprintf("params/%d.json", fy)
	data, err := paramFiles.ReadFile(name)
	if err != nil {
		entries, derr := paramFiles.ReadDir("params")
		if derr != nil {
			return Params{}, errors.Join(err, derr)
		}
		var have []string
		for _, e := range entries {
			have = append(have, strings.TrimSuffix(e.Name(), ".json"))
		}
		return Params{}, fmt.Errorf("no allocation parameters for fiscal year %d (have: %s)", fy, strings.Join(have, ", "))
	}
	return Parse(name, data)
}

// Parse decodes and checks allocation parameters.
func Parse(name string, data []byte) (Params, error) {
	var p Params
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("%s: %w", name, err)
	}
	if err := p.Check(); err != nil {
		return p, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// Check checks the parameters, naming every problem.
func (p Params) Check() error {
	var errs []string
	if p.RoundingUnitYen != 1 && p.RoundingUnitYen != 1000 {
		errs = append(errs, "rounding_unit_yen must be 1 or 1000")
	}
	if p.Weight != "population_65plus" {
		errs = append(errs, fmt.Sprintf("weight %q: only population_65plus is supported", p.Weight))
	}
	if len(p.Grants) == 0 {
		errs = append(errs, "no grants")
	}
	grants := map[string]bool{}
	for _, g := range p.Grants {
		grants[g.ID] = true
		if p.RoundingUnitYen > 0 && (g.BudgetYen <= 0 || g.BudgetYen%p.RoundingUnitYen != 0) {
			errs = append(errs, fmt.Sprintf("grant %s: budget_yen %d must be a positive multiple of the rounding unit", g.ID, g.BudgetYen))
		}
	}
	if p.Surplus != "return" && p.Surplus != "redistribute" {
		errs = append(errs, fmt.Sprintf("surplus %q must be return or redistribute", p.Surplus))
	}
	if g := p.CapGivesWay(); g != GivesWayMunicipal && g != GivesWayExtra {
		errs = append(errs, fmt.Sprintf("needs_cap_gives_way %q must be %s or %s", g, GivesWayMunicipal, GivesWayExtra))
	}
	if n := p.NonSubmitterRule(); n != NonSubmittersScore && n != NonSubmittersExclude {
		errs = append(errs, fmt.Sprintf("non_submitters %q must be %s or %s", n, NonSubmittersScore, NonSubmittersExclude))
	}
	seen := map[string]bool{}
	for i, e := range p.ExtraPools {
		where := fmt.Sprintf("extra_pools[%d] %q", i, e.ID)
		if e.ID == "" || seen[e.ID] || grants[e.ID] {
			errs = append(errs, where+": id is empty or repeated")
		}
		seen[e.ID] = true
		if !grants[e.FromGrant] {
			errs = append(errs, where+": from_grant "+e.FromGrant+" is not a grant")
		}
		if p.RoundingUnitYen > 0 && (e.BudgetYen <= 0 || e.BudgetYen%p.RoundingUnitYen != 0) {
			errs = append(errs, where+": budget_yen must be a positive multiple of the rounding unit")
		}
		if e.TopPercent <= 0 || e.TopPercent > 100 {
			errs = append(errs, where+": top_percent must be in (0, 100]")
		}
		if t := e.TieRule(); t != TiesInclude && t != TiesExclude {
			errs = append(errs, fmt.Sprintf("%s: ties %q must be %s or %s", where, t, TiesInclude, TiesExclude))
		}
	}
	if _, err := p.Pools(); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}
