// Package kofukin holds the vocabulary every other package speaks: who may act (roles and
// principals), what they may do to which entity (the written access policy in policy.go), the
// levels of reporting body and the rules of their entity codes (code.go), the statuses of
// submissions and runs (status.go), and the problems found in a submitted file with their stable
// codes and places (problem.go). It imports only the standard library.
package kofukin

import (
	"errors"
	"time"
)

// Role is what a token speaks for.
type Role string

// Roles of the service. The system role is the operator of the machine: the command line and the
// scheduled jobs, which act with the ministry's rights and are recorded as such.
const (
	RoleMunicipality Role = "municipality"
	RoleCentre       Role = "centre"
	RolePrefecture   Role = "prefecture"
	RoleMinistry     Role = "ministry"
)

// Roles lists the roles a token can be issued for, in the order they are shown.
var Roles = []Role{RoleMunicipality, RoleCentre, RolePrefecture, RoleMinistry}

// LabelJA is the role's name as officials read it.
func (r Role) LabelJA() string {
	switch r {
	case RoleMunicipality:
		return "市町村"
	case RoleCentre:
		return "地域包括支援センター"
	case RolePrefecture:
		return "都道府県"
	case RoleMinistry:
		return "国（厚生労働省）"
	}
	return string(r)
}

// Principal is who a token, a session or the operator speaks for.
type Principal struct {
	TokenID    string // public id of the token ("cli", "inbox" for the operator)
	Role       Role
	EntityCode string // "" for the ministry
	Label      string
}

// Operator returns the principal of the command line or a scheduled job (via names which): the
// operator of the machine that owns the database, with the ministry's rights.
func Operator(via string) Principal {
	return Principal{TokenID: via, Role: RoleMinistry, Label: "operator (" + via + ")"}
}

// ErrNoCredentials is the answer to a token or session that is unknown, revoked or expired.
var ErrNoCredentials = errors.New("unknown, revoked or expired credentials")

// TokenSpec is what a token is issued for: a role, the entity it speaks for ("" for the
// ministry), a label for the people who manage tokens, and when it expires (zero: the default).
type TokenSpec struct {
	Role    Role
	Entity  string
	Label   string
	Expires time.Time
}
