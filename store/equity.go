package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// The equity view (issue 14): who the money reaches and who scores low, by size band, 高齢化率
// and prefecture, over every fiscal year with a municipal score run. Every figure is one query
// over queries/equity_base.sql (one row per municipality and year); see the README, "Equity (公平性)".

var (
	equityBaseSQL      = query("equity_base.sql")
	equityMunicipalSQL = query("equity_municipal.sql")
	equityGroupsSQL    = query("equity_groups.sql")
	equityCurveSQL     = query("equity_curve.sql")
	equityIndexSQL     = query("equity_index.sql")
	equityGapSQL       = query("equity_gap.sql")
	equityParquetSQL   = query("equity_parquet.sql")
	equityLocalSQL     = query("equity_local.sql")
)

// withEquityBase puts the base rows (equity_base.sql) before a figure's query as the CTE "base";
// the statement takes the base's arguments (the as-of run id twice) and no others.
func withEquityBase(q string) string { return withBase(q, "(\n"+equityBaseSQL+"\n)", "") }

// withBase puts source (a parenthesised query or a table) before a figure's query q as the CTE
// "base", filtered by where (a constant condition whose values are bound after source's; "" for
// none).
func withBase(q, source, where string) string {
	base := "WITH base AS (SELECT * FROM " + source + ")"
	if where != "" {
		base = "WITH base AS (SELECT * FROM " + source + " WHERE " + where + ")"
	}
	var body []string
	for _, line := range strings.Split(q, "\n") {
		if len(body) == 0 && strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue // the figure's leading comment
		}
		body = append(body, line)
	}
	stmt := strings.Join(body, "\n")
	if rest, ok := strings.CutPrefix(stmt, "WITH "); ok {
		return base + ",\n" + rest
	}
	return base + "\n" + stmt
}

// equityBaseTable is the temporary table the base rows are read into once per view, on one
// connection, for the figures' queries (each would otherwise plan and run the base again).
const equityBaseTable = "kf_equity_base"

// fromBase is a figure's query over the base table.
func fromBase(q string) string { return withBase(q, equityBaseTable, "") }

// withEquityConn reads the base rows as of asOf into equityBaseTable on one connection (the
// rehearsal's, in a rehearsal), runs fn on it, and drops the table.
func (an *Analyst) withEquityConn(ctx context.Context, asOf int64, fn func(c *sql.Conn) error) (err error) {
	c, release, err := an.s.conn(ctx)
	if err != nil {
		return err
	}
	defer release()
	if _, err := c.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE "+equityBaseTable+" AS\n"+equityBaseSQL, asOf, asOf, asOf); err != nil {
		return fmt.Errorf("equity rows: %w", err)
	}
	defer func() {
		if _, dropErr := c.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+equityBaseTable); dropErr != nil && err == nil {
			err = dropErr
		}
	}()
	return fn(c)
}

// equityQuery runs one figure's query with args on c and scans each row.
func equityQuery(ctx context.Context, c *sql.Conn, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EquityOthers returns the national groups (Dim "nation") of every prefecture but prefecture,
// per fiscal year, as of run asOf: the comparator 「その他の都道府県」 a prefecture's view shows
// beside its own figures, as aggregates only. 高齢化率 quintiles and the − 2·SD line stay national.
func (an *Analyst) EquityOthers(ctx context.Context, asOf int64, prefecture string) ([]EquityGroup, error) {
	if asOf <= 0 {
		asOf = math.MaxInt64
	}
	var out []EquityGroup
	err := an.withEquityConn(ctx, asOf, func(c *sql.Conn) error {
		return equityQuery(ctx, c, withBase(equityGroupsSQL, equityBaseTable, "prefecture_code <> ?"), []any{prefecture}, func(rows *sql.Rows) error {
			g, err := scanEquityGroup(rows)
			if err != nil {
				return err
			}
			if g.Dim == "nation" {
				g.Dim, g.Key, g.Label = "others", "others", "その他の都道府県"
				out = append(out, g)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("equity others: %w", err)
	}
	return out, nil
}

// EquityMunicipality is one municipality in one fiscal year of the equity view. Exact numbers are
// decimal text as stored (得点率 to 9 places, 高齢化率 to 9, yen per 65+ to 6); "" when unknown.
type EquityMunicipality struct {
	FiscalYear                 int
	ScoreRun, AllocRun         int64 // AllocRun 0: the year has no allocation
	PrefectureCode             string
	PrefectureName, Code, Name string
	Total, MaxTotal, Rate      string
	Submitted                  bool
	Age65Plus, Population      int64 // 0 when unknown
	Band, BandLabel            string
	Aging                      string // 高齢化率 = 65+ ÷ total population
	AgingQuintile              int    // 1 (least aged) … 5; 0 without a 高齢化率
	Yen                        *int64 // over every pool of the allocation; nil without one
	YenPer65                   string
	Low                        bool  // 得点率 < national mean − 2·SD this year
	LowPrev                    *bool // the same the year before; nil when that year has no run
}

// Persistent says the municipality was below the national mean − 2·SD this year and the year before.
func (m EquityMunicipality) Persistent() bool { return m.Low && m.LowPrev != nil && *m.LowPrev }

// EquityGroup is one group's figures in one fiscal year: Dim is nation, band, quintile or
// prefecture, Key the band, quintile (1–5, unknown) or prefecture code.
type EquityGroup struct {
	FiscalYear              int
	Dim, Key, Label         string
	N                       int
	MeanRate, WeightedRate  string  // mean 得点率; weighted by 65+
	SDRate                  float64 // population SD of 得点率, for reading
	Low                     int     // below the national mean − 2·SD
	Allocated               int     // municipalities with yen per 65+
	Yen, Age65Plus          int64   // of those
	MeanYenPer65, PooledYen string  // mean of the municipalities' yen per 65+; Σ yen ÷ Σ 65+
	MeanAging               string
}

// EquityCurvePoint is one municipality on a year's concentration curve, in curve order.
type EquityCurvePoint struct {
	FiscalYear                           int
	Code                                 string
	Age65Plus, Yen, CumAge65Plus, CumYen int64
	TotalAge65Plus, TotalYen             int64
}

// EquityIndex is a year's concentration index of yen against 65+ ranked by 高齢化率:
// Numerator ÷ Denominator exactly, Index that rounded half away from zero to 9 places, Value the
// same as a float64 (for charts).
type EquityIndex struct {
	FiscalYear             int
	N                      int
	Age65Plus, Yen         int64
	Numerator, Denominator string
	Index                  string
	Value                  float64
}

// EquityGap is a year's gap between the smallest (<3,000 65+) and the largest (≥100,000) size
// bands: smallest − largest, and its change from the year before ("" when unknown).
type EquityGap struct {
	FiscalYear                                         int
	SmallRate, LargeRate, GapRate, GapRateChange       string
	SmallYenPer65, LargeYenPer65, GapYen, GapYenChange string
}

// Equity is the whole equity view as of a run.
type Equity struct {
	AsOf      int64
	Years     []int // fiscal years with a municipal score run, ascending
	Municipal []EquityMunicipality
	Groups    []EquityGroup
	Curve     []EquityCurvePoint
	Index     []EquityIndex
	Gaps      []EquityGap
	Local     []EquityLocal // 地域の指標 by group; none without local indicators
}

// Equity reads the equity view as of run asOf (0: every run): the runs of each fiscal year are
// the latest succeeded ones with an id not above asOf, so that an export of an allocation run
// reads the same view however many runs come after it. The base rows are read once.
func (an *Analyst) Equity(ctx context.Context, asOf int64) (*Equity, error) {
	if asOf <= 0 {
		asOf = math.MaxInt64
	}
	eq := &Equity{AsOf: asOf}
	err := an.withEquityConn(ctx, asOf, func(c *sql.Conn) error {
		for _, step := range []struct {
			what string
			fn   func(context.Context, *sql.Conn, *Equity) error
		}{{"rows", equityMunicipal}, {"groups", equityGroups}, {"curve", equityCurve}, {"index", equityIndex}, {"gap", equityGaps}, {"local", equityLocal}} {
			if err := step.fn(ctx, c, eq); err != nil {
				return fmt.Errorf("equity %s: %w", step.what, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return eq, nil
}

func equityMunicipal(ctx context.Context, c *sql.Conn, eq *Equity) error {
	seen := map[int]bool{}
	return equityQuery(ctx, c, fromBase(equityMunicipalSQL), nil, func(rows *sql.Rows) error {
		var m EquityMunicipality
		var yen sql.NullInt64
		var prev sql.NullBool
		if err := rows.Scan(&m.FiscalYear, &m.ScoreRun, &m.AllocRun, &m.PrefectureCode, &m.PrefectureName, &m.Code, &m.Name,
			&m.Total, &m.MaxTotal, &m.Rate, &m.Submitted, &m.Age65Plus, &m.Population, &m.Band, &m.BandLabel, &m.Aging,
			&m.AgingQuintile, &yen, &m.YenPer65, &m.Low, &prev); err != nil {
			return err
		}
		if yen.Valid {
			m.Yen = &yen.Int64
		}
		if prev.Valid {
			m.LowPrev = &prev.Bool
		}
		if !seen[m.FiscalYear] {
			seen[m.FiscalYear] = true
			eq.Years = append(eq.Years, m.FiscalYear)
		}
		eq.Municipal = append(eq.Municipal, m)
		return nil
	})
}

func equityGroups(ctx context.Context, c *sql.Conn, eq *Equity) error {
	return equityQuery(ctx, c, fromBase(equityGroupsSQL), nil, func(rows *sql.Rows) error {
		g, err := scanEquityGroup(rows)
		if err != nil {
			return err
		}
		eq.Groups = append(eq.Groups, g)
		return nil
	})
}

// scanEquityGroup reads one row of equity_groups.sql.
func scanEquityGroup(rows *sql.Rows) (EquityGroup, error) {
	var g EquityGroup
	err := rows.Scan(&g.FiscalYear, &g.Dim, &g.Key, &g.Label, &g.N, &g.MeanRate, &g.WeightedRate, &g.SDRate, &g.Low,
		&g.Allocated, &g.Yen, &g.Age65Plus, &g.MeanYenPer65, &g.PooledYen, &g.MeanAging)
	return g, err
}

func equityCurve(ctx context.Context, c *sql.Conn, eq *Equity) error {
	return equityQuery(ctx, c, fromBase(equityCurveSQL), nil, func(rows *sql.Rows) error {
		var p EquityCurvePoint
		if err := rows.Scan(&p.FiscalYear, &p.Code, &p.Age65Plus, &p.Yen, &p.CumAge65Plus, &p.CumYen, &p.TotalAge65Plus, &p.TotalYen); err != nil {
			return err
		}
		eq.Curve = append(eq.Curve, p)
		return nil
	})
}

func equityIndex(ctx context.Context, c *sql.Conn, eq *Equity) error {
	return equityQuery(ctx, c, fromBase(equityIndexSQL), nil, func(rows *sql.Rows) error {
		var x EquityIndex
		if err := rows.Scan(&x.FiscalYear, &x.N, &x.Age65Plus, &x.Yen, &x.Numerator, &x.Denominator); err != nil {
			return err
		}
		num, ok1 := new(big.Int).SetString(x.Numerator, 10)
		den, ok2 := new(big.Int).SetString(x.Denominator, 10)
		if !ok1 || !ok2 {
			return fmt.Errorf("concentration index of FY%d: not integers: %q / %q", x.FiscalYear, x.Numerator, x.Denominator)
		}
		if den.Sign() > 0 {
			x.Index = new(big.Rat).SetFrac(num, den).FloatString(9) // rounded half away from zero
			v, err := strconv.ParseFloat(x.Index, 64)
			if err != nil {
				return err
			}
			x.Value = v
		}
		eq.Index = append(eq.Index, x)
		return nil
	})
}

func equityGaps(ctx context.Context, c *sql.Conn, eq *Equity) error {
	return equityQuery(ctx, c, fromBase(equityGapSQL), nil, func(rows *sql.Rows) error {
		var g EquityGap
		if err := rows.Scan(&g.FiscalYear, &g.SmallRate, &g.LargeRate, &g.GapRate, &g.GapRateChange,
			&g.SmallYenPer65, &g.LargeYenPer65, &g.GapYen, &g.GapYenChange); err != nil {
			return err
		}
		eq.Gaps = append(eq.Gaps, g)
		return nil
	})
}

// EquityLocal is one indicator users brought (地域の指標, migration 012) over one group in one fiscal
// year (equity_local.sql): the group's municipalities, those with a value and their mean value,
// beside the group's mean 得点率 and yen per 65+ (Σ yen ÷ Σ 65+). Data users brought: shown, never
// used for a score or a yen. Exact numbers are decimal text ("" when unknown).
type EquityLocal struct {
	FiscalYear          int
	Indicator, Unit     string
	Dim, Key, Label     string // as EquityGroup's
	N, NValue           int
	MeanValue           string // 6 places
	MeanRate, PooledYen string
	Sources             string // the sources of the values, joined by 「、」
	AsOfMin, AsOfMax    *time.Time
	Corr                *float64 // the nation's row: Pearson correlation with 得点率 over the municipalities with a value
}

func equityLocal(ctx context.Context, c *sql.Conn, eq *Equity) error {
	return equityQuery(ctx, c, fromBase(equityLocalSQL), nil, func(rows *sql.Rows) error {
		var l EquityLocal
		var lo, hi sql.NullTime
		var r sql.NullFloat64
		if err := rows.Scan(&l.FiscalYear, &l.Indicator, &l.Dim, &l.Key, &l.Label, &l.N, &l.NValue, &l.MeanValue, &l.MeanRate, &l.PooledYen,
			&l.Unit, &l.Sources, &lo, &hi, &r); err != nil {
			return err
		}
		if lo.Valid && hi.Valid {
			l.AsOfMin, l.AsOfMax = &lo.Time, &hi.Time
		}
		if r.Valid && !math.IsNaN(r.Float64) {
			l.Corr = &r.Float64
		}
		eq.Local = append(eq.Local, l)
		return nil
	})
}
