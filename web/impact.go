package web

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/kofukin/kofukin/pipeline"
)

// The impact page (効果検証) of the ministry's console: one assessment (pipeline.Runner.Impact) of
// the action and outcome in the query — by default 通いの場への参加 (S1-8-a) on O-1-a over the
// service's fiscal year and the two before — with two server-rendered SVG charts (the groups'
// outcome over the years; the estimates with their intervals) and no script.

// impactForm is the query of the page, as typed.
type impactForm struct {
	Item, Outcome, Years, Threshold, Resamples, Seed, MinControls string
}

func (s *Server) impactPage(w http.ResponseWriter, r *http.Request, q request) {
	v := r.URL.Query()
	f := impactForm{Item: v.Get("item"), Outcome: v.Get("outcome"), Years: v.Get("years"), Threshold: v.Get("threshold"),
		Resamples: v.Get("resamples"), Seed: v.Get("seed"), MinControls: v.Get("min_controls")}
	if f.Item == "" {
		f.Item = "S1-8-a"
	}
	if f.Outcome == "" {
		f.Outcome = "O-1-a"
	}
	if f.Years == "" {
		f.Years = fmt.Sprintf("%d-%d", s.FiscalYear-2, s.FiscalYear)
	}
	req, msg := f.request()
	data := map[string]any{"P": q.p, "CSRF": q.csrf, "F": f}
	if msg == "" {
		rep, err := s.Runner.Impact(r.Context(), q.p, req)
		var ue *pipeline.UserError
		switch {
		case errors.As(err, &ue):
			msg = ue.MessageJA
		case err != nil:
			s.fail(w, r, err)
			return
		default:
			data["R"] = impactViewOf(rep)
		}
	} else {
		// A form the page cannot read still goes to the application, whose refusal comes first: the
		// page tells nothing to those who may not assess (its own message is the ministry's).
		var ue *pipeline.UserError
		if _, err := s.Runner.Impact(r.Context(), q.p, pipeline.ImpactRequest{}); err != nil && !errors.As(err, &ue) {
			s.fail(w, r, err)
			return
		}
	}
	if msg != "" {
		data["Message"] = msg
		s.renderStatus(w, http.StatusBadRequest, "impact.html", data)
		return
	}
	s.render(w, "impact.html", data)
}

// request parses the form; a message in Japanese when a value is not understood.
func (f impactForm) request() (pipeline.ImpactRequest, string) {
	req := pipeline.ImpactRequest{ActionItem: strings.TrimSpace(f.Item), OutcomeItem: strings.TrimSpace(f.Outcome)}
	a, b, found := strings.Cut(f.Years, "-")
	if !found {
		b = a
	}
	var err1, err2 error
	req.FirstFY, err1 = strconv.Atoi(strings.TrimSpace(a))
	req.LastFY, err2 = strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return req, "年度は 2024-2026 のように指定してください。"
	}
	if t := strings.TrimSpace(f.Threshold); t != "" {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return req, "閾値は数値で指定してください。"
		}
		req.Threshold = &v
	}
	if t := strings.TrimSpace(f.Resamples); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil {
			return req, "反復回数は整数で指定してください。"
		}
		req.Resamples = n
	}
	if t := strings.TrimSpace(f.MinControls); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			return req, "対照の最小数は1以上の整数で指定してください。"
		}
		req.MinControls = n
	}
	req.Seed = 1
	if t := strings.TrimSpace(f.Seed); t != "" {
		n, err := strconv.ParseUint(t, 10, 64)
		if err != nil {
			return req, "シードは0以上の整数で指定してください。"
		}
		req.Seed = n
	}
	return req, ""
}

// impactView is the report as the page prints it.
type impactView struct {
	R          *pipeline.ImpactReport
	Rule, Unit string
	Years      []impactYearView
	Estimates  []impactEstimateView
	Groups     []impactGroupView
	Relations  []impactRelationView
	TrendSVG   template.HTML
	ForestSVG  template.HTML
	Headline   string
	TrendNote  string
}

type impactYearView struct {
	Label                                    string
	Treated, Controls, PreTreated, PreCtrls  int64
	MeanT, MeanC, Raw, Band, PreBand, PreRaw string
}

type impactEstimateView struct{ Label, Estimate, Lo, Hi, Reading string }

type impactGroupView struct {
	Year        int
	Label, Mean string
	N, Adopted  int64
}

type impactRelationView struct {
	Years, ID, No, Name, MeanPoints, Slope, Corr string
	N                                            int64
}

// signedText prints a difference with its sign, two places ("—" for none; no −0.00).
func signedText(v *float64) string {
	if v == nil {
		return "—"
	}
	r := math.Round(*v*100) / 100
	if r == 0 {
		r = 0
	}
	return fmt.Sprintf("%+.2f", r)
}

func impactViewOf(rep *pipeline.ImpactReport) *impactView {
	v := &impactView{R: rep, Rule: rep.AdoptionRule(), Unit: rep.ChangeUnit()}
	years := rep.Years
	if len(years) > 0 {
		years = append(years[:len(years):len(years)], rep.Pooled)
	}
	for i, y := range years {
		label := strconv.Itoa(y.FY)
		if i == len(years)-1 {
			label = "全体（延べ）"
		}
		v.Years = append(v.Years, impactYearView{Label: label, Treated: y.Treated, Controls: y.Controls, PreTreated: y.PreTreated, PreCtrls: y.PreControls,
			MeanT: signedText(y.MeanTreated), MeanC: signedText(y.MeanControls), Raw: signedText(y.Raw), Band: signedText(y.Band),
			PreBand: signedText(y.PreBand), PreRaw: signedText(y.PreRaw)})
	}
	ests := []struct {
		label string
		iv    pipeline.ImpactInterval
		trend bool
	}{{"推定（規模区分調整）", rep.DiDBand, false}, {"推定（調整なし）", rep.DiD, false},
		{"事前期間の傾向チェック（規模区分調整）", rep.TrendBand, true}, {"事前期間の傾向チェック（調整なし）", rep.Trend, true}}
	for _, e := range ests {
		v.Estimates = append(v.Estimates, impactEstimateView{Label: e.label, Estimate: signedText(e.iv.Estimate), Lo: signedText(e.iv.Lo), Hi: signedText(e.iv.Hi),
			Reading: e.iv.Reading(e.trend)})
	}
	if h := rep.Headline(); h.Estimate != nil {
		v.Headline = fmt.Sprintf("%s %s（95%%信頼区間 %s 〜 %s）", signedText(h.Estimate), v.Unit, signedText(h.Lo), signedText(h.Hi))
		v.TrendNote = rep.TrendBand.Reading(true)
	}
	for _, t := range rep.Trends {
		mean := "—"
		if t.Mean != nil {
			mean = fmt.Sprintf("%.2f", *t.Mean)
		}
		v.Groups = append(v.Groups, impactGroupView{Year: t.FY, Label: pipeline.ImpactGroupLabel(t.Group), Mean: mean, N: t.N, Adopted: t.Adopted})
	}
	for _, ry := range rep.Relations {
		for _, l := range ry.Lines {
			v.Relations = append(v.Relations, impactRelationView{Years: fmt.Sprintf("%d→%d", ry.FY, ry.FY+1), ID: l.IndicatorID, No: l.No, Name: l.Name,
				MeanPoints: fmt.Sprintf("%.2f", l.MeanPoints), Slope: optText(l.Slope, "%+.3f"), Corr: optText(l.Corr, "%+.3f"), N: l.N})
		}
	}
	v.TrendSVG = impactTrendSVG(rep)
	forest := []forestRow{}
	for _, e := range ests[:3] {
		forest = append(forest, forestRow{e.label, e.iv})
	}
	v.ForestSVG = forestSVG(forest, v.Unit)
	return v
}

func optText(v *float64, format string) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf(format, *v)
}

// impactTrendSVG draws the outcome's mean per year of the municipalities that adopted during the range
// (blue) and of those that never did (grey): the two groups the contrast compares.
func impactTrendSVG(rep *pipeline.ImpactReport) template.HTML {
	series := []struct {
		group, colour, dash string
	}{{"adopter", "#1f6fb4", ""}, {"never", "#6b6b6b", "6 4"}}
	pts := map[string]map[int]float64{}
	var years []int
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range rep.Trends {
		if len(years) == 0 || years[len(years)-1] != t.FY {
			years = append(years, t.FY)
		}
		if t.Mean == nil || (t.Group != "adopter" && t.Group != "never") {
			continue
		}
		if pts[t.Group] == nil {
			pts[t.Group] = map[int]float64{}
		}
		pts[t.Group][t.FY] = *t.Mean
		lo, hi = math.Min(lo, *t.Mean), math.Max(hi, *t.Mean)
	}
	if len(years) == 0 || math.IsInf(lo, 0) {
		return ""
	}
	const W, H, left, right, top, bottom = 640.0, 300.0, 60.0, 150.0, 20.0, 40.0
	pad := math.Max((hi-lo)*0.1, 0.25)
	step := niceStep((hi - lo + 2*pad) / 5)
	lo, hi = math.Floor((lo-pad)/step)*step, math.Ceil((hi+pad)/step)*step
	x := func(i int) float64 {
		if len(years) == 1 {
			return left + (W-left-right)/2
		}
		return left + float64(i)*(W-left-right)/float64(len(years)-1)
	}
	y := func(v float64) float64 { return top + (hi-v)/(hi-lo)*(H-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="impact-trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="各群の成果の平均（年度別）" font-size="12">`, W, H, W, H)
	// y grid and ticks at round values
	for k := 0; lo+float64(k)*step <= hi+step/1e6; k++ {
		v := lo + float64(k)*step
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%g" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`,
			left, W-right, y(v), y(v), left-6, y(v), strconv.FormatFloat(math.Round(v*100)/100+0, 'f', -1, 64))
	}
	for i, fy := range years {
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%d年度</text>`, x(i), H-bottom+18, fy)
	}
	for k, s := range series {
		var path []string
		for i, fy := range years {
			if v, ok := pts[s.group][fy]; ok {
				path = append(path, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s %d年度 %.2f</title></circle>`, x(i), y(v), s.colour, esc(pipeline.ImpactGroupLabel(s.group)), fy, v)
			}
		}
		if len(path) > 1 {
			dash := ""
			if s.dash != "" {
				dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"%s/>`, strings.Join(path, " "), s.colour, dash)
		}
		ly := top + 20 + float64(k)*22
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%g" y2="%g" stroke="%s" stroke-width="2.5"%s/><text x="%g" y="%g" dominant-baseline="middle">%s</text>`,
			W-right+12, W-right+40, ly, ly, s.colour, map[bool]string{true: ` stroke-dasharray="6 4"`, false: ""}[s.dash != ""], W-right+46, ly, esc(pipeline.ImpactGroupLabel(s.group)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// forestRow is one estimate of the forest chart.
type forestRow struct {
	label string
	iv    pipeline.ImpactInterval
}

// forestSVG draws each estimate as a dot with its 95 % interval as a bar, against a line at zero.
func forestSVG(rows []forestRow, unit string) template.HTML {
	lo, hi := 0.0, 0.0
	have := false
	for _, r := range rows {
		for _, v := range []*float64{r.iv.Estimate, r.iv.Lo, r.iv.Hi} {
			if v != nil {
				lo, hi, have = math.Min(lo, *v), math.Max(hi, *v), true
			}
		}
	}
	if !have {
		return ""
	}
	span := math.Max(hi-lo, 0.5)
	lo, hi = math.Floor((lo-span*0.1)*2)/2, math.Ceil((hi+span*0.1)*2)/2
	const W, left, right, rowH, top = 640.0, 250.0, 30.0, 34.0, 10.0
	H := top + rowH*float64(len(rows)) + 40
	x := func(v float64) float64 { return left + (v-lo)/(hi-lo)*(W-left-right) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="impact-forest" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="推定値と95%%信頼区間" font-size="12">`, W, H, W, H)
	step := niceStep((hi - lo) / 6)
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#eee"/><text x="%.1f" y="%g" text-anchor="middle">%s</text>`,
			x(v), x(v), top, H-34, x(v), H-18, strconv.FormatFloat(math.Round(v*100)/100+0, 'f', -1, 64))
	}
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#333" stroke-width="1.5"/>`, x(0), x(0), top, H-34)
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end">（%s）</text>`, W-4, H-4, esc(unit))
	for i, r := range rows {
		cy := top + rowH*float64(i) + rowH/2
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" dominant-baseline="middle">%s</text>`, 4.0, cy, esc(r.label))
		if r.iv.Estimate == nil {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" dominant-baseline="middle" fill="#888">推定できません</text>`, left+6, cy)
			continue
		}
		colour := "#1f6fb4"
		if i >= 2 {
			colour = "#a05a00"
		}
		if r.iv.Lo != nil && r.iv.Hi != nil {
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="3"/>`, x(*r.iv.Lo), x(*r.iv.Hi), cy, cy, colour)
			for _, e := range []float64{*r.iv.Lo, *r.iv.Hi} {
				fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`, x(e), x(e), cy-7, cy+7, colour)
			}
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="6" fill="%s"><title>%s %s</title></circle>`, x(*r.iv.Estimate), cy, colour, esc(r.label), signedText(r.iv.Estimate))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceStep rounds a tick step up to 1, 2 or 5 × a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}
