package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/kofukin/kofukin/loaders"
)

// LocalIndicator is one municipality's value of an indicator its users brought (地域の指標).
type LocalIndicator struct {
	Code      string
	Name      string // the municipality's name
	Indicator string
	Unit      string
	// Value is the stored DECIMAL(18,6) as exact decimal text, trailing zeros trimmed ("23.4").
	Value  string
	AsOf   time.Time
	Source string
	File   string
}

const (
	localStageSQL = `CREATE OR REPLACE TEMP TABLE kf_local (fiscal_year INTEGER, code VARCHAR, indicator VARCHAR,
		unit VARCHAR, value VARCHAR, as_of DATE, source VARCHAR, file_name VARCHAR)`
	// INSERT OR REPLACE, not DELETE then INSERT: DuckDB 1.1 refuses to insert, in the transaction
	// that deleted it, a key its primary-key index still holds.
	localInsertSQL = `INSERT OR REPLACE INTO local_indicators SELECT fiscal_year, code, indicator, unit, CAST(value AS DECIMAL(18,6)),
		as_of, source, file_name FROM kf_local`
)

// SetLocalIndicators records the values of a local indicator CSV (loaders.ReadLocalIndicators)
// for fiscal year fy in one transaction, each replacing the value of the same year, municipality
// and indicator. A file already loaded (same name and hash) writes nothing.
func (rf *Reference) SetLocalIndicators(ctx context.Context, fy int, file ReferenceFile, rows []loaders.LocalValue) (unchanged bool, err error) {
	err = rf.s.withTx(ctx, func(c *txConn) error {
		if seen, err := c.fileSeen(file); err != nil || seen {
			unchanged = seen
			return err
		}
		// Staged through the appender, then one INSERT OR REPLACE (the
		// loader has refused repeated municipalities and numbers beyond DECIMAL(18,6)); a row at a
		// time took seconds for a national file.
		if _, err := c.exec(localStageSQL); err != nil {
			return err
		}
		vals := make([][]driver.Value, len(rows))
		for i, r := range rows {
			vals[i] = []driver.Value{int32(fy), r.Code, r.Indicator, r.Unit, r.Value, r.AsOf, r.Source, file.Name}
		}
		if err := c.appendRows("kf_local", vals); err != nil {
			return err
		}
		for _, q := range []string{localInsertSQL, `DROP TABLE kf_local`} {
			if _, err := c.exec(q); err != nil {
				return err
			}
		}
		return c.recordFile(file, fy, len(rows), rf.s.Now().UTC())
	})
	if err != nil {
		return false, fmt.Errorf("set local indicators from %s: %w", file.Name, err)
	}
	return unchanged, nil
}

// LocalIndicators returns the local indicators of fiscal year fy, by municipality code and
// indicator name; codes, when given, limit them to those municipalities.
func (rf *Reference) LocalIndicators(ctx context.Context, fy int, codes ...string) ([]LocalIndicator, error) {
	rows, err := rf.s.db.QueryContext(ctx, `SELECT l.code, coalesce(e.name_ja, ''), l.indicator, l.unit, CAST(l.value AS VARCHAR), l.as_of, l.source, l.file_name
		FROM local_indicators l LEFT JOIN (SELECT code, min(name_ja) AS name_ja FROM entities WHERE level = 'municipality' GROUP BY code) e ON e.code = l.code
		WHERE l.fiscal_year = ?
		ORDER BY l.code, l.indicator`, fy)
	if err != nil {
		return nil, fmt.Errorf("local indicators of FY%d: %w", fy, err)
	}
	defer rows.Close()
	only := map[string]bool{}
	for _, c := range codes {
		only[c] = true
	}
	var out []LocalIndicator
	for rows.Next() {
		var li LocalIndicator
		if err := rows.Scan(&li.Code, &li.Name, &li.Indicator, &li.Unit, &li.Value, &li.AsOf, &li.Source, &li.File); err != nil {
			return nil, err
		}
		if strings.Contains(li.Value, ".") {
			li.Value = strings.TrimSuffix(strings.TrimRight(li.Value, "0"), ".")
		}
		if len(only) == 0 || only[li.Code] {
			out = append(out, li)
		}
	}
	return out, rows.Err()
}

var localAgainstSQL = query("local_indicators_against.sql")

// LocalAgainst is one of a municipality's local indicators (地域の指標) beside the same indicator
// over its size band (itself included) and over the nation.
type LocalAgainst struct {
	Indicator, Unit string
	Value           string // exact decimal text, trailing zeros trimmed
	AsOf            time.Time
	Source          string
	Band            string // kf_size_band of the year's 65+ population
	BandN, NationN  int64
	BandMedian      float64
	NationalMedian  float64
}

// LocalIndicatorsOf returns municipality code's local indicators of fiscal year fy, each against
// its size band's and the nation's medians (for the 地域診断).
func (rf *Reference) LocalIndicatorsOf(ctx context.Context, fy int, code string) ([]LocalAgainst, error) {
	rows, err := rf.s.db.QueryContext(ctx, localAgainstSQL, fy, code)
	if err != nil {
		return nil, fmt.Errorf("local indicators of %s in FY%d: %w", code, fy, err)
	}
	defer rows.Close()
	var out []LocalAgainst
	for rows.Next() {
		var l LocalAgainst
		if err := rows.Scan(&l.Indicator, &l.Unit, &l.Value, &l.AsOf, &l.Source, &l.Band, &l.BandN, &l.BandMedian, &l.NationN, &l.NationalMedian); err != nil {
			return nil, err
		}
		if strings.Contains(l.Value, ".") {
			l.Value = strings.TrimSuffix(strings.TrimRight(l.Value, "0"), ".")
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// LocalUnits returns the unit each local indicator of fiscal year fy is stored with.
func (rf *Reference) LocalUnits(ctx context.Context, fy int) (map[string]string, error) {
	rows, err := rf.s.db.QueryContext(ctx, `SELECT DISTINCT indicator, unit FROM local_indicators WHERE fiscal_year = ? ORDER BY indicator, unit`, fy)
	if err != nil {
		return nil, fmt.Errorf("local indicator units of FY%d: %w", fy, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var ind, unit string
		if err := rows.Scan(&ind, &unit); err != nil {
			return nil, err
		}
		out[ind] = unit
	}
	return out, rows.Err()
}
