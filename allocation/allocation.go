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
	// TopPercent % (competition rank r of n with r/n ≤ TopPercent/100).
	TopPercent float64 `json:"top_percent"`
	// SustainedYears > 0 also requires the municipality's 総合計 to have ranked within the top
	// TopPercent % in each of that many previous fiscal years' latest score runs.
	SustainedYears int `json:"sustained_years,omitempty"`
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
	// NeedsCap applies 確定額 = min(案, 所要見込額) where a municipality's 所要見込額 is known.
	NeedsCap bool `json:"needs_cap"`
	// Surplus is what happens to what caps leave: "return" (reported, not allocated) or
	// "redistribute" (iteratively to the uncapped).
	Surplus    string      `json:"surplus"`
	ExtraPools []ExtraPool `json:"extra_pools,omitempty"`
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
		entries, _ := paramFiles.ReadDir("params")
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
	}
	if _, err := p.Pools(); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return p, fmt.Errorf("%s: %s", name, strings.Join(errs, "; "))
	}
	return p, nil
}
