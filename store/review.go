package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// ReviewItem is one municipality's answer and points for one item, with what a prefectural
// reviewer compares it with: the national and prefectural 該当率 (share of municipalities that
// scored the item), last year's answer, and how far a number lies from the national mean.
type ReviewItem struct {
	PrefectureCode string
	Code           string
	ItemID         string
	Answer         string // "" when blank or not submitted
	Points, Max    float64
	Status, Reason string
	NationalRate   float64  // share of the nation's municipalities with points > 0
	PrefRate       float64  // the same within the prefecture
	PrevAnswer     *string  // last fiscal year's answer, when there is one
	Z              *float64 // (value − national mean) / SD for numeric answers
}

// ReviewItems returns every municipality × item of a score run with the comparisons above, computed
// by window functions over the nation and each prefecture; prevRun (0: none) is last year's score
// run whose inputs give last year's answers. Rows are ordered by code and item. The shares are exact
// quotients to 6 places (kf_div6) and the points exact decimals, handed over as float64 for display.
//
// The rows (one per municipality and item: 172,359 for the nation) are read through DuckDB's Arrow
// interface, a column batch at a time: read value by value through database/sql they cost more
// than the query.
func (sc *Scores) ReviewItems(ctx context.Context, run, prevRun int64) ([]ReviewItem, error) {
	return sc.ReviewItemsIn(ctx, run, prevRun, "")
}

// ReviewItemsIn is ReviewItems of the municipalities of one prefecture (pref2: its two-digit code;
// "" for the nation), the shares and z-scores still those over the nation: what one prefecture's
// page shows, without reading the whole nation's rows.
func (sc *Scores) ReviewItemsIn(ctx context.Context, run, prevRun int64, pref2 string) ([]ReviewItem, error) {
	var out []ReviewItem
	// Texts repeated from row to row (prefecture, code, item, status) are kept once.
	once := interner()
	err := sc.s.queryArrow(ctx, func(rec arrow.Record) error {
		cols := rec.Columns()
		if len(cols) != 12 {
			return fmt.Errorf("review items: %d columns, want 12", len(cols))
		}
		var texts [12]arrowText
		var nums [12]*array.Float64
		for _, k := range []int{0, 1, 2, 3, 6, 7, 10} {
			t, ok := cols[k].(arrowText)
			if !ok {
				return fmt.Errorf("review items: column %d is %s, want text", k, cols[k].DataType())
			}
			texts[k] = t
		}
		for _, k := range []int{4, 5, 8, 9, 11} {
			f, ok := cols[k].(*array.Float64)
			if !ok {
				return fmt.Errorf("review items: column %d is %s, want DOUBLE", k, cols[k].DataType())
			}
			nums[k] = f
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			for _, k := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9} {
				if cols[k].IsNull(i) {
					return fmt.Errorf("review items: column %d is NULL", k)
				}
			}
			r := ReviewItem{PrefectureCode: once(texts[0].Value(i)), Code: once(texts[1].Value(i)), ItemID: once(texts[2].Value(i)),
				Answer: strings.Clone(texts[3].Value(i)), Points: nums[4].Value(i), Max: nums[5].Value(i), Status: once(texts[6].Value(i)),
				Reason: strings.Clone(texts[7].Value(i)), NationalRate: nums[8].Value(i), PrefRate: nums[9].Value(i)}
			if !texts[10].IsNull(i) {
				p := strings.Clone(texts[10].Value(i))
				r.PrevAnswer = &p
			}
			if !nums[11].IsNull(i) {
				z := nums[11].Value(i)
				r.Z = &z
			}
			out = append(out, r)
		}
		return nil
	}, reviewItemsSQL, run, run, prevRun, run, pref2, pref2)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GoalRate is one entity's 得点率 on one goal in one grant, with the national, prefectural and
// size-band means of the same.
type GoalRate struct {
	Code, GoalID, GrantID          string
	Points, Max                    float64
	Rate, National, Pref, SizeBand float64
	Band                           string
}

// GoalRates returns every municipality's 得点率 by goal and grant in a score run, with the means
// over the nation, its prefecture and its size band (kf_size_band: 第1号被保険者数 <3k, 3k–10k,
// 10k–50k, 50k–100k, ≥100k; 不明 without a population for fy), by window functions. Rates are exact
// quotients to 9 places (kf_div9) and the means exact to 6 (kf_div6), handed over as float64 for
// display.
func (sc *Scores) GoalRates(ctx context.Context, run int64, fy int) ([]GoalRate, error) {
	rows, err := sc.s.db.QueryContext(ctx, goalRatesSQL, fy, run)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GoalRate
	for rows.Next() {
		var r GoalRate
		if err := rows.Scan(&r.Code, &r.GoalID, &r.GrantID, &r.Points, &r.Max, &r.Rate, &r.National, &r.Pref, &r.SizeBand, &r.Band); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Review is a prefectural reviewer's verdict on one municipality's submission.
type Review struct {
	FiscalYear int
	EntityCode string
	Status     string // 未確認 | 確認済 | 差戻し
	Comment    string
	File       string
	SHA256     string
	ImportedAt time.Time
	// Version is the version of the survey the verdict was given on (0: not known, a verdict
	// recorded before versions were kept, or one on a municipality that had not submitted).
	Version int
}

// VersionChangedError: a verdict (確認済 or 差戻し) was given on a version that is no longer the
// municipality's current survey — a new version came in between the reviewer's check and the save.
type VersionChangedError struct {
	Entity         string
	Given, Current int
}

func (e *VersionChangedError) Error() string {
	return fmt.Sprintf("verdict on %s's version %d: version %d is current", e.Entity, e.Given, e.Current)
}

// SaveReviews records reviewers' verdicts (from the pages or read back from review workbooks), in
// one transaction; each replaces the earlier verdict on the same municipality and year (earlier
// ones are kept). A 確認済 or 差戻し given on a version (Version > 0) is saved only while that
// version is current: submissions are not written meanwhile (subMu), and otherwise nothing is
// saved and the error is a *VersionChangedError.
func (sb *Submissions) SaveReviews(ctx context.Context, reviews []Review) error {
	if len(reviews) == 0 {
		return nil
	}
	if r := sb.s.rehearsal; r != nil && !r.submissions {
		return errNoSubmissionsHere
	}
	sb.s.subMu.Lock()
	defer sb.s.subMu.Unlock()
	return sb.s.withTx(ctx, func(c *txConn) error {
		now := sb.s.Now().UTC()
		for _, r := range reviews {
			if r.Version > 0 && (r.Status == "確認済" || r.Status == "差戻し") {
				var current int
				if err := c.queryRow(currentSurveyVersionSQL, r.FiscalYear, r.EntityCode).Scan(&current); err != nil {
					return fmt.Errorf("current version of %s: %w", r.EntityCode, err)
				}
				if current != r.Version {
					return &VersionChangedError{Entity: r.EntityCode, Given: r.Version, Current: current}
				}
			}
			if _, err := c.exec(`UPDATE reviews SET current = FALSE WHERE fiscal_year = ? AND entity_code = ? AND current`, r.FiscalYear, r.EntityCode); err != nil {
				return err
			}
			if _, err := c.exec(insertReviewSQL, r.FiscalYear, r.EntityCode, r.Status, r.Comment, r.File, r.SHA256, now, r.Version); err != nil {
				return err
			}
		}
		return nil
	})
}

// Reviews returns the current verdicts of a year, by code.
func (sb *Submissions) Reviews(ctx context.Context, fy int) (map[string]Review, error) {
	rows, err := sb.s.db.QueryContext(ctx, `SELECT fiscal_year, entity_code, status, comment, file_name, sha256, imported_at, version FROM reviews WHERE fiscal_year = ? AND current ORDER BY entity_code`, fy)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Review{}
	for rows.Next() {
		var r Review
		if err := rows.Scan(&r.FiscalYear, &r.EntityCode, &r.Status, &r.Comment, &r.File, &r.SHA256, &r.ImportedAt, &r.Version); err != nil {
			return nil, err
		}
		out[r.EntityCode] = r
	}
	return out, rows.Err()
}

const currentSurveyVersionSQL = `SELECT coalesce(max(version), 0) FROM submissions
WHERE fiscal_year = ? AND entity_code = ? AND status = 'current' AND kind = 'survey'`

const insertReviewSQL = `INSERT INTO reviews (fiscal_year, entity_code, status, comment, file_name, sha256, imported_at, current, version)
VALUES (?, ?, ?, ?, ?, ?, ?, TRUE, ?)`

var (
	reviewItemsSQL = query("review_items.sql")
	goalRatesSQL   = query("goal_rates.sql")
)
