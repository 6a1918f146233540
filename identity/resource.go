package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/trace"
)

// OAuth2 flows (oauth2Flow).
const (
	FlowM2M            = "M2M"
	FlowUserFederation = "USER_FEDERATION"
	FlowOnBehalfOf     = "ON_BEHALF_OF_TOKEN_EXCHANGE"
)

// Session statuses (sessionStatus).
const (
	SessionInProgress = "IN_PROGRESS"
	SessionFailed     = "FAILED"
)

// GetResourceOauth2TokenInput is the AgentCore operation's input.
type GetResourceOauth2TokenInput struct {
	WorkloadIdentityToken          string   `json:"workloadIdentityToken"`
	ResourceCredentialProviderName string   `json:"resourceCredentialProviderName"`
	Scopes                         []string `json:"scopes"`
	Oauth2Flow                     string   `json:"oauth2Flow"`
	// SessionURI continues a USER_FEDERATION authorization started earlier.
	SessionURI string `json:"sessionUri,omitempty"`
	// ResourceOauth2ReturnURL is where USER_FEDERATION sends the user after
	// signing in; it must be one of the workload's allowed return URLs.
	ResourceOauth2ReturnURL string `json:"resourceOauth2ReturnUrl,omitempty"`
	ForceAuthentication     bool   `json:"forceAuthentication,omitempty"`
	// CustomParameters are added to the token (or authorization) request
	// but never replace a standard parameter.
	CustomParameters map[string]string `json:"customParameters,omitempty"`
	// CustomState comes back to the return URL as its state parameter.
	CustomState string   `json:"customState,omitempty"`
	Resources   []string `json:"resources,omitempty"`
	Audiences   []string `json:"audiences,omitempty"`
}

// String never prints the workload access token or custom values.
func (in GetResourceOauth2TokenInput) String() string {
	return fmt.Sprintf("identity.GetResourceOauth2TokenInput{provider=%q flow=%q scopes=%q force=%t}",
		in.ResourceCredentialProviderName, in.Oauth2Flow, in.Scopes, in.ForceAuthentication)
}

// GetResourceOauth2TokenOutput is the AgentCore operation's output: an
// access token, or for USER_FEDERATION the authorization URL the user must
// visit, with the session to continue.
type GetResourceOauth2TokenOutput struct {
	AccessToken      string `json:"accessToken,omitempty"`
	AuthorizationURL string `json:"authorizationUrl,omitempty"`
	SessionURI       string `json:"sessionUri,omitempty"`
	SessionStatus    string `json:"sessionStatus,omitempty"`
}

// String never prints the access token or authorization URL.
func (out GetResourceOauth2TokenOutput) String() string {
	return fmt.Sprintf("identity.GetResourceOauth2TokenOutput{accessToken=%d bytes authorizationUrl=%t sessionStatus=%q}",
		len(out.AccessToken), out.AuthorizationURL != "", out.SessionStatus)
}

// flightTimeout bounds one shared IdP exchange, whose context is detached
// from any single caller so that one caller giving up fails nobody else.
const flightTimeout = time.Minute

// resourceCall is one validated GetResourceOauth2Token request.
type resourceCall struct {
	in     GetResourceOauth2TokenInput
	wat    *watClaims
	w      *workload
	p      *provider
	scopes []string // sorted, de-duplicated
	row    string
}

// obtained is what a (possibly shared) vault lookup or exchange produced.
type obtained struct {
	token  string
	detail string
	// out is set instead of token when USER_FEDERATION needs the user.
	out *GetResourceOauth2TokenOutput
}

// GetResourceOauth2Token returns an access token for the credential
// provider, from the vault or from the IdP; for USER_FEDERATION without a
// stored token, the authorization URL to send the user to. Errors (all
// *Error): ValidationException (bad input, a provider without OBO
// configuration, a WAT without the user the flow needs, the IdP rejecting
// scope or request), UnauthorizedException (invalid, tampered or expired
// workload access token), ResourceNotFoundException (unknown provider),
// AccessDeniedException (the workload may not use the provider; the IdP
// refused: consent missing, invalid_grant, interaction_required with
// Error.OAuth.Claims — see ClaimsChallenge), InternalServerException (IdP
// unavailable after retries, provider misconfigured, vault or audit
// failure).
func (b *Broker) GetResourceOauth2Token(ctx context.Context, in GetResourceOauth2TokenInput) (GetResourceOauth2TokenOutput, error) {
	ev := b.newEvent(ctx, actionResourceToken)
	ev.Provider = in.ResourceCredentialProviderName
	ev.Flow = in.Oauth2Flow
	c, err := b.prepare(ctx, in)
	if c != nil && c.wat != nil {
		ev.Workload = c.wat.Workload
		if in.Oauth2Flow != FlowM2M {
			ev.User = c.wat.user()
		}
	}
	var res obtained
	start := b.now()
	defer func() {
		trace.Record(ctx, trace.Hop{Hop: trace.HopTokenExchange, Detail: exchangeDetail(in.Oauth2Flow, res.detail, ev.Outcome),
			Millis: b.now().Sub(start).Milliseconds()})
	}()
	if err == nil {
		if in.Oauth2Flow == FlowUserFederation {
			res, err = b.userFederation(ctx, c)
		} else {
			res, err = b.resourceToken(ctx, c)
		}
	}
	ev.Detail = res.detail
	err = b.finish(ctx, &ev, err)
	if err == nil && res.out == nil {
		b.metrics.token(ev.Provider, res.detail)
	}
	// A vault hit is the common case and already an audit event: logging
	// each one at info was a write(2) per call under the log's lock, a
	// good part of a busy broker's time. Exchanges with the IdP, refusals
	// and sign-in requests stay at info.
	level := slog.LevelInfo
	if err == nil && res.out == nil && res.detail == detailVaultHit {
		level = slog.LevelDebug
	}
	if !b.log.Enabled(ctx, level) {
		if err != nil {
			return GetResourceOauth2TokenOutput{}, err
		}
		if res.out != nil {
			return *res.out, nil
		}
		return GetResourceOauth2TokenOutput{AccessToken: res.token}, nil
	}
	attrs := []any{"workload", ev.Workload, "provider", ev.Provider, "flow", ev.Flow, "user_sha256", shortHash(ev.User), "outcome", ev.Outcome, "detail", ev.Detail}
	if c != nil && c.row != "" {
		attrs = append(attrs, "vault_row", c.row[:12])
	}
	switch {
	case err != nil:
		b.log.Log(ctx, level, "resource token refused", append(attrs, "error", err)...)
		return GetResourceOauth2TokenOutput{}, err
	case res.out != nil:
		b.log.Log(ctx, level, "user authorization required", append(attrs, "session", res.out.SessionURI)...)
		return *res.out, nil
	}
	b.log.Log(ctx, level, "resource token issued", append(attrs, "token_sha256", shortHash(res.token))...)
	return GetResourceOauth2TokenOutput{AccessToken: res.token}, nil
}

// detailVaultHit is the audit detail of a token served from the vault.
const detailVaultHit = "vault hit"

// prepare validates in, opens the WAT and checks the workload may use the
// provider. It returns the call (with the WAT when it opened) even on error,
// so the audit event can name the workload and user.
func (b *Broker) prepare(ctx context.Context, in GetResourceOauth2TokenInput) (*resourceCall, error) {
	if err := validateResourceInput(in); err != nil {
		return nil, err
	}
	wat, err := b.openWAT(in.WorkloadIdentityToken)
	c := &resourceCall{in: in, wat: wat}
	if err != nil {
		return c, err
	}
	if err := checkCallerWorkload(ctx, wat.Workload); err != nil {
		return c, err
	}
	w, err := b.workload(ctx, wat.Workload)
	if ErrorType(err) == ResourceNotFoundException {
		return c, newError(AccessDeniedException, nil, "workload identity %q no longer exists", wat.Workload)
	}
	if err != nil {
		return c, err
	}
	c.w = w
	p, err := b.oauth2Provider(ctx, in.ResourceCredentialProviderName)
	if err != nil {
		return c, err
	}
	if len(w.allowedProviders) > 0 && !slices.Contains(w.allowedProviders, p.name) {
		return c, newError(AccessDeniedException, nil, "workload identity %q may not use credential provider %q", w.name, p.name)
	}
	switch in.Oauth2Flow {
	case FlowOnBehalfOf:
		if p.oboGrant == "" {
			return c, newError(ValidationException, nil, "credential provider %q has no onBehalfOfTokenExchangeConfig", p.name)
		}
		if wat.Kind != watJWT {
			return c, newError(ValidationException, nil, "ON_BEHALF_OF_TOKEN_EXCHANGE needs a workload access token from GetWorkloadAccessTokenForJWT: there is no user token to exchange")
		}
	case FlowUserFederation:
		if wat.Kind == watWorkload {
			return c, newError(ValidationException, nil, "USER_FEDERATION needs a workload access token that names a user (GetWorkloadAccessTokenForJWT or GetWorkloadAccessTokenForUserId)")
		}
	}
	c.p = p
	c.scopes = slices.Compact(slices.Sorted(slices.Values(in.Scopes)))
	key := vaultKey{
		Workload:    wat.Workload,
		Provider:    p.name,
		ProviderTag: p.tag,
		Flow:        in.Oauth2Flow,
		Scopes:      in.Scopes,
		Audiences:   in.Audiences,
		Resources:   in.Resources,
		Custom:      in.CustomParameters,
	}
	if in.Oauth2Flow != FlowM2M {
		key.Issuer, key.Subject = wat.Issuer, wat.Subject
	}
	c.row = rowID(key.canonical())
	return c, nil
}

func validateResourceInput(in GetResourceOauth2TokenInput) error {
	var v validator
	if v.required("workloadIdentityToken", in.WorkloadIdentityToken) {
		v.length("workloadIdentityToken", in.WorkloadIdentityToken, 1, maxWATLen)
	}
	v.providerName("resourceCredentialProviderName", in.ResourceCredentialProviderName)
	if in.Scopes == nil {
		v.add("scopes", "Member must not be null")
	}
	if v.required("oauth2Flow", in.Oauth2Flow) {
		v.enum("oauth2Flow", in.Oauth2Flow, FlowUserFederation, FlowM2M, FlowOnBehalfOf)
	}
	for i, s := range in.Scopes {
		if s == "" || len(s) > 128 || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
			v.add(fmt.Sprintf("scopes.%d", i+1), "Member must have length between 1 and 128 and contain no spaces")
		}
	}
	for name, list := range map[string][]string{"resources": in.Resources, "audiences": in.Audiences} {
		for i, s := range list {
			v.length(fmt.Sprintf("%s.%d", name, i+1), s, 1, 2048)
		}
	}
	for k, val := range in.CustomParameters {
		if !customKeyRE.MatchString(k) {
			v.add("customParameters", `Map keys must satisfy regular expression pattern: [a-zA-Z0-9\-_\.]+ (1-256)`)
		}
		if val == "" || len(val) > 2048 {
			v.add("customParameters", "Map values must have length between 1 and 2048")
		}
	}
	if in.SessionURI != "" && !sessionURIRE.MatchString(in.SessionURI) {
		v.add("sessionUri", "Member must satisfy regular expression pattern: urn:ietf:params:oauth:request_uri:[a-zA-Z0-9-._~]+")
	}
	if in.ResourceOauth2ReturnURL != "" {
		v.returnURL("resourceOauth2ReturnUrl", in.ResourceOauth2ReturnURL)
	}
	if in.CustomState != "" {
		v.length("customState", in.CustomState, 1, 4096)
	}
	slices.SortFunc(v.fields, func(a, b FieldError) int { return strings.Compare(a.Name, b.Name) })
	return v.err()
}

// resourceToken serves c (M2M or OBO) from the vault or runs (or joins) the
// one exchange for c's vault row.
func (b *Broker) resourceToken(ctx context.Context, c *resourceCall) (obtained, error) {
	if !c.in.ForceAuthentication {
		cached, err := b.readVault(ctx, c.row)
		if err != nil {
			return obtained{detail: "vault read failed"}, newError(InternalServerException, err, "token vault unavailable")
		}
		if b.fresh(cached, b.now()) {
			return obtained{token: cached.AccessToken, detail: detailVaultHit}, nil
		}
	}
	return b.shared(ctx, c, b.obtain)
}

// shared runs fn for c's row once for all concurrent callers in this
// process (forced callers share a flight only with each other: they must
// not be answered from the vault a non-forced flight may still consult).
func (b *Broker) shared(ctx context.Context, c *resourceCall, fn func(context.Context, *resourceCall) (obtained, error)) (obtained, error) {
	key := c.row
	if c.in.ForceAuthentication {
		key = "force/" + c.row
	}
	ch := b.flight.DoChan(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flightTimeout)
		defer cancel()
		return fn(fctx, c)
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

// lockRow takes the cross-replica lock of a vault row.
func (b *Broker) lockRow(ctx context.Context, row string) (func(), error) {
	unlock, err := b.cfg.Store.Lock(ctx, "onbehalf/vault/"+row)
	if err != nil {
		return nil, newError(InternalServerException, err, "cannot take the token vault lock")
	}
	return unlock, nil
}

// obtain runs inside the flight for c's row: under the row's cross-replica
// lock it checks the vault once more (another flight, here or on another
// replica, may just have filled it), redeems a stored refresh token, or
// exchanges at the IdP, and stores the result.
func (b *Broker) obtain(ctx context.Context, c *resourceCall) (obtained, error) {
	// The actor token (its own vault row and lock) comes first, so that no
	// flight ever holds two row locks.
	var actor string
	if c.in.Oauth2Flow == FlowOnBehalfOf && c.p.oboGrant == GrantTokenExchange && c.p.actor == ActorM2M {
		var err error
		if actor, err = b.actorToken(ctx, c); err != nil {
			return obtained{detail: "actor token failed"}, err
		}
	}
	unlock, err := b.lockRow(ctx, c.row)
	if err != nil {
		return obtained{detail: "vault lock failed"}, err
	}
	defer unlock()

	var cached *cachedToken
	if !c.in.ForceAuthentication {
		cached, err = b.readVault(ctx, c.row)
		if err != nil {
			return obtained{detail: "vault read failed"}, newError(InternalServerException, err, "token vault unavailable")
		}
		if b.fresh(cached, b.now()) {
			return obtained{token: cached.AccessToken, detail: detailVaultHit}, nil
		}
	}
	md, err := b.serverMetadata(ctx, c.p)
	if err != nil {
		return obtained{detail: "discovery failed"}, fromOAuth(err, c.p.name)
	}

	start := time.Now()
	how := "idp call"
	if actor != "" {
		how = "idp call with m2m actor"
	}
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
			return obtained{detail: fmt.Sprintf("refresh %dms", time.Since(start).Milliseconds())}, fromOAuth(err, c.p.name)
		default:
			// The refresh token is spent or revoked: exchange afresh.
			b.log.InfoContext(ctx, "refresh token refused; exchanging afresh", "vault_row", c.row[:12], "error", err)
			tok = nil
		}
	}
	if tok == nil {
		tok, err = b.exchange(ctx, c, md.TokenEndpoint, actor)
	}
	took := time.Since(start)
	b.metrics.idpRequest(c.p.name, took, err)
	detail := fmt.Sprintf("%s %dms", how, took.Milliseconds())
	if err != nil {
		return obtained{detail: detail + aadsts(err)}, fromOAuth(err, c.p.name)
	}
	detail += b.store(ctx, c.row, tok)
	return obtained{token: tok.AccessToken, detail: detail}, nil
}

// aadsts is ", AADSTSnnn" for an Entra error, for the audit detail.
func aadsts(err error) string {
	var oe *oauth.Error
	if errors.As(err, &oe) && len(oe.ErrorCodes) > 0 {
		return fmt.Sprintf(", AADSTS%d", oe.ErrorCodes[0])
	}
	return ""
}

// store writes tok to the vault row; it returns a note for the audit
// detail when the token is not cached.
func (b *Broker) store(ctx context.Context, row string, tok *oauth.Token) string {
	if tok.ExpiresAt.IsZero() {
		// Without an expiry the broker cannot know when to stop serving it.
		return ", not cached: no expires_in"
	}
	if err := b.writeVault(ctx, row, &cachedToken{
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		ExpiresAt:    tok.ExpiresAt.Unix(),
		Scope:        tok.Scope,
	}); err != nil {
		// The token is good; the next call exchanges again.
		b.log.WarnContext(ctx, "vault write failed", "vault_row", row[:12], "error", err)
		return ", vault write failed"
	}
	return ""
}

// actorToken is the provider's own client-credentials token with the
// configured actor scopes, through the vault like any M2M token.
func (b *Broker) actorToken(ctx context.Context, c *resourceCall) (string, error) {
	m2m := &resourceCall{
		in:     GetResourceOauth2TokenInput{Oauth2Flow: FlowM2M, ResourceCredentialProviderName: c.p.name},
		wat:    c.wat,
		w:      c.w,
		p:      c.p,
		scopes: slices.Compact(slices.Sorted(slices.Values(c.p.actorScopes))),
	}
	m2m.row = rowID(vaultKey{Workload: c.wat.Workload, Provider: c.p.name, ProviderTag: c.p.tag, Flow: FlowM2M, Scopes: c.p.actorScopes}.canonical())
	res, err := b.resourceToken(ctx, m2m)
	return res.token, err
}

// exchange runs the provider's grant for c's flow.
func (b *Broker) exchange(ctx context.Context, c *resourceCall, tokenURL, actor string) (*oauth.Token, error) {
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
		if actor != "" {
			req.ActorToken, req.ActorTokenType = actor, oauth.TokenTypeAccessToken
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

// exchangeDetail is the trace line of a token request: how the token was
// obtained (vault hit, IdP call), the flow, and the outcome when it failed.
func exchangeDetail(flow, how, outcome string) string {
	d := flow
	if how != "" {
		d = how + ", " + flow
	}
	if outcome != "" && outcome != "ok" {
		d += ", " + outcome
	}
	return d
}
