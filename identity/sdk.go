package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/onbehalf/onbehalf/tool"
)

type watKey struct{}

// WithWorkloadAccessToken returns ctx carrying the request's workload access
// token; the runtime calls it with the WorkloadAccessToken header.
func WithWorkloadAccessToken(ctx context.Context, wat string) context.Context {
	return context.WithValue(ctx, watKey{}, wat)
}

// WorkloadAccessTokenFrom returns the workload access token in ctx.
func WorkloadAccessTokenFrom(ctx context.Context) (string, bool) {
	wat, ok := ctx.Value(watKey{}).(string)
	return wat, ok && wat != ""
}

// TokenGetter gets resource tokens: a *Broker in process, or a client of
// the AgentCore data-plane API (identity/awsapi's client, pointed at an
// onbehalf broker or at AWS AgentCore Identity itself). Code written
// against it runs unchanged on all three.
type TokenGetter interface {
	GetResourceOauth2Token(ctx context.Context, in GetResourceOauth2TokenInput) (GetResourceOauth2TokenOutput, error)
}

// ErrNoWorkloadAccessToken is returned by TokenSource.Token when the context
// carries no workload access token: the request did not come through the
// runtime's front door with an authenticated user.
var ErrNoWorkloadAccessToken = errors.New("identity: no workload access token in the request context (is inbound JWT authorization configured for this agent?)")

// TokenSource gets a token for one provider and scope set on behalf of the
// user of the current request — the Go counterpart of the AgentCore SDK's
// requires_access_token. It has no cache of its own: the broker's vault is
// the cache.
type TokenSource struct {
	Getter   TokenGetter
	Provider string
	Scopes   []string
	// Flow is the oauth2Flow; empty means ON_BEHALF_OF_TOKEN_EXCHANGE.
	Flow             string
	CustomParameters map[string]string
	Audiences        []string
	Resources        []string
}

// Token returns an access token for the user whose workload access token is
// in ctx.
func (s TokenSource) Token(ctx context.Context) (string, error) {
	return s.token(ctx, false)
}

// ForceToken returns a new access token, bypassing (and replacing) the
// vault's (forceAuthentication): for a caller whose token the downstream
// API just refused with 401.
func (s TokenSource) ForceToken(ctx context.Context) (string, error) {
	return s.token(ctx, true)
}

// ErrAuthorizationRequired is returned by TokenSource when the flow
// (USER_FEDERATION) needs the user to sign in first; use RequiresAccessToken
// to hand the authorization URL to the user.
var ErrAuthorizationRequired = errors.New("identity: the user must authorize access first")

func (s TokenSource) token(ctx context.Context, force bool) (string, error) {
	wat, ok := WorkloadAccessTokenFrom(ctx)
	if !ok {
		return "", ErrNoWorkloadAccessToken
	}
	if s.Getter == nil {
		return "", errors.New("identity: TokenSource has no Getter")
	}
	flow := s.Flow
	if flow == "" {
		flow = FlowOnBehalfOf
	}
	out, err := s.Getter.GetResourceOauth2Token(ctx, GetResourceOauth2TokenInput{
		WorkloadIdentityToken:          wat,
		ResourceCredentialProviderName: s.Provider,
		Scopes:                         s.Scopes,
		Oauth2Flow:                     flow,
		ForceAuthentication:            force,
		CustomParameters:               s.CustomParameters,
		Audiences:                      s.Audiences,
		Resources:                      s.Resources,
	})
	if err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", ErrAuthorizationRequired
	}
	return out.AccessToken, nil
}

// AccessTokenOptions are RequiresAccessToken's arguments, named after the
// AgentCore Python SDK's requires_access_token.
type AccessTokenOptions struct {
	ProviderName string
	Scopes       []string
	// AuthFlow is the oauth2Flow: ON_BEHALF_OF_TOKEN_EXCHANGE (default), M2M
	// or USER_FEDERATION.
	AuthFlow string
	// CallbackURL is the resourceOauth2ReturnUrl of USER_FEDERATION.
	CallbackURL         string
	ForceAuthentication bool
	CustomParameters    map[string]string
	CustomState         string
	Audiences           []string
	Resources           []string
	// OnAuthURL receives the authorization URL when USER_FEDERATION needs
	// the user to sign in (e.g. to stream it to the chat UI). When nil, the
	// URL goes into the tool result for the model to show the user.
	OnAuthURL func(ctx context.Context, authorizationURL string) error
}

// RequiresAccessToken wraps a tool handler so that it runs with an access
// token for the current request's user — the Go counterpart of the Python
// SDK's @requires_access_token, with ON_BEHALF_OF_TOKEN_EXCHANGE (the
// default here). Each call asks the getter once (no client-side cache: the
// broker's vault is the cache).
//
// Outcomes: the token goes to fn; USER_FEDERATION needing the user gives a
// tool result asking the user to sign in (after OnAuthURL); an identity
// error the model can explain (access denied, consent missing) gives an
// error result with the broker's safe message; a missing workload access
// token, a claims challenge (the runtime must answer the user 401, see
// ClaimsChallengeHeader) or a transport failure is returned as the error.
func RequiresAccessToken(getter TokenGetter, opts AccessTokenOptions, fn func(ctx context.Context, token string, input json.RawMessage) (tool.Result, error)) func(ctx context.Context, input json.RawMessage) (tool.Result, error) {
	flow := opts.AuthFlow
	if flow == "" {
		flow = FlowOnBehalfOf
	}
	return func(ctx context.Context, input json.RawMessage) (tool.Result, error) {
		wat, ok := WorkloadAccessTokenFrom(ctx)
		if !ok {
			return tool.Result{}, ErrNoWorkloadAccessToken
		}
		out, err := getter.GetResourceOauth2Token(ctx, GetResourceOauth2TokenInput{
			WorkloadIdentityToken:          wat,
			ResourceCredentialProviderName: opts.ProviderName,
			Scopes:                         opts.Scopes,
			Oauth2Flow:                     flow,
			ResourceOauth2ReturnURL:        opts.CallbackURL,
			ForceAuthentication:            opts.ForceAuthentication,
			CustomParameters:               opts.CustomParameters,
			CustomState:                    opts.CustomState,
			Audiences:                      opts.Audiences,
			Resources:                      opts.Resources,
		})
		if err != nil {
			var ie *Error
			if _, challenge := ClaimsChallenge(err); challenge || !errors.As(err, &ie) {
				return tool.Result{}, err
			}
			msg := fmt.Sprintf("Could not get access to %s for this user (%s): %s", opts.ProviderName, ie.Type, ie.Message)
			return tool.ErrorResult(msg), nil
		}
		if out.AccessToken != "" {
			return fn(ctx, out.AccessToken, input)
		}
		if out.AuthorizationURL == "" {
			return tool.ErrorResult(fmt.Sprintf("Authorization with %s failed; the user may try again.", opts.ProviderName)), nil
		}
		if opts.OnAuthURL != nil {
			if err := opts.OnAuthURL(ctx, out.AuthorizationURL); err != nil {
				return tool.Result{}, err
			}
			return tool.Result{Content: fmt.Sprintf("The user must first authorize access to %s; a sign-in link was sent to them. Try again after they have signed in.", opts.ProviderName),
				IsError: true, Summary: "authorization required: " + opts.ProviderName}, nil
		}
		return tool.Result{Content: fmt.Sprintf("The user must first authorize access to %s. Ask them to open this link, sign in, and then ask again: %s", opts.ProviderName, out.AuthorizationURL),
			IsError: true, Summary: "authorization required: " + opts.ProviderName}, nil
	}
}
