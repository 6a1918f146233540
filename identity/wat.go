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

// watClaims is the sealed content of a WAT.
type watClaims struct {
	Workload  string `json:"wl"`
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
	UserToken string `json:"ut"`
}

func (c watClaims) user() string { return c.Issuer + "|" + c.Subject }

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
	switch {
	case in.WorkloadName == "":
		return "", nil, newError(ValidationException, nil, "workloadName is required")
	case in.UserToken == "":
		return "", nil, newError(ValidationException, nil, "userToken is required")
	case len(in.UserToken) > maxUserTokenLen:
		return "", nil, newError(ValidationException, nil, "userToken is too long")
	}
	if _, ok := b.workloads[in.WorkloadName]; !ok {
		return "", nil, newError(ResourceNotFoundException, nil, "workload identity %q not found", in.WorkloadName)
	}
	uc, err := b.cfg.VerifyUserToken(ctx, in.UserToken)
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
	plain, err := json.Marshal(c)
	if err != nil {
		return "", c, newError(InternalServerException, err, "cannot encode workload access token")
	}
	sealed, err := b.cfg.Keyring.Seal(plain, watAD)
	if err != nil {
		return "", c, newError(InternalServerException, err, "cannot seal workload access token")
	}
	return watPrefix + base64.RawURLEncoding.EncodeToString(sealed), c, nil
}

// errBadWAT is the one message for every kind of invalid WAT, so that the
// answer tells a forger nothing.
var errBadWAT = errors.New("workload access token is invalid")

// openWAT returns the WAT's claims, or an UnauthorizedException when it is
// malformed, forged, sealed by an unknown key, or expired.
func (b *Broker) openWAT(wat string) (*watClaims, error) {
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
	if err := json.Unmarshal(plain, &c); err != nil || c.Workload == "" || c.Issuer == "" || c.Subject == "" || c.UserToken == "" {
		return nil, newError(UnauthorizedException, errBadWAT, "workload access token is invalid")
	}
	if !time.Unix(c.ExpiresAt, 0).After(b.now()) {
		return &c, newError(UnauthorizedException, errBadWAT, "workload access token has expired")
	}
	return &c, nil
}
