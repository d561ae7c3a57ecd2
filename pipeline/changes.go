package pipeline

import (
	"context"
	"fmt"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// MaxChanges bounds the changed answers an upload report lists; the rest are counted.
const MaxChanges = 50

// AnswerChange is one item whose answer differs from the previous version's.
type AnswerChange struct {
	Item     string `json:"item"`
	Question string `json:"question,omitempty"`
	Old      string `json:"old"` // "" when blank
	New      string `json:"new"`
}

// answerChanges fills fr's Previous, Changes and ChangesMore for an accepted new version of a
// survey: the answers that differ from the version it superseded, in the rulebook's order, at most
// MaxChanges of them listed.
func (r *Runner) answerChanges(ctx context.Context, fr *FileReport) error {
	if fr.Status != kofukin.StatusAccepted || fr.Kind != KindSurvey || fr.Version < 2 {
		return nil
	}
	hist, err := r.Store.Submissions().History(ctx, fr.FiscalYear, fr.EntityCode)
	if err != nil {
		return fmt.Errorf("history of %s: %w", fr.EntityCode, err)
	}
	var now, prev *store.Submission
	for i := range hist {
		if hist[i].ID == fr.SubmissionID {
			now = &hist[i]
		}
	}
	if now == nil {
		return nil
	}
	for i := range hist { // newest first
		if x := &hist[i]; x.Kind == now.Kind && x.Level == now.Level && x.Version < now.Version {
			prev = x
			break
		}
	}
	if prev == nil {
		return nil
	}
	before, err := r.answerTexts(ctx, prev.ID)
	if err != nil {
		return err
	}
	after, err := r.answerTexts(ctx, now.ID)
	if err != nil {
		return err
	}
	var order []string
	questions := map[string]string{}
	if rb, err := r.Rulebooks.Get(fr.FiscalYear, indicators.Level(now.Level)); err == nil {
		for _, it := range rb.SelfItems() {
			order = append(order, it.ID)
			questions[it.ID] = it.Question
		}
	}
	seen := map[string]bool{}
	for _, id := range order {
		seen[id] = true
	}
	for _, m := range []map[string]string{before, after} {
		for _, id := range sortedKeys(m) {
			if !seen[id] {
				order, seen[id] = append(order, id), true
			}
		}
	}
	fr.Previous, fr.Changes, fr.ChangesMore = prev.Version, nil, 0
	for _, id := range order {
		if before[id] == after[id] {
			continue
		}
		if len(fr.Changes) == MaxChanges {
			fr.ChangesMore++
			continue
		}
		fr.Changes = append(fr.Changes, AnswerChange{Item: id, Question: questions[id], Old: before[id], New: after[id]})
	}
	return nil
}

// answerTexts returns a submission's answers by item ("" for a blank).
func (r *Runner) answerTexts(ctx context.Context, id int64) (map[string]string, error) {
	rows, err := r.Store.Submissions().Answers(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("answers of submission %d: %w", id, err)
	}
	out := make(map[string]string, len(rows))
	for _, a := range rows {
		out[a.ItemID] = a.Text
	}
	return out, nil
}
