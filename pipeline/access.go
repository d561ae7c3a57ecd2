package pipeline

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// The actions on tokens and verdicts, each taking who asks: the web, the API and the command line
// call these, and each makes its one decision with kofukin.Authorize and records it in the audit
// log.

// ErrNotFound is returned for an entity that does not exist in the fiscal year. Callers answer it
// as they answer a denial, so that nobody learns which codes exist outside their scope.
var ErrNotFound = errors.New("no such entity in the fiscal year")

// DefaultTokenLife is how long a token lasts unless its issuer says otherwise: a year, the length
// of one grant cycle.
const DefaultTokenLife = 365 * 24 * time.Hour

// FindEntity returns the entity of a code valid in fy (of the level its code's shape says).
func (r *Runner) FindEntity(ctx context.Context, fy int, code string) (*store.EntityInfo, error) {
	lv := kofukin.LevelOf(code)
	if lv == kofukin.LevelUnknown {
		return nil, ErrNotFound
	}
	if err := r.EnsureReference(ctx, fy); err != nil {
		return nil, err
	}
	list, err := r.Store.Reference().Entities(ctx, fy, string(lv))
	if err != nil {
		return nil, err
	}
	i := sort.Search(len(list), func(i int) bool { return list[i].Code >= code })
	if i < len(list) && list[i].Code == code {
		return &list[i], nil
	}
	return nil, ErrNotFound
}

// IssueToken issues a token for spec on behalf of by (who must hold kofukin.ActTokens). The role
// and the entity must match and the entity must exist in fy; a zero expiry means DefaultTokenLife
// from now. The token's value is returned once; only its hash is stored.
func (r *Runner) IssueToken(ctx context.Context, by kofukin.Principal, fy int, spec store.TokenSpec) (string, store.TokenInfo, error) {
	if err := kofukin.Authorize(by, kofukin.ActTokens, ""); err != nil {
		r.audit(ctx, by, kofukin.StatusDenied, "token issue", err.Error())
		return "", store.TokenInfo{}, err
	}
	if err := kofukin.TokenEntityOK(spec.Role, spec.Entity); err != nil {
		return "", store.TokenInfo{}, err
	}
	if spec.Role != kofukin.RoleMinistry {
		if _, err := r.FindEntity(ctx, fy, spec.Entity); errors.Is(err, ErrNotFound) {
			return "", store.TokenInfo{}, fmt.Errorf("団体コード %s は%d年度の団体にありません / %s is not an entity of FY%d", spec.Entity, fy, spec.Entity, fy)
		} else if err != nil {
			return "", store.TokenInfo{}, err
		}
	}
	if spec.Expires.IsZero() {
		spec.Expires = r.Store.Now().Add(DefaultTokenLife)
	}
	tok, t, err := r.Store.Access().IssueToken(ctx, spec)
	if err != nil {
		return "", t, err
	}
	r.audit(ctx, by, "token issued", strings.TrimSpace(string(t.Role)+" "+t.EntityCode), fmt.Sprintf("%s %s expires %s", t.ID, t.Label, t.ExpiresAt.Format(time.RFC3339)))
	return tok, t, nil
}

// RevokeToken revokes a token (by its value or public id) on behalf of by.
func (r *Runner) RevokeToken(ctx context.Context, by kofukin.Principal, tokenOrID string) error {
	if err := kofukin.Authorize(by, kofukin.ActTokens, ""); err != nil {
		r.audit(ctx, by, kofukin.StatusDenied, "token revoke", err.Error())
		return err
	}
	if _, err := r.Store.Access().RevokeToken(ctx, tokenOrID); err != nil {
		return err
	}
	id := tokenOrID
	if strings.HasPrefix(id, "kfk_") || len(id) > store.TokenIDLen {
		id = "(value)"
	}
	r.audit(ctx, by, "token revoked", id, "")
	return nil
}

// Tokens lists the tokens on behalf of by.
func (r *Runner) Tokens(ctx context.Context, by kofukin.Principal) ([]store.TokenInfo, error) {
	if err := kofukin.Authorize(by, kofukin.ActTokens, ""); err != nil {
		return nil, err
	}
	return r.Store.Access().Tokens(ctx)
}

// Review statuses.
var ReviewStatuses = []string{"未確認", "確認済", "差戻し"}

// ReviewError is a verdict that cannot be recorded as given (not a denial): its message is for the
// reviewer, in Japanese.
type ReviewError struct{ MessageJA string }

func (e *ReviewError) Error() string { return e.MessageJA }

// Review records a verdict on a municipality's submission of fy on behalf of by: a prefecture for
// its own municipalities only (never its own submission), the ministry for any. The municipality
// must exist in fy and belong to prefecture (the prefecture whose page the verdict was given on).
// version is the version of its survey the verdict was given on (the one the page showed): a
// 確認済 or 差戻し is refused when the municipality has submitted a newer one since (or none at
// all, for 確認済). A denial is a *kofukin.Denied; an unknown code is ErrNotFound; a bad status,
// a return without a comment or a version that is no longer current is a *ReviewError.
func (r *Runner) Review(ctx context.Context, by kofukin.Principal, fy int, prefecture, entity string, version int, status, comment, source string) error {
	for _, c := range []struct {
		a      kofukin.Action
		target string
	}{{kofukin.ActPrefecture, prefecture}, {kofukin.ActReview, entity}} {
		if err := kofukin.Authorize(by, c.a, c.target); err != nil {
			r.audit(ctx, by, kofukin.StatusDenied, "review "+entity, err.Error())
			return err
		}
	}
	rv, _, err := r.verdict(ctx, by, fy, prefecture, Verdict{Entity: entity, Version: version}, status, comment, source)
	if err != nil {
		return err
	}
	if err := r.Store.Submissions().SaveReviews(ctx, []store.Review{rv}); err != nil {
		return versionRace(err)
	}
	r.audit(ctx, by, "review "+status, entity, fmt.Sprintf("第%d版 %s", rv.Version, rv.Comment))
	return nil
}

// Verdict is one municipality a verdict is given on, with the version of its survey the reviewer
// saw.
type Verdict struct {
	Entity  string
	Version int
}

// verdict checks one verdict of by on prefecture's page (by already holds ActPrefecture on it) and
// returns it as recorded, with the municipality's name: the municipality must be by's to review,
// exist in fy and belong to prefecture, and the version must still be current (see Review).
func (r *Runner) verdict(ctx context.Context, by kofukin.Principal, fy int, prefecture string, v Verdict, status, comment, source string) (store.Review, string, error) {
	if err := kofukin.Authorize(by, kofukin.ActReview, v.Entity); err != nil {
		r.audit(ctx, by, kofukin.StatusDenied, "review "+v.Entity, err.Error())
		return store.Review{}, "", err
	}
	e, err := r.FindEntity(ctx, fy, v.Entity)
	if err == nil && !kofukin.InPrefecture(e.Code, prefecture) {
		err = ErrNotFound
	}
	if err != nil {
		r.audit(ctx, by, kofukin.StatusDenied, "review "+v.Entity, "not a municipality of "+prefecture)
		return store.Review{}, "", err
	}
	comment = strings.TrimSpace(comment)
	if !validStatus(status) {
		return store.Review{}, e.NameJA, &ReviewError{"審査状況は「未確認」「確認済」「差戻し」から選んでください。"}
	}
	if status == "差戻し" && comment == "" {
		return store.Review{}, e.NameJA, &ReviewError{"差戻しの場合は、市町村に伝える理由をコメントに記入してください。"}
	}
	hist, err := r.Store.Submissions().History(ctx, fy, v.Entity)
	if err != nil {
		return store.Review{}, e.NameJA, fmt.Errorf("submission history of %s: %w", v.Entity, err)
	}
	if msg := VersionRefusal(status, v.Version, currentSurvey(hist)); msg != "" {
		return store.Review{}, e.NameJA, &ReviewError{msg}
	}
	return store.Review{FiscalYear: fy, EntityCode: v.Entity, Status: status, Comment: comment, File: source, Version: v.Version}, e.NameJA, nil
}

// VersionRefusal says why a verdict given on version given of a survey whose current version is
// current cannot be recorded ("" when it can): a 確認済 or 差戻し must be given on the current
// version (a 未確認 may be recorded whatever the version), and a 確認済 needs a submission.
func VersionRefusal(status string, given, current int) string {
	if status == "未確認" {
		return ""
	}
	word := map[string]string{"確認済": "確認", "差戻し": "差戻し"}[status]
	switch {
	case current == 0 && status == "確認済":
		return "調査票が未提出のため、確認済にはできません。"
	case current == 0:
		return ""
	case given == 0:
		return fmt.Sprintf("どの版への%sかが分かりません（最新は第%d版）。画面を再読み込みして、最新版を確認してください。", word, current)
	case given < current:
		return fmt.Sprintf("第%d版が提出されたため、第%d版への%sは登録できません。最新版を確認してください。", current, given, word)
	case given > current:
		return fmt.Sprintf("第%d版はありません（最新は第%d版）。画面を再読み込みしてください。", given, current)
	}
	return ""
}

// MaxBulkVerdicts bounds one bulk verdict: more than any prefecture's municipalities (北海道 has 179).
const MaxBulkVerdicts = 500

// VerdictResult is what became of one verdict of a bulk verdict: recorded, or not and why.
type VerdictResult struct {
	Code, Name string
	Status     string
	Version    int
	Recorded   bool
	Reason     string // why it was not recorded, for the reviewer (Japanese)
}

// ReviewMany records one verdict (status, comment) on several municipalities of prefecture at
// once on behalf of by, each on the version the reviewer saw: the bulk 「確認済にする」 of the
// prefecture's page. Each municipality is checked as Review checks one; those that pass are
// recorded together (one transaction), those that do not are returned with the reason, and
// nothing is recorded for them. A denial on the prefecture refuses the whole request.
func (r *Runner) ReviewMany(ctx context.Context, by kofukin.Principal, fy int, prefecture string, list []Verdict, status, comment, source string) ([]VerdictResult, error) {
	if err := r.authorize(ctx, by, kofukin.ActPrefecture, prefecture); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, &ReviewError{"団体が選択されていません。確認済にする団体のチェックボックスを選んでください。"}
	}
	if len(list) > MaxBulkVerdicts { // each is looked up and audited: a forged form is refused whole
		return nil, &ReviewError{fmt.Sprintf("一度に登録できるのは %d 団体までです（%d 団体が選択されています）。", MaxBulkVerdicts, len(list))}
	}
	var out []VerdictResult
	var save []store.Review
	seen := map[string]bool{}
	for _, v := range list {
		if seen[v.Entity] {
			continue
		}
		seen[v.Entity] = true
		rv, name, err := r.verdict(ctx, by, fy, prefecture, v, status, comment, source)
		res := VerdictResult{Code: v.Entity, Name: name, Status: status, Version: v.Version, Recorded: err == nil}
		var re *ReviewError
		var denied *kofukin.Denied
		switch {
		case err == nil:
			save = append(save, rv)
		case errors.As(err, &re):
			res.Reason = re.MessageJA
		case errors.As(err, &denied), errors.Is(err, ErrNotFound):
			res.Name, res.Reason = "", "この都道府県の市町村ではありません（団体コードを確認してください）。"
		default:
			return nil, err
		}
		out = append(out, res)
	}
	if err := r.Store.Submissions().SaveReviews(ctx, save); err != nil {
		return nil, versionRace(err)
	}
	for _, rv := range save {
		r.audit(ctx, by, "review "+status, rv.EntityCode, fmt.Sprintf("第%d版 %s（一括）", rv.Version, rv.Comment))
	}
	return out, nil
}

// versionRace turns a verdict the store refused because a newer version came in while it was
// given (store.VersionChangedError: between the check and the save) into the reviewer's message;
// other errors pass through.
func versionRace(err error) error {
	var vc *store.VersionChangedError
	if !errors.As(err, &vc) {
		return err
	}
	return &ReviewError{fmt.Sprintf("確認の間に %s の第%d版が提出されたため、第%d版への審査結果は登録できません。何も記録していません。画面を再読み込みして、最新版を確認してください。", vc.Entity, vc.Current, vc.Given)}
}

func validStatus(s string) bool {
	for _, v := range ReviewStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// ReviewImport is the outcome of importing one returned review workbook.
type ReviewImport struct {
	File       *loaders.ReviewFile
	Counts     map[string]int     // verdicts recorded, by status
	Recorded   []VerdictResult    // the verdicts recorded, in the workbook's order
	Unchanged  int                // rows that say what the store already holds (not recorded again)
	Skipped    []SkippedVerdict   // rows not recorded: a newer verdict is in the store
	Rejection  *loaders.Rejection // the workbook was refused (nothing recorded)
	Prefecture string
}

// SkippedVerdict is a row of a returned review workbook that was not recorded because the
// municipality's verdict in the store was recorded after the workbook was written: importing an
// older workbook never overwrites a newer verdict.
type SkippedVerdict struct {
	Code, Cell string
	Name       string
	Status     string    // what the workbook says
	Current    string    // the verdict in the store, kept
	RecordedAt time.Time // when that verdict was recorded
	// Reason, when set, is another reason the row was not recorded: the municipality submitted a
	// newer version than the one the workbook's scores (and so its verdict) were given on.
	Reason string
}

// MessageJA says, for the reviewer, why the row was not recorded.
func (s SkippedVerdict) MessageJA() string {
	return fmt.Sprintf("%s（%s）：%s", s.Code, s.Cell, s.ReasonJA())
}

// ReasonJA says why the row was not recorded, without naming the row.
func (s SkippedVerdict) ReasonJA() string {
	if s.Reason != "" {
		return s.Reason
	}
	return fmt.Sprintf("このブックの作成後に審査状況が「%s」に更新されているため、ブックの「%s」は取り込みませんでした。最新の審査用ブックで確認してください。", s.Current, s.Status)
}

// ImportReview reads a returned review workbook and records its verdicts on behalf of by. The
// workbook names its prefecture (its stamp); every row must be an existing municipality of that
// prefecture in the workbook's fiscal year, and by must be allowed to review each (a prefecture its
// own municipalities). The workbook must be of fiscal year fy (its stamp). Any bad row refuses the
// whole workbook with every problem named; nothing of it is recorded. prefecture, when not "", is
// the prefecture whose page the workbook was sent from: a workbook of another prefecture is
// refused. A verdict (確認済・差戻し) on a municipality that submitted a newer version than the one
// the workbook's score run read is not recorded (a skipped row, with the versions named).
func (r *Runner) ImportReview(ctx context.Context, by kofukin.Principal, fy int, prefecture, name string, data []byte) (*ReviewImport, error) {
	out := &ReviewImport{Counts: map[string]int{}}
	if prefecture != "" {
		if err := r.authorize(ctx, by, kofukin.ActPrefecture, prefecture); err != nil {
			return nil, err
		}
	}
	rf0, err0 := loaders.ReadReview(name, data, func(string, string) bool { return true })
	if err0 == nil && prefecture != "" && rf0.PrefectureCode != prefecture {
		out.Rejection = &loaders.Rejection{File: name, Problems: []loaders.Problem{{Code: loaders.ErrEntity, File: name, Sheet: "審査",
			Expected: prefecture, Found: rf0.PrefectureCode,
			MessageJA: fmt.Sprintf("この審査用ブックは別の都道府県（団体コード %s）のものです。このページの都道府県（%s）の審査用ブックをダウンロードし、記入してアップロードしてください。", rf0.PrefectureCode, prefecture),
			MessageEN: fmt.Sprintf("this review workbook is of prefecture %s, not %s", rf0.PrefectureCode, prefecture)}}}
		r.audit(ctx, by, kofukin.StatusDenied, "review import "+prefecture, "workbook of "+rf0.PrefectureCode)
		return out, nil
	}
	// Verdicts are recorded for the year the workbook is stamped with: it must be fy.
	if rf := rf0; err0 == nil && rf.FiscalYear != fy {
		out.Rejection = &loaders.Rejection{File: name, Problems: []loaders.Problem{{Code: loaders.ErrFiscalYear, File: name, Sheet: "_stamp",
			Expected: fmt.Sprint(fy), Found: fmt.Sprint(rf.FiscalYear),
			MessageJA: fmt.Sprintf("この審査用ブックは%d年度のものではありません（様式情報の年度：%d）。%d年度の審査用ブックを使用してください。", fy, rf.FiscalYear, fy),
			MessageEN: fmt.Sprintf("this review workbook is not for FY%d (its stamp says %d)", fy, rf.FiscalYear)}}}
		r.audit(ctx, by, "review import rejected", name, "fiscal year "+fmt.Sprint(rf.FiscalYear))
		return out, nil
	}
	cache := map[string]map[string]bool{}
	names := map[string]string{}
	var lookupErr error
	inPref := func(pref, code string) bool {
		set, ok := cache[pref]
		if !ok {
			set = map[string]bool{}
			if kofukin.LevelOf(pref) == kofukin.Prefecture {
				if err := r.EnsureReference(ctx, fy); err != nil {
					lookupErr = err
				} else if list, err := r.Store.Reference().Entities(ctx, fy, string(kofukin.Municipality)); err != nil {
					lookupErr = err
				} else {
					for _, e := range list {
						if kofukin.InPrefecture(e.Code, pref) {
							set[e.Code], names[e.Code] = true, e.NameJA
						}
					}
				}
			}
			cache[pref] = set
		}
		return set[code] && kofukin.Allowed(by, kofukin.ActReview, code)
	}
	rf, err := loaders.ReadReview(name, data, inPref)
	if lookupErr != nil {
		return nil, lookupErr
	}
	var rj *loaders.Rejection
	if errors.As(err, &rj) {
		out.Rejection = rj
		r.audit(ctx, by, "review import rejected", name, fmt.Sprintf("%d problem(s)", len(rj.Problems)))
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	out.File, out.Prefecture = rf, rf.PrefectureCode
	if err := kofukin.Authorize(by, kofukin.ActPrefecture, rf.PrefectureCode); err != nil {
		r.audit(ctx, by, kofukin.StatusDenied, "review import "+rf.PrefectureCode, err.Error())
		return nil, err
	}
	// A verdict recorded after the workbook was written is newer than its row, whether the row was
	// left as exported or changed: the row is skipped, and said so.
	asOf, stamped := verdictsAsOf(rf.VerdictsAsOf)
	current := map[string]store.Review{}
	if stamped {
		if current, err = r.Store.Submissions().Reviews(ctx, fy); err != nil {
			return nil, err
		}
	}
	// A workbook written by a rehearsal (the nightly job's, a dry run's) names a score run that was
	// never stored: the versions its rows show cannot be known, so its verdicts are not taken.
	if rf.ScoreRunID > 0 {
		run, err := r.Store.Runs().Get(ctx, rf.ScoreRunID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err != nil || run.Kind != store.KindScore || run.FiscalYear != fy {
			out.Rejection = &loaders.Rejection{File: name, Problems: []loaders.Problem{{Code: loaders.ErrStamp, File: name, Sheet: "_stamp",
				Expected: "score run of FY" + fmt.Sprint(fy), Found: fmt.Sprint(rf.ScoreRunID),
				MessageJA: fmt.Sprintf("この審査用ブックは保存されない試行（夜間の再計算や試行実行。採点実行ID %d）から作られたため、確認結果を取り込めません。ウェブサービスの都道府県のページから正式な実行の審査用ブックをダウンロードし、記入してアップロードしてください。", rf.ScoreRunID),
				MessageEN: fmt.Sprintf("this review workbook was written by a rehearsal (score run %d was never stored): download the review workbook of a real run", rf.ScoreRunID)}}}
			r.audit(ctx, by, "review import rejected", name, fmt.Sprintf("score run %d not stored", rf.ScoreRunID))
			return out, nil
		}
	}
	// The verdicts were given on the versions the workbook's score run read; the versions now
	// current decide whether they still stand.
	given, now, err := r.importVersions(ctx, fy, rf.ScoreRunID)
	if err != nil {
		return nil, err
	}
	var reviews []store.Review
	for _, v := range rf.Verdicts {
		if cur, ok := current[v.Code]; ok && (asOf.IsZero() || cur.ImportedAt.After(asOf)) {
			out.Skipped = append(out.Skipped, SkippedVerdict{Code: v.Code, Cell: v.Cell, Name: names[v.Code], Status: v.Status, Current: cur.Status, RecordedAt: cur.ImportedAt})
			continue
		}
		// A row that says what the store holds (a row left as exported) is not a new verdict —
		// unless the verdict held was given on another version than the row's: 確認済 kept on the
		// version sent after a 確認済 on the one before is a new verdict on the newer version. A
		// comment the review workbook wrote with a quote against formula injection comes back
		// without it.
		comment := exporters.UnquoteText(v.Comment)
		version := now[v.Code]
		if given != nil {
			version = given[v.Code]
		}
		cur := current[v.Code]
		sameVersion := cur.Status == "" || cur.Version == 0 || cur.Version == version
		if stamped && sameVersion && statusOrUnreviewed(cur.Status) == v.Status && strings.TrimSpace(cur.Comment) == strings.TrimSpace(comment) {
			out.Unchanged++
			continue
		}
		if given != nil {
			if msg := VersionRefusal(v.Status, version, now[v.Code]); msg != "" {
				out.Skipped = append(out.Skipped, SkippedVerdict{Code: v.Code, Cell: v.Cell, Name: names[v.Code], Status: v.Status, Reason: msg})
				continue
			}
		}
		reviews = append(reviews, store.Review{FiscalYear: fy, EntityCode: v.Code, Status: v.Status, Comment: comment, File: name, SHA256: rf.SHA256, Version: version})
		out.Recorded = append(out.Recorded, VerdictResult{Code: v.Code, Name: names[v.Code], Status: v.Status, Version: version, Recorded: true})
		out.Counts[v.Status]++
	}
	if err := r.Store.Submissions().SaveReviews(ctx, reviews); err != nil {
		return nil, versionRace(err)
	}
	r.audit(ctx, by, "review import", rf.PrefectureCode, fmt.Sprintf("%s: %d verdict(s), %d skipped as older than the store's", name, len(reviews), len(out.Skipped)))
	return out, nil
}

// importVersions returns the survey versions a review workbook's score run read (nil when the
// workbook names no run, as one written before it was stamped) and the versions current now.
func (r *Runner) importVersions(ctx context.Context, fy int, scoreRun int64) (map[string]int, map[string]int, error) {
	now := map[string]int{}
	subs, err := r.Store.Submissions().Current(ctx, fy)
	if err != nil {
		return nil, nil, fmt.Errorf("current submissions: %w", err)
	}
	for _, x := range subs {
		if x.Kind == KindSurvey {
			now[x.EntityCode] = x.Version
		}
	}
	if scoreRun == 0 {
		return nil, now, nil
	}
	given, err := r.Store.Runs().InputVersions(ctx, scoreRun, KindSurvey)
	if err != nil {
		return nil, nil, fmt.Errorf("versions scored by run %d: %w", scoreRun, err)
	}
	return given, now, nil
}

// statusOrUnreviewed is a verdict's status, 未確認 when there is none.
func statusOrUnreviewed(s string) string {
	if s == "" {
		return "未確認"
	}
	return s
}

// verdictsAsOf reads a review workbook's stamp of when its newest verdict was recorded: the time
// (zero for exporters.VerdictsNone, or a value that is not a time, so that such a workbook
// overwrites no verdict at all), and whether the workbook carries the stamp (one written before
// it was stamped does not, and is recorded as before).
func verdictsAsOf(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, true
	}
	return t, true
}

// audit records an action; a failure to record is logged, never hidden and never fatal to the
// action already done.
func (r *Runner) audit(ctx context.Context, by kofukin.Principal, action, target, detail string) {
	if err := r.Store.Access().Audit(ctx, by, action, target, detail); err != nil {
		r.logger().Error("audit", "action", action, "target", target, "error", err)
	}
}

// BulkTokens says for which bodies IssueTokens issues a token each.
type BulkTokens struct {
	// Prefecture is a prefecture ("31" or "310000"), or "" for the nation.
	Prefecture string
	// Centres: also every care centre; Prefectures: also the prefecture itself (every prefecture,
	// for the nation).
	Centres, Prefectures bool
	Expires              time.Time // zero: DefaultTokenLife from now
	Label                string    // who holds them, for the audit log ("": 一括発行 and the year)
}

// IssueTokens issues, on behalf of by, a token for every municipality of a prefecture or of the
// nation (and its centres and the prefecture itself when asked) in one transaction, and returns
// them as CSV for a spreadsheet — UTF-8 with a byte-order mark, the columns
// 団体コード,団体名,役割,トークン,有効期限 — with how many. The tokens are in these bytes only (the
// store keeps their hashes); the audit log gets one line with the count.
func (r *Runner) IssueTokens(ctx context.Context, by kofukin.Principal, fy int, b BulkTokens) ([]byte, int, error) {
	if err := kofukin.Authorize(by, kofukin.ActTokens, ""); err != nil {
		r.audit(ctx, by, kofukin.StatusDenied, "token issue", err.Error())
		return nil, 0, err
	}
	pc := b.Prefecture
	if len(pc) == 6 && kofukin.LevelOf(pc) == kofukin.Prefecture {
		pc = pc[:2]
	}
	if pc != "" && (len(pc) != 2 || kofukin.LevelOf(pc+"0000") != kofukin.Prefecture) {
		return nil, 0, &UserError{MessageJA: fmt.Sprintf("都道府県コード %q は 31 又は 310000 の形で指定してください。", b.Prefecture)}
	}
	if err := r.EnsureReference(ctx, fy); err != nil {
		return nil, 0, err
	}
	levels := []kofukin.Level{kofukin.Municipality}
	if b.Centres {
		levels = append(levels, kofukin.Centre)
	}
	if b.Prefectures {
		levels = append(levels, kofukin.Prefecture)
	}
	roleOf := map[kofukin.Level]kofukin.Role{kofukin.Municipality: kofukin.RoleMunicipality, kofukin.Centre: kofukin.RoleCentre, kofukin.Prefecture: kofukin.RolePrefecture}
	expires := b.Expires
	if expires.IsZero() {
		expires = r.Store.Now().Add(DefaultTokenLife)
	}
	if !expires.After(r.Store.Now()) {
		return nil, 0, &UserError{MessageJA: fmt.Sprintf("有効期限（%s）が過ぎています。今日より後の日付を指定してください。", expires.In(jst).Format("2006-01-02"))}
	}
	label := b.Label
	if label == "" {
		label = fmt.Sprintf("一括発行 %d年度", fy)
	}
	var specs []store.TokenSpec
	var ents []store.EntityInfo
	for _, lv := range levels {
		list, err := r.Store.Reference().Entities(ctx, fy, string(lv))
		if err != nil {
			return nil, 0, err
		}
		for _, e := range list {
			if pc == "" || e.PrefectureCode == pc {
				specs = append(specs, store.TokenSpec{Role: roleOf[lv], Entity: e.Code, Label: label, Expires: expires})
				ents = append(ents, e)
			}
		}
	}
	if len(specs) == 0 {
		return nil, 0, &UserError{MessageJA: fmt.Sprintf("都道府県コード %s の団体が%d年度にありません。", b.Prefecture, fy)}
	}
	toks, infos, err := r.Store.Access().IssueTokens(ctx, specs)
	if err != nil {
		return nil, 0, err
	}
	var buf bytes.Buffer
	buf.WriteString("\uFEFF") // so that Excel reads UTF-8
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	if err := cw.Write([]string{"団体コード", "団体名", "役割", "トークン", "有効期限"}); err != nil {
		return nil, 0, err
	}
	for i, t := range infos {
		if err := cw.Write([]string{t.EntityCode, ents[i].Name(), t.Role.LabelJA(), toks[i], t.ExpiresAt.In(jst).Format("2006-01-02")}); err != nil {
			return nil, 0, err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, 0, err
	}
	target := "全国"
	if pc != "" {
		target = pc + "0000"
	}
	r.audit(ctx, by, "tokens issued", target, fmt.Sprintf("%d tokens (%s) %s expires %s", len(infos), levelsText(levels), label, expires.Format(time.RFC3339)))
	return buf.Bytes(), len(infos), nil
}

func levelsText(ls []kofukin.Level) string {
	var s []string
	for _, l := range ls {
		s = append(s, string(l))
	}
	return strings.Join(s, "+")
}
