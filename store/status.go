package store

import (
	"context"
	"fmt"
)

// PrefectureStatus is one prefecture's line of the national 提出状況.
type PrefectureStatus struct {
	Code, Name string
	// Municipalities: all valid in the year, those with a current survey, and of those the
	// prefecture's verdicts (確認済, 差戻し, not yet reviewed); Missing have no survey.
	Municipalities, Submitted, Confirmed, Returned, Unreviewed, Missing int
	Centres, CentresSubmitted                                           int
	OwnSubmitted                                                        bool // the prefecture's own survey
}

var nationalStatusSQL = query("national_status.sql")

// NationalStatus returns fiscal year fy's 提出状況 of every prefecture, by prefectural code.
func (sb *Submissions) NationalStatus(ctx context.Context, fy int) ([]PrefectureStatus, error) {
	rows, err := sb.s.db.QueryContext(ctx, nationalStatusSQL, fy)
	if err != nil {
		return nil, fmt.Errorf("national status of %d: %w", fy, err)
	}
	defer rows.Close()
	var out []PrefectureStatus
	for rows.Next() {
		var p PrefectureStatus
		if err := rows.Scan(&p.Code, &p.Name, &p.Municipalities, &p.Submitted, &p.Confirmed, &p.Returned, &p.Unreviewed, &p.Missing,
			&p.Centres, &p.CentresSubmitted, &p.OwnSubmitted); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
