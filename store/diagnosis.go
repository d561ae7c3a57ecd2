package store

import (
	"context"
	"database/sql"
)

// The read models of 地域診断 (community diagnosis): what a municipality's peers achieve that it
// does not, its outcome values and its yen per person aged 65+ against its size band, and its
// indicators' points over the years. The 得点率 by goal against the national, prefectural and
// size-band means is GoalRates. Each takes a municipality's code, or "" for every municipality (the
// feedback workbooks of an export).

var (
	diagnosisPeerItemsSQL = query("diagnosis_peer_items.sql")
	diagnosisOutcomesSQL  = query("diagnosis_outcomes.sql")
	diagnosisYenSQL       = query("diagnosis_yen.sql")
	diagnosisTrendSQL     = query("diagnosis_trend.sql")
)

// PeerItem is an item a municipality did not achieve (0 points or less, not 対象外) that at least
// the asked share of its peers (the submitting municipalities of its size band, itself excepted)
// achieved (more than 0 points).
type PeerItem struct {
	Code, ItemID    string
	Achieved, Peers int64
	Share           float64 // Achieved ÷ Peers, exact to 6 places (kf_div6)
}

// PeerItems returns, for municipality code ("" for all) in a score run, the items at least pct %
// of its peers achieved and it did not, by municipality, most achieved first, then by item.
func (sc *Scores) PeerItems(ctx context.Context, run int64, fy int, pct int, code string) ([]PeerItem, error) {
	rows, err := sc.s.db.QueryContext(ctx, diagnosisPeerItemsSQL, fy, run, run, pct, code, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PeerItem
	for rows.Next() {
		var p PeerItem
		if err := rows.Scan(&p.Code, &p.ItemID, &p.Achieved, &p.Peers, &p.Share); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Spread is a distribution over a municipality's size band: how many, the quartiles (linear
// between order statistics), least and greatest.
type Spread struct {
	N              int64
	Q1, Median, Q3 float64
	Min, Max       float64
}

// OutcomeValue is a municipality's ministry-supplied outcome value (目標Ⅳ) of one item, against its
// size band (itself included) and the nation's median.
type OutcomeValue struct {
	Code, ItemID   string
	Value          float64
	Band           Spread
	NationalMedian float64
}

// Outcomes returns the ministry-supplied outcome values a score run read (of its own fiscal year)
// of municipality code ("" for all), by municipality and item.
func (sc *Scores) Outcomes(ctx context.Context, run int64, fy int, code string) ([]OutcomeValue, error) {
	rows, err := sc.s.db.QueryContext(ctx, diagnosisOutcomesSQL, run, fy, fy, run, code, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutcomeValue
	for rows.Next() {
		var o OutcomeValue
		b := &o.Band
		if err := rows.Scan(&o.Code, &o.ItemID, &o.Value, &b.N, &b.Q1, &b.Median, &b.Q3, &b.Min, &b.Max, &o.NationalMedian); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// YenPerPerson is a municipality's yen per person aged 65+ in an allocation run, against its size
// band (itself included), its prefecture and the nation (Σ yen ÷ Σ 65+ of their municipalities).
type YenPerPerson struct {
	Code       string
	Yen, Pop65 int64
	BandLabel  string
	PerPerson  float64 // exact to 0.01 yen
	Band       Spread
	Prefecture float64
	National   float64
}

// YenPerPersons returns the yen per person aged 65+ of municipality code ("" for all) in an
// allocation run of fiscal year fy.
func (al *Allocations) YenPerPersons(ctx context.Context, run int64, fy int, code string) ([]YenPerPerson, error) {
	rows, err := al.s.db.QueryContext(ctx, diagnosisYenSQL, fy, fy, run, code, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []YenPerPerson
	for rows.Next() {
		var y YenPerPerson
		b := &y.Band
		if err := rows.Scan(&y.Code, &y.Yen, &y.Pop65, &y.BandLabel, &y.PerPerson, &b.N, &b.Q1, &b.Median, &b.Q3, &b.Min, &b.Max, &y.Prefecture, &y.National); err != nil {
			return nil, err
		}
		out = append(out, y)
	}
	return out, rows.Err()
}

// TrendPoint is a municipality's points of one indicator in the latest score run of a fiscal year,
// with the mean over that run's municipalities.
type TrendPoint struct {
	FiscalYear        int
	IndicatorID       string
	Points, Max, Mean float64
}

// Trend returns municipality code's indicator points in the latest succeeded score run of every
// fiscal year up to fy, by year and indicator.
func (sc *Scores) Trend(ctx context.Context, fy int, code string) ([]TrendPoint, error) {
	rows, err := sc.s.db.QueryContext(ctx, diagnosisTrendSQL, fy, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TrendPoint
	for rows.Next() {
		var t TrendPoint
		var mean sql.NullFloat64
		if err := rows.Scan(&t.FiscalYear, &t.IndicatorID, &t.Points, &t.Max, &mean); err != nil {
			return nil, err
		}
		t.Mean = mean.Float64
		out = append(out, t)
	}
	return out, rows.Err()
}
