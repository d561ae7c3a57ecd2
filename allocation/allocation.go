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

// Grant is one grant's budget in the parameters.
type Grant struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Short     string `json:"short"`
	BudgetYen int64  `json:"budget_yen"`
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
}

// Pools of one grant.
type Pools struct {
	Grant         Grant
	PrefectureYen int64
	MunicipalYen  int64
}

// Pools splits each grant's budget into the prefectural pool (budget × share, floored to the
// rounding unit) and the municipal pool (the rest).
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
		out = append(out, Pools{Grant: g, PrefectureYen: py, MunicipalYen: g.BudgetYen - py})
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
	if p.RoundingUnitYen <= 0 {
		errs = append(errs, "rounding_unit_yen must be positive")
	}
	if p.Weight != "population_65plus" {
		errs = append(errs, fmt.Sprintf("weight %q: only population_65plus is supported", p.Weight))
	}
	if len(p.Grants) == 0 {
		errs = append(errs, "no grants")
	}
	for _, g := range p.Grants {
		if g.BudgetYen <= 0 || g.BudgetYen%p.RoundingUnitYen != 0 {
			errs = append(errs, fmt.Sprintf("grant %s: budget_yen %d must be a positive multiple of the rounding unit", g.ID, g.BudgetYen))
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
