package pipeline

import (
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/store"
)

// 地域の指標 (indicators users brought, migration 012) in the equity view: each indicator's mean by
// group beside the group's 得点率 and yen per 65+ (store.EquityLocal). Shown for reading only:
// never an input to a score or a yen.

// EquityLocalIndicator is one indicator of one fiscal year with its groups, in the store's order.
type EquityLocalIndicator struct {
	FiscalYear      int
	Indicator, Unit string
	Nation          store.EquityLocal // its Corr is the correlation with 得点率
	Groups          []store.EquityLocal
}

// localView keeps of rows what a view may show: every group (prefecture "") or, in a
// prefecture's view, the nation, size bands, quintiles and its own prefecture only.
func localView(rows []store.EquityLocal, prefecture string) []store.EquityLocal {
	var out []store.EquityLocal
	for _, l := range rows {
		if prefecture != "" && l.Dim == "prefecture" && l.Key != prefecture {
			continue
		}
		out = append(out, l)
	}
	return out
}

// LocalOf returns the view's local indicators of fiscal year fy, one per indicator (none without
// local indicators).
func (v *EquityView) LocalOf(fy int) []EquityLocalIndicator {
	var out []EquityLocalIndicator
	for _, l := range v.Local {
		if l.FiscalYear != fy {
			continue
		}
		if n := len(out); n == 0 || out[n-1].Indicator != l.Indicator {
			out = append(out, EquityLocalIndicator{FiscalYear: fy, Indicator: l.Indicator, Unit: l.Unit})
		}
		x := &out[len(out)-1]
		if l.Dim == "nation" {
			x.Nation = l
		}
		x.Groups = append(x.Groups, l)
	}
	return out
}

// EquityLocalTable is one fiscal year's local indicators as one table: a row per group (the
// nation, size bands, quintiles, prefectures), the group's 得点率 and yen per 65+, then a cell per
// indicator (in Indicators' order).
type EquityLocalTable struct {
	Indicators []EquityLocalIndicator
	Rows       []EquityLocalRow
}

// EquityLocalRow is one group of EquityLocalTable.
type EquityLocalRow struct {
	Dim, Key, Label     string
	N                   int
	MeanRate, PooledYen string
	Cells               []store.EquityLocal // one per indicator; a zero value where it has none
}

// LocalTableOf returns LocalOf(fy) as one table (nil without local indicators). Every indicator of
// a year is grouped over the same base rows, so the groups are the same for each.
func (v *EquityView) LocalTableOf(fy int) *EquityLocalTable {
	inds := v.LocalOf(fy)
	if len(inds) == 0 {
		return nil
	}
	t := &EquityLocalTable{Indicators: inds}
	at := map[string]int{}
	for i, x := range inds {
		for _, g := range x.Groups {
			k := g.Dim + "/" + g.Key
			r, ok := at[k]
			if !ok {
				r = len(t.Rows)
				at[k] = r
				t.Rows = append(t.Rows, EquityLocalRow{Dim: g.Dim, Key: g.Key, Label: g.Label, N: g.N, MeanRate: g.MeanRate, PooledYen: g.PooledYen,
					Cells: make([]store.EquityLocal, len(inds))})
			}
			t.Rows[r].Cells[i] = g
		}
	}
	return t
}

// equityLocalLines maps the national view's local indicators to 「公平性」's rows.
func equityLocalLines(rows []store.EquityLocal) []exporters.EquityLocalLine {
	var out []exporters.EquityLocalLine
	for _, l := range rows {
		line := exporters.EquityLocalLine{FiscalYear: l.FiscalYear, Indicator: l.Indicator, Unit: l.Unit, Dimension: equityDimJA[l.Dim], Label: l.Label,
			N: l.N, NValue: l.NValue, MeanValue: decimalPtr(l.MeanValue), MeanRate: decimalPtr(l.MeanRate), PooledYenPer65: decimalPtr(l.PooledYen),
			Sources: l.Sources, Corr: l.Corr}
		if l.AsOfMin != nil {
			line.AsOf = l.AsOfMin.Format("2006-01-02")
			if !l.AsOfMax.Equal(*l.AsOfMin) {
				line.AsOf += "～" + l.AsOfMax.Format("2006-01-02")
			}
		}
		out = append(out, line)
	}
	return out
}

// equityLocalNoteJA says what 地域の指標 are, for the page and the sheet.
const equityLocalNoteJA = "地域の指標は、市町村・都道府県などの利用者がCSVで持ち込んだデータです（出典・基準日は各指標に記載）。採点・交付額の算定には使用していません。平均は値のある市町村の単純平均、得点率と1人当たり交付額（合計÷合計）は群の全市町村のものです。相関係数は値のある市町村の指標値と得点率のピアソン相関で、因果関係を示すものではありません。"
