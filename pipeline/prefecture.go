package pipeline

import (
	"bytes"
	"context"
	"fmt"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
)

// A prefecture's working day on its 提出状況: the filters of its rows, its non-submitters and the
// page as a workbook.

// Version is the version of the row's current survey (0: not submitted).
func (rw PrefectureRow) Version() int {
	if rw.Sub == nil {
		return 0
	}
	return rw.Sub.Version
}

// settled says the row's verdict (確認済 or 差戻し) was given on its current version (or on a
// version not known, a verdict recorded before versions were kept).
func (rw PrefectureRow) settled() bool {
	st := rw.Review.Status
	return (st == "確認済" || st == "差戻し") && (rw.Review.Version == 0 || rw.Review.Version >= rw.Version())
}

// Is says whether the row is among those of filter key (see PrefectureFilters): 未提出 (no
// survey), 未確認 (a survey with no verdict on its current version: never reviewed, or
// resubmitted after its verdict), 差戻し (returned, and not resubmitted since), 要確認 (a survey
// with points to look at); "" is every row.
func (rw PrefectureRow) Is(key string) bool {
	switch key {
	case "missing":
		return rw.Sub == nil
	case "unreviewed":
		return rw.Sub != nil && !rw.settled()
	case "returned":
		return rw.Review.Status == "差戻し" && rw.settled()
	case "flagged":
		return rw.Sub != nil && len(rw.Flags) > 0
	}
	return true
}

// PrefectureFilters are the filters of a prefecture's municipalities, by key (as in ?f=) and
// label.
var PrefectureFilters = []struct{ Key, Label string }{
	{"", "すべて"}, {"unreviewed", "未確認"}, {"flagged", "要確認"}, {"returned", "差戻し"}, {"missing", "未提出"},
}

// Filter is a filter of the municipalities with the number of rows it shows.
type Filter struct {
	Key, Label string
	Count      int
}

// Filters returns every filter with its count of municipalities.
func (v *PrefectureView) Filters() []Filter {
	out := make([]Filter, len(PrefectureFilters))
	for i, f := range PrefectureFilters {
		out[i] = Filter{Key: f.Key, Label: f.Label}
		for _, rw := range v.Munis {
			if rw.Is(f.Key) {
				out[i].Count++
			}
		}
	}
	return out
}

// FilterLabel is the label of filter key ("" when there is no such filter).
func FilterLabel(key string) (string, bool) {
	for _, f := range PrefectureFilters {
		if f.Key == key {
			return f.Label, true
		}
	}
	return "", false
}

// Filtered returns the municipalities of filter key.
func (v *PrefectureView) Filtered(key string) []PrefectureRow {
	var out []PrefectureRow
	for _, rw := range v.Munis {
		if rw.Is(key) {
			out = append(out, rw)
		}
	}
	return out
}

// Missing returns the municipalities and the centres that have not submitted.
func (v *PrefectureView) Missing() (munis, centres []PrefectureRow) {
	for _, rw := range v.Munis {
		if rw.Sub == nil {
			munis = append(munis, rw)
		}
	}
	for _, rw := range v.Centres {
		if rw.Sub == nil {
			centres = append(centres, rw)
		}
	}
	return munis, centres
}

// PrefectureStatus returns prefecture code's 提出状況 of fy as a workbook (name, bytes) for by:
// the rows of its page, municipalities then centres.
func (r *Runner) PrefectureStatus(ctx context.Context, by kofukin.Principal, fy int, code string) (string, []byte, error) {
	pref, err := r.entityFor(ctx, by, kofukin.ActPrefecture, fy, code)
	if err != nil {
		return "", nil, err
	}
	v, err := r.prefectureView(ctx, fy, pref)
	if err != nil {
		return "", nil, err
	}
	st := exporters.Status{FiscalYear: fy, PrefCode: pref.Code, PrefName: pref.NameJA, Deadline: v.Deadline}
	if rb, err := r.Rulebooks.Get(fy, indicators.Municipality); err == nil {
		st.EraLabel = rb.EraLabel
	}
	for _, group := range []struct {
		kind string
		rows []PrefectureRow
	}{{"市町村", v.Munis}, {"センター", v.Centres}} {
		for _, rw := range group.rows {
			line := exporters.StatusLine{Code: rw.E.Code, Name: rw.E.NameJA, Kind: group.kind, Version: rw.Version(), Stale: rw.Stale, Flags: rw.Flags}
			if rw.Sub != nil {
				line.Submitted, line.Received = true, rw.Sub.ReceivedAt
			}
			if s := rw.Standing; s != nil {
				total, rate := s.Total, s.Rate
				line.Total, line.Rate, line.Rank, line.Of = &total, &rate, s.Rank, rw.Of
			}
			if group.kind == "市町村" {
				line.Verdict, line.Comment = rw.Verdict, rw.Review.Comment
			}
			st.Lines = append(st.Lines, line)
		}
	}
	var buf bytes.Buffer
	if err := exporters.WriteStatus(&buf, st); err != nil {
		return "", nil, fmt.Errorf("write the 提出状況 of %s: %w", code, err)
	}
	return exporters.StatusFileName(fy, pref.Code, pref.NameJA), buf.Bytes(), nil
}
