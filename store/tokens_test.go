package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/store"
)

// TestRevokeByASharedIDIsRefused: a public id is a prefix of the token's hash; when two active
// tokens share one (as 8-digit ids could among thousands), revoking by it would revoke both — it
// is refused, and the value still revokes the one meant. New ids have 12 digits.
func TestRevokeByASharedIDIsRefused(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	spec := kofukin.TokenSpec{Role: kofukin.RoleMunicipality, Entity: "312011", Expires: time.Now().Add(time.Hour)}
	tokA, a, err := st.Access().IssueToken(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := st.Access().IssueToken(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ID) != store.TokenIDLen || a.ID == b.ID {
		t.Fatalf("ids %q and %q", a.ID, b.ID)
	}
	if _, err := store.DB(st).ExecContext(ctx, `UPDATE tokens SET id = 'abcdef12' WHERE id IN (?, ?)`, a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Access().RevokeToken(ctx, "abcdef12"); err == nil || !strings.Contains(err.Error(), "2") {
		t.Fatalf("revoking a shared id: %d revoked, %v", n, err)
	}
	if _, err := st.Access().Authenticate(ctx, tokA); err != nil {
		t.Fatalf("a token was revoked by the refused id: %v", err)
	}
	if n, err := st.Access().RevokeToken(ctx, tokA); err != nil || n != 1 {
		t.Fatalf("revoking by value: %d, %v", n, err)
	}
	// One active token left with that id: the id revokes it.
	if n, err := st.Access().RevokeToken(ctx, "abcdef12"); err != nil || n != 1 {
		t.Fatalf("revoking the last holder of the id: %d, %v", n, err)
	}
}
