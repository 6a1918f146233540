package identity

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/onbehalf/onbehalf/oauth"
)

// OAuth2 flows (oauth2Flow).
const (
	FlowM2M            = "M2M"
	FlowUserFederation = "USER_FEDERATION"
	FlowOnBehalfOf     = "ON_BEHALF_OF_TOKEN_EXCHANGE"
)

// GetResourceOauth2TokenInput is the AgentCore operation's input.
type GetResourceOauth2TokenInput struct {
	WorkloadIdentityToken          string            `json:"workloadIdentityToken"`
	ResourceCredentialProviderName string            `json:"resourceCredentialProviderName"`
	Scopes                         []string          `json:"scopes"`
	Oauth2Flow                     string            `json:"oauth2Flow"`
	ForceAuthentication            bool              `json:"forceAuthentication,omitempty"`
	CustomParameters               map[string]string `json:"customParameters,omitempty"`
	Resources                      []string          `json:"resources,omitempty"`
	Audiences                      []string          `json:"audiences,omitempty"`
}

// String never prints the workload access token.
func (in GetResourceOauth2TokenInput) String() string {
	return fmt.Sprintf("identity.GetResourceOauth2TokenInput{provider=%q flow=%q scopes=%q force=%t}",
		in.ResourceCredentialProviderName, in.Oauth2Flow, in.Scopes, in.ForceAuthentication)
}

// GetResourceOauth2TokenOutput is the AgentCore operation's output.
type GetResourceOauth2TokenOutput struct {
	AccessToken string `json:"accessToken"`
}

// String never prints the access token.
func (out GetResourceOauth2TokenOutput) String() string {
	return fmt.Sprintf("identity.GetResourceOauth2TokenOutput{accessToken=%d bytes}", len(out.AccessToken))
}

// flightTimeout bounds one shared IdP exchange, whose context is detached
// from any single caller so that one caller giving up fails nobody else.
const flightTimeout = time.Minute

// resourceCall is one validated GetResourceOauth2Token request.
type resourceCall struct {
	in        GetResourceOauth2TokenInput
	wat       *watClaims
	p         *provider
	scopes    []string // sorted, de-duplicated
	canonical []byte
	row       string
}

// obtained is what a (possibly shared) vault lookup or exchange produced.
type obtained struct {
	token  string
	detail string
}

// GetResourceOauth2Token returns an access token for the credential
// provider, from the vault or from the IdP. Errors (all *Error):
// ValidationException (bad input, USER_FEDERATION, a provider without OBO
// configuration, the IdP rejecting scope or request), UnauthorizedException
// (invalid, tampered or expired workload access token),
// ResourceNotFoundException (unknown provider), AccessDeniedException (the
// workload may not use the provider; the IdP refused: consent missing,
// invalid_grant, interaction_required with Error.OAuth.Claims),
// InternalServerException (IdP unavailable, provider misconfigured, vault or
// audit failure).
func (b *Broker) GetResourceOauth2Token(ctx context.Context, in GetResourceOauth2TokenInput) (GetResourceOauth2TokenOutput, error) {
	ev := b.newEvent(ctx, actionResourceToken)
	ev.Provider = in.ResourceCredentialProviderName
	ev.Flow = in.Oauth2Flow
	c, err := b.prepare(in)
	if c != nil && c.wat != nil {
		ev.Workload = c.wat.Workload
		if in.Oauth2Flow != FlowM2M {
			ev.User = c.wat.user()
		}
	}
	var res obtained
	if err == nil {
		res, err = b.resourceToken(ctx, c)
	}
	ev.Detail = res.detail
	err = b.finish(ctx, &ev, err)
	attrs := []any{"workload", ev.Workload, "provider", ev.Provider, "flow", ev.Flow, "user_sha256", shortHash(ev.User), "outcome", ev.Outcome, "detail", ev.Detail}
	if c != nil && c.row != "" {
		attrs = append(attrs, "vault_row", c.row[:12])
	}
	if err != nil {
		b.log.InfoContext(ctx, "resource token refused", append(attrs, "error", err)...)
		return GetResourceOauth2TokenOutput{}, err
	}
	b.log.InfoContext(ctx, "resource token issued", append(attrs, "token_sha256", shortHash(res.token))...)
	return GetResourceOauth2TokenOutput{AccessToken: res.token}, nil
}

// prepare validates in, opens the WAT and checks the workload may use the
// provider. It returns the call (with the WAT when it opened) even on error,
// so the audit event can name the workload and user.
func (b *Broker) prepare(in GetResourceOauth2TokenInput) (*resourceCall, error) {
	if err := validateResourceInput(in); err != nil {
		return nil, err
	}
	wat, err := b.openWAT(in.WorkloadIdentityToken)
	c := &resourceCall{in: in, wat: wat}
	if err != nil {
		return c, err
	}
	w, ok := b.workloads[wat.Workload]
	if !ok {
		return c, newError(AccessDeniedException, nil, "workload identity %q no longer exists", wat.Workload)
	}
	p := b.providers[in.ResourceCredentialProviderName]
	if p == nil {
		return c, newError(ResourceNotFoundException, nil, "credential provider %q not found", in.ResourceCredentialProviderName)
	}
	if len(w.AllowedProviders) > 0 && !slices.Contains(w.AllowedProviders, p.Name) {
		return c, newError(AccessDeniedException, nil, "workload identity %q may not use credential provider %q", w.Name, p.Name)
	}
	switch in.Oauth2Flow {
	case FlowUserFederation:
		return c, newError(ValidationException, nil, "oauth2Flow USER_FEDERATION is not supported yet")
	case FlowOnBehalfOf:
		if p.oboGrant == "" {
			return c, newError(ValidationException, nil, "credential provider %q has no onBehalfOfTokenExchangeConfig", p.Name)
		}
	}
	c.p = p
	c.scopes = slices.Compact(slices.Sorted(slices.Values(in.Scopes)))
	key := vaultKey{
		Workload:  wat.Workload,
		Provider:  p.Name,
		Scopes:    in.Scopes,
		Audiences: in.Audiences,
		Resources: in.Resources,
		Custom:    in.CustomParameters,
	}
	if in.Oauth2Flow == FlowOnBehalfOf {
		key.Issuer, key.Subject = wat.Issuer, wat.Subject
	}
	c.canonical = key.canonical()
	c.row = rowID(c.canonical)
	return c, nil
}

func validateResourceInput(in GetResourceOauth2TokenInput) error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if in.WorkloadIdentityToken == "" {
		bad("workloadIdentityToken is required")
	}
	if in.ResourceCredentialProviderName == "" {
		bad("resourceCredentialProviderName is required")
	} else if !providerNameRE.MatchString(in.ResourceCredentialProviderName) {
		bad("resourceCredentialProviderName must be 1-128 of [a-zA-Z0-9-_]")
	}
	switch in.Oauth2Flow {
	case FlowM2M, FlowUserFederation, FlowOnBehalfOf:
	case "":
		bad("oauth2Flow is required")
	default:
		bad("oauth2Flow must be M2M, USER_FEDERATION or ON_BEHALF_OF_TOKEN_EXCHANGE")
	}
	for i, s := range in.Scopes {
		if s == "" || len(s) > 128 || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
			bad("scopes[%d] must be 1-128 characters without spaces", i)
		}
	}
	for name, list := range map[string][]string{"resources": in.Resources, "audiences": in.Audiences} {
		for i, s := range list {
			if s == "" || len(s) > 2048 {
				bad("%s[%d] must be 1-2048 characters", name, i)
			}
		}
	}
	for k := range in.CustomParameters {
		if k == "" {
			bad("customParameters names must not be empty")
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return newError(ValidationException, nil, "%s", strings.Join(problems, "; "))
	}
	return nil
}

// resourceToken serves c from the vault or runs (or joins) the one exchange
// for c's vault row.
func (b *Broker) resourceToken(ctx context.Context, c *resourceCall) (obtained, error) {
	if !c.in.ForceAuthentication {
		cached, err := b.readVault(ctx, c.canonical, c.row)
		if err != nil {
			return obtained{detail: "vault read failed"}, newError(InternalServerException, err, "token vault unavailable")
		}
		if b.fresh(cached, b.now()) {
			return obtained{token: cached.AccessToken, detail: "vault hit"}, nil
		}
	}
	// Forced callers share a flight only with each other: they must not be
	// answered from the vault a non-forced flight may still consult.
	key := c.row
	if c.in.ForceAuthentication {
		key = "force/" + c.row
	}
	ch := b.flight.DoChan(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flightTimeout)
		defer cancel()
		return b.obtain(fctx, c)
	})
	select {
	case <-ctx.Done():
		return obtained{detail: "caller gave up"}, newError(InternalServerException, ctx.Err(), "request canceled while waiting for the identity provider")
	case r := <-ch:
		res, _ := r.Val.(obtained)
		if r.Shared {
			res.detail += " (shared)"
		}
		if r.Err != nil {
			return obtained{detail: res.detail}, r.Err
		}
		return res, nil
	}
}

// obtain runs inside the flight for c's row: it checks the vault once more
// (a flight that just ended may have filled it), redeems a stored refresh
// token, or exchanges at the IdP, and stores the result.
func (b *Broker) obtain(ctx context.Context, c *resourceCall) (obtained, error) {
	var cached *cachedToken
	if !c.in.ForceAuthentication {
		var err error
		cached, err = b.readVault(ctx, c.canonical, c.row)
		if err != nil {
			return obtained{detail: "vault read failed"}, newError(InternalServerException, err, "token vault unavailable")
		}
		if b.fresh(cached, b.now()) {
			return obtained{token: cached.AccessToken, detail: "vault hit"}, nil
		}
	}
	md, err := b.oauth.Discover(ctx, c.p.discovery)
	if err != nil {
		return obtained{detail: "discovery failed"}, fromOAuth(err, c.p.Name)
	}

	start := time.Now()
	how := "idp call"
	var tok *oauth.Token
	if cached != nil && cached.RefreshToken != "" {
		tok, err = b.oauth.Refresh(ctx, md.TokenEndpoint, c.p.auth, cached.RefreshToken, c.scopes)
		switch {
		case err == nil:
			how = "refresh"
			if tok.RefreshToken == "" {
				tok.RefreshToken = cached.RefreshToken
			}
		case errors.Is(err, oauth.ErrUnavailable):
			return obtained{detail: fmt.Sprintf("refresh %dms", time.Since(start).Milliseconds())}, fromOAuth(err, c.p.Name)
		default:
			// The refresh token is spent or revoked: exchange afresh.
			b.log.InfoContext(ctx, "refresh token refused; exchanging afresh", "vault_row", c.row[:12], "error", err)
			tok = nil
		}
	}
	if tok == nil {
		tok, err = b.exchange(ctx, c, md.TokenEndpoint)
	}
	detail := fmt.Sprintf("%s %dms", how, time.Since(start).Milliseconds())
	if err != nil {
		var oe *oauth.Error
		if errors.As(err, &oe) && len(oe.ErrorCodes) > 0 {
			detail += fmt.Sprintf(", AADSTS%d", oe.ErrorCodes[0])
		}
		return obtained{detail: detail}, fromOAuth(err, c.p.Name)
	}

	if tok.ExpiresAt.IsZero() {
		// Without an expiry the broker cannot know when to stop serving it.
		detail += ", not cached: no expires_in"
	} else if err := b.writeVault(ctx, c.canonical, c.row, &cachedToken{
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		ExpiresAt:    tok.ExpiresAt.Unix(),
		Scope:        tok.Scope,
	}); err != nil {
		// The token is good; the next call exchanges again.
		b.log.WarnContext(ctx, "vault write failed", "vault_row", c.row[:12], "error", err)
		detail += ", vault write failed"
	}
	return obtained{token: tok.AccessToken, detail: detail}, nil
}

// exchange runs the provider's grant for c's flow.
func (b *Broker) exchange(ctx context.Context, c *resourceCall, tokenURL string) (*oauth.Token, error) {
	in := c.in
	extra := url.Values{}
	for _, r := range in.Resources {
		extra.Add("resource", r) // RFC 8707
	}
	for _, a := range in.Audiences {
		extra.Add("audience", a)
	}
	custom := func(skip string) {
		for k, v := range in.CustomParameters {
			if k != skip && !extra.Has(k) {
				extra.Set(k, v)
			}
		}
	}
	if in.Oauth2Flow == FlowM2M {
		custom("")
		return b.oauth.ClientCredentials(ctx, tokenURL, c.p.auth, c.scopes, extra)
	}
	switch c.p.oboGrant {
	case GrantTokenExchange:
		req := oauth.TokenExchangeRequest{
			SubjectToken:     c.wat.UserToken,
			SubjectTokenType: oauth.TokenTypeJWT,
			Audiences:        in.Audiences,
			Resources:        in.Resources,
			Scopes:           c.scopes,
		}
		// AgentCore lets customParameters choose subject_token_type (Okta
		// wants …:access_token).
		if t := in.CustomParameters["subject_token_type"]; t != "" {
			req.SubjectTokenType = t
		}
		extra = url.Values{}
		custom("subject_token_type")
		return b.oauth.TokenExchange(ctx, tokenURL, c.p.auth, req, extra)
	default: // GrantJWTAuthorization
		// Entra ID requires requested_token_use=on_behalf_of; other RFC 7523
		// servers must ignore unknown parameters (RFC 6749 §3.2), so it is
		// sent for CustomOauth2 providers too — the article's
		// CustomOauth2 + JWT_AUTHORIZATION_GRANT provider points at Entra.
		extra.Set("requested_token_use", "on_behalf_of")
		custom("")
		return b.oauth.JWTBearer(ctx, tokenURL, c.p.auth, c.wat.UserToken, c.scopes, extra)
	}
}
