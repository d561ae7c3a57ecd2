package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/store"
)

// The read models of the pages: each is one application method that asks the policy once and
// returns everything its page shows, or the first failure of the store.

// Submission is one version of an entity's survey as the pages show it (the store's record).
type Submission = store.Submission

// EntityView is an entity's page: its submissions, uploads, verdict and score.
type EntityView struct {
	Entity  *store.EntityInfo
	History []store.Submission
	Uploads []store.Upload
	Review  *store.Review // the prefecture's verdict, if any
	// Verdict is the verdict as it reads, with the version it was given on and whether the
	// entity resubmitted since (see VerdictNote).
	Verdict  string
	Preview  *store.Preview // its result in the latest score run, if scored
	ScoreRun int64
	// ScoredVersion is the version of its survey the score run read (0: none); Stale, when its
	// current version is newer, says the score predates it (see StaleNote).
	ScoredVersion int
	Stale         string
	// Trial is the 試算 of its current survey version (nil when it has none).
	Trial *TrialView
	// Kept says which versions (by submission id) have their file as sent kept for download.
	Kept     map[int64]bool
	Closed   string // why by cannot submit for it now ("" when it can)
	Deadline string // fy's submission deadline, YYYY-MM-DD ("" when none is set), shown from the start
}

// StaleNote says that a score shown for an entity predates its current version: the run read
// version scored (0: none) and the entity now holds version current. "" when the score is of the
// current version (or there is none).
func StaleNote(scored, current int) string {
	switch {
	case current == 0 || current <= scored:
		return ""
	case scored == 0:
		return fmt.Sprintf("採点後に提出あり（第%d版は未採点）", current)
	}
	return fmt.Sprintf("採点後に再提出あり（第%d版は未採点）", current)
}

// VerdictNote is how a verdict reads on the pages and in 提出状況: its status, the version it was
// given on and, when the entity has submitted a newer version since, that it did:
// 「確認済（第2版）— 確認後に再提出あり（第3版）」. A verdict without a version (recorded before
// versions were kept) reads as its status alone; no verdict reads 未確認.
func VerdictNote(rv store.Review, current int) string {
	st := rv.Status
	if st == "" || st == "未確認" || rv.Version == 0 {
		if st == "" {
			st = "未確認"
		}
		return st
	}
	s := fmt.Sprintf("%s（第%d版）", st, rv.Version)
	if current > rv.Version {
		after := map[string]string{"確認済": "確認後", "差戻し": "差戻し後"}[st]
		s += fmt.Sprintf("— %sに再提出あり（第%d版）", after, current)
	}
	return s
}

// currentSurvey is the version of the current survey among an entity's submissions (0: none).
func currentSurvey(hist []store.Submission) int {
	for _, x := range hist {
		if x.Kind == KindSurvey && x.Status == "current" {
			return x.Version
		}
	}
	return 0
}

// EntityPage returns the page of entity code in fy for by.
func (r *Runner) EntityPage(ctx context.Context, by kofukin.Principal, fy int, code string) (*EntityView, error) {
	e, err := r.entityFor(ctx, by, kofukin.ActView, fy, code)
	if err != nil {
		return nil, err
	}
	v := &EntityView{Entity: e}
	if v.History, err = r.Store.Submissions().History(ctx, fy, code); err != nil {
		return nil, fmt.Errorf("submission history of %s: %w", code, err)
	}
	if v.Uploads, err = r.Store.Submissions().Uploads(ctx, code, 20); err != nil {
		return nil, fmt.Errorf("uploads of %s: %w", code, err)
	}
	reviews, err := r.Store.Submissions().Reviews(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("reviews: %w", err)
	}
	if rv, ok := reviews[code]; ok {
		v.Review = &rv
		v.Verdict = VerdictNote(rv, currentSurvey(v.History))
	}
	run, err := r.latestRun(ctx, store.KindScore, fy)
	if err != nil {
		return nil, err
	}
	if run != nil {
		prev, err := r.Store.Scores().Previews(ctx, run.ID, []string{code})
		if err != nil {
			return nil, fmt.Errorf("score of %s in run %d: %w", code, run.ID, err)
		}
		if p, ok := prev[code]; ok {
			v.Preview, v.ScoreRun = &p, run.ID
			scored, err := r.Store.Runs().InputVersions(ctx, run.ID, KindSurvey)
			if err != nil {
				return nil, fmt.Errorf("versions scored by run %d: %w", run.ID, err)
			}
			v.ScoredVersion = scored[code]
			v.Stale = StaleNote(v.ScoredVersion, currentSurvey(v.History))
		}
	}
	for i := range v.History {
		if x := &v.History[i]; x.Kind == KindSurvey && x.Status == "current" {
			if v.Trial, err = r.trialView(ctx, fy, code, x, v.Preview != nil && v.ScoredVersion == x.Version); err != nil {
				return nil, err
			}
		}
	}
	if v.Kept, err = r.Store.Submissions().KeptFiles(ctx, fy, code); err != nil {
		return nil, err
	}
	if v.Closed, err = r.closedReason(ctx, by, fy, code); err != nil {
		return nil, err
	}
	if v.Deadline, err = r.Deadline(ctx, fy); err != nil {
		return nil, err
	}
	return v, nil
}

// latestRun returns the newest succeeded run of kind for fy, or nil when there is none.
func (r *Runner) latestRun(ctx context.Context, kind string, fy int) (*store.Run, error) {
	run, err := r.Store.Runs().Latest(ctx, kind, fy)
	if noRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest %s run: %w", kind, err)
	}
	return run, nil
}

// Template returns the survey workbook of entity code for fy, stamped with its code and name as
// the store lists it for fy (after a merger, the new body), and the workbook's file name.
func (r *Runner) Template(ctx context.Context, by kofukin.Principal, fy int, code string) (string, []byte, error) {
	e, err := r.entityFor(ctx, by, kofukin.ActTemplate, fy, code)
	if err != nil {
		return "", nil, err
	}
	rb, err := r.Rulebooks.Get(fy, indicators.Level(e.Level))
	if err != nil {
		return "", nil, missing("この年度・区分の評価指標がありません。", err)
	}
	var buf bytes.Buffer
	if err := exporters.WriteSurvey(&buf, rb, exporters.SurveyEntity{Code: e.Code, PrefectureName: e.PrefectureName, Name: e.NameJA}, nil); err != nil {
		return "", nil, fmt.Errorf("write the survey of %s: %w", code, err)
	}
	return fmt.Sprintf("FY%d_調査票_%s.xlsx", fy, e.Code), buf.Bytes(), nil
}

// PrefectureRow is one municipality or centre on a prefecture's page.
type PrefectureRow struct {
	E        store.EntityInfo
	Sub      *store.Submission // its current survey, if submitted
	Review   store.Review
	Standing *store.Standing // in the latest score run
	// Stale, when its current survey is newer than the version the score run read, says the
	// standing predates it (see StaleNote).
	Stale string
	Flags []string // what the reviewer should look at (as in the review workbook)
	// Verdict is Review as it reads, with its version (see VerdictNote).
	Verdict string
	// Of is the number of municipalities ranked in the score run (the 全国順位's denominator).
	Of int64
}

// PrefectureView is a prefecture's 提出状況.
type PrefectureView struct {
	Pref              *store.EntityInfo
	Munis, Centres    []PrefectureRow
	Submitted         int // municipalities with a current survey
	Deadline          string
	NatRate, PrefRate float64 // mean 得点率 of the nation's and the prefecture's municipalities
	Scored            bool
}

// PrefecturePage returns the 提出状況 of prefecture code in fy for by.
func (r *Runner) PrefecturePage(ctx context.Context, by kofukin.Principal, fy int, code string) (*PrefectureView, error) {
	pref, err := r.entityFor(ctx, by, kofukin.ActPrefecture, fy, code)
	if err != nil {
		return nil, err
	}
	return r.prefectureView(ctx, fy, pref)
}

// prefectureView builds the 提出状況 of pref in fy (the caller has authorised it).
func (r *Runner) prefectureView(ctx context.Context, fy int, pref *store.EntityInfo) (*PrefectureView, error) {
	v := &PrefectureView{Pref: pref}
	subs, err := r.Store.Submissions().Current(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("current submissions: %w", err)
	}
	byEntity := map[string]store.Submission{}
	for _, x := range subs {
		if x.Kind == KindSurvey {
			byEntity[x.EntityCode] = x
		}
	}
	reviews, err := r.Store.Submissions().Reviews(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("reviews: %w", err)
	}
	standings, flags, scored, err := r.prefectureScores(ctx, fy, pref.PrefectureCode)
	if err != nil {
		return nil, err
	}
	var natRate, prefRate float64
	prefN := 0
	for _, lv := range []kofukin.CodeLevel{kofukin.CodeMunicipality, kofukin.CodeCentre} {
		list, err := r.Store.Reference().Entities(ctx, fy, string(lv))
		if err != nil {
			return nil, fmt.Errorf("entities: %w", err)
		}
		for _, e := range list {
			if e.PrefectureCode != pref.PrefectureCode {
				continue
			}
			rw := PrefectureRow{E: e, Review: reviews[e.Code], Of: int64(len(standings))}
			if x, ok := byEntity[e.Code]; ok {
				rw.Sub = &x
				rw.Flags = flags[e.Code]
			}
			rw.Verdict = VerdictNote(rw.Review, rw.Version())
			if st, ok := standings[e.Code]; ok {
				rw.Standing = &st
				if rw.Sub != nil {
					rw.Stale = StaleNote(scored[e.Code], rw.Sub.Version)
				}
				prefRate += st.Rate
				prefN++
			}
			if lv == kofukin.CodeMunicipality {
				if rw.Sub != nil {
					v.Submitted++
				}
				v.Munis = append(v.Munis, rw)
			} else {
				v.Centres = append(v.Centres, rw)
			}
		}
	}
	for _, st := range standings {
		natRate += st.Rate
	}
	v.Scored = len(standings) > 0
	v.NatRate, v.PrefRate = mean(natRate, len(standings)), mean(prefRate, prefN)
	if v.Deadline, err = r.Deadline(ctx, fy); err != nil {
		return nil, err
	}
	return v, nil
}

func mean(sum float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// prefectureScores returns the municipal standings of fy's latest score run (nil when none), the
// review flags of the prefecture's municipalities and the survey versions the run read.
func (r *Runner) prefectureScores(ctx context.Context, fy int, pref2 string) (map[string]store.Standing, map[string][]string, map[string]int, error) {
	flags := map[string][]string{}
	run, err := r.latestRun(ctx, store.KindScore, fy)
	if err != nil || run == nil {
		return nil, flags, nil, err
	}
	standings, err := r.Store.Scores().Standings(ctx, run.ID, string(kofukin.CodeMunicipality))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("standings of run %d: %w", run.ID, err)
	}
	scored, err := r.Store.Runs().InputVersions(ctx, run.ID, KindSurvey)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("versions scored by run %d: %w", run.ID, err)
	}
	var prev int64
	pr, err := r.latestRun(ctx, store.KindScore, fy-1)
	if err != nil {
		return nil, nil, nil, err
	}
	if pr != nil {
		prev = pr.ID
	}
	items, err := r.Store.Scores().ReviewItemsIn(ctx, run.ID, prev, pref2)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("review items of run %d: %w", run.ID, err)
	}
	byCode := map[string][]store.ReviewItem{}
	for _, it := range items {
		byCode[it.Code] = append(byCode[it.Code], it)
	}
	// The flags name 目標・指標・設問, as the review workbook does.
	var labels map[string]exporters.ItemLabel
	if rb, err := r.Rulebooks.Get(fy, indicators.Municipality); err == nil {
		labels, _ = itemLabels(rb)
	}
	for code, list := range byCode {
		flags[code] = exporters.ReviewFlagsNamed(ReviewItems(list), true, labels)
	}
	return standings, flags, scored, nil
}

// latestExport returns the folder and manifest of fy's newest export run (nil when none).
func (r *Runner) latestExport(ctx context.Context, fy int) (string, *ExportManifest, error) {
	run, err := r.latestRun(ctx, store.KindExport, fy)
	if err != nil || run == nil {
		return "", nil, err
	}
	var params struct {
		Dir string `json:"dir"`
	}
	if err := json.Unmarshal([]byte(run.Parameters), &params); err != nil {
		return "", nil, fmt.Errorf("parameters of export run %d: %w", run.ID, err)
	}
	var man ExportManifest
	if err := json.Unmarshal([]byte(run.Manifest), &man); err != nil {
		return "", nil, fmt.Errorf("manifest of export run %d: %w", run.ID, err)
	}
	return params.Dir, &man, nil
}

// LatestExport returns the folder and manifest of fy's newest export run (nil when none) for by.
func (r *Runner) LatestExport(ctx context.Context, by kofukin.Principal, fy int) (string, *ExportManifest, error) {
	if err := r.authorize(ctx, by, kofukin.ActConsole, ""); err != nil {
		return "", nil, err
	}
	return r.latestExport(ctx, fy)
}

// ReviewWorkbook returns prefecture code's review workbook of fy's newest export (name, bytes).
func (r *Runner) ReviewWorkbook(ctx context.Context, by kofukin.Principal, fy int, code string) (string, []byte, error) {
	if err := r.authorize(ctx, by, kofukin.ActPrefecture, code); err != nil {
		return "", nil, err
	}
	dir, man, err := r.latestExport(ctx, fy)
	if err != nil {
		return "", nil, err
	}
	if man == nil {
		return "", nil, missing("審査用ブックはまだ作成されていません（国の算定実行後に作成されます）。", nil)
	}
	for _, rel := range sortedKeys(man.Files) {
		if strings.HasPrefix(rel, "review/") && strings.Contains(rel, "_"+code+"_") {
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
			if err != nil {
				return "", nil, missing("審査用ブックが見つかりません。", err)
			}
			return filepath.Base(rel), data, nil
		}
	}
	return "", nil, missing("審査用ブックが見つかりません。", nil)
}
