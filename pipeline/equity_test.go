package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kofukin/kofukin"
)

// The equity actions ask the policy once: a municipality and a centre get nothing, a prefecture
// only its own view, the ministry both; with no score run the view says so in Japanese.
func TestEquityAuthorization(t *testing.T) {
	ctx := context.Background()
	r := newRunner(t, "")
	ministry := kofukin.Principal{Role: kofukin.RoleMinistry}
	v, err := r.EquityNational(ctx, ministry)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Years) != 0 || !strings.Contains(v.NoteJA, "まだありません") {
		t.Errorf("an empty store's view: %+v", v)
	}
	denied := func(what string, err error) {
		t.Helper()
		var d *kofukin.Denied
		if !errors.As(err, &d) {
			t.Errorf("%s: %v, want a refusal", what, err)
		}
	}
	muni := kofukin.Principal{Role: kofukin.RoleMunicipality, EntityCode: "312011"}
	pref := kofukin.Principal{Role: kofukin.RolePrefecture, EntityCode: "310000"}
	centre := kofukin.Principal{Role: kofukin.RoleCentre, EntityCode: "312011001"}
	for _, p := range []kofukin.Principal{muni, pref, centre} {
		_, err := r.EquityNational(ctx, p)
		denied(string(p.Role)+" national", err)
	}
	for _, p := range []kofukin.Principal{muni, centre} {
		_, err := r.EquityPrefecture(ctx, p, 2026, "310000")
		denied(string(p.Role)+" prefecture", err)
	}
	_, err = r.EquityPrefecture(ctx, pref, 2026, "320005")
	denied("another prefecture", err)
	_, err = r.EquityPrefecture(ctx, pref, 2026, "312011")
	denied("a municipality's code as a prefecture", err)
}
