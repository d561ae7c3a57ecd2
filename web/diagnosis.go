package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/pipeline"
)

// A municipality's 地域診断 page and its charts: server-rendered SVG, no script.

// diagnosisPage shows a municipality's 地域診断.
func (s *Server) diagnosisPage(w http.ResponseWriter, r *http.Request, q request) {
	fy := s.FiscalYear
	if a := r.URL.Query().Get("fy"); a != "" { // an earlier year's diagnosis: ?fy=2025
		n, err := strconv.Atoi(a)
		if err != nil || n < 2000 || n > s.FiscalYear {
			s.fail(w, r, &Error{Status: http.StatusBadRequest, MessageJA: fmt.Sprintf("fy には%d年度までの年度（例: %d）を指定してください。", s.FiscalYear, s.FiscalYear-1), MessageEN: "fy must be a fiscal year up to the service's"})
			return
		}
		fy = n
	}
	v, err := s.Runner.Diagnosis(r.Context(), q.p, fy, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The years to switch to: those with a score run, and the service's own.
	links := append([]int(nil), v.Years...)
	if !slices.Contains(links, s.FiscalYear) {
		links = append(links, s.FiscalYear)
	}
	slices.Sort(links)
	data := map[string]any{"P": q.p, "CSRF": q.csrf, "V": v, "FY": fy, "YearLinks": links}
	if v.Missing == "" {
		data["Radar"] = radarSVG(v.Goals)
		var outs []template.HTML
		for _, o := range v.Parts.Outcomes {
			outs = append(outs, boxSVG(spread{o.N, o.Q1, o.Median, o.Q3, o.Min, o.Max}, o.Value, []mark{{"全国中央値", o.National}}, num))
		}
		data["OutcomeCharts"] = outs
		if y := v.Parts.Yen; y != nil {
			data["YenChart"] = boxSVG(spread{y.N, y.Q1, y.Median, y.Q3, y.Min, y.Max}, y.PerPerson, []mark{{"都道府県", y.Prefecture}, {"全国", y.National}}, yenWhole)
			data["YenText"] = map[string]string{"Own": yenCents(y.PerPerson), "Median": yenCents(y.Median), "Q1": yenCents(y.Q1), "Q3": yenCents(y.Q3),
				"Pref": yenCents(y.Prefecture), "Nat": yenCents(y.National)}
		}
		if len(v.Years) > 1 {
			var charts []template.HTML
			for _, t := range v.Trends {
				charts = append(charts, trendSVG(t, v.Years))
			}
			data["TrendCharts"] = charts
		}
	}
	s.render(w, "diagnosis.html", data)
}

// The colours of the series: the municipality, and its comparisons.
const (
	colOwn  = "#1f3b5c"
	colNat  = "#7f7f7f"
	colPref = "#c55a11"
	colBand = "#2e7d32"
)

func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// yenCents writes yen to the sen with thousands separators: 163,347.16.
func yenCents(f float64) string {
	c := int64(math.Round(math.Abs(f) * 100))
	sign := ""
	if f < 0 && c > 0 {
		sign = "−"
	}
	return fmt.Sprintf("%s%s.%02d", sign, exporters.Commas(c/100), c%100)
}

// yenWhole writes yen rounded to the yen with thousands separators.
func yenWhole(f float64) string { return exporters.Commas(int64(math.Round(f))) }

// radarSVG draws the 得点率 by goal of a municipality against the national, prefectural and
// size-band means: one axis a goal, 0 at the centre and 100 % at the rim.
func radarSVG(goals []exporters.FeedbackGoal) template.HTML {
	n := len(goals)
	if n < 3 {
		return ""
	}
	const cx, cy, rad = 260.0, 200.0, 140.0
	// point is where fraction f of the rim lies on axis k; at is it for a value, kept inside the rim
	// (a goal's label goes outside it, at point(k, 1.13)).
	point := func(k int, f float64) (float64, float64) {
		a := -math.Pi/2 + 2*math.Pi*float64(k)/float64(n)
		return cx + rad*f*math.Cos(a), cy + rad*f*math.Sin(a)
	}
	at := func(k int, f float64) (float64, float64) { return point(k, math.Max(0, math.Min(1, f))) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart radar" viewBox="0 0 520 440" width="520" height="440" role="img" aria-label="目標別の得点率のレーダーチャート" xmlns="http://www.w3.org/2000/svg" font-size="12">`)
	// The rings' scale is written after the series, on top of them, with a white halo: drawn first,
	// the lines of the means hid 「50%」.
	var scale strings.Builder
	for _, ring := range []float64{0.25, 0.5, 0.75, 1} {
		var pts []string
		for k := range n {
			x, y := at(k, ring)
			pts = append(pts, num(x)+","+num(y))
		}
		fmt.Fprintf(&b, `<polygon points="%s" fill="none" stroke="#ccc"/>`, strings.Join(pts, " "))
		x, y := at(0, ring)
		fmt.Fprintf(&scale, `<text class="scale" x="%s" y="%s" fill="#666" font-size="10" stroke="#fff" stroke-width="3" paint-order="stroke">%d%%</text>`, num(x+3), num(y+10), int(ring*100))
	}
	for k, g := range goals {
		x, y := at(k, 1)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ccc"/>`, num(cx), num(cy), num(x), num(y))
		lx, ly := point(k, 1.13)
		anchor := "middle"
		switch {
		case lx < cx-10:
			anchor = "end"
		case lx > cx+10:
			anchor = "start"
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="%s" dominant-baseline="middle">%s</text>`, num(lx), num(ly), anchor, html.EscapeString(g.Label))
	}
	series := []struct {
		name, col, dash string
		fill            bool
		val             func(exporters.FeedbackGoal) float64
	}{
		{"全国平均", colNat, "5,3", false, func(g exporters.FeedbackGoal) float64 { return g.National }},
		{"都道府県平均", colPref, "2,2", false, func(g exporters.FeedbackGoal) float64 { return g.Pref }},
		{"同規模平均", colBand, "8,3", false, func(g exporters.FeedbackGoal) float64 { return g.SizeBand }},
		{"自団体", colOwn, "", true, func(g exporters.FeedbackGoal) float64 { return g.Rate }},
	}
	for i, s := range series {
		var pts []string
		for k, g := range goals {
			x, y := at(k, s.val(g))
			pts = append(pts, num(x)+","+num(y))
		}
		fill := "none"
		if s.fill {
			fill = s.col + `" fill-opacity="0.18`
		}
		dash := ""
		if s.dash != "" {
			dash = ` stroke-dasharray="` + s.dash + `"`
		}
		fmt.Fprintf(&b, `<polygon points="%s" fill="%s" stroke="%s" stroke-width="2"%s/>`, strings.Join(pts, " "), fill, s.col, dash)
		lx := 20.0 + float64(i)*125
		fmt.Fprintf(&b, `<line x1="%s" y1="425" x2="%s" y2="425" stroke="%s" stroke-width="3"%s/><text x="%s" y="429">%s</text>`, num(lx), num(lx+24), s.col, dash, num(lx+30), s.name)
	}
	b.WriteString(scale.String())
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// spread is a distribution over the size band, as the box of boxSVG draws it.
type spread struct {
	n                     int64
	q1, med, q3, min, max float64
}

// mark is a reference value drawn as a tick on a box chart (全国, 都道府県).
type mark struct {
	name string
	v    float64
}

// boxSVG draws a distribution over the size band (whiskers from least to greatest, box from the
// first to the third quartile, the median a bar), the municipality's value as a dot and the
// reference values as ticks, on one horizontal axis. It is drawn at the size it is shown (300 px;
// 280 on A4) with 12-unit text: drawn 420 wide with 10-unit text and shrunk, its labels printed
// about 5 pt high, too small to read on paper.
func boxSVG(s spread, own float64, marks []mark, label func(float64) string) template.HTML {
	lo, hi := math.Min(s.min, own), math.Max(s.max, own)
	for _, m := range marks {
		lo, hi = math.Min(lo, m.v), math.Max(hi, m.v)
	}
	if hi <= lo {
		hi = lo + 1
	}
	const x0, w = 8.0, 284.0
	x := func(v float64) float64 { return x0 + w*(v-lo)/(hi-lo) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart box" viewBox="0 0 300 72" width="300" height="72" role="img" aria-label="同規模の分布と自団体の値" xmlns="http://www.w3.org/2000/svg" font-size="12">`)
	fmt.Fprintf(&b, `<line x1="%s" y1="22" x2="%s" y2="22" stroke="#888"/>`, num(x(s.min)), num(x(s.max)))
	fmt.Fprintf(&b, `<rect x="%s" y="12" width="%s" height="20" fill="#e8eef5" stroke="#7f7f7f"/>`, num(x(s.q1)), num(math.Max(1, x(s.q3)-x(s.q1))))
	fmt.Fprintf(&b, `<line x1="%s" y1="10" x2="%s" y2="34" stroke="%s" stroke-width="2"/>`, num(x(s.med)), num(x(s.med)), colBand)
	for i, m := range marks {
		col := colNat
		if m.name == "都道府県" {
			col = colPref
		}
		fmt.Fprintf(&b, `<path d="M%s 4 l-4 -4 h8 z" fill="%s"/><line x1="%s" y1="4" x2="%s" y2="40" stroke="%s" stroke-dasharray="2,2"/>`, num(x(m.v)), col, num(x(m.v)), num(x(m.v)), col)
		fmt.Fprintf(&b, `<text x="%s" y="%d" fill="%s">%s</text>`, num(x0+float64(i)*95+122), 68, col, html.EscapeString(m.name+" "+label(m.v)))
	}
	fmt.Fprintf(&b, `<circle cx="%s" cy="22" r="5" fill="%s" stroke="#fff"/>`, num(x(own)), colOwn)
	fmt.Fprintf(&b, `<text x="%s" y="53" fill="#555">%s</text><text x="%s" y="53" fill="#555" text-anchor="end">%s</text>`, num(x0), label(lo), num(x0+w), label(hi))
	fmt.Fprintf(&b, `<text x="%s" y="68" fill="%s">● 自団体 %s</text>`, num(x0), colOwn, label(own))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// trendSVG draws one indicator's points over the years (a small multiple): the municipality's
// points joined by a line except across a year not comparable with the one before (a dashed
// red rule marks the break), the national mean dashed.
func trendSVG(t pipeline.TrendSeries, years []int) template.HTML {
	const w, h, x0, y0, pw, ph = 220.0, 110.0, 30.0, 14.0, 175.0, 70.0
	first, last := years[0], years[len(years)-1]
	top := 1.0
	for _, y := range t.Years {
		top = math.Max(top, math.Max(y.Max, y.Points))
	}
	x := func(fy int) float64 {
		if last == first {
			return x0 + pw/2
		}
		return x0 + pw*float64(fy-first)/float64(last-first)
	}
	y := func(v float64) float64 { return y0 + ph*(1-math.Max(0, v)/top) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart trend" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s の得点の推移" xmlns="http://www.w3.org/2000/svg" font-size="10">`,
		num(w), num(h), num(w), num(h), html.EscapeString(t.No))
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ccc"/><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ccc"/>`,
		num(x0), num(y0+ph), num(x0+pw), num(y0+ph), num(x0), num(y0), num(x0), num(y0+ph))
	fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" fill="#888">%s</text><text x="%s" y="%s" text-anchor="end" fill="#888">0</text>`,
		num(x0-3), num(y0+4), num(top), num(x0-3), num(y0+ph))
	for _, fy := range years {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#555">%d</text>`, num(x(fy)), num(y0+ph+13), fy)
	}
	var own, mean []string
	endLines := func() {
		if len(own) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(own, " "), colOwn)
		}
		if len(mean) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-dasharray="4,3"/>`, strings.Join(mean, " "), colNat)
		}
		own, mean = nil, nil
	}
	for k, p := range t.Years {
		if p.Break && k > 0 {
			endLines()
			bx := (x(t.Years[k-1].FiscalYear) + x(p.FiscalYear)) / 2
			fmt.Fprintf(&b, `<line class="break" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#c00000" stroke-dasharray="3,2"/><text x="%s" y="%s" fill="#c00000" text-anchor="middle">比較不可</text>`,
				num(bx), num(y0-2), num(bx), num(y0+ph), num(bx), num(y0-4))
		}
		own = append(own, num(x(p.FiscalYear))+","+num(y(p.Points)))
		mean = append(mean, num(x(p.FiscalYear))+","+num(y(p.Mean)))
	}
	endLines()
	for _, p := range t.Years {
		fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"><title>%d年度 %s点 / %s点（全国平均 %s点）</title></circle>`,
			num(x(p.FiscalYear)), num(y(p.Points)), colOwn, p.FiscalYear, num(p.Points), num(p.Max), num(p.Mean))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
