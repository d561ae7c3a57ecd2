package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/kofukin/kofukin"
)

// Roles of the service (kofukin's, named here for the store's callers).
const (
	RoleMunicipality = kofukin.RoleMunicipality
	RoleCentre       = kofukin.RoleCentre
	RolePrefecture   = kofukin.RolePrefecture
	RoleMinistry     = kofukin.RoleMinistry
)

// Principal is who a token or session speaks for.
type Principal = kofukin.Principal

// ErrNoToken is returned for a token or session that is unknown, revoked or expired
// (kofukin.ErrNoCredentials).
var ErrNoToken = kofukin.ErrNoCredentials

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// TokenSpec is what a token is issued for (kofukin.TokenSpec).
type TokenSpec = kofukin.TokenSpec

// IssueToken creates a token for a role and entity and returns it with what was issued; only its
// hash is stored, so it can be shown once only. The role and the entity's code must match
// (kofukin.TokenEntityOK) and the expiry must be in the future; whether the entity exists is the
// caller's to check.
func (ac *Access) IssueToken(ctx context.Context, spec TokenSpec) (string, TokenInfo, error) {
	if err := kofukin.TokenEntityOK(spec.Role, spec.Entity); err != nil {
		return "", TokenInfo{}, err
	}
	now := ac.s.Now().UTC()
	if !spec.Expires.After(now) {
		return "", TokenInfo{}, fmt.Errorf("the expiry %s is not in the future", spec.Expires.Format(time.RFC3339))
	}
	raw, err := randomHex(32)
	if err != nil {
		return "", TokenInfo{}, err
	}
	token := "kfk_" + raw
	h := hashOf(token)
	t := TokenInfo{ID: h[:TokenIDLen], Role: spec.Role, EntityCode: spec.Entity, Label: spec.Label, CreatedAt: now, ExpiresAt: spec.Expires.UTC()}
	_, err = ac.s.db.ExecContext(ctx, `INSERT INTO tokens (hash, id, role, entity_code, label, created_at, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)`,
		h, t.ID, string(t.Role), t.EntityCode, t.Label, t.CreatedAt, t.ExpiresAt)
	return token, t, err
}

// TokenInfo is one issued token as listed (never its value: only its hash is stored).
type TokenInfo struct {
	ID         string
	Role       kofukin.Role
	EntityCode string
	Label      string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
}

// Active reports whether the token can be used at t: not revoked, not expired, and bound to an
// entity of its role's level (tokens issued before that was checked may not be).
func (t TokenInfo) Active(at time.Time) bool {
	return t.RevokedAt == nil && t.ExpiresAt.After(at) && kofukin.TokenEntityOK(t.Role, t.EntityCode) == nil
}

// Principal is whom the token speaks for.
func (t TokenInfo) Principal() Principal {
	return Principal{TokenID: t.ID, Role: t.Role, EntityCode: t.EntityCode, Label: t.Label}
}

// Tokens lists the issued tokens, newest first.
func (ac *Access) Tokens(ctx context.Context) ([]TokenInfo, error) {
	rows, err := ac.s.db.QueryContext(ctx, `SELECT id, role, entity_code, label, created_at, coalesce(expires_at, created_at), revoked_at FROM tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TokenInfo
	for rows.Next() {
		var t TokenInfo
		var role string
		var rev sql.NullTime
		if err := rows.Scan(&t.ID, &role, &t.EntityCode, &t.Label, &t.CreatedAt, &t.ExpiresAt, &rev); err != nil {
			return nil, err
		}
		t.Role = kofukin.Role(role)
		if rev.Valid {
			r := rev.Time
			t.RevokedAt = &r
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TokenIDLen is the length of a token's public id: the first hex digits of its hash (12 since
// the bulk issue; tokens issued before have 8).
const TokenIDLen = 12

// RevokeToken revokes a token given by its value or its public id. An id that more than one active
// token shares (ids are a prefix of the hash) is refused: revoke that token by its value.
func (ac *Access) RevokeToken(ctx context.Context, tokenOrID string) (int64, error) {
	var shared int
	if err := ac.s.db.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE id = ? AND hash <> ? AND revoked_at IS NULL`, tokenOrID, hashOf(tokenOrID)).Scan(&shared); err != nil {
		return 0, err
	}
	if shared > 1 {
		return 0, fmt.Errorf("id %s は有効なトークン %d 件に共通です。トークンの値で失効してください / id %s is shared by %d active tokens: revoke by the token's value", tokenOrID, shared, tokenOrID, shared)
	}
	res, err := ac.s.db.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE (hash = ? OR id = ?) AND revoked_at IS NULL`, ac.s.Now().UTC(), hashOf(tokenOrID), tokenOrID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, fmt.Errorf("no active token %q", tokenOrID)
	}
	_, err = ac.s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash IN (SELECT hash FROM tokens WHERE revoked_at IS NOT NULL)`)
	return n, err
}

// Authenticate returns the principal of an active token: issued, not revoked, not expired.
func (ac *Access) Authenticate(ctx context.Context, token string) (Principal, error) {
	var p Principal
	var role string
	err := ac.s.db.QueryRowContext(ctx, `SELECT id, role, entity_code, label FROM tokens WHERE hash = ? AND revoked_at IS NULL AND expires_at > ?`,
		hashOf(token), ac.s.Now().UTC()).Scan(&p.TokenID, &role, &p.EntityCode, &p.Label)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNoToken
	}
	p.Role = kofukin.Role(role)
	return p, err
}

// NewSession starts a session for a token and returns the cookie value and the session's CSRF
// token.
func (ac *Access) NewSession(ctx context.Context, token string, ttl time.Duration) (cookie, csrf string, err error) {
	if _, err := ac.Authenticate(ctx, token); err != nil {
		return "", "", err
	}
	if cookie, err = randomHex(32); err != nil {
		return "", "", err
	}
	if csrf, err = randomHex(16); err != nil {
		return "", "", err
	}
	now := ac.s.Now().UTC()
	_, err = ac.s.db.ExecContext(ctx, `INSERT INTO sessions VALUES (?, ?, ?, ?, ?)`, hashOf(cookie), hashOf(token), csrf, now, now.Add(ttl))
	return cookie, csrf, err
}

// Session returns the principal and CSRF token of a live session.
func (ac *Access) Session(ctx context.Context, cookie string) (Principal, string, error) {
	var p Principal
	var csrf, role string
	now := ac.s.Now().UTC()
	err := ac.s.db.QueryRowContext(ctx, `SELECT t.id, t.role, t.entity_code, t.label, s.csrf FROM sessions s JOIN tokens t ON t.hash = s.token_hash
		WHERE s.hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL AND t.expires_at > ?`, hashOf(cookie), now, now).Scan(&p.TokenID, &role, &p.EntityCode, &p.Label, &csrf)
	if errors.Is(err, sql.ErrNoRows) {
		return p, "", ErrNoToken
	}
	p.Role = kofukin.Role(role)
	return p, csrf, err
}

// EndSession ends a session.
func (ac *Access) EndSession(ctx context.Context, cookie string) error {
	_, err := ac.s.db.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hashOf(cookie))
	return err
}

// Audit records who did what.
func (ac *Access) Audit(ctx context.Context, p Principal, action, target, detail string) error {
	_, err := ac.s.db.ExecContext(context.WithoutCancel(ctx), `INSERT INTO audit VALUES (nextval('audit_id_seq'), ?, ?, ?, ?, ?, ?, ?)`,
		ac.s.Now().UTC(), string(p.Role), p.EntityCode, p.TokenID, action, target, detail)
	return err
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	At                     time.Time
	Role, Entity, Token    string
	Action, Target, Detail string
}

// AuditLog returns the newest entries first.
func (ac *Access) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	rows, err := ac.s.db.QueryContext(ctx, `SELECT at, role, entity_code, token_id, action, target, detail FROM audit ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.At, &e.Role, &e.Entity, &e.Token, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Upload is a file received by the service.
type Upload struct {
	ID         int64
	At         time.Time
	TokenID    string
	EntityCode string
	FileName   string
	SHA256     string
	Status     string
	Report     string
	Annotated  string
}

// AddUpload records an upload and returns its id.
func (sb *Submissions) AddUpload(ctx context.Context, u Upload) (int64, error) {
	ids, err := sb.s.nextIDs(ctx, sb.s.db, "upload_id_seq", 1)
	if err != nil {
		return 0, err
	}
	id := ids[0]
	var ann any
	if u.Annotated != "" {
		ann = u.Annotated
	}
	_, err = sb.s.db.ExecContext(ctx, `INSERT INTO uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, sb.s.Now().UTC(), u.TokenID, u.EntityCode, u.FileName, u.SHA256, u.Status, u.Report, ann)
	return id, err
}

// Upload returns one upload.
func (sb *Submissions) Upload(ctx context.Context, id int64) (*Upload, error) {
	var u Upload
	var ann sql.NullString
	err := sb.s.db.QueryRowContext(ctx, `SELECT id, at, token_id, entity_code, file_name, sha256, status, report, annotated FROM uploads WHERE id = ?`, id).
		Scan(&u.ID, &u.At, &u.TokenID, &u.EntityCode, &u.FileName, &u.SHA256, &u.Status, &u.Report, &ann)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("no upload %d: %w", id, ErrNotFound)
	}
	u.Annotated = ann.String
	return &u, err
}

// Uploads lists an entity's uploads, newest first.
func (sb *Submissions) Uploads(ctx context.Context, entity string, limit int) ([]Upload, error) {
	rows, err := sb.s.db.QueryContext(ctx, `SELECT id, at, token_id, entity_code, file_name, sha256, status, report, coalesce(annotated, '') FROM uploads
		WHERE entity_code = ? ORDER BY id DESC LIMIT ?`, entity, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Upload
	for rows.Next() {
		var u Upload
		if err := rows.Scan(&u.ID, &u.At, &u.TokenID, &u.EntityCode, &u.FileName, &u.SHA256, &u.Status, &u.Report, &u.Annotated); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Setting returns a setting ("" when unset).
func (ac *Access) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := ac.s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetSetting stores a setting.
func (ac *Access) SetSetting(ctx context.Context, key, value string) error {
	_, err := ac.s.db.ExecContext(ctx, `INSERT OR REPLACE INTO settings VALUES (?, ?)`, key, value)
	return err
}
