package kofukin

import (
	"fmt"
	"strings"
)

// Action is something a principal asks to do.
type Action string

// Actions of the policy. Each is one row of Policy.
const (
	// ActView: see an entity's page, its submissions, upload reports, scores and verdicts.
	ActView Action = "view"
	// ActTemplate: download an entity's survey workbook.
	ActTemplate Action = "template"
	// ActSubmit: upload a survey for an entity (a new version of its submission).
	ActSubmit Action = "submit"
	// ActSubmitMinistryData: load the ministry's outcome values and reference lists.
	ActSubmitMinistryData Action = "submit_ministry_data"
	// ActReview: record a verdict (未確認・確認済・差戻し) on a municipality's submission.
	ActReview Action = "review"
	// ActPrefecture: see a prefecture's 提出状況 and download its review workbook.
	ActPrefecture Action = "prefecture"
	// ActConsole: the ministry console: runs, manifests, outputs, the audit log.
	ActConsole Action = "console"
	// ActRun: score, allocate and export (or a dry run).
	ActRun Action = "run"
	// ActDeadline: set the submission deadline.
	ActDeadline Action = "deadline"
	// ActTokens: issue, list and revoke tokens.
	ActTokens Action = "tokens"
	// ActEquity: a prefecture's equity view (公平性): its own municipalities, its support list and
	// the national figures as aggregates only.
	ActEquity Action = "equity"
	// ActEquityNational: the national equity view, every municipality (issue 14).
	ActEquityNational Action = "equity_national"
	// ActImpact: the impact assessment (効果検証) of an action item on an outcome over the years.
	ActImpact Action = "impact"
)

// Scope says which targets a role may act on.
type Scope int

// Scopes, from none to everything.
const (
	ScopeNone Scope = iota
	// ScopeOwn: the principal's own entity only.
	ScopeOwn
	// ScopeOwnAndChildren: a prefecture's own code and the municipalities and care centres in it.
	ScopeOwnAndChildren
	// ScopeChildMunicipalities: the municipalities in the prefecture (not itself, not centres).
	ScopeChildMunicipalities
	// ScopeAll: any entity, or an action without a target.
	ScopeAll
)

// Rule is one row of the policy: what a role may do to which targets, and what targets the action
// takes at all (its levels; nil for actions without a target).
type Rule struct {
	Action  Action
	Levels  []Level // the levels of target the action applies to; nil: no target
	Scopes  map[Role]Scope
	Comment string
}

var (
	entityLevels = []Level{Municipality, Centre, Prefecture}
	muniOnly     = []Level{Municipality}
	prefOnly     = []Level{Prefecture}
)

// Policy is the one written access policy: role × action × scope. The web pages, the JSON API,
// the command line and the scheduler all ask Authorize, which reads only this table. It is printed
// in the README ("Reliability and security"); a test keeps the two the same.
var Policy = []Rule{
	{ActView, entityLevels, map[Role]Scope{RoleMunicipality: ScopeOwn, RoleCentre: ScopeOwn, RolePrefecture: ScopeOwnAndChildren, RoleMinistry: ScopeAll},
		"an entity's page, submissions, upload reports, scores, verdicts"},
	{ActTemplate, entityLevels, map[Role]Scope{RoleMunicipality: ScopeOwn, RoleCentre: ScopeOwn, RolePrefecture: ScopeOwnAndChildren, RoleMinistry: ScopeAll},
		"the survey workbook stamped with the entity's code"},
	{ActSubmit, entityLevels, map[Role]Scope{RoleMunicipality: ScopeOwn, RoleCentre: ScopeOwn, RolePrefecture: ScopeOwnAndChildren, RoleMinistry: ScopeAll},
		"a new version of the entity's survey; a prefecture or the ministry submitting for another body is recorded as on its behalf"},
	{ActSubmitMinistryData, nil, map[Role]Scope{RoleMinistry: ScopeAll},
		"outcome values, care-centre, population, union, needs and entity lists"},
	{ActReview, muniOnly, map[Role]Scope{RolePrefecture: ScopeChildMunicipalities, RoleMinistry: ScopeAll},
		"a verdict on a municipality's submission; never on the reviewer's own"},
	{ActPrefecture, prefOnly, map[Role]Scope{RolePrefecture: ScopeOwn, RoleMinistry: ScopeAll},
		"a prefecture's 提出状況 and review workbook"},
	{ActConsole, nil, map[Role]Scope{RoleMinistry: ScopeAll}, "runs, manifests, outputs, audit log"},
	{ActRun, nil, map[Role]Scope{RoleMinistry: ScopeAll}, "score, allocate, export, dry runs"},
	{ActDeadline, nil, map[Role]Scope{RoleMinistry: ScopeAll}, "the submission deadline"},
	{ActTokens, nil, map[Role]Scope{RoleMinistry: ScopeAll}, "issue, list, revoke tokens"},
	{ActEquity, prefOnly, map[Role]Scope{RolePrefecture: ScopeOwn, RoleMinistry: ScopeAll},
		"a prefecture's equity view (公平性): its municipalities, its support list, national figures as aggregates"},
	{ActEquityNational, nil, map[Role]Scope{RoleMinistry: ScopeAll}, "the national equity view, every municipality"},
	{ActImpact, nil, map[Role]Scope{RoleMinistry: ScopeAll}, "impact assessment (効果検証): difference-in-differences of an action on an outcome"},
}

// Denied is the error of a refused action. Its text is for logs and the audit trail; people are
// told only that they may not (nothing about the target).
type Denied struct {
	Principal Principal
	Action    Action
	Target    string
	Why       string
}

func (d *Denied) Error() string {
	return fmt.Sprintf("denied: %s %s may not %s %q: %s", d.Principal.Role, d.Principal.EntityCode, d.Action, d.Target, d.Why)
}

// Authorize decides whether p may do a to target (an entity code; "" for actions without one). It
// is the only place kofukin decides who may do what: nil means allowed, a *Denied error refused.
// It looks at the code's shape only; whether the entity exists in the fiscal year is for the caller
// to check (and to refuse the same way).
func Authorize(p Principal, a Action, target string) error {
	deny := func(why string) error { return &Denied{Principal: p, Action: a, Target: target, Why: why} }
	rule, ok := ruleOf(a)
	if !ok {
		return deny("unknown action")
	}
	scope := rule.Scopes[p.Role]
	if scope == ScopeNone {
		return deny("the role has no such right")
	}
	if p.Role != RoleMinistry {
		// A token acts only for an entity of its own role's level: a municipality token bound to a
		// prefectural code (as older versions issued) has no rights at all.
		if err := TokenEntityOK(p.Role, p.EntityCode); err != nil {
			return deny("the principal's entity does not match its role: " + err.Error())
		}
	}
	if rule.Levels == nil {
		if target != "" {
			return deny("the action takes no target")
		}
		return nil // scope is not none: a role-only right
	}
	lv := LevelOf(target)
	if !containsLevel(rule.Levels, lv) {
		return deny(fmt.Sprintf("target level %q is not one of %v", lv, rule.Levels))
	}
	switch scope {
	case ScopeAll:
		return nil
	case ScopeOwn:
		if target == p.EntityCode {
			return nil
		}
	case ScopeOwnAndChildren:
		if target == p.EntityCode || InPrefecture(target, p.EntityCode) {
			return nil
		}
	case ScopeChildMunicipalities:
		if lv == Municipality && InPrefecture(target, p.EntityCode) {
			return nil
		}
	}
	return deny("the target is outside the principal's scope")
}

// Allowed is Authorize as a yes or no, for deciding what to show.
func Allowed(p Principal, a Action, target string) bool { return Authorize(p, a, target) == nil }

func ruleOf(a Action) (Rule, bool) {
	for _, r := range Policy {
		if r.Action == a {
			return r, true
		}
	}
	return Rule{}, false
}

func containsLevel(ls []Level, l Level) bool {
	for _, x := range ls {
		if x == l && l != LevelUnknown {
			return true
		}
	}
	return false
}

// TokenEntityOK reports whether a token of role may be bound to entity: a municipality token to a
// municipal code, a centre token to a centre code, a prefecture token to a prefectural code, a
// ministry token to none. (Whether the entity exists is checked against the entity list.)
func TokenEntityOK(role Role, entity string) error {
	want := map[Role]Level{RoleMunicipality: Municipality, RoleCentre: Centre, RolePrefecture: Prefecture}
	switch {
	case role == RoleMinistry && entity == "":
		return nil
	case role == RoleMinistry:
		return fmt.Errorf("a ministry token is not bound to an entity (got %q)", entity)
	}
	lv, ok := want[role]
	if !ok {
		var names []string
		for _, r := range Roles {
			names = append(names, string(r))
		}
		return fmt.Errorf("unknown role %q (known: %s)", role, strings.Join(names, ", "))
	}
	if entity == "" {
		return fmt.Errorf("a %s token needs an entity code", role)
	}
	if got := LevelOf(entity); got != lv {
		return fmt.Errorf("%q is not a %s code (a %s token needs one)", entity, lv, role)
	}
	return nil
}

// PolicyMarkdown renders the policy as the README's table (role × action), so the README can be
// checked against the code.
func PolicyMarkdown() string {
	var b strings.Builder
	b.WriteString("| action | municipality | centre | prefecture | ministry |\n|---|---|---|---|---|\n")
	for _, r := range Policy {
		fmt.Fprintf(&b, "| `%s` — %s |", r.Action, r.Comment)
		for _, role := range Roles {
			fmt.Fprintf(&b, " %s |", scopeText(r.Scopes[role], r.Levels == nil))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func scopeText(s Scope, noTarget bool) string {
	switch s {
	case ScopeOwn:
		return "own"
	case ScopeOwnAndChildren:
		return "own + its municipalities and centres"
	case ScopeChildMunicipalities:
		return "its municipalities"
	case ScopeAll:
		if noTarget {
			return "yes"
		}
		return "all"
	}
	return "—"
}
