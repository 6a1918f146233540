package servicenow

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Authentication errors. None of them is ever shown to the caller beyond the
// fixed 401 envelope; they go to the log (without credentials).
var (
	errNoCredentials  = errors.New("servicenow: no credentials")
	errBadCredentials = errors.New("servicenow: invalid credentials")
	errUnknownUser    = errors.New("servicenow: no active sys_user matches")
)

// maxCredentialLen bounds the Authorization header we are willing to parse.
const maxCredentialLen = 16 << 10

// shortHash is a correlation handle for a credential: never log the
// credential itself.
func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

// authenticate identifies the caller from the Authorization header.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, errNoCredentials
	}
	if len(h) > maxCredentialLen {
		return nil, fmt.Errorf("%w: header too large", errBadCredentials)
	}
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "basic":
		return s.authenticateBasic(r.Context(), cred)
	case "bearer":
		return s.authenticateBearer(r.Context(), cred)
	}
	return nil, fmt.Errorf("%w: unsupported scheme", errBadCredentials)
}

func (s *Server) authenticateBasic(ctx context.Context, cred string) (*principal, error) {
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed basic credentials", errBadCredentials)
	}
	name, password, ok := strings.Cut(string(raw), ":")
	if !ok || name == "" {
		return nil, fmt.Errorf("%w: malformed basic credentials", errBadCredentials)
	}
	u, err := s.findUser(ctx, "user_name", name)
	if err != nil {
		checkPassword(dummyPasswordHash(), password)
		return nil, err
	}
	if !checkPassword(u.passwordHash, password) {
		return nil, fmt.Errorf("%w: wrong password", errBadCredentials)
	}
	return s.principalFor(ctx, u, "basic")
}

func (s *Server) authenticateBearer(ctx context.Context, token string) (*principal, error) {
	if token == "" {
		return nil, fmt.Errorf("%w: empty bearer token", errBadCredentials)
	}
	id, err := s.verifyBearer(ctx, token)
	if err != nil {
		return nil, err
	}
	method := "oidc:" + id.provider.Name
	key := method + "\x00" + id.provider.UserField + "\x00" + id.claim
	if p, ok := s.auth.principal(key); ok {
		return p, nil
	}
	gen := s.auth.gen.Load() // before the lookup: a write after it invalidates
	u, err := s.findUser(ctx, id.provider.UserField, id.claim)
	if err != nil {
		return nil, err
	}
	p, err := s.principalFor(ctx, u, method)
	if err != nil {
		return nil, err
	}
	s.auth.putPrincipal(key, p, gen)
	return p, nil
}

type userRow struct {
	sysID, userName, passwordHash string
}

// findUser returns the one active, unlocked sys_user whose field equals
// value (an exact, case-sensitive match).
func (s *Server) findUser(ctx context.Context, fieldName, value string) (userRow, error) {
	users := s.dict.table("sys_user")
	f := users.field(fieldName)
	if f == nil || f.hidden() {
		return userRow{}, fmt.Errorf("servicenow: sys_user has no field %q", fieldName)
	}
	b := &sqlBuilder{}
	rows, err := s.reads.QueryContext(ctx, "SELECT sys_id, user_name, COALESCE(user_password, '') FROM sys_user WHERE "+
		quoteIdent(f.Name)+" = "+b.bind(value)+" AND active = 1 AND COALESCE(locked_out, 0) = 0 LIMIT 2", b.args...)
	if err != nil {
		return userRow{}, fmt.Errorf("servicenow: find user: %w", err)
	}
	defer rows.Close()
	var found []userRow
	for rows.Next() {
		var u userRow
		if err := rows.Scan(&u.sysID, &u.userName, &u.passwordHash); err != nil {
			return userRow{}, fmt.Errorf("servicenow: find user: %w", err)
		}
		found = append(found, u)
	}
	if err := rows.Err(); err != nil {
		return userRow{}, fmt.Errorf("servicenow: find user: %w", err)
	}
	if len(found) != 1 {
		// None, or ambiguous: both are refused.
		return userRow{}, errUnknownUser
	}
	return found[0], nil
}

func (s *Server) principalFor(ctx context.Context, u userRow, method string) (*principal, error) {
	rows, err := s.reads.QueryContext(ctx, `SELECT r.name FROM sys_user_has_role AS h JOIN sys_user_role AS r ON r.sys_id = h.role WHERE h."user" = ?1`, u.sysID)
	if err != nil {
		return nil, fmt.Errorf("servicenow: roles: %w", err)
	}
	defer rows.Close()
	p := &principal{SysID: u.sysID, UserName: u.userName, Roles: map[string]bool{}, Method: method}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("servicenow: roles: %w", err)
		}
		p.Roles[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("servicenow: roles: %w", err)
	}
	rows.Close()
	groups, err := s.reads.QueryContext(ctx, `SELECT "group" FROM sys_user_grmember WHERE "user" = ?1 AND "group" IS NOT NULL ORDER BY rowid`, u.sysID)
	if err != nil {
		return nil, fmt.Errorf("servicenow: groups: %w", err)
	}
	defer groups.Close()
	for groups.Next() {
		var id string
		if err := groups.Scan(&id); err != nil {
			return nil, fmt.Errorf("servicenow: groups: %w", err)
		}
		p.Groups = append(p.Groups, id)
	}
	return p, groups.Err()
}
