package identity_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/onbehalf/onbehalf/identity"
)

func TestTokenSourceGetsTheUsersTokenFromTheContextWAT(t *testing.T) {
	e := newEnv(t, options{})
	ctx := identity.WithWorkloadAccessToken(context.Background(), e.wat(workload, jane))
	ts := identity.TokenSource{Getter: e.broker, Provider: providerMS, Scopes: []string{connectorScope}}
	tok, err := ts.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.remember(tok)
	if got := claims(t, tok)["preferred_username"]; got != jane {
		t.Errorf("token names %v, want %s", got, jane)
	}
}

func TestTokenSourceWithoutWATFailsClearly(t *testing.T) {
	called := false
	ts := identity.TokenSource{Getter: getterFunc(func(context.Context, identity.GetResourceOauth2TokenInput) (identity.GetResourceOauth2TokenOutput, error) {
		called = true
		return identity.GetResourceOauth2TokenOutput{}, nil
	}), Provider: "P", Scopes: []string{"s"}}
	for _, ctx := range []context.Context{context.Background(), identity.WithWorkloadAccessToken(context.Background(), "")} {
		if _, err := ts.Token(ctx); !errors.Is(err, identity.ErrNoWorkloadAccessToken) {
			t.Errorf("err = %v, want ErrNoWorkloadAccessToken", err)
		}
	}
	if called {
		t.Error("the getter was called without a WAT")
	}
}

func TestTokenSourcePassesErrorsThrough(t *testing.T) {
	e := newEnv(t, options{})
	ctx := identity.WithWorkloadAccessToken(context.Background(), "obwat1.forged")
	_, err := identity.TokenSource{Getter: e.broker, Provider: providerMS, Scopes: []string{connectorScope}}.Token(ctx)
	wantErr(t, err, identity.UnauthorizedException)
}

type getterFunc func(context.Context, identity.GetResourceOauth2TokenInput) (identity.GetResourceOauth2TokenOutput, error)

func (f getterFunc) GetResourceOauth2Token(ctx context.Context, in identity.GetResourceOauth2TokenInput) (identity.GetResourceOauth2TokenOutput, error) {
	return f(ctx, in)
}

// A tool gets the downstream token for the current request's user; it never
// sees Token A. In production Getter is the *identity.Broker (or a client of
// its HTTP API) and the runtime put the WAT into the request context.
func ExampleTokenSource() {
	getter := getterFunc(func(_ context.Context, in identity.GetResourceOauth2TokenInput) (identity.GetResourceOauth2TokenOutput, error) {
		fmt.Println("provider:", in.ResourceCredentialProviderName)
		fmt.Println("flow:", in.Oauth2Flow)
		fmt.Println("scopes:", in.Scopes)
		return identity.GetResourceOauth2TokenOutput{AccessToken: "token-b"}, nil
	})
	snow := identity.TokenSource{
		Getter:   getter,
		Provider: "EntraIdServiceNow",
		Scopes:   []string{"api://5e7c0000-0000-4000-8000-000000000003/user_impersonation"},
	}

	ctx := identity.WithWorkloadAccessToken(context.Background(), "obwat1.…")
	tok, err := snow.Token(ctx)
	fmt.Println(tok, err)
	// Output:
	// provider: EntraIdServiceNow
	// flow: ON_BEHALF_OF_TOKEN_EXCHANGE
	// scopes: [api://5e7c0000-0000-4000-8000-000000000003/user_impersonation]
	// token-b <nil>
}
