package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kofukin/kofukin"
)

// IssueTokens issues a token for each spec in one transaction: all or none. The tokens' values
// are returned once, in the order of specs; only their hashes are stored.
func (ac *Access) IssueTokens(ctx context.Context, specs []TokenSpec) ([]string, []TokenInfo, error) {
	now := ac.s.Now().UTC()
	toks, infos := make([]string, len(specs)), make([]TokenInfo, len(specs))
	hashes := make([]string, len(specs))
	for i, spec := range specs {
		if err := kofukin.TokenEntityOK(spec.Role, spec.Entity); err != nil {
			return nil, nil, err
		}
		if !spec.Expires.After(now) {
			return nil, nil, fmt.Errorf("the expiry %s is not in the future", spec.Expires.Format(time.RFC3339))
		}
		raw, err := randomHex(32)
		if err != nil {
			return nil, nil, err
		}
		toks[i] = "kfk_" + raw
		hashes[i] = hashOf(toks[i])
		infos[i] = TokenInfo{ID: hashes[i][:TokenIDLen], Role: spec.Role, EntityCode: spec.Entity, Label: spec.Label, CreatedAt: now, ExpiresAt: spec.Expires.UTC()}
	}
	err := ac.s.withTx(ctx, func(c *txConn) error {
		for i, t := range infos {
			if _, err := c.exec(`INSERT INTO tokens (hash, id, role, entity_code, label, created_at, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)`,
				hashes[i], t.ID, string(t.Role), t.EntityCode, t.Label, t.CreatedAt, t.ExpiresAt); err != nil {
				return fmt.Errorf("issue a token for %s: %w", t.EntityCode, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return toks, infos, nil
}
