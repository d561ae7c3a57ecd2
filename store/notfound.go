package store

import "errors"

// ErrNotFound is wrapped by the errors of lookups that find nothing (an upload, a run), so that
// callers can tell a missing row from a failing database.
var ErrNotFound = errors.New("not found")
