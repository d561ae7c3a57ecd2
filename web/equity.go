package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kofukin/kofukin"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/pipeline"
)

// The equity view (公平性): the ministry's national page and a prefecture's page. The figures
// are the application's (pipeline.EquityView); this file only picks the year and the map's
// measure from the query and formats.

// equityMeasure is a measure the map can be coloured by: its key (?m=), label and how a group
// gives it.
type equityMeasure struct {
	Key, Label string
	value      func(g equityGroup) *float64
	format     func(float64) string
}

// equityGroup is a group's figures as the page reads them (the store's exact text parsed once).
type equityGroup struct {
	Label, Key                    string
	N, Low, Allocated             int
	MeanRate, WeightedRate, SD    *float64
	MeanYen, PooledYen, MeanAging *float64
	Yen, Age65Plus                int64
}

var equityMeasures = []equityMeasure{
	{"rate", "平均得点率", func(g equityGroup) *float64 { return g.MeanRate }, pctText},
	{"wrate", "得点率（65歳以上人口で加重）", func(g equityGroup) *float64 { return g.WeightedRate }, pctText},
	{"ypp", "1人当たり交付額（合計÷合計、円）", func(g equityGroup) *float64 { return g.PooledYen }, yenText},
	{"mypp", "1人当たり交付額（市町村の平均、円）", func(g equityGroup) *float64 { return g.MeanYen }, yenText},
	{"low", "全国平均−2SD未満の市町村数", func(g equityGroup) *float64 { v := float64(g.Low); return &v }, func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }},
	{"aging", "平均高齢化率", func(g equityGroup) *float64 { return g.MeanAging }, pctText},
}

func pctText(v float64) string { return indicators.FormatPercent(v, 1) }
func yenText(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// signed1 and signed2 print a difference with its sign (+0.6, −0.6; 0.0 without one), so that a gap
// that narrowed is not read as one that widened.
func signed1(v float64) string { return signedPlaces(v, 1) }
func signed2(v float64) string { return signedPlaces(v, 2) }

func signedPlaces(v float64, places int) string {
	t := strconv.FormatFloat(v, 'f', places, 64)
	switch {
	case strings.Trim(t, "-0.") == "":
		return strings.TrimPrefix(t, "-")
	case v > 0:
		return "+" + t
	}
	return t
}

// dec parses the store's exact decimal text (nil for "").
func dec(s string) *float64 {
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil
	}
	return &v
}

func (s *Server) equityNational(w http.ResponseWriter, r *http.Request, q request) {
	v, err := s.Runner.EquityNational(r.Context(), q.p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderEquity(w, r, q, v)
}

func (s *Server) equityPrefecture(w http.ResponseWriter, r *http.Request, q request) {
	v, err := s.Runner.EquityPrefecture(r.Context(), q.p, s.FiscalYear, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderEquity(w, r, q, v)
}

// renderEquity shows one year of the view (?fy=, the latest by default) with the map coloured by
// ?m= (平均得点率 by default).
func (s *Server) renderEquity(w http.ResponseWriter, r *http.Request, q request, v *pipeline.EquityView) {
	fy := v.Latest
	if n, err := strconv.Atoi(r.URL.Query().Get("fy")); err == nil {
		for _, y := range v.Years {
			if y == n {
				fy = n
			}
		}
	}
	measure := equityMeasures[0]
	for _, m := range equityMeasures {
		if m.Key == r.URL.Query().Get("m") {
			measure = m
		}
	}
	groups := func(dim string) []equityGroup {
		var out []equityGroup
		for _, g := range v.GroupsOf(fy, dim) {
			sd := g.SDRate
			out = append(out, equityGroup{Label: g.Label, Key: g.Key, N: g.N, Low: g.Low, Allocated: g.Allocated, MeanRate: dec(g.MeanRate), WeightedRate: dec(g.WeightedRate),
				SD: &sd, MeanYen: dec(g.MeanYenPer65), PooledYen: dec(g.PooledYen), MeanAging: dec(g.MeanAging), Yen: g.Yen, Age65Plus: g.Age65Plus})
		}
		return out
	}
	nation, prefs := groups("nation"), groups("prefecture")
	own := v.PrefectureCode
	if len(own) >= 2 {
		own = own[:2]
	}
	var tiles []tile
	for _, g := range prefs {
		tiles = append(tiles, tile{Pref: g.Key, Name: g.Label, Value: measure.value(g), Mark: g.Key == own})
	}
	data := map[string]any{"P": q.p, "CSRF": q.csrf, "V": v, "FY": fy, "Measure": measure, "Measures": equityMeasures,
		"Nation": nation, "Bands": groups("band"), "Quintiles": groups("quintile"), "Prefs": prefs, "Others": groups("others"),
		"Map": tileMapSVG(tiles, fmt.Sprintf("%d年度 都道府県別：%s", fy, measure.Label), measure.format)}
	if !v.National {
		for _, g := range prefs {
			if g.Key == own {
				data["Own"] = []equityGroup{g}
			}
		}
	}
	var xs, ys []float64
	var pts int
	for _, p := range v.CurveOf(fy) {
		xs = append(xs, share(p.CumAge65Plus, p.TotalAge65Plus))
		ys = append(ys, share(p.CumYen, p.TotalYen))
		pts++
	}
	for _, x := range v.Index {
		if x.FiscalYear == fy && pts > 0 {
			data["Curve"] = curveSVG(xs, ys, fmt.Sprintf("%d年度 集中曲線（集中度指数 %s）", fy, x.Index))
		}
	}
	var mine []any
	for _, m := range v.Municipal {
		if m.FiscalYear == fy {
			mine = append(mine, m)
		}
	}
	data["Rows"] = mine
	if t := v.LocalTableOf(fy); t != nil {
		data["Local"] = t
	}
	s.render(w, "equity.html", data)
}

// share is part ÷ whole for a chart (0 when whole is 0).
func share(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

// equityFuncs format the equity page's numbers.
var equityFuncs = template.FuncMap{
	"prefCode": func(n string) string { return n + "000" + string(kofukin.CheckDigit(n+"000")) },
	"fpct": func(p *float64) string {
		if p == nil {
			return "—"
		}
		return pctText(*p)
	},
	"fyen": func(p *float64) string {
		if p == nil {
			return "—"
		}
		return yenText(*p)
	},
	"dpct": func(s string) string {
		if p := dec(s); p != nil {
			return pctText(*p)
		}
		return "—"
	},
	"dpts": func(s string) string { // a difference of 得点率 in percentage points, always signed
		if p := dec(s); p != nil {
			return signed1(*p*100) + "ポイント"
		}
		return "—"
	},
	"dyens": func(s string) string { // a change of yen per 65+, always signed
		if p := dec(s); p != nil {
			return signed2(*p)
		}
		return "—"
	},
	"dyen": func(s string) string {
		if p := dec(s); p != nil {
			return yenText(*p)
		}
		return "—"
	},
	"dval": func(s string) string { // a local indicator's mean (exact text), to 2 places for reading
		if p := dec(s); p != nil {
			return strconv.FormatFloat(*p, 'f', 2, 64)
		}
		return "—"
	},
	"fcorr": func(p *float64) string {
		if p == nil {
			return "—（値のある市町村が2未満、または値が一定）"
		}
		return strconv.FormatFloat(*p, 'f', 3, 64)
	},
	"asof": func(lo, hi *time.Time) string {
		if lo == nil || hi == nil {
			return "—"
		}
		if lo.Equal(*hi) {
			return lo.Format("2006-01-02")
		}
		return lo.Format("2006-01-02") + "～" + hi.Format("2006-01-02")
	},
	"ypen": func(p *int64) string {
		if p == nil {
			return "—"
		}
		return exporters.Commas(*p)
	},
}

// apiEquity: GET /api/v1/equity — the equity view the caller may see as JSON: the ministry's
// national view, or a prefecture's own (its municipalities, aggregates otherwise); anyone else is
// refused.
func (s *Server) apiEquity(w http.ResponseWriter, r *http.Request, p kofukin.Principal) {
	var v *pipeline.EquityView
	var err error
	if p.Role == kofukin.RoleMinistry {
		v, err = s.Runner.EquityNational(r.Context(), p)
	} else {
		v, err = s.Runner.EquityPrefecture(r.Context(), p, s.FiscalYear, p.EntityCode)
	}
	if err != nil {
		s.failJSON(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
