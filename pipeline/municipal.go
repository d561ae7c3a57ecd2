package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// The municipality's working day beyond the entity page: the 試算 of a version, the points of
// what changed, its item-by-item points and the file it sent.

// TrialView is what a page says of the 試算 of one survey version.
type TrialView struct {
	Score *store.TrialScore // nil while it is computed, or when there is none
	Note  string            // TrialNote of Score
	// Pending: the 試算 is being computed (the page offers to reload); Missing (when neither) says
	// why there is none.
	Pending bool
	Missing string
}

// trialView returns the 試算 of survey version sub of entity code, asking for one when sub is a
// current version with none and none is under way. When the latest score run read sub (scored),
// its official score stands and none is asked for (nil when none was made before).
func (r *Runner) trialView(ctx context.Context, fy int, code string, sub *store.Submission, scored bool) (*TrialView, error) {
	if sub == nil || sub.Kind != KindSurvey {
		return nil, nil
	}
	t, err := r.Store.Scores().TrialOf(ctx, sub.ID)
	if err != nil && !noRows(err) {
		return nil, err
	}
	if t != nil {
		return &TrialView{Score: t, Note: TrialNote(t)}, nil
	}
	switch {
	case scored:
		return nil, nil
	case sub.Status != "current":
		return &TrialView{Missing: fmt.Sprintf("第%d版は試算の前に次の版が提出されたため、試算はありません。", sub.Version)}, nil
	case r.TrialPending(code):
		return &TrialView{Pending: true}, nil
	case r.TrialNone(code):
		return &TrialView{Missing: "この版の試算はありません（この年度・この種類の団体は試算の対象外です）。採点実行後に得点を表示します。"}, nil
	case r.TrialFailed(code):
		return &TrialView{Missing: "試算を計算できませんでした。しばらくしてから画面を開き直してください（続く場合は国の担当者にお知らせください）。"}, nil
	case r.Trials:
		r.queueTrial(fy, code)
		return &TrialView{Pending: true}, nil
	}
	return &TrialView{Missing: "この版の試算はありません（採点実行後に得点を表示します）。"}, nil
}

// UploadView is the page of one upload: its report, and for an accepted survey version the 試算
// of it and the points of the answers it changed.
type UploadView struct {
	Upload *store.Upload
	Report *FileReport
	Trial  *TrialView
	// Points of the changed answers: before (the previous version's 試算, or the official score
	// when the latest score run read the previous version) and after (this version's 試算).
	Points                  map[string]ChangePoints
	Before                  string // where the points before come from ("" when unknown)
	TotalDelta              *float64
	BeforeTotal, AfterTotal float64
}

// ChangePoints is one changed item's points before and after.
type ChangePoints struct {
	Before, After       float64
	HasBefore, HasAfter bool
	Delta               float64
}

// UploadPage returns upload id's page for by (the same policy as UploadReport).
func (r *Runner) UploadPage(ctx context.Context, by kofukin.Principal, id int64) (*UploadView, error) {
	u, fr, err := r.UploadReport(ctx, by, id)
	if err != nil {
		return nil, err
	}
	v := &UploadView{Upload: u, Report: fr}
	if fr.Status != kofukin.StatusAccepted || fr.Kind != KindSurvey || fr.SubmissionID == 0 {
		return v, nil
	}
	hist, err := r.Store.Submissions().History(ctx, fr.FiscalYear, fr.EntityCode)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", fr.EntityCode, err)
	}
	var now, prev *store.Submission
	for i := range hist {
		if hist[i].ID == fr.SubmissionID {
			now = &hist[i]
		}
	}
	if now == nil {
		return v, nil
	}
	for i := range hist { // newest first
		if x := &hist[i]; x.Kind == now.Kind && x.Version == fr.Previous && fr.Previous > 0 {
			prev = x
		}
	}
	if v.Trial, err = r.trialView(ctx, fr.FiscalYear, fr.EntityCode, now, false); err != nil {
		return nil, err
	}
	if v.Trial == nil || v.Trial.Score == nil || prev == nil {
		return v, nil
	}
	after, err := r.Store.Scores().TrialItems(ctx, now.ID)
	if err != nil {
		return nil, err
	}
	before, beforeTotal, source, err := r.versionPoints(ctx, fr.FiscalYear, prev)
	if err != nil {
		return nil, err
	}
	v.Points, v.Before = map[string]ChangePoints{}, source
	a, b := byItem(after), byItem(before)
	for _, c := range fr.Changes {
		p := ChangePoints{}
		if x, ok := b[c.Item]; ok {
			p.Before, p.HasBefore = x.Points, true
		}
		if x, ok := a[c.Item]; ok {
			p.After, p.HasAfter = x.Points, true
		}
		p.Delta = PointsDelta(p.After, p.Before)
		v.Points[c.Item] = p
	}
	if source != "" {
		d := PointsDelta(v.Trial.Score.Total, beforeTotal)
		v.TotalDelta, v.BeforeTotal, v.AfterTotal = &d, beforeTotal, v.Trial.Score.Total
	}
	return v, nil
}

// PointsDelta is after − before for points held in hundredths (DECIMAL(9,2)), computed in
// hundredths: 2.3 − 1.1 is 1.2, not the 1.1999999999999997 of a float subtraction.
func PointsDelta(after, before float64) float64 {
	return float64(math.Round(after*100)-math.Round(before*100)) / 100
}

func byItem(list []store.ItemScore) map[string]store.ItemScore {
	m := make(map[string]store.ItemScore, len(list))
	for _, x := range list {
		m[x.ItemID] = x
	}
	return m
}

// versionPoints returns the item points and total of a survey version, and says where they come
// from ("" when nowhere): the latest score run's when that run read this version, else its 試算.
func (r *Runner) versionPoints(ctx context.Context, fy int, sub *store.Submission) ([]store.ItemScore, float64, string, error) {
	run, err := r.latestRun(ctx, store.KindScore, fy)
	if err != nil {
		return nil, 0, "", err
	}
	if run != nil {
		scored, err := r.Store.Runs().InputVersions(ctx, run.ID, KindSurvey)
		if err != nil {
			return nil, 0, "", fmt.Errorf("versions scored by run %d: %w", run.ID, err)
		}
		if scored[sub.EntityCode] == sub.Version {
			items, err := r.Store.Scores().ItemScores(ctx, run.ID, sub.EntityCode)
			if err != nil {
				return nil, 0, "", err
			}
			prev, err := r.Store.Scores().Previews(ctx, run.ID, []string{sub.EntityCode})
			if err != nil {
				return nil, 0, "", fmt.Errorf("score of %s in run %d: %w", sub.EntityCode, run.ID, err)
			}
			return items, prev[sub.EntityCode].Total, fmt.Sprintf("第%d版の正式な採点（採点実行 %d）", sub.Version, run.ID), nil
		}
	}
	t, err := r.Store.Scores().TrialOf(ctx, sub.ID)
	if err != nil && !noRows(err) {
		return nil, 0, "", err
	}
	if t == nil {
		return nil, 0, "", nil
	}
	items, err := r.Store.Scores().TrialItems(ctx, sub.ID)
	return items, t.Total, fmt.Sprintf("第%d版の試算", sub.Version), err
}

// ItemsView is an entity's item-by-item points: every item of its rulebook by 目標・指標, with
// the answer of its current version and the points and reason of the latest 試算 of that version,
// else of the latest score run.
type ItemsView struct {
	Entity                *store.EntityInfo
	Version               int    // the current survey version (0: none)
	Source                string // which 試算 or run the points are from ("" when none)
	Stale                 string // set when the points are of a score run that read an older version
	Total, MaxTotal, Rate float64
	HasTotal              bool
	Goals                 []ItemsGoal
}

// ItemsGoal is one 目標 with its indicators.
type ItemsGoal struct {
	Label, Name string
	Indicators  []ItemsIndicator
}

// ItemsIndicator is one 指標 with its items.
type ItemsIndicator struct {
	No, Name string
	Points   float64
	Items    []ItemRow
}

// ItemRow is one item: its question, the answer given and its points with the reason.
type ItemRow struct {
	ID, Branch, Question, Answer string
	Source                       string // self, ministry, rollup, derived
	Max                          float64
	Score                        *store.ItemScore
}

// EntityItems returns entity code's item-by-item points in fy for by.
func (r *Runner) EntityItems(ctx context.Context, by kofukin.Principal, fy int, code string) (*ItemsView, error) {
	e, err := r.entityFor(ctx, by, kofukin.ActView, fy, code)
	if err != nil {
		return nil, err
	}
	rb, err := r.Rulebooks.Get(fy, indicators.Level(e.Level))
	if err != nil {
		return nil, missing("この年度・区分の評価指標がありません。", err)
	}
	v := &ItemsView{Entity: e}
	hist, err := r.Store.Submissions().History(ctx, fy, code)
	if err != nil {
		return nil, fmt.Errorf("submission history of %s: %w", code, err)
	}
	var cur *store.Submission
	for i := range hist {
		if hist[i].Kind == KindSurvey && hist[i].Status == "current" {
			cur = &hist[i]
		}
	}
	answers := map[string]string{}
	var scores []store.ItemScore
	if cur != nil {
		v.Version = cur.Version
		if answers, err = r.answerTexts(ctx, cur.ID); err != nil {
			return nil, err
		}
	}
	run, err := r.latestRun(ctx, store.KindScore, fy)
	if err != nil {
		return nil, err
	}
	scored := map[string]int{}
	if run != nil {
		if scored, err = r.Store.Runs().InputVersions(ctx, run.ID, KindSurvey); err != nil {
			return nil, fmt.Errorf("versions scored by run %d: %w", run.ID, err)
		}
	}
	// The official score when the latest run read the current version; else the 試算 of the
	// current version; else the latest run's (of an older version, said so).
	if cur != nil && (run == nil || scored[code] != cur.Version) {
		t, err := r.Store.Scores().TrialOf(ctx, cur.ID)
		if err != nil && !noRows(err) {
			return nil, err
		}
		if t != nil {
			if scores, err = r.Store.Scores().TrialItems(ctx, cur.ID); err != nil {
				return nil, err
			}
			v.Source, v.Total, v.MaxTotal, v.Rate, v.HasTotal = TrialNote(t), t.Total, t.MaxTotal, t.Rate, true
		}
	}
	if v.Source == "" && run != nil {
		if scores, err = r.Store.Scores().ItemScores(ctx, run.ID, code); err != nil {
			return nil, err
		}
		prev, err := r.Store.Scores().Previews(ctx, run.ID, []string{code})
		if err != nil {
			return nil, fmt.Errorf("score of %s in run %d: %w", code, run.ID, err)
		}
		v.Source = fmt.Sprintf("正式な採点（採点実行 %d", run.ID)
		if n := scored[code]; n > 0 {
			v.Source += fmt.Sprintf("・第%d版", n)
		}
		v.Source += "）"
		v.Stale = StaleNote(scored[code], v.Version)
		if p, ok := prev[code]; ok {
			v.Total, v.MaxTotal, v.Rate, v.HasTotal = p.Total, p.MaxTotal, p.Rate, true
		}
	}
	points := byItem(scores)
	goals := map[string]int{}
	for _, g := range rb.Goals {
		goals[g.ID] = len(v.Goals)
		v.Goals = append(v.Goals, ItemsGoal{Label: g.Label, Name: g.Name})
	}
	for i := range rb.Indicators {
		ind := &rb.Indicators[i]
		gi, ok := goals[ind.Goal]
		if !ok {
			continue
		}
		row := ItemsIndicator{No: ind.No, Name: ind.Name, Points: ind.Points}
		for _, it := range ind.Items {
			ir := ItemRow{ID: it.ID, Branch: it.Branch, Question: it.Question, Answer: answers[it.ID], Source: it.Source, Max: it.Points}
			if s, ok := points[it.ID]; ok {
				ir.Score = &s
			}
			row.Items = append(row.Items, ir)
		}
		v.Goals[gi].Indicators = append(v.Goals[gi].Indicators, row)
	}
	return v, nil
}

// SentFile returns the file of entity code's survey version as it was sent (name, bytes) for by.
func (r *Runner) SentFile(ctx context.Context, by kofukin.Principal, fy int, code string, version int) (string, []byte, error) {
	if _, err := r.entityFor(ctx, by, kofukin.ActView, fy, code); err != nil {
		return "", nil, err
	}
	hist, err := r.Store.Submissions().History(ctx, fy, code)
	if err != nil {
		return "", nil, fmt.Errorf("submission history of %s: %w", code, err)
	}
	for _, x := range hist {
		if x.Version != version || x.Kind != KindSurvey {
			continue
		}
		name, data, err := r.Store.Submissions().File(ctx, x.ID)
		if noRows(err) {
			return "", nil, missing(fmt.Sprintf("第%d版の提出ファイルは保存されていません（国がまとめて取り込んだ版か、ファイルの保存を始める前に受け付けた版です）。", version), err)
		}
		if err != nil {
			return "", nil, err
		}
		return fmt.Sprintf("FY%d_%s_第%d版_%s", fy, code, version, name), data, nil
	}
	return "", nil, missing(fmt.Sprintf("第%d版の提出はありません。", version), nil)
}

// FeedbackWorkbook returns the feedback workbook of municipality code alone (name, bytes) for by,
// made from the latest allocation run by the exports' own read model and writer. The exported
// feedback workbook holds every municipality of a prefecture, so a municipality is given this
// one-sheet copy instead, with nothing of the others.
func (r *Runner) FeedbackWorkbook(ctx context.Context, by kofukin.Principal, fy int, code string) (string, []byte, error) {
	e, err := r.entityFor(ctx, by, kofukin.ActView, fy, code)
	if err != nil {
		return "", nil, err
	}
	if e.Level != string(kofukin.Municipality) {
		return "", nil, missing("フィードバック票は市町村にのみ作成します。", nil)
	}
	alloc, err := r.latestRun(ctx, store.KindAllocate, fy)
	if err != nil {
		return "", nil, err
	}
	if alloc == nil {
		return "", nil, missing("フィードバック票はまだ作成できません（国の算定実行の後に作成されます）。", nil)
	}
	var man AllocateManifest
	if err := json.Unmarshal([]byte(alloc.Manifest), &man); err != nil {
		return "", nil, fmt.Errorf("read manifest of run %d: %w", alloc.ID, err)
	}
	rb, err := r.Rulebooks.Get(fy, indicators.Municipality)
	if err != nil {
		return "", nil, err
	}
	rows, err := r.Store.Scores().ReviewSheet(ctx, alloc.ID, man.ScoreRunID, fy)
	if err != nil {
		return "", nil, err
	}
	var row *store.ReviewLine
	for i := range rows {
		if rows[i].Code == code {
			row = &rows[i]
		}
	}
	if row == nil {
		return "", nil, missing("この市町村は算定の対象に含まれていません。", nil)
	}
	lines, err := r.Store.Allocations().ChainSheet(ctx, alloc.ID)
	if err != nil {
		return "", nil, err
	}
	in := &feedbackInputs{rb: rb, goalsOf: map[string][]store.GoalRate{}, poolSum: map[string]float64{}, poolYen: map[string]int64{}}
	for _, p := range man.Results {
		in.poolYen[p.ID] = p.PoolYen
	}
	for _, a := range lines {
		in.poolSum[a.PoolID] = a.Sum
	}
	rates, err := r.Store.Scores().GoalRates(ctx, man.ScoreRunID, fy)
	if err != nil {
		return "", nil, err
	}
	for _, g := range rates {
		if g.Code == code {
			in.goalsOf[code] = append(in.goalsOf[code], g)
		}
	}
	diag, err := r.readDiagnosis(ctx, fy, man.ScoreRunID, alloc.ID, code)
	if err != nil {
		return "", nil, err
	}
	in.diag = &diag
	fb := exporters.Feedback{FiscalYear: fy, EraLabel: rb.EraLabel, PrefCode: e.PrefectureCode, PrefName: e.PrefectureName,
		Municipalities: []exporters.FeedbackMunicipality{in.municipality(*row)}}
	var buf bytes.Buffer
	if err := exporters.WriteFeedback(&buf, fb); err != nil {
		return "", nil, fmt.Errorf("feedback workbook of %s: %w", code, err)
	}
	return fmt.Sprintf("FY%d_フィードバック_%s_%s_算定実行%d.xlsx", fy, code, e.NameJA, alloc.ID), buf.Bytes(), nil
}
