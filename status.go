package kofukin

// SubmissionStatus is what became of one submitted file.
//
// It is an alias of string for now, so that code still holding statuses in plain strings (the
// upload records of web/) keeps compiling; it becomes a defined type once they adopt it.
type SubmissionStatus = string

// The outcomes of a submitted file.
const (
	// StatusAccepted: stored as a new version of its entity's submission (or a reference list loaded).
	StatusAccepted SubmissionStatus = "accepted"
	// StatusUnchanged: the same file as the current version; nothing new stored.
	StatusUnchanged SubmissionStatus = "unchanged"
	// StatusRejected: the file has problems, each named with its place; nothing of it stored.
	StatusRejected SubmissionStatus = "rejected"
	// StatusDenied: the sender may not send this file (another body's survey, or the ministry's data);
	// nothing of it is stored and its problems are not reported to the sender.
	StatusDenied SubmissionStatus = "denied"
)

// statusLabelsJA are the statuses as an official reads them. A refused file is one the prefecture
// or the ministry could not take in (「受付できませんでした」), not an administrative rejection (却下).
var statusLabelsJA = map[SubmissionStatus]string{
	StatusAccepted:  "受付",
	StatusUnchanged: "変更なし（同一ファイル）",
	StatusRejected:  "受付できませんでした",
	StatusDenied:    "拒否",
}

// StatusLabelJA is status s in Japanese, for pages, reports and the CLI ("" for an unknown status).
func StatusLabelJA(s SubmissionStatus) string { return statusLabelsJA[s] }

// RunStatus is the state of a recorded run (score, allocate, export, ingest, nightly).
type RunStatus string

// The states of a run: running until it finishes, then succeeded or failed (with its error).
const (
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	RunFailed    RunStatus = "failed"
)
