package pipeline

import (
	"testing"

	"github.com/kofukin/kofukin"
)

// Where each principal starts follows from what the policy lets it see.
func TestHomeOf(t *testing.T) {
	for _, c := range []struct {
		p    kofukin.Principal
		want Home
	}{
		{kofukin.Principal{Role: kofukin.RoleMinistry}, Home{Console: true}},
		{kofukin.Operator("cli"), Home{Console: true}},
		{kofukin.Principal{Role: kofukin.RolePrefecture, EntityCode: "310000"}, Home{Prefecture: "310000"}},
		{kofukin.Principal{Role: kofukin.RoleMunicipality, EntityCode: "312011"}, Home{Entity: "312011"}},
		{kofukin.Principal{Role: kofukin.RoleCentre, EntityCode: "312011001"}, Home{Entity: "312011001"}},
		// A prefecture token bound to a municipal code (as older versions issued) has no rights.
		{kofukin.Principal{Role: kofukin.RolePrefecture, EntityCode: "312011"}, Home{Entity: "312011"}},
	} {
		if got := HomeOf(c.p); got != c.want {
			t.Errorf("HomeOf(%s %s) = %+v, want %+v", c.p.Role, c.p.EntityCode, got, c.want)
		}
	}
}
