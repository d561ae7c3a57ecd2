package pipeline

import (
	"context"
	"fmt"
	"strconv"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/fixtures"
	"github.com/kofukin/kofukin/store"
)

// ImpactSheet maps an assessment onto the rows of 「効果検証」 (exporters.ImpactSheet), for its own
// workbook (kofukin impact --out) or the ministry workbook (exporters.Ministry.Impact).
func (rep *ImpactReport) ImpactSheet() exporters.ImpactSheet {
	req := rep.Request
	s := exporters.ImpactSheet{
		Action:     req.ActionItem + " " + rep.ActionQuestion,
		Outcome:    req.OutcomeItem + " " + rep.OutcomeQuestion,
		Rule:       rep.AdoptionRule(),
		Years:      impactYears(req.FirstFY, req.LastFY),
		Unit:       rep.OutcomeUnit,
		ChangeUnit: rep.ChangeUnit(),
		Method: []exporters.SummaryLine{
			{Label: "比較に入った市町村", Value: rep.Municipalities},
			{Label: "方法", Value: "差の差（新たに実施した市町村と、前年度も当年度も実施していない市町村の、前年度からの変化の差）。年度ごとの差を新規実施数で加重平均。"},
			{Label: "調整", Value: "規模区分（第1号被保険者数）ごとに同じ比較をし、新規実施数で加重平均。"},
			{Label: "全体の行", Value: "新規実施・対照は各年度の数の合計、実施群・対照群の変化は全年度をまとめた平均。全体の差の差は各年度の差の差の加重平均なので、この二つの変化の差とは一致しない。"},
			{Label: "信頼区間", Value: fmt.Sprintf("市町村単位のブートストラップ %d 回（シード %d）、パーセンタイル法 95%%", req.Resamples, req.Seed)},
		},
		Notes:   rep.Notes,
		Caveats: rep.Caveats,
	}
	row := func(label string, y store.ImpactYear) exporters.ImpactSheetYear {
		return exporters.ImpactSheetYear{Label: label, Treated: y.Treated, Controls: y.Controls, MeanTreated: y.MeanTreated, MeanControls: y.MeanControls,
			Raw: y.Raw, Band: y.Band, PreTreated: y.PreTreated, PreControls: y.PreControls, PreBand: y.PreBand}
	}
	for _, y := range rep.Years {
		s.Rows = append(s.Rows, row(strconv.Itoa(y.FY), y))
	}
	if len(rep.Years) > 0 {
		s.Rows = append(s.Rows, row("全体（延べ）", rep.Pooled))
	}
	for _, e := range []struct {
		label string
		iv    ImpactInterval
		trend bool
	}{{"推定（規模区分調整）", rep.DiDBand, false}, {"推定（調整なし）", rep.DiD, false},
		{"事前期間の傾向チェック（規模区分調整）", rep.TrendBand, true}, {"事前期間の傾向チェック（調整なし）", rep.Trend, true}} {
		s.Estimates = append(s.Estimates, exporters.ImpactSheetEstimate{Label: e.label, Estimate: e.iv.Estimate, Lo: e.iv.Lo, Hi: e.iv.Hi, Reading: e.iv.Reading(e.trend)})
	}
	for _, t := range rep.Trends {
		s.Trends = append(s.Trends, exporters.ImpactSheetTrend{FY: t.FY, Group: ImpactGroupLabel(t.Group), N: t.N, Mean: t.Mean})
	}
	for _, ry := range rep.Relations {
		for _, l := range ry.Lines {
			s.Relations = append(s.Relations, exporters.ImpactSheetRelation{FY: ry.FY, ID: l.IndicatorID, No: l.No, Name: l.Name, N: l.N,
				MeanPoints: l.MeanPoints, Slope: l.Slope, Corr: l.Corr})
		}
	}
	return s
}

// impactYears prints a range of fiscal years: 「2024–2026年度」, one year as 「2026年度」.
func impactYears(first, last int) string {
	if first == last {
		return fmt.Sprintf("%d年度", first)
	}
	return fmt.Sprintf("%d–%d年度", first, last)
}

// Reading says in a sentence what an interval says: for an estimate, whether the difference is
// clear of zero; for the trend check (trend), whether the groups already moved apart before.
func (iv ImpactInterval) Reading(trend bool) string {
	switch {
	case iv.Estimate == nil:
		return "推定できません"
	case trend && iv.Excludes0():
		return "取組の前から両群の動きに差があります（推定に偏りのおそれ）"
	case trend:
		return "取組の前の両群の動きに、はっきりした差は見られません"
	case iv.Excludes0() && *iv.Lo > 0:
		return "実施した市町村の成果が、実施しなかった市町村より大きく伸びています（区間が0を含まない）"
	case iv.Excludes0():
		return "実施した市町村の成果の伸びが、実施しなかった市町村より小さくなっています（区間が0を含まない）"
	}
	return "区間が0を含み、差があるとは言えません"
}

// DefaultImpact is the demo's assessment: 通いの場への参加 (S1-8-a ≥ 10 %, the synthetic nation's
// planted action) on O-1-a, over the fiscal year and the two before.
func DefaultImpact(fy int) ImpactRequest {
	e := fixtures.PlantedEffect
	return ImpactRequest{ActionItem: e.ActionItem, OutcomeItem: e.OutcomeItem, FirstFY: fy - 2, LastFY: fy, Resamples: DefaultResamples, Seed: 1}
}

// impactSheet is 「効果検証」 of req without a principal (tests), or nil when no contrast can be
// estimated (a one-year store). It is not wired into the export on purpose: the assessment reads
// every year's current submissions, not the export run's recorded inputs, so a rerun of the export
// could differ; users get it through Runner.Impact (the page, kofukin impact --out, the demo).
func (r *Runner) impactSheet(ctx context.Context, req ImpactRequest) (*exporters.ImpactSheet, error) {
	rep, err := r.impact(ctx, req)
	if err != nil {
		return nil, err
	}
	if rep.DiD.Estimate == nil {
		return nil, nil
	}
	s := rep.ImpactSheet()
	return &s, nil
}
