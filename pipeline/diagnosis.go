package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// 地域診断 (community diagnosis): a municipality's figures beside its peers', as a page of the
// service (Diagnosis) and as a block under each municipality's feedback sheet (the export and
// FeedbackWorkbook), made by the same mapping (diagnosisOf).

// DiagnosisPeerShare is the share of a municipality's peers (percent) that must have achieved an
// item for the diagnosis to list it as one the municipality did not.
const DiagnosisPeerShare = 60

// diagnosisSheetItems is how many such items a feedback sheet lists (the page lists them all).
const diagnosisSheetItems = 10

// DiagnosisView is a municipality's 地域診断 page.
type DiagnosisView struct {
	Entity     *store.EntityInfo
	FiscalYear int
	EraLabel   string
	// Missing says why there is nothing to diagnose yet ("" when there is a score run).
	Missing  string
	ScoreRun int64
	Goals    []exporters.FeedbackGoal
	Parts    *exporters.FeedbackDiagnosis
	// YenMissing says why there is no yen per person ("" when there is).
	YenMissing string
	Trends     []TrendSeries
	// Years are the fiscal years with a score run (oldest first); TrendNote says, when there is only
	// one, that the over-the-years part has nothing to compare.
	Years     []int
	TrendNote string
	// UserIndicators are the municipal indicators users brought by CSV (地域の指標, issue 14 part 5;
	// store.Reference.LocalIndicatorsOf), each against its size band's and the nation's medians;
	// none when no such file was loaded for the year (the page then renders nothing for them).
	UserIndicators []UserIndicator
}

// UserIndicator is one municipal indicator a user brought (e.g. 高齢者の独居率), with where it comes
// from and the medians of the municipalities of its size band and of the nation that have one.
type UserIndicator struct {
	Name, Value, Unit, ReferenceDate, Source string
	BandMedian, NationalMedian               float64
	BandN, NationN                           int64
}

// TrendSeries is one indicator's points over the fiscal years of its comparable lineage.
type TrendSeries struct {
	ID, No, Name, Goal string
	Years              []TrendYear
	Note               string // 新設, 比較不可 … in Japanese ("" when nothing to say)
}

// TrendYear is an indicator's points in one fiscal year. Break marks a year not comparable with the
// year before it in the series (the rulebook's not_comparable): the chart does not join them.
type TrendYear struct {
	FiscalYear        int
	ID                string // the indicator's id in that year
	Points, Max, Mean float64
	Break             bool
}

// Diagnosis returns municipality code's 地域診断 in fy for by: the same right as its page (ActView:
// a municipality its own, a prefecture its municipalities, the ministry all).
func (r *Runner) Diagnosis(ctx context.Context, by kofukin.Principal, fy int, code string) (*DiagnosisView, error) {
	e, err := r.entityFor(ctx, by, kofukin.ActView, fy, code)
	if err != nil {
		return nil, err
	}
	if e.Level != string(kofukin.Municipality) {
		return nil, missing("地域診断は市町村にのみ作成します。", nil)
	}
	rb, err := r.Rulebooks.Get(fy, indicators.Municipality)
	if err != nil {
		return nil, missing("この年度・区分の評価指標がありません。", err)
	}
	v := &DiagnosisView{Entity: e, FiscalYear: fy, EraLabel: rb.EraLabel}
	run, err := r.latestRun(ctx, store.KindScore, fy)
	if err != nil {
		return nil, err
	}
	if run == nil {
		v.Missing = "まだ採点されていないため、地域診断はありません（国の採点実行の後に表示します）。"
		return v, nil
	}
	v.ScoreRun = run.ID
	rates, err := r.Store.Scores().GoalRates(ctx, run.ID, fy)
	if err != nil {
		return nil, fmt.Errorf("goal rates of run %d: %w", run.ID, err)
	}
	var mine []store.GoalRate
	for _, g := range rates {
		if g.Code == code {
			mine = append(mine, g)
		}
	}
	band, goals := goalLines(rb, mine)
	v.Goals = goals
	peers, err := r.Store.Scores().PeerItems(ctx, run.ID, fy, DiagnosisPeerShare, code)
	if err != nil {
		return nil, fmt.Errorf("peer items of %s: %w", code, err)
	}
	outs, err := r.Store.Scores().Outcomes(ctx, run.ID, fy, code)
	if err != nil {
		return nil, fmt.Errorf("outcomes of %s: %w", code, err)
	}
	var yen *store.YenPerPerson
	alloc, err := r.latestRun(ctx, store.KindAllocate, fy)
	if err != nil {
		return nil, err
	}
	if alloc != nil && allocatedFrom(alloc) == run.ID {
		ys, err := r.Store.Allocations().YenPerPersons(ctx, alloc.ID, fy, code)
		if err != nil {
			return nil, fmt.Errorf("yen per person of %s: %w", code, err)
		}
		if len(ys) == 1 {
			yen = &ys[0]
		}
	}
	switch {
	case alloc == nil:
		v.YenMissing = "まだ算定（交付額の計算）が行われていないため、表示できません。"
	case allocatedFrom(alloc) != run.ID:
		v.YenMissing = "最新の算定は最新の採点結果によるものではないため、表示していません（次の算定の後に表示します）。"
	case yen == nil:
		v.YenMissing = "65歳以上人口又は交付額がないため、表示できません。"
	}
	v.Parts = diagnosisOf(rb, band, peers, outs, yen, 0)
	if v.Trends, v.Years, err = r.trends(ctx, fy, code); err != nil {
		return nil, err
	}
	local, err := r.Store.Reference().LocalIndicatorsOf(ctx, fy, code)
	if err != nil {
		return nil, err
	}
	for _, l := range local {
		v.UserIndicators = append(v.UserIndicators, UserIndicator{Name: l.Indicator, Value: l.Value, Unit: l.Unit,
			ReferenceDate: l.AsOf.Format("2006-01-02"), Source: l.Source,
			BandMedian: l.BandMedian, NationalMedian: l.NationalMedian, BandN: l.BandN, NationN: l.NationN})
	}
	if len(v.Years) < 2 {
		v.TrendNote = fmt.Sprintf("採点結果がある年度は%d年度のみのため、経年の推移は比べられません（複数の年度が採点されると表示します）。", fy)
	}
	return v, nil
}

// allocatedFrom is the score run an allocation run allocated (0 when its manifest does not say).
func allocatedFrom(alloc *store.Run) int64 {
	var man AllocateManifest
	if json.Unmarshal([]byte(alloc.Manifest), &man) != nil {
		return 0
	}
	return man.ScoreRunID
}

// goalLines labels a municipality's goal rates as the feedback sheet does (a goal counted in two
// grants is named with the grant: 目標Ⅳ（推進）), and returns its size band.
func goalLines(rb *indicators.Rulebook, rates []store.GoalRate) (string, []exporters.FeedbackGoal) {
	shorts := map[string]string{}
	for _, g := range rb.Grants {
		shorts[g.ID] = g.Short
	}
	var band string
	var out []exporters.FeedbackGoal
	for _, g := range rates {
		band = g.Band
		label := g.GoalID
		if gl, ok := rb.Goal(g.GoalID); ok {
			label = gl.Label
			if len(gl.Grants) > 1 {
				label += "（" + shorts[g.GrantID] + "）"
			}
		}
		out = append(out, exporters.FeedbackGoal{Label: label, Points: g.Points, Max: g.Max, Rate: g.Rate, National: g.National, Pref: g.Pref, SizeBand: g.SizeBand})
	}
	return band, out
}

// diagnosisOf maps a municipality's rows of the store's diagnosis read models to its 地域診断:
// the items its peers achieve that it does not — questions it answers itself only (not the
// ministry-supplied or rolled-up ones, which it cannot act on by answering), at most limit of them
// (0: all) — its outcome values and its yen per person aged 65+ (nil: none).
func diagnosisOf(rb *indicators.Rulebook, band string, peers []store.PeerItem, outs []store.OutcomeValue, yen *store.YenPerPerson, limit int) *exporters.FeedbackDiagnosis {
	d := &exporters.FeedbackDiagnosis{Band: band, PeerShare: DiagnosisPeerShare}
	for _, p := range peers {
		it, ok := rb.Item(p.ItemID)
		if !ok || (it.Source != "" && it.Source != "self") {
			continue
		}
		if limit > 0 && len(d.PeerItems) == limit {
			d.PeerItemsMore++
			continue
		}
		di := exporters.DiagnosisItem{ItemID: p.ItemID, Question: it.Question, Points: it.Points, Achieved: p.Achieved, Peers: p.Peers, Share: p.Share}
		if ind, ok := rb.Indicator(it.Indicator); ok {
			di.Goal, di.Indicator = rb.GoalLabel(ind), ind.No+" "+ind.Name
		}
		d.PeerItems = append(d.PeerItems, di)
	}
	for _, o := range outs {
		do := exporters.DiagnosisOutcome{ItemID: o.ItemID, Question: o.ItemID, Value: o.Value, N: o.Band.N, Q1: o.Band.Q1, Median: o.Band.Median, Q3: o.Band.Q3,
			Min: o.Band.Min, Max: o.Band.Max, National: o.NationalMedian}
		if it, ok := rb.Item(o.ItemID); ok {
			do.Question, do.Unit, do.LowerIsBetter = it.Question, it.Unit, it.Rule.Direction == "lower"
		}
		d.Outcomes = append(d.Outcomes, do)
	}
	if yen != nil {
		d.Yen = &exporters.DiagnosisYen{Yen: yen.Yen, Pop65: yen.Pop65, PerPerson: yen.PerPerson, N: yen.Band.N, Q1: yen.Band.Q1, Median: yen.Band.Median,
			Q3: yen.Band.Q3, Min: yen.Band.Min, Max: yen.Band.Max, Prefecture: yen.Prefecture, National: yen.National}
		if d.Band == "" {
			d.Band = yen.BandLabel
		}
	}
	return d
}

// trends returns municipality code's indicators of fy's rulebook, each with its points over the
// fiscal years of its lineage that have a score run, and those years.
func (r *Runner) trends(ctx context.Context, fy int, code string) ([]TrendSeries, []int, error) {
	pts, err := r.Store.Scores().Trend(ctx, fy, code)
	if err != nil {
		return nil, nil, fmt.Errorf("indicator points of %s over the years: %w", code, err)
	}
	type key struct {
		fy int
		id string
	}
	at := map[key]store.TrendPoint{}
	seen := map[int]bool{}
	var years []int
	for _, p := range pts {
		at[key{p.FiscalYear, p.IndicatorID}] = p
		if !seen[p.FiscalYear] {
			seen[p.FiscalYear] = true
			years = append(years, p.FiscalYear)
		}
	}
	sort.Ints(years)
	rb, err := r.Rulebooks.Get(fy, indicators.Municipality)
	if err != nil {
		return nil, nil, err
	}
	get := func(y int) *indicators.Rulebook {
		b, err := r.Rulebooks.Get(y, indicators.Municipality)
		if err != nil {
			return nil
		}
		return b
	}
	var out []TrendSeries
	for i := range rb.Indicators {
		ind := &rb.Indicators[i]
		s := TrendSeries{ID: ind.ID, No: ind.No, Name: ind.Name, Goal: rb.GoalLabel(ind)}
		steps, note := Lineage(get, fy, ind.ID)
		s.Note = note
		for _, st := range steps {
			p, ok := at[key{st.FiscalYear, st.ID}]
			if !ok {
				break // no score run of that year: the lineage shown ends here
			}
			s.Years = append(s.Years, TrendYear{FiscalYear: st.FiscalYear, ID: st.ID, Points: p.Points, Max: p.Max, Mean: p.Mean, Break: st.Break})
		}
		if n := len(s.Years); n > 0 {
			s.Years[n-1].Break = false // nothing before it is shown
		}
		for a, b := 0, len(s.Years)-1; a < b; a, b = a+1, b-1 { // oldest first
			s.Years[a], s.Years[b] = s.Years[b], s.Years[a]
		}
		out = append(out, s)
	}
	return out, years, nil
}

// LineageStep is one fiscal year of an indicator's lineage: its id that year, and whether the
// rulebook says that year is not comparable with the year before it (Break).
type LineageStep struct {
	FiscalYear int
	ID         string
	Break      bool
}

// Lineage follows indicator id of fiscal year fy back through the earlier years' rulebooks (get
// returns nil for a year without one), newest first, by the rulebooks' own words (as
// indicators.Diff reads them): an indicator continues the one it names as its only predecessor, or
// without predecessors the one of the same id. One marked not_comparable still shows the same id's
// earlier years, with Break set on its year (the chart does not join it to the year before). The lineage
// ends at an indicator with no predecessor in the year before, or with several (merged: its
// points are not any one of theirs). note says why it ends early, in Japanese ("" when it does not).
func Lineage(get func(int) *indicators.Rulebook, fy int, id string) ([]LineageStep, string) {
	steps := []LineageStep{{FiscalYear: fy, ID: id}}
	var note string
	for y := fy; ; y-- {
		cur, prev := get(y), get(y-1)
		if cur == nil || prev == nil {
			return steps, note
		}
		ind, ok := cur.Indicator(id)
		if !ok {
			return steps, note
		}
		next, brk := "", false
		switch {
		case len(ind.Predecessors) > 1:
			return steps, fmt.Sprintf("%d年度に複数の指標を統合したため、それより前とは比べられません。", y)
		case len(ind.Predecessors) == 1:
			next = ind.Predecessors[0]
		default:
			next = id
		}
		if _, ok := prev.Indicator(next); !ok {
			if y == fy {
				note = fmt.Sprintf("%d年度の新設の指標です。", y)
			}
			return steps, note
		}
		if ind.NotComparable {
			brk = true
			if note == "" {
				note = fmt.Sprintf("%d年度に評価の方法が変わり、%d年度以前とは比べられません（グラフは線でつないでいません）。", y, y-1)
			}
		}
		steps[len(steps)-1].Break = brk
		steps = append(steps, LineageStep{FiscalYear: y - 1, ID: next})
		id = next
	}
}
