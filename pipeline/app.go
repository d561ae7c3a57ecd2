package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/store"
)

// The application: one method per thing a person asks of kofukin — sign in, submit, look at a
// page, review, run, set the deadline, manage tokens (access.go). The web pages, the JSON API and
// the command line call these and hold no policy of their own: each method decides once, with
// kofukin.Authorize, whether its principal may; records a refusal in the audit log; and returns
// every failure of the store.
//
// A refusal is a *kofukin.Denied. An entity that does not exist in the fiscal year is ErrNotFound,
// which callers answer exactly as a refusal (nobody learns which codes exist). A request that
// cannot be done as given is a *UserError (or a *ReviewError) whose message is for the person.

// UserError is a request that cannot be done as given — not a refusal: a value in the wrong form,
// or a thing that does not exist (yet). Its message is for the official who asked, in Japanese.
type UserError struct {
	// Missing: the thing asked for does not exist (yet); otherwise a value is wrong.
	Missing   bool
	MessageJA string
	Err       error // the cause, for the log (may be nil)
}

func (e *UserError) Error() string {
	if e.Err != nil {
		return e.MessageJA + ": " + e.Err.Error()
	}
	return e.MessageJA
}

func (e *UserError) Unwrap() error { return e.Err }

func invalid(msg string) error { return &UserError{MessageJA: msg} }

func missing(msg string, cause error) error {
	return &UserError{Missing: true, MessageJA: msg, Err: cause}
}

// noRows reports whether err says the store has no such row (an upload, a run).
func noRows(err error) bool { return errors.Is(err, store.ErrNotFound) }

// Audit records an action on behalf of by (for what the callers decide themselves, such as a
// form without its CSRF token); a failure to record is logged.
func (r *Runner) Audit(ctx context.Context, by kofukin.Principal, action, target, detail string) {
	r.audit(ctx, by, action, target, detail)
}

// authorize asks the policy whether by may do a to target and records a refusal.
func (r *Runner) authorize(ctx context.Context, by kofukin.Principal, a kofukin.Action, target string) error {
	if err := kofukin.Authorize(by, a, target); err != nil {
		r.audit(ctx, by, "denied", strings.TrimSpace(string(a)+" "+target), err.Error())
		return err
	}
	return nil
}

// entityFor authorizes a on code and returns the entity of fy it names. An entity that does not
// exist in fy is recorded as a refusal and returned as ErrNotFound.
func (r *Runner) entityFor(ctx context.Context, by kofukin.Principal, a kofukin.Action, fy int, code string) (*store.EntityInfo, error) {
	if err := r.authorize(ctx, by, a, code); err != nil {
		return nil, err
	}
	e, err := r.FindEntity(ctx, fy, code)
	if errors.Is(err, ErrNotFound) {
		r.audit(ctx, by, "denied", string(a)+" "+code, fmt.Sprintf("no such entity in FY%d", fy))
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("find entity %s: %w", code, err)
	}
	return e, nil
}

// Home is where a principal starts: the ministry's console, its prefecture's 提出状況, or its
// entity's page.
type Home struct {
	Console    bool
	Prefecture string // the prefecture's code, when its page is the home
	Entity     string // the entity's code, otherwise
}

// HomeOf says where p starts, by what the policy lets it see.
func HomeOf(p kofukin.Principal) Home {
	switch {
	case kofukin.Allowed(p, kofukin.ActConsole, ""):
		return Home{Console: true}
	case kofukin.Allowed(p, kofukin.ActPrefecture, p.EntityCode):
		return Home{Prefecture: p.EntityCode}
	}
	return Home{Entity: p.EntityCode}
}

// SignIn checks a token and opens a session of ttl for it, returning its principal, the session's
// cookie value. A token that is unknown, revoked or expired is store.ErrNoToken, recorded in the
// audit log with failure (where it came from and the token's first characters, never more).
func (r *Runner) SignIn(ctx context.Context, token string, ttl time.Duration, failure string) (kofukin.Principal, string, error) {
	p, err := r.Authenticate(ctx, token, "login failed", "", failure)
	if err != nil {
		return p, "", err
	}
	cookie, _, err := r.Store.Access().NewSession(ctx, token, ttl)
	if err != nil {
		return p, "", fmt.Errorf("new session: %w", err)
	}
	r.audit(ctx, p, "login", p.EntityCode, "")
	return p, cookie, nil
}

// Authenticate returns the principal of an active token. A token that is unknown, revoked or
// expired is store.ErrNoToken and recorded in the audit log as action on target with failure.
func (r *Runner) Authenticate(ctx context.Context, token, action, target, failure string) (kofukin.Principal, error) {
	p, err := r.Store.Access().Authenticate(ctx, token)
	if errors.Is(err, store.ErrNoToken) {
		r.audit(ctx, kofukin.Principal{}, action, target, failure)
		return p, err
	}
	if err != nil {
		return p, fmt.Errorf("authenticate: %w", err)
	}
	return p, nil
}

// Session returns the principal and CSRF token of a live session (store.ErrNoToken when there is
// none).
func (r *Runner) Session(ctx context.Context, cookie string) (kofukin.Principal, string, error) {
	p, csrf, err := r.Store.Access().Session(ctx, cookie)
	if err != nil && !errors.Is(err, store.ErrNoToken) {
		err = fmt.Errorf("session: %w", err)
	}
	return p, csrf, err
}

// SignOut ends a session.
func (r *Runner) SignOut(ctx context.Context, cookie string) error {
	if err := r.Store.Access().EndSession(ctx, cookie); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// Ready reports whether the store answers.
func (r *Runner) Ready(ctx context.Context) error { return r.Store.Ping(ctx) }

// deadlineKey is the setting that holds fy's submission deadline.
func deadlineKey(fy int) string { return fmt.Sprintf("deadline:%d", fy) }

// DeadlineKey is the setting that holds fy's submission deadline (for tests and the sql command).
func DeadlineKey(fy int) string { return deadlineKey(fy) }

// Deadline returns fy's submission deadline as YYYY-MM-DD ("" when none is set).
func (r *Runner) Deadline(ctx context.Context, fy int) (string, error) {
	d, err := r.Store.Access().Setting(ctx, deadlineKey(fy))
	if err != nil {
		return "", fmt.Errorf("read the deadline: %w", err)
	}
	return d, nil
}

// SetDeadline sets fy's submission deadline (YYYY-MM-DD, the last day submissions are taken in
// Japan; "" lifts it) on behalf of by.
func (r *Runner) SetDeadline(ctx context.Context, by kofukin.Principal, fy int, day string) error {
	if err := r.authorize(ctx, by, kofukin.ActDeadline, ""); err != nil {
		return err
	}
	day = strings.TrimSpace(day)
	if day != "" {
		if _, err := time.Parse("2006-01-02", day); err != nil {
			return invalid("提出期限は 2026-06-30 の形で入力してください。")
		}
	}
	if err := r.Store.Access().SetSetting(ctx, deadlineKey(fy), day); err != nil {
		return fmt.Errorf("set the deadline: %w", err)
	}
	r.audit(ctx, by, "set deadline", fmt.Sprint(fy), day)
	return nil
}

// jst is the time of the deadline and of token expiries.
var jst = time.FixedZone("JST", 9*3600)

// closedReason says why by cannot submit for code of fy now ("" when it can): the deadline passed,
// or the prefecture confirmed the submission (until it returns it). Whoever may set the deadline
// (the ministry) is never closed out.
func (r *Runner) closedReason(ctx context.Context, by kofukin.Principal, fy int, code string) (string, error) {
	if kofukin.Allowed(by, kofukin.ActDeadline, "") {
		return "", nil
	}
	d, err := r.Deadline(ctx, fy)
	if err != nil {
		return "", err
	}
	if d != "" {
		if t, err := time.ParseInLocation("2006-01-02", d, jst); err == nil && r.Store.Now().After(t.Add(24*time.Hour)) {
			return "提出期限（" + d + "）を過ぎたため、提出できません。", nil
		}
	}
	reviews, err := r.Store.Submissions().Reviews(ctx, fy)
	if err != nil {
		return "", fmt.Errorf("read reviews: %w", err)
	}
	if reviews[code].Status == "確認済" {
		return "都道府県の確認が済んでいるため、差戻しがあるまで提出できません。", nil
	}
	return "", nil
}
