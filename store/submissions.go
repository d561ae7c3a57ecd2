package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/loaders"
)

// Ingest outcomes.
//
// Deprecated: use kofukin.StatusAccepted and kofukin.StatusUnchanged.
const (
	Accepted  = kofukin.StatusAccepted
	Unchanged = kofukin.StatusUnchanged
)

// MinistryCode is the entity code recorded for ministry-supplied files.
const MinistryCode = "MHLW"

// SubmissionMeta describes one accepted file.
type SubmissionMeta struct {
	FiscalYear   int
	EntityCode   string
	Level        string
	Kind         string // survey | outcomes
	FileName     string
	SHA256       string
	Size         int64
	RulebookHash string
	FilledOn     time.Time // 記入日 given in the workbook, if any
	// Via is the door the file came through (cli, inbox, web, api; "" when unknown) and By who sent
	// it: a version whose sender's entity is not its own was sent on the entity's behalf.
	Via string
	By  kofukin.Principal
}

// IngestResult says what became of one file.
type IngestResult struct {
	Status       kofukin.SubmissionStatus // StatusAccepted or StatusUnchanged
	SubmissionID int64
	Version      int
}

// AnswerRow is one answer to store.
type AnswerRow struct {
	EntityCode string
	loaders.Answer
}

// Add stores one validated file as the new current version of its entity's submission
// for the year, superseding the previous one, in one transaction. A file identical (same SHA-256)
// to the current version writes nothing and is reported unchanged.
func (sb *Submissions) Add(ctx context.Context, m SubmissionMeta, answers []AnswerRow) (IngestResult, error) {
	w := sb.NewWriter()
	res := w.Add(m, answers)
	if err := w.Flush(ctx); err != nil {
		return IngestResult{}, err
	}
	return *res, nil
}

// SubmissionWriter stores many validated files in few transactions: files are buffered by Add and
// written together by Flush, each file all or nothing (a failed Flush writes none of the buffered
// files).
//
// Every write of submissions in the process goes through Flush, which holds the store's submission
// lock and decides, inside its transaction and from what the database holds then, whether each file
// is a new version (and which number) or unchanged. So concurrent uploads for the same entity — a
// double click, a client's retry, the inbox job racing the web — are serialised: their versions are
// contiguous, exactly one is current, an identical file is unchanged, none is lost. The database
// backs this with a unique index on (fiscal year, level, entity, kind, version) and Flush checks
// before committing that each slot it wrote has exactly one current version. A transaction that
// conflicts with another writer is retried.
//
// A SubmissionWriter is not safe for concurrent use; use one per goroutine.
type SubmissionWriter struct {
	s       *Store
	pending []pendingSubmission
}

type subKey struct {
	fy                  int
	entity, level, kind string
}

// slotState is what a slot holds while a group is decided: its current version (stored, or a file of
// the group) and its highest version number.
type slotState struct {
	id      int64  // the stored current version's id (0: none)
	pending int    // the index of the group's file that is now the current version (-1: none)
	sha     string // the current version's hash
	current int    // the current version's number
	last    int    // the highest version number, current or not
}

func (st slotState) hasCurrent() bool { return st.id != 0 || st.pending >= 0 }

type pendingSubmission struct {
	meta    SubmissionMeta
	answers []AnswerRow
	result  *IngestResult
}

// NewWriter returns a writer over the store.
func (sb *Submissions) NewWriter() *SubmissionWriter {
	return &SubmissionWriter{s: sb.s}
}

// Pending is the number of files buffered.
func (w *SubmissionWriter) Pending() int { return len(w.pending) }

// Add buffers one validated file. The returned result is filled in by a successful Flush: its
// status (accepted or unchanged), id and version.
func (w *SubmissionWriter) Add(m SubmissionMeta, answers []AnswerRow) *IngestResult {
	res := &IngestResult{}
	w.pending = append(w.pending, pendingSubmission{meta: m, answers: answers, result: res})
	return res
}

// flushAttempts bounds the retries of a transaction that conflicted with another writer.
const flushAttempts = 6

// Flush writes the buffered files in one transaction, retrying a conflicting transaction.
func (w *SubmissionWriter) Flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	if r := w.s.rehearsal; r != nil && !r.submissions {
		return errNoSubmissionsHere
	}
	w.s.subMu.Lock()
	defer w.s.subMu.Unlock()
	var err error
	for attempt := 0; attempt < flushAttempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt*attempt) * 20 * time.Millisecond):
			}
			w.s.Logger.Warn("submission write conflicted, retrying", "attempt", attempt, "error", err)
		}
		if err = w.flushOnce(ctx); err == nil || !retryable(err) {
			break
		}
	}
	n := len(w.pending)
	w.pending = nil
	if err != nil {
		return fmt.Errorf("store %d submission(s): %w", n, err)
	}
	return nil
}

// retryable reports whether a failed transaction may succeed when tried again: it conflicted with
// another transaction (DuckDB's optimistic concurrency) or met a version another writer took.
func retryable(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "conflict") || strings.Contains(msg, "duplicate key")
}

func (w *SubmissionWriter) flushOnce(ctx context.Context) error {
	now := w.s.Now().UTC()
	decided := make([]IngestResult, len(w.pending))
	err := w.s.withTx(ctx, func(c *txConn) error {
		slots, err := w.slots(c)
		if err != nil {
			return err
		}
		before := make(map[subKey]int64, len(slots)) // the stored current version of each slot
		for k, v := range slots {
			before[k] = v.id
		}
		state := func(k subKey) slotState {
			st, ok := slots[k]
			if !ok {
				st.pending = -1
			}
			return st
		}
		// Decide in order: a file identical to its slot's current version (stored, or written
		// earlier in this group) is unchanged; any other is the slot's next version.
		var fresh []int
		sameAs := make([]int, len(w.pending)) // for an unchanged file: the group's file it repeats (-1: a stored one)
		for i, p := range w.pending {
			k := keyOf(p.meta)
			st := state(k)
			if st.hasCurrent() && st.sha == p.meta.SHA256 {
				decided[i] = IngestResult{Status: kofukin.StatusUnchanged, SubmissionID: st.id, Version: st.current}
				sameAs[i] = st.pending
				continue
			}
			decided[i] = IngestResult{Status: kofukin.StatusAccepted, Version: st.last + 1}
			st.pending, st.sha, st.current, st.last = i, p.meta.SHA256, st.last+1, st.last+1
			slots[k] = st
			fresh = append(fresh, i)
		}
		if len(fresh) == 0 {
			return nil
		}
		ids, err := w.s.nextIDs(c.ctx, c.conn, "submission_id_seq", len(fresh))
		if err != nil {
			return err
		}
		for k, i := range fresh {
			decided[i].SubmissionID = ids[k]
		}
		for i := range decided {
			if decided[i].Status == kofukin.StatusUnchanged && sameAs[i] >= 0 {
				decided[i].SubmissionID = decided[sameAs[i]].SubmissionID
			}
		}
		var subs, ans [][]driver.Value
		var superseded []string // ids of the versions current before this group, now superseded
		for _, i := range fresh {
			p, d := w.pending[i], decided[i]
			k := keyOf(p.meta)
			if id := before[k]; id > 0 {
				superseded = append(superseded, fmt.Sprint(id))
				before[k] = 0 // once
			}
			var rh, filled, via, byRole, byEntity, byToken driver.Value
			if p.meta.RulebookHash != "" {
				rh = p.meta.RulebookHash
			}
			if !p.meta.FilledOn.IsZero() {
				filled = p.meta.FilledOn
			}
			if p.meta.Via != "" {
				via, byRole, byEntity, byToken = p.meta.Via, string(p.meta.By.Role), p.meta.By.EntityCode, p.meta.By.TokenID
			}
			// Of the versions this group writes for a slot, only the last is current.
			status := "superseded"
			if slots[k].pending == i {
				status = "current"
			}
			subs = append(subs, []driver.Value{d.SubmissionID, int32(p.meta.FiscalYear), p.meta.EntityCode, p.meta.Level, p.meta.Kind, p.meta.FileName,
				p.meta.SHA256, p.meta.Size, now, int32(d.Version), status, rh, int32(len(p.answers)), filled, via, byRole, byEntity, byToken})
			for _, a := range p.answers {
				var text, num driver.Value
				if !a.Blank {
					text = a.Text
					if num, err = valueDecimal(a.Num); err != nil {
						return fmt.Errorf("%s %s item %s: %w", p.meta.FileName, a.EntityCode, a.ItemID, err)
					}
				}
				ans = append(ans, []driver.Value{d.SubmissionID, a.EntityCode, a.ItemID, text, num, a.Cell})
			}
		}
		if len(superseded) > 0 {
			if _, err := c.exec(`UPDATE submissions SET status = 'superseded' WHERE status = 'current'
				AND id IN (SELECT CAST(unnest(string_split(?, ',')) AS BIGINT))`, strings.Join(superseded, ",")); err != nil {
				return err
			}
		}
		if err := c.appendRows("submissions", subs); err != nil {
			return err
		}
		if err := c.appendRows("answers", ans); err != nil {
			return err
		}
		return w.checkOneCurrent(c)
	})
	if err != nil {
		return err
	}
	for i, p := range w.pending {
		*p.result = decided[i]
	}
	return nil
}

func keyOf(m SubmissionMeta) subKey { return subKey{m.FiscalYear, m.EntityCode, m.Level, m.Kind} }

// slots reads, inside the transaction, the state of every slot the pending files write to.
func (w *SubmissionWriter) slots(c *txConn) (map[subKey]slotState, error) {
	codes := map[int][]string{}
	seen := map[subKey]bool{}
	for _, p := range w.pending {
		k := keyOf(p.meta)
		if !seen[k] {
			seen[k] = true
			codes[k.fy] = append(codes[k.fy], k.entity)
		}
	}
	out := map[subKey]slotState{}
	for fy, list := range codes {
		rows, err := c.conn.QueryContext(c.ctx, submissionSlotsSQL, fy, strings.Join(list, ","))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k subKey
			st := slotState{pending: -1}
			if err := rows.Scan(&k.entity, &k.level, &k.kind, &st.id, &st.sha, &st.current, &st.last); err != nil {
				rows.Close()
				return nil, err
			}
			k.fy = fy
			out[k] = st
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkOneCurrent fails the transaction if a slot it wrote has other than exactly one current
// version.
func (w *SubmissionWriter) checkOneCurrent(c *txConn) error {
	slots := map[int][]string{}
	seen := map[subKey]bool{}
	for _, p := range w.pending {
		if k := keyOf(p.meta); !seen[k] {
			seen[k] = true
			slots[k.fy] = append(slots[k.fy], k.entity+"/"+k.level+"/"+k.kind)
		}
	}
	for fy, list := range slots {
		var entity, level, kind string
		var n int
		err := c.queryRow(submissionSlotCheckSQL, fy, strings.Join(list, ",")).Scan(&entity, &level, &kind, &n)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("integrity check: %d current versions of FY%d %s %s %s after the write (want 1)", n, fy, level, entity, kind)
	}
	return nil
}

// nextIDs draws n ids from sequence seq (run_id_seq, submission_id_seq …), in increasing order; in
// a rehearsal they come from the rehearsal's own counter (rehearse.go), never from the sequence.
func (s *Store) nextIDs(ctx context.Context, q querier, seq string, n int) ([]int64, error) {
	if s.rehearsal != nil {
		return s.rehearsal.nextIDs(ctx, q, seq, n)
	}
	if _, known := rehearsalSeqTables[seq]; !known {
		return nil, fmt.Errorf("no sequence %s", seq)
	}
	// No bind parameters: a prepared statement with one plans nextval as read-only, and DuckDB
	// fails at the commit of a transaction of its own ("read-only but has made changes").
	rows, err := q.QueryContext(ctx, `SELECT nextval(`+quoteLiteral(seq)+`) AS id FROM range(`+strconv.Itoa(n)+`) ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) != n {
		return nil, fmt.Errorf("drew %d ids from %s, want %d", len(ids), seq, n)
	}
	return ids, nil
}

// Submission is one row of the submissions table.
type Submission struct {
	ID           int64
	FiscalYear   int
	EntityCode   string
	Level        string
	Kind         string
	FileName     string
	SHA256       string
	ReceivedAt   time.Time
	Version      int
	Status       string
	RulebookHash string
	AnswerCount  int
	// Via and By say who sent the version (empty for versions stored before they were recorded).
	Via      string
	ByRole   kofukin.Role
	ByEntity string
	ByToken  string
}

// OnBehalf reports whether the version was sent by another body than its own (a prefecture for its
// municipality, the ministry or the operator for anyone).
func (x Submission) OnBehalf() bool { return x.Via != "" && x.ByEntity != x.EntityCode }

// Current lists the current submissions of a fiscal year, ordered by level, entity and
// kind.
func (sb *Submissions) Current(ctx context.Context, fy int) ([]Submission, error) {
	return sb.s.submissions(ctx, `WHERE fiscal_year = ? AND status = 'current'`, fy)
}

// History lists every version of an entity's submissions for a year, newest first.
func (sb *Submissions) History(ctx context.Context, fy int, entity string) ([]Submission, error) {
	return sb.s.submissions(ctx, `WHERE fiscal_year = ? AND entity_code = ?`, fy, entity)
}

// Versions lists every version of every submission of a fiscal year (current, superseded or
// withdrawn), ordered as Current.
func (sb *Submissions) Versions(ctx context.Context, fy int) ([]Submission, error) {
	return sb.s.submissions(ctx, `WHERE fiscal_year = ?`, fy)
}

func (s *Store) submissions(ctx context.Context, where string, args ...any) ([]Submission, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, fiscal_year, entity_code, level, kind, file_name, sha256, received_at,
		version, status, coalesce(rulebook_hash, ''), answer_count, coalesce(submitted_via, ''), coalesce(submitted_by_role, ''),
		coalesce(submitted_by_entity, ''), coalesce(submitted_by_token, '') FROM submissions `+where+` ORDER BY level, entity_code, kind, version DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Submission
	for rows.Next() {
		var x Submission
		var role string
		if err := rows.Scan(&x.ID, &x.FiscalYear, &x.EntityCode, &x.Level, &x.Kind, &x.FileName, &x.SHA256, &x.ReceivedAt,
			&x.Version, &x.Status, &x.RulebookHash, &x.AnswerCount, &x.Via, &role, &x.ByEntity, &x.ByToken); err != nil {
			return nil, err
		}
		x.ByRole = kofukin.Role(role)
		out = append(out, x)
	}
	return out, rows.Err()
}

// Answers returns the answers of one submission, by entity and item.
func (sb *Submissions) Answers(ctx context.Context, id int64) ([]AnswerRow, error) {
	// value_num is DECIMAL(18,6): read as its text and parsed; the writer turns Num back into the
	// same decimal (see valueDecimal), so a what-if copy of the answers stores the same values.
	rows, err := sb.s.db.QueryContext(ctx, `SELECT entity_code, item_id, value_text, CAST(value_num AS VARCHAR), cell FROM answers WHERE submission_id = ? ORDER BY entity_code, item_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AnswerRow
	for rows.Next() {
		var a AnswerRow
		var text, num *string
		if err := rows.Scan(&a.EntityCode, &a.ItemID, &text, &num, &a.Cell); err != nil {
			return nil, err
		}
		if text == nil {
			a.Blank = true
		} else {
			a.Text = *text
		}
		if num != nil {
			if a.Num, err = parseDecimalText(*num); err != nil {
				return nil, fmt.Errorf("answer %s of %s: %w", a.ItemID, a.EntityCode, err)
			}
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Statements in store/queries (what each does and its args at the top of its file).
var (
	submissionSlotsSQL     = query("submission_slots.sql")
	submissionSlotCheckSQL = query("submission_slot_check.sql")
)
