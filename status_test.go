package kofukin

import (
	"strings"
	"testing"
)

// A refused file reads as a return to its submitter, not as a formal rejection; every status has a
// Japanese label.
func TestStatusLabelJA(t *testing.T) {
	if got := StatusLabelJA(StatusRejected); got != "受付できませんでした" {
		t.Errorf("rejected: %q", got)
	}
	for _, s := range []SubmissionStatus{StatusAccepted, StatusUnchanged, StatusRejected, StatusDenied} {
		if l := StatusLabelJA(s); l == "" || strings.Contains(l, "却下") {
			t.Errorf("%s: %q", s, l)
		}
	}
}

// Errors and warnings are told apart by their codes, each kept in order.
func TestSplitProblems(t *testing.T) {
	errs, warns := SplitProblems([]Problem{{Code: ErrAnswerInvalid, Cell: "F7"}, {Code: WarnPrerequisite, Cell: "F8"}, {Code: ErrTotal, Cell: "F9"}, {Code: WarnNoRows}})
	if len(errs) != 2 || errs[0].Cell != "F7" || errs[1].Cell != "F9" || len(warns) != 2 || warns[0].Cell != "F8" || warns[1].Code != WarnNoRows {
		t.Errorf("errors %v, warnings %v", errs, warns)
	}
}
