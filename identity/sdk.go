package identity

import (
	"context"
	"errors"
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
// the broker's HTTP API.
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
	Flow string
}

// Token returns an access token for the user whose workload access token is
// in ctx.
func (s TokenSource) Token(ctx context.Context) (string, error) {
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
	})
	if err != nil {
		return "", err
	}
	return out.AccessToken, nil
}
