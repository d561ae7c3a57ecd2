package pipeline

import (
	"context"
	"fmt"
	"strconv"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/store"
)

// The equity view (公平性, issue 14): who the money reaches and who scores low, for the ministry
// (every municipality) and for a prefecture (its own municipalities; the nation and the other
// prefectures as aggregates only). The figures are the store's (store/equity.go).

// EquityView is what an equity page shows.
type EquityView struct {
	National       bool   // the ministry's view of every municipality
	PrefectureCode string // the prefecture's view ("" for the national one)
	PrefectureName string
	Years          []int // fiscal years with a municipal score run, ascending
	Latest         int   // the last of them (0: none)
	// Municipal are the municipalities shown: every one (national), or the prefecture's own.
	Municipal []store.EquityMunicipality
	// Groups: the nation, size bands, 高齢化率 quintiles and prefectures, per year; a prefecture's
	// view adds 「その他の都道府県」 (Dim "others").
	Groups  []store.EquityGroup
	Curve   []store.EquityCurvePoint // a prefecture's view: the shape only (coarseCurve)
	Index   []store.EquityIndex
	Gaps    []store.EquityGap
	Local   []store.EquityLocal        // 地域の指標 by group (equity_local.go); a prefecture's view: no other prefecture's group
	Support []store.EquityMunicipality // the latest year's municipalities below mean − 2·SD
	// PersistenceKnown says the latest year has a previous year to tell 継続 from 単年.
	PersistenceKnown bool
	NoteJA           string
}

// EquityNational returns the national equity view (every municipality) for by.
func (r *Runner) EquityNational(ctx context.Context, by kofukin.Principal) (*EquityView, error) {
	if err := r.authorize(ctx, by, kofukin.ActEquityNational, ""); err != nil {
		return nil, err
	}
	eq, err := r.Store.Analyst().Equity(ctx, 0)
	if err != nil {
		return nil, err
	}
	return equityView(eq, nil, ""), nil
}

// EquityPrefecture returns prefecture code's equity view for by: its own municipalities and
// support list, the nation, size bands, quintiles and prefectures as aggregates, and the other
// prefectures together (「その他の都道府県」); never another prefecture's municipality.
func (r *Runner) EquityPrefecture(ctx context.Context, by kofukin.Principal, fy int, code string) (*EquityView, error) {
	pref, err := r.entityFor(ctx, by, kofukin.ActEquity, fy, code)
	if err != nil {
		return nil, err
	}
	eq, err := r.Store.Analyst().Equity(ctx, 0)
	if err != nil {
		return nil, err
	}
	others, err := r.Store.Analyst().EquityOthers(ctx, eq.AsOf, pref.PrefectureCode)
	if err != nil {
		return nil, err
	}
	v := equityView(eq, others, pref.PrefectureCode)
	v.PrefectureCode, v.PrefectureName = pref.Code, pref.NameJA
	return v, nil
}

// equityView keeps of eq what the view shows: every municipality (prefecture "") or only those
// of prefecture (a two-digit prefecture number), with the comparators others.
func equityView(eq *store.Equity, others []store.EquityGroup, prefecture string) *EquityView {
	v := &EquityView{National: prefecture == "", Years: eq.Years, Index: eq.Index, Gaps: eq.Gaps}
	if n := len(eq.Years); n > 0 {
		v.Latest = eq.Years[n-1]
	}
	mine := func(m store.EquityMunicipality) bool { return prefecture == "" || m.PrefectureCode == prefecture }
	for _, m := range eq.Municipal {
		if !mine(m) {
			continue
		}
		v.Municipal = append(v.Municipal, m)
		if m.FiscalYear == v.Latest && m.Low {
			v.Support = append(v.Support, m)
		}
		if m.FiscalYear == v.Latest && m.LowPrev != nil {
			v.PersistenceKnown = true
		}
	}
	v.Local = localView(eq.Local, prefecture)
	v.Groups = append(v.Groups, eq.Groups...)
	v.Groups = append(v.Groups, others...)
	if v.National {
		v.Curve = eq.Curve
	} else {
		v.Curve = coarseCurve(eq.Curve)
	}
	if !v.PersistenceKnown {
		v.NoteJA = persistenceNoteJA(v.Latest)
	}
	return v
}

// curveSteps is how many points a prefecture's view keeps of each year's concentration curve.
const curveSteps = 20

// coarseCurve keeps of a national concentration curve, for a prefecture's view, only its shape:
// per year the points ending each twentieth of the municipalities (about 87 of 1,741 each), with
// the running totals and no municipality's code, 65+ count or yen. A point per municipality, even
// without its code, would give every municipality's yen away by its 65+ count, which is public.
func coarseCurve(curve []store.EquityCurvePoint) []store.EquityCurvePoint {
	var out []store.EquityCurvePoint
	for start := 0; start < len(curve); {
		end := start
		for end < len(curve) && curve[end].FiscalYear == curve[start].FiscalYear {
			end++
		}
		n, last := end-start, -1
		for k := 1; k <= curveSteps; k++ {
			i := start + (k*n+curveSteps-1)/curveSteps - 1 // the last point of the k-th twentieth
			if i <= last {
				continue
			}
			last = i
			p := curve[i]
			p.Code, p.Age65Plus, p.Yen = "", 0, 0
			out = append(out, p)
		}
		start = end
	}
	return out
}

// persistenceNoteJA says why the support list is of one year only.
func persistenceNoteJA(fy int) string {
	if fy == 0 {
		return "市町村の採点結果がまだありません。"
	}
	return fmt.Sprintf("%d年度の前年度の採点結果がないため、「継続して低い（2年連続で全国平均−2SD未満）」かどうかは判定できません。%d年度単年で全国平均−2SD未満の市町村を示します（継続の判定には連続する2年度の採点が必要です）。", fy, fy)
}

// GroupsOf returns the view's groups of one year and dimension (nation, band, quintile,
// prefecture, others), in the store's order.
func (v *EquityView) GroupsOf(fy int, dim string) []store.EquityGroup {
	var out []store.EquityGroup
	for _, g := range v.Groups {
		if g.FiscalYear == fy && g.Dim == dim {
			out = append(out, g)
		}
	}
	return out
}

// CurveOf returns the concentration curve of one year.
func (v *EquityView) CurveOf(fy int) []store.EquityCurvePoint {
	var out []store.EquityCurvePoint
	for _, p := range v.Curve {
		if p.FiscalYear == fy {
			out = append(out, p)
		}
	}
	return out
}

// CurveYear is the latest year with a concentration curve (0: none).
func (v *EquityView) CurveYear() int {
	fy := 0
	for _, x := range v.Index {
		fy = max(fy, x.FiscalYear)
	}
	return fy
}

// equityDimJA names a group dimension for the sheet.
var equityDimJA = map[string]string{"nation": "全国", "band": "規模区分", "quintile": "高齢化率五分位", "prefecture": "都道府県", "others": "その他"}

// decimalPtr reads a decimal the store wrote as text; nil for "" (unknown). The store's numbers
// are exact; a workbook cell holds the nearest float64.
func decimalPtr(s string) *float64 {
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil
	}
	return &f
}

// equitySheet maps the national view to the ministry workbook's 「公平性」 rows.
func equitySheet(eq *store.Equity) *exporters.Equity {
	v := equityView(eq, nil, "")
	e := &exporters.Equity{Years: v.Years, Notes: equityNotesJA}
	if v.NoteJA != "" {
		e.Notes = append(e.Notes, v.NoteJA)
	}
	for _, g := range v.Groups {
		sd := g.SDRate
		e.Groups = append(e.Groups, exporters.EquityGroupLine{FiscalYear: g.FiscalYear, Dimension: equityDimJA[g.Dim], Label: g.Label, N: g.N, Low: g.Low,
			Allocated: g.Allocated, MeanRate: decimalPtr(g.MeanRate), WeightedRate: decimalPtr(g.WeightedRate), SDRate: &sd, Yen: g.Yen, Age65Plus: g.Age65Plus,
			MeanYenPer65: decimalPtr(g.MeanYenPer65), PooledYenPer65: decimalPtr(g.PooledYen), MeanAging: decimalPtr(g.MeanAging)})
	}
	for _, g := range v.Gaps {
		e.Gaps = append(e.Gaps, exporters.EquityGapLine{FiscalYear: g.FiscalYear, SmallRate: decimalPtr(g.SmallRate), LargeRate: decimalPtr(g.LargeRate),
			GapRate: decimalPtr(g.GapRate), GapRateChange: decimalPtr(g.GapRateChange), SmallYen: decimalPtr(g.SmallYenPer65), LargeYen: decimalPtr(g.LargeYenPer65),
			GapYen: decimalPtr(g.GapYen), GapYenChange: decimalPtr(g.GapYenChange)})
	}
	for _, x := range v.Index {
		e.Indexes = append(e.Indexes, exporters.EquityIndexLine{FiscalYear: x.FiscalYear, N: x.N, Age65Plus: x.Age65Plus, Yen: x.Yen, Index: decimalPtr(x.Index)})
	}
	for _, m := range v.Support {
		rate := 0.0
		if p := decimalPtr(m.Rate); p != nil {
			rate = *p
		}
		e.Support = append(e.Support, exporters.EquitySupportLine{FiscalYear: m.FiscalYear, PrefectureName: m.PrefectureName, Code: m.Code, Name: m.Name, Rate: rate, Persistent: m.Persistent(), PrevKnown: m.LowPrev != nil})
	}
	if e.Local = equityLocalLines(v.Local); len(e.Local) > 0 {
		e.Notes = append(e.Notes, equityLocalNoteJA)
	}
	if fy := v.CurveYear(); fy > 0 {
		e.CurveYear = fy
		for _, p := range v.CurveOf(fy) {
			e.Curve = append(e.Curve, exporters.EquityCurvePoint{Code: p.Code, X: share(p.CumAge65Plus, p.TotalAge65Plus), Y: share(p.CumYen, p.TotalYen)})
		}
	}
	return e
}

// share is part ÷ whole as a float64 for a chart (0 when whole is 0).
func share(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

// equityNotesJA are 「公平性」's definitions and limits, for the reader of the sheet.
var equityNotesJA = []string{
	"得点率＝総合計÷満点（対象外を除く）。1人当たり交付額＝その市町村の全配分枠の確定額の合計÷第1号被保険者数（算定に用いた65歳以上人口）。高齢化率＝65歳以上人口÷総人口（同じ年度の人口データ）。",
	"平均は市町村を1つずつ数えた単純平均。「加重」は65歳以上人口で重み付けした平均、「合計÷合計」は群の交付額の合計÷65歳以上人口の合計（高齢者1人当たりの平均）。",
	"規模区分は第1号被保険者数による（3千人未満／3千～1万人／1万～5万人／5万～10万人／10万人以上）。高齢化率五分位は全国の市町村を高齢化率の低い順（同率は団体コード順）に5等分（第1＝最も低い）。",
	"集中度指数：市町村を高齢化率の低い順に並べ、65歳以上人口の累積割合X と交付額の累積割合Y で C＝1−Σ(Xᵢ−Xᵢ₋₁)(Yᵢ+Yᵢ₋₁)。正なら交付額は高齢化率の高い市町村に65歳以上人口の割合より多く、負なら少なく配分されている。",
	"支援対象の候補：その年度の得点率が全国平均−2×標準偏差（母標準偏差、全市町村）未満。前年度も該当すれば「継続」。観察された差であり、原因（規模・体制・人口構成など）を示すものではない。",
}
