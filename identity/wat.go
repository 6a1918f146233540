package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// watPrefix starts every workload access token; the version lets a later
// format coexist.
const watPrefix = "obwat1."

// watAD is the associated data a WAT is sealed with, so that no other
// ciphertext from the same keyring (a vault row) can pass as a WAT.
var watAD = []byte("onbehalf/wat/v1")

// Size bounds: AgentCore caps both tokens at 128 KiB; a user token of up to
// maxUserTokenLen still makes a WAT under maxWATLen.
const (
	maxWATLen       = 128 << 10
	maxUserTokenLen = 90_000
)

// WAT kinds: who the token names.
const (
	watJWT      = ""    // a user verified from a JWT (GetWorkloadAccessTokenForJWT)
	watUserID   = "uid" // a user named by bare id (GetWorkloadAccessTokenForUserId)
	watWorkload = "wl"  // no user (GetWorkloadAccessToken)
)

// UserIDIssuer stands for the issuer of users named by a bare id
// (GetWorkloadAccessTokenForUserId): such a user is UserIDIssuer|<userId> in
// the vault and the audit, never the same as a verified iss|sub.
const UserIDIssuer = "urn:onbehalf:user-id"

// watClaims is the sealed content of a WAT.
type watClaims struct {
	Workload  string `json:"wl"`
	Kind      string `json:"k,omitempty"`
	Issuer    string `json:"iss,omitempty"`
	Subject   string `json:"sub,omitempty"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
	UserToken string `json:"ut,omitempty"`
}

// user is "iss|sub", or "" when the WAT names no user.
func (c watClaims) user() string {
	if c.Kind == watWorkload {
		return ""
	}
	return c.Issuer + "|" + c.Subject
}

func (c watClaims) valid() bool {
	if c.Workload == "" {
		return false
	}
	switch c.Kind {
	case watJWT:
		return c.Issuer != "" && c.Subject != "" && c.UserToken != ""
	case watUserID:
		return c.Issuer == UserIDIssuer && c.Subject != "" && c.UserToken == ""
	case watWorkload:
		return c.Issuer == "" && c.Subject == "" && c.UserToken == ""
	}
	return false
}

// GetWorkloadAccessTokenForJWTInput is the AgentCore operation's input.
type GetWorkloadAccessTokenForJWTInput struct {
	WorkloadName string `json:"workloadName"`
	UserToken    string `json:"userToken"`
}

// String never prints the user token.
func (in GetWorkloadAccessTokenForJWTInput) String() string {
	return fmt.Sprintf("identity.GetWorkloadAccessTokenForJWTInput{workloadName=%q userToken=%d bytes}", in.WorkloadName, len(in.UserToken))
}

// GetWorkloadAccessTokenForJWTOutput is the AgentCore operation's output.
type GetWorkloadAccessTokenForJWTOutput struct {
	WorkloadAccessToken string `json:"workloadAccessToken"`
}

// String never prints the workload access token.
func (out GetWorkloadAccessTokenForJWTOutput) String() string {
	return fmt.Sprintf("identity.GetWorkloadAccessTokenForJWTOutput{workloadAccessToken=%d bytes}", len(out.WorkloadAccessToken))
}

// GetWorkloadAccessTokenForJWT verifies the user's token and returns a
// workload access token binding the workload to that user. Errors:
// ValidationException (missing fields), ResourceNotFoundException (unknown
// workload), UnauthorizedException (the user token does not verify),
// InternalServerException (sealing or audit failed).
func (b *Broker) GetWorkloadAccessTokenForJWT(ctx context.Context, in GetWorkloadAccessTokenForJWTInput) (GetWorkloadAccessTokenForJWTOutput, error) {
	ev := b.newEvent(ctx, actionWAT)
	ev.Workload = in.WorkloadName
	wat, claims, err := b.issueWAT(ctx, in)
	if claims != nil {
		ev.User = claims.user()
		ev.Detail = "wat expires " + time.Unix(claims.ExpiresAt, 0).UTC().Format(time.RFC3339)
	}
	if err := b.finish(ctx, &ev, err); err != nil {
		b.log.InfoContext(ctx, "workload access token refused", "workload", in.WorkloadName, "user_token_sha256", shortHash(in.UserToken), "error", err)
		return GetWorkloadAccessTokenForJWTOutput{}, err
	}
	b.log.InfoContext(ctx, "workload access token issued", "workload", in.WorkloadName, "user_token_sha256", shortHash(in.UserToken), "wat_sha256", shortHash(wat))
	return GetWorkloadAccessTokenForJWTOutput{WorkloadAccessToken: wat}, nil
}

func (b *Broker) issueWAT(ctx context.Context, in GetWorkloadAccessTokenForJWTInput) (string, *watClaims, error) {
	var v validator
	v.workloadName("workloadName", in.WorkloadName)
	if v.required("userToken", in.UserToken) && len(in.UserToken) > maxUserTokenLen {
		v.add("userToken", "Member must have length less than or equal to %d", maxUserTokenLen)
	}
	if err := v.err(); err != nil {
		return "", nil, err
	}
	if err := checkCallerWorkload(ctx, in.WorkloadName); err != nil {
		return "", nil, err
	}
	if _, err := b.workload(ctx, in.WorkloadName); err != nil {
		return "", nil, err
	}
	uc, err := b.verifyUser(ctx, in.WorkloadName, in.UserToken)
	if err != nil {
		return "", nil, newError(UnauthorizedException, err, "user token rejected")
	}
	now := b.now()
	if uc.Issuer == "" || uc.Subject == "" {
		return "", nil, newError(UnauthorizedException, nil, "user token names no issuer and subject")
	}
	if uc.ExpiresAt.IsZero() || !uc.ExpiresAt.After(now) {
		return "", nil, newError(UnauthorizedException, nil, "user token has no expiry or has expired")
	}
	exp := now.Add(b.cfg.WorkloadTokenTTL)
	if uc.ExpiresAt.Before(exp) {
		exp = uc.ExpiresAt
	}
	c := &watClaims{
		Workload:  in.WorkloadName,
		Issuer:    uc.Issuer,
		Subject:   uc.Subject,
		IssuedAt:  now.Unix(),
		ExpiresAt: exp.Unix(),
		UserToken: in.UserToken,
	}
	wat, err := b.sealWAT(c)
	return wat, c, err
}

func (b *Broker) sealWAT(c *watClaims) (string, error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return "", newError(InternalServerException, err, "cannot encode workload access token")
	}
	sealed, err := b.cfg.Keyring.Seal(plain, watAD)
	if err != nil {
		return "", newError(InternalServerException, err, "cannot seal workload access token")
	}
	return watPrefix + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// errBadWAT is the one message for every kind of invalid WAT, so that the
// answer tells a forger nothing.
var errBadWAT = errors.New("workload access token is invalid")

// openWAT returns the WAT's claims, or an UnauthorizedException when it is
// malformed, forged, sealed by an unknown key, or expired.
func (b *Broker) openWAT(wat string) (*watClaims, error) {
	now := b.now()
	if c, ok := b.watCache.get(wat, now, watCacheTTL); ok {
		if !time.Unix(c.ExpiresAt, 0).After(now) {
			return &c, newError(UnauthorizedException, errBadWAT, "workload access token has expired")
		}
		return &c, nil
	}
	if !strings.HasPrefix(wat, watPrefix) || len(wat) > maxWATLen {
		return nil, newError(UnauthorizedException, errBadWAT, "workload access token is invalid")
	}
	sealed, err := base64.RawURLEncoding.DecodeString(wat[len(watPrefix):])
	if err != nil {
		return nil, newError(UnauthorizedException, errBadWAT, "workload access token is invalid")
	}
	plain, err := b.cfg.Keyring.Open(sealed, watAD)
	if err != nil {
		return nil, newError(UnauthorizedException, errors.Join(errBadWAT, err), "workload access token is invalid")
	}
	var c watClaims
	if err := json.Unmarshal(plain, &c); err != nil || !c.valid() {
		return nil, newError(UnauthorizedException, errBadWAT, "workload access token is invalid")
	}
	if !time.Unix(c.ExpiresAt, 0).After(now) {
		return &c, newError(UnauthorizedException, errBadWAT, "workload access token has expired")
	}
	if len(wat) <= watCacheMaxLen {
		b.watCache.put(wat, c, now, watCacheTTL)
	}
	return &c, nil
}

// The WAT cache: an agent presents the same WAT for every tool call of a
// turn, and opening it (base64, AES-GCM, JSON with the user's token
// inside) was a fifth of a vault hit's broker time. Opened claims are kept
// by the exact token string; they are what opening it again would give
// (keys never leave a keyring, claims are immutable), and expiry is
// checked on every use. Bounded in count, age and size: a WAT holds the
// user's token (a few KiB, up to maxUserTokenLen), and only WATs up to
// watCacheMaxLen are kept, so the cache stays under ~130 MiB at worst.
const (
	watCacheTTL     = time.Minute
	watCacheEntries = 4096
	watCacheMaxLen  = 16 << 10
)

// verifyUser verifies Token A presented for workload with the configured
// verifier.
func (b *Broker) verifyUser(ctx context.Context, workload, raw string) (UserClaims, error) {
	if b.cfg.VerifyUserTokenFor != nil {
		return b.cfg.VerifyUserTokenFor(ctx, workload, raw)
	}
	return b.cfg.VerifyUserToken(ctx, raw)
}

// GetWorkloadAccessTokenInput is the AgentCore operation's input.
type GetWorkloadAccessTokenInput struct {
	WorkloadName string `json:"workloadName"`
}

// GetWorkloadAccessTokenOutput is the AgentCore operation's output.
type GetWorkloadAccessTokenOutput struct {
	WorkloadAccessToken string `json:"workloadAccessToken"`
}

// String never prints the workload access token.
func (out GetWorkloadAccessTokenOutput) String() string {
	return fmt.Sprintf("identity.GetWorkloadAccessTokenOutput{workloadAccessToken=%d bytes}", len(out.WorkloadAccessToken))
}

// GetWorkloadAccessToken returns a workload access token that names no
// user: it serves M2M and GetResourceApiKey, and is refused by the flows
// that act for a user. It lives Config.WorkloadTokenTTL. Errors:
// ValidationException, ResourceNotFoundException (unknown workload),
// AccessDeniedException (a Caller bound to another workload).
func (b *Broker) GetWorkloadAccessToken(ctx context.Context, in GetWorkloadAccessTokenInput) (GetWorkloadAccessTokenOutput, error) {
	ev := b.newEvent(ctx, "GetWorkloadAccessToken")
	ev.Workload = in.WorkloadName
	wat, err := b.issuePlainWAT(ctx, in.WorkloadName, watWorkload, "")
	if err := b.finish(ctx, &ev, err); err != nil {
		return GetWorkloadAccessTokenOutput{}, err
	}
	b.log.InfoContext(ctx, "workload access token issued", "workload", in.WorkloadName, "kind", "workload", "wat_sha256", shortHash(wat))
	return GetWorkloadAccessTokenOutput{WorkloadAccessToken: wat}, nil
}

// GetWorkloadAccessTokenForUserIdInput is the AgentCore operation's input.
type GetWorkloadAccessTokenForUserIdInput struct {
	WorkloadName string `json:"workloadName"`
	UserID       string `json:"userId"`
}

// GetWorkloadAccessTokenForUserIdOutput is the AgentCore operation's output.
type GetWorkloadAccessTokenForUserIdOutput struct {
	WorkloadAccessToken string `json:"workloadAccessToken"`
}

// String never prints the workload access token.
func (out GetWorkloadAccessTokenForUserIdOutput) String() string {
	return fmt.Sprintf("identity.GetWorkloadAccessTokenForUserIdOutput{workloadAccessToken=%d bytes}", len(out.WorkloadAccessToken))
}

// GetWorkloadAccessTokenForUserId returns a workload access token for a
// user named by a bare, unverified id — only for a caller whose Caller has
// AllowUserID (else AccessDeniedException). The user is UserIDIssuer|userId:
// USER_FEDERATION and M2M work with it; ON_BEHALF_OF_TOKEN_EXCHANGE does not
// (there is no user token to exchange).
func (b *Broker) GetWorkloadAccessTokenForUserId(ctx context.Context, in GetWorkloadAccessTokenForUserIdInput) (GetWorkloadAccessTokenForUserIdOutput, error) {
	ev := b.newEvent(ctx, "GetWorkloadAccessTokenForUserId")
	ev.Workload = in.WorkloadName
	if in.UserID != "" && len(in.UserID) <= 128 {
		ev.User = UserIDIssuer + "|" + in.UserID
	}
	wat, err := b.issuePlainWAT(ctx, in.WorkloadName, watUserID, in.UserID)
	if err := b.finish(ctx, &ev, err); err != nil {
		return GetWorkloadAccessTokenForUserIdOutput{}, err
	}
	b.log.InfoContext(ctx, "workload access token issued", "workload", in.WorkloadName, "kind", "user id", "user_sha256", shortHash(ev.User), "wat_sha256", shortHash(wat))
	return GetWorkloadAccessTokenForUserIdOutput{WorkloadAccessToken: wat}, nil
}

func (b *Broker) issuePlainWAT(ctx context.Context, workloadName, kind, userID string) (string, error) {
	var v validator
	v.workloadName("workloadName", workloadName)
	if kind == watUserID && v.required("userId", userID) {
		v.length("userId", userID, 1, 128)
	}
	if err := v.err(); err != nil {
		return "", err
	}
	if kind == watUserID && !userIDAllowed(ctx) {
		return "", newError(AccessDeniedException, nil, "the caller may not name users by a bare user id (GetWorkloadAccessTokenForUserId needs that permission)")
	}
	if err := checkCallerWorkload(ctx, workloadName); err != nil {
		return "", err
	}
	if _, err := b.workload(ctx, workloadName); err != nil {
		return "", err
	}
	now := b.now()
	c := &watClaims{Workload: workloadName, Kind: kind, IssuedAt: now.Unix(), ExpiresAt: now.Add(b.cfg.WorkloadTokenTTL).Unix()}
	if kind == watUserID {
		c.Issuer, c.Subject = UserIDIssuer, userID
	}
	return b.sealWAT(c)
}
