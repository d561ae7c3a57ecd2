package kofukin

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// The expectations below are written by hand from the README's privilege table, not derived from
// Policy: changing a scope in Policy must make this test fail.
func TestAuthorizeTable(t *testing.T) {
	muni := Principal{Role: RoleMunicipality, EntityCode: "312011"}
	centre := Principal{Role: RoleCentre, EntityCode: "312011001"}
	pref := Principal{Role: RolePrefecture, EntityCode: "310000"}
	ministry := Principal{Role: RoleMinistry}
	cases := []struct {
		name   string
		p      Principal
		a      Action
		target string
		want   bool
	}{
		{"muni views itself", muni, ActView, "312011", true},
		{"muni views a neighbour", muni, ActView, "312029", false},
		{"muni views its prefecture", muni, ActView, "310000", false},
		{"muni views its own centre", muni, ActView, "312011001", false},
		{"muni template", muni, ActTemplate, "312011", true},
		{"muni submits itself", muni, ActSubmit, "312011", true},
		{"muni submits a neighbour", muni, ActSubmit, "312029", false},
		{"muni ministry data", muni, ActSubmitMinistryData, "", false},
		{"muni reviews itself", muni, ActReview, "312011", false},
		{"muni prefecture page", muni, ActPrefecture, "310000", false},
		{"muni console", muni, ActConsole, "", false},
		{"muni tokens", muni, ActTokens, "", false},
		{"muni runs", muni, ActRun, "", false},
		{"muni impact", muni, ActImpact, "", false},

		{"centre views itself", centre, ActView, "312011001", true},
		{"centre views its municipality", centre, ActView, "312011", false},
		{"centre submits itself", centre, ActSubmit, "312011001", true},
		{"centre submits another centre", centre, ActSubmit, "312011002", false},

		{"pref views itself", pref, ActView, "310000", true},
		{"pref views its municipality", pref, ActView, "312011", true},
		{"pref views its centre", pref, ActView, "312011001", true},
		{"pref views another prefecture's municipality", pref, ActView, "322016", false},
		{"pref views another prefecture", pref, ActView, "320005", false},
		{"pref submits for its municipality", pref, ActSubmit, "312011", true},
		{"pref submits for another prefecture's", pref, ActSubmit, "322016", false},
		{"pref reviews its municipality", pref, ActReview, "312011", true},
		{"pref reviews itself", pref, ActReview, "310000", false},
		{"pref reviews a centre", pref, ActReview, "312011001", false},
		{"pref reviews another prefecture's", pref, ActReview, "322016", false},
		{"pref reviews code 31", pref, ActReview, "31", false},
		{"pref reviews a code with a wrong check digit", pref, ActReview, "319999", false},
		{"pref reviews an empty code", pref, ActReview, "", false},
		{"pref page own", pref, ActPrefecture, "310000", true},
		{"pref page other", pref, ActPrefecture, "320005", false},
		{"pref console", pref, ActConsole, "", false},
		{"pref ministry data", pref, ActSubmitMinistryData, "", false},
		{"pref tokens", pref, ActTokens, "", false},
		{"pref impact", pref, ActImpact, "", false},
		{"centre impact", centre, ActImpact, "", false},

		{"ministry views anyone", ministry, ActView, "322016", true},
		{"ministry submits for anyone", ministry, ActSubmit, "312011001", true},
		{"ministry ministry data", ministry, ActSubmitMinistryData, "", true},
		{"ministry reviews a municipality", ministry, ActReview, "322016", true},
		{"ministry reviews a prefecture", ministry, ActReview, "310000", false},
		{"ministry reviews an empty code", ministry, ActReview, "", false},
		{"ministry prefecture page", ministry, ActPrefecture, "320005", true},
		{"ministry prefecture page of a municipality", ministry, ActPrefecture, "312011", false},
		{"ministry console", ministry, ActConsole, "", true},
		{"ministry console with a target", ministry, ActConsole, "312011", false},
		{"ministry tokens", ministry, ActTokens, "", true},
		{"ministry impact", ministry, ActImpact, "", true},
		{"ministry run", ministry, ActRun, "", true},
		{"ministry deadline", ministry, ActDeadline, "", true},
		{"ministry unknown action", ministry, Action("drop"), "", false},
		{"ministry equity of a prefecture", ministry, ActEquity, "320005", true},
		{"ministry equity of a municipality", ministry, ActEquity, "312011", false},
		{"ministry national equity", ministry, ActEquityNational, "", true},
		{"pref equity own", pref, ActEquity, "310000", true},
		{"pref equity other", pref, ActEquity, "320005", false},
		{"pref national equity", pref, ActEquityNational, "", false},
		{"muni equity of its prefecture", muni, ActEquity, "310000", false},
		{"muni national equity", muni, ActEquityNational, "", false},
		{"centre equity", centre, ActEquity, "310000", false},

		{"no role", Principal{EntityCode: "312011"}, ActView, "312011", false},
		{"unknown role", Principal{Role: "admin", EntityCode: "312011"}, ActView, "312011", false},
		{"muni without an entity", Principal{Role: RoleMunicipality}, ActView, "", false},
		{"pref with a bad entity", Principal{Role: RolePrefecture, EntityCode: "31"}, ActView, "312011", false},
		{"operator", Operator("cli"), ActSubmit, "312011", true},
		// Tokens issued before role and entity had to match have no rights.
		{"municipality token on a prefectural code", Principal{Role: RoleMunicipality, EntityCode: "310000"}, ActSubmit, "310000", false},
		{"municipality token on a prefectural code views", Principal{Role: RoleMunicipality, EntityCode: "310000"}, ActView, "310000", false},
		{"centre token on a municipal code", Principal{Role: RoleCentre, EntityCode: "312011"}, ActSubmit, "312011", false},
		{"prefecture token on a municipal code", Principal{Role: RolePrefecture, EntityCode: "312011"}, ActView, "312011", false},
		{"municipality token on a centre code", Principal{Role: RoleMunicipality, EntityCode: "312011001"}, ActView, "312011001", false},
	}
	for _, c := range cases {
		err := Authorize(c.p, c.a, c.target)
		if got := err == nil; got != c.want {
			t.Errorf("%s: Authorize(%s %q, %s, %q) = %v, want allowed=%v", c.name, c.p.Role, c.p.EntityCode, c.a, c.target, err, c.want)
		}
		var d *Denied
		if err != nil && !errors.As(err, &d) {
			t.Errorf("%s: the refusal is %T, want *Denied", c.name, err)
		}
	}
}

func TestLevelOf(t *testing.T) {
	for code, want := range map[string]Level{
		"312011": Municipality, "322016": Municipality, "011002": Municipality,
		"310000": Prefecture, "320005": Prefecture, "010006": Prefecture,
		"312011001": Centre,
		"":          LevelUnknown, "31": LevelUnknown, "319999": LevelUnknown, "312012": LevelUnknown, "31201a": LevelUnknown,
		"310000001": LevelUnknown, "3120110011": LevelUnknown, "MHLW": LevelUnknown, "３１２０１１": LevelUnknown,
	} {
		if got := LevelOf(code); got != want {
			t.Errorf("LevelOf(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestTokenEntityOK(t *testing.T) {
	for _, c := range []struct {
		role   Role
		entity string
		ok     bool
	}{
		{RoleMunicipality, "312011", true},
		{RoleMunicipality, "310000", false}, // a prefectural code
		{RoleMunicipality, "999999", false}, // wrong check digit
		{RoleMunicipality, "99999", false},
		{RoleMunicipality, "", false},
		{RoleMunicipality, "312011001", false},
		{RolePrefecture, "310000", true},
		{RolePrefecture, "312011", false},
		{RoleCentre, "312011001", true},
		{RoleCentre, "312011", false},
		{RoleMinistry, "", true},
		{RoleMinistry, "312011", false},
		{Role("admin"), "", false},
	} {
		if err := TokenEntityOK(c.role, c.entity); (err == nil) != c.ok {
			t.Errorf("TokenEntityOK(%s, %q) = %v, want ok=%v", c.role, c.entity, err, c.ok)
		}
	}
}

// The README prints the policy; it must be the policy.
func TestREADMEPrintsThePolicy(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), PolicyMarkdown()) {
		t.Errorf("README.md does not contain the policy table as the code has it; paste this into \"Reliability and security\":\n%s", PolicyMarkdown())
	}
}
