package pipeline

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/kofukin/kofukin/store"
)

// The bootstrap of the impact assessment: the one part of it that is not SQL. The estimates are
// store.Impact's (queries/impact_estimate.sql); here the same four estimators are computed again on
// resamples of the municipalities (clusters: a municipality's years are drawn together, so the
// correlation between its yearly changes is kept), from the municipality-years of
// queries/impact_cells.sql. All sums are of integer millionths, so a resample's estimate does not
// depend on the order the cells are added in; the random numbers are PCG's from the seed: the
// same cells, resamples and seed give the same intervals, to the bit.

// didStat names the four estimators.
type didStat int

const (
	statRaw     didStat = iota // DiD over all municipalities, years weighted by treated counts
	statBand                   // DiD within size bands, (year, band) cells weighted by treated counts
	statPreRaw                 // the pre-period trend check, raw
	statPreBand                // the pre-period trend check, within size bands
	nStats
)

// didObs is one municipality-year of a cluster, with its cell (year index × band index).
type didObs struct {
	cell    int // year index × bands + band index
	treated bool
	dy      int64
	pre     int64
	hasPre  bool
}

// didPanel is the cells grouped by municipality, ready to be resampled.
type didPanel struct {
	clusters [][]didObs
	years    int // distinct years
	bands    int // distinct bands
	// counts[k] says which contrasts of estimator k count: a year (raw) or a year × band (band),
	// decided once on the panel itself (at least one treated and minControls controls), so that every
	// resample estimates the same thing.
	counts [nStats][]bool
}

// newDidPanel groups cells (sorted by code, as ImpactCells returns them) by municipality; a
// contrast counts with at least minControls controls (store.ImpactSpec.MinControls).
func newDidPanel(cells []store.ImpactCell, minControls int) *didPanel {
	yearIx, bandIx := map[int]int{}, map[string]int{}
	var ys []int
	var bs []string
	for _, c := range cells {
		if _, ok := yearIx[c.FY]; !ok {
			yearIx[c.FY] = 0
			ys = append(ys, c.FY)
		}
		if _, ok := bandIx[c.Band]; !ok {
			bandIx[c.Band] = 0
			bs = append(bs, c.Band)
		}
	}
	slices.Sort(ys)
	slices.Sort(bs)
	for i, y := range ys {
		yearIx[y] = i
	}
	for i, b := range bs {
		bandIx[b] = i
	}
	p := &didPanel{years: len(ys), bands: len(bs)}
	last := ""
	for _, c := range cells {
		if len(p.clusters) == 0 || c.Code != last {
			p.clusters = append(p.clusters, nil)
			last = c.Code
		}
		o := didObs{cell: yearIx[c.FY]*len(bs) + bandIx[c.Band], treated: c.Treated, dy: c.DY}
		if c.Pre != nil {
			o.pre, o.hasPre = *c.Pre, true
		}
		k := len(p.clusters) - 1
		p.clusters[k] = append(p.clusters[k], o)
	}
	a := newDidAcc(p.years * p.bands)
	for _, c := range p.clusters {
		a.add(c, 1)
	}
	minc := int64(max(minControls, 1))
	counts := func(n []int64, groups int, members func(int) (int, int)) []bool {
		out := make([]bool, groups)
		for g := range groups {
			lo, hi := members(g)
			var nt, nc int64
			for c := lo; c < hi; c++ {
				nc += n[2*c]
				nt += n[2*c+1]
			}
			out[g] = nt > 0 && nc >= minc
		}
		return out
	}
	p.counts[statRaw] = counts(a.n, p.years, p.byYear)
	p.counts[statBand] = counts(a.n, p.years*p.bands, p.byCell)
	p.counts[statPreRaw] = counts(a.pn, p.years, p.byYear)
	p.counts[statPreBand] = counts(a.pn, p.years*p.bands, p.byCell)
	return p
}

// byYear and byCell are the cells of a raw contrast (a year: all its bands) and of a band one.
func (p *didPanel) byYear(g int) (int, int) { return g * p.bands, (g + 1) * p.bands }
func (p *didPanel) byCell(g int) (int, int) { return g, g + 1 }

// didAcc holds, per cell and group (treated 1, control 0), the weighted counts and sums.
type didAcc struct {
	n, s, pn, ps []int64 // index: cell×2 + group
}

func newDidAcc(cells int) *didAcc {
	return &didAcc{n: make([]int64, 2*cells), s: make([]int64, 2*cells), pn: make([]int64, 2*cells), ps: make([]int64, 2*cells)}
}

func (a *didAcc) reset() {
	clear(a.n)
	clear(a.s)
	clear(a.pn)
	clear(a.ps)
}

// add counts cluster c w times.
func (a *didAcc) add(c []didObs, w int64) {
	for _, o := range c {
		k := 2 * o.cell
		if o.treated {
			k++
		}
		a.n[k] += w
		a.s[k] += w * o.dy
		if o.hasPre {
			a.pn[k] += w
			a.ps[k] += w * o.pre
		}
	}
}

// contrast is Σ w·(mean treated − mean control) / Σ w over the groups of cells given by members (a
// year: all its bands; or each cell alone) that count, w the treated count, over those with both in
// the (resampled) counts; ok false when none has both.
func contrast(n, s []int64, counts []bool, members func(g int) (lo, hi int)) (float64, bool) {
	var num float64
	var den int64
	for g, ok := range counts {
		if !ok {
			continue
		}
		lo, hi := members(g)
		var nt, nc, st, sc int64
		for c := lo; c < hi; c++ {
			nc += n[2*c]
			sc += s[2*c]
			nt += n[2*c+1]
			st += s[2*c+1]
		}
		if nt == 0 || nc == 0 {
			continue
		}
		num += float64(nt) * (float64(st)/float64(nt) - float64(sc)/float64(nc))
		den += nt
	}
	if den == 0 {
		return 0, false
	}
	return num / float64(den) / 1e6, true
}

// stats returns the four estimates of the accumulated cells and whether each is defined.
func (p *didPanel) stats(a *didAcc) (v [nStats]float64, ok [nStats]bool) {
	v[statRaw], ok[statRaw] = contrast(a.n, a.s, p.counts[statRaw], p.byYear)
	v[statBand], ok[statBand] = contrast(a.n, a.s, p.counts[statBand], p.byCell)
	v[statPreRaw], ok[statPreRaw] = contrast(a.pn, a.ps, p.counts[statPreRaw], p.byYear)
	v[statPreBand], ok[statPreBand] = contrast(a.pn, a.ps, p.counts[statPreBand], p.byCell)
	return v, ok
}

// point returns the four estimates on the panel itself (every municipality once).
func (p *didPanel) point() ([nStats]float64, [nStats]bool) {
	a := newDidAcc(p.years * p.bands)
	for _, c := range p.clusters {
		a.add(c, 1)
	}
	return p.stats(a)
}

// bootSeedStream is the PCG stream the bootstrap draws from (any constant; fixed so that a seed
// means the same resamples in every release).
const bootSeedStream = 0x6b6f66756b696e

// bootstrap resamples the municipalities (with replacement, as many as there are) resamples times
// and returns, per estimator, the estimates of the resamples where it is defined.
func (p *didPanel) bootstrap(resamples int, seed uint64) [nStats][]float64 {
	var out [nStats][]float64
	n := len(p.clusters)
	if n == 0 {
		return out
	}
	rng := rand.New(rand.NewPCG(seed, bootSeedStream))
	w := make([]int64, n)
	a := newDidAcc(p.years * p.bands)
	for range resamples {
		clear(w)
		for range n {
			w[rng.IntN(n)]++
		}
		a.reset()
		for i, c := range p.clusters {
			if w[i] != 0 {
				a.add(c, w[i])
			}
		}
		v, ok := p.stats(a)
		for k := range nStats {
			if ok[k] {
				out[k] = append(out[k], v[k])
			}
		}
	}
	return out
}

// percentile is the q-quantile (0 ≤ q ≤ 1) of xs by linear interpolation between the order
// statistics at q·(n−1) (R's type 7); xs is sorted in place. NaN when xs is empty.
func percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	h := q * float64(len(xs)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (h-lo)*(xs[i+1]-xs[i])
}
