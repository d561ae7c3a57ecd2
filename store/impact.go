package store

import (
	"context"
	"database/sql"
	"strconv"
)

// Impact reads the panel of the impact assessment (効果検証): per municipality and fiscal year, whether
// it had adopted an action (its answer to an item against a threshold) and the ministry's value of
// an outcome item; and the difference-in-differences contrasts over it. Every figure comes from the
// one table macro kf_impact_panel (migration 015). The bootstrap that gives the intervals is not SQL:
// it resamples the municipalities of ImpactCells (pipeline/impact.go).
type Impact struct{ s *Store }

// Impact returns the store's impact-assessment read models.
func (s *Store) Impact() *Impact { return &Impact{s} }

// ImpactSpec names the panel: the action item and the value from which an answer counts as adopted
// (はい = 1 for a yes/no item), the outcome item, and the fiscal years.
type ImpactSpec struct {
	ActionItem, OutcomeItem string
	FirstFY, LastFY         int
	Threshold               float64
	// MinControls is the fewest controls a contrast (a year, or a year's size band) needs to count
	// in the estimates (at least 1).
	MinControls int
}

func (sp ImpactSpec) args() []any {
	return []any{sp.ActionItem, sp.OutcomeItem, sp.FirstFY, sp.LastFY, strconv.FormatFloat(sp.Threshold, 'f', -1, 64)}
}

// ImpactCell is one municipality-year a contrast compares: new adopter (Treated) or control, its
// outcome's change from the year before (DY) and, where known, the change the year before that
// (Pre, for the trend check), both in millionths of the outcome's unit (exact).
type ImpactCell struct {
	Code    string
	FY      int
	Band    string
	Treated bool
	DY      int64
	Pre     *int64
}

// ImpactCells returns the municipality-years of the contrasts, by code and year.
func (im *Impact) ImpactCells(ctx context.Context, sp ImpactSpec) ([]ImpactCell, error) {
	rows, err := im.s.db.QueryContext(ctx, impactCellsSQL, sp.args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ImpactCell
	for rows.Next() {
		var c ImpactCell
		var pre sql.NullInt64
		if err := rows.Scan(&c.Code, &c.FY, &c.Band, &c.Treated, &c.DY, &pre); err != nil {
			return nil, err
		}
		if pre.Valid {
			c.Pre = &pre.Int64
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ImpactYear is the contrast of one fiscal year t (or, with FY 0, pooled over the years): the
// treated and control counts and mean changes, the estimate raw and within size bands, and the
// pre-period trend check. Estimates are nil where a group is empty.
type ImpactYear struct {
	FY                        int // 0: pooled
	Treated, Controls         int64
	MeanTreated, MeanControls *float64 // mean Y(t) − Y(t−1)
	Raw, Band                 *float64
	BandTreated               int64 // treated in bands that have controls (the band estimate's weight)
	PreTreated, PreControls   int64
	PreRaw, PreBand           *float64
}

// ImpactEstimate returns the contrasts of each fiscal year that has a year before it in the range,
// by year, then the pooled one (FY 0). A contrast with fewer than sp.MinControls controls has its
// counts and means but no estimate, and is left out of the pooled one.
func (im *Impact) ImpactEstimate(ctx context.Context, sp ImpactSpec) ([]ImpactYear, error) {
	rows, err := im.s.db.QueryContext(ctx, impactEstimateSQL, append(sp.args(), max(sp.MinControls, 1))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ImpactYear
	for rows.Next() {
		var y ImpactYear
		var fy, nt, nc, pnt, pnc sql.NullInt64
		if err := rows.Scan(&fy, &nt, &nc, &y.MeanTreated, &y.MeanControls, &y.Raw, &y.Band, &y.BandTreated, &pnt, &pnc, &y.PreRaw, &y.PreBand); err != nil {
			return nil, err
		}
		y.FY, y.Treated, y.Controls, y.PreTreated, y.PreControls = int(fy.Int64), nt.Int64, nc.Int64, pnt.Int64, pnc.Int64
		out = append(out, y)
	}
	return out, rows.Err()
}

// ImpactTrend is the outcome's mean in one fiscal year over one group of municipalities: adopter
// (adopted during the range), never (answered, never adopted) or always (adopted from the start).
type ImpactTrend struct {
	FY      int
	Group   string
	N       int64    // municipalities of the group with an outcome value that year
	Mean    *float64 // nil when none has
	Adopted int64    // of the group, adopted that year
}

// ImpactTrends returns the groups' outcome means by year and group.
func (im *Impact) ImpactTrends(ctx context.Context, sp ImpactSpec) ([]ImpactTrend, error) {
	rows, err := im.s.db.QueryContext(ctx, impactTrendsSQL, sp.args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ImpactTrend
	for rows.Next() {
		var t ImpactTrend
		if err := rows.Scan(&t.FY, &t.Group, &t.N, &t.Mean, &t.Adopted); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// IndicatorRelation is how one indicator's points in score run of year t relate, over the
// municipalities, to the outcome's change from t to t+1.
type IndicatorRelation struct {
	IndicatorID string
	N           int64
	MeanPoints  float64
	MeanChange  float64
	Slope, Corr *float64 // change per point; Pearson correlation (nil when undefined)
}

// IndicatorRelations returns, for every indicator of scoreRun (a score run of fiscal year fy), the
// relation of its points to the outcome's change fy → fy+1, by indicator id.
func (im *Impact) IndicatorRelations(ctx context.Context, outcome string, fy int, scoreRun int64) ([]IndicatorRelation, error) {
	rows, err := im.s.db.QueryContext(ctx, impactIndicatorsSQL, outcome, fy, fy+1, fy+1, fy, scoreRun)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []IndicatorRelation
	for rows.Next() {
		var r IndicatorRelation
		if err := rows.Scan(&r.IndicatorID, &r.N, &r.MeanPoints, &r.MeanChange, &r.Slope, &r.Corr); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

var (
	impactCellsSQL      = query("impact_cells.sql")
	impactEstimateSQL   = query("impact_estimate.sql")
	impactTrendsSQL     = query("impact_trends.sql")
	impactIndicatorsSQL = query("impact_indicators.sql")
)
