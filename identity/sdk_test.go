package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/tool"
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

func TestForceTokenAsksForAFreshToken(t *testing.T) {
	var got []identity.GetResourceOauth2TokenInput
	ts := identity.TokenSource{Getter: getterFunc(func(_ context.Context, in identity.GetResourceOauth2TokenInput) (identity.GetResourceOauth2TokenOutput, error) {
		got = append(got, in)
		return identity.GetResourceOauth2TokenOutput{AccessToken: fmt.Sprintf("T%d", len(got))}, nil
	}), Provider: "P", Scopes: []string{"s"}, Audiences: []string{"aud"}}
	ctx := identity.WithWorkloadAccessToken(context.Background(), "obwat1.x")
	a, _ := ts.Token(ctx)
	b, _ := ts.ForceToken(ctx)
	if a != "T1" || b != "T2" || got[0].ForceAuthentication || !got[1].ForceAuthentication || got[1].Audiences[0] != "aud" || got[1].Oauth2Flow != identity.FlowOnBehalfOf {
		t.Errorf("calls = %+v", got)
	}
}

func TestForceTokenAgainstTheBrokerReplacesTheVaultToken(t *testing.T) {
	e := newEnv(t, options{})
	ctx := identity.WithWorkloadAccessToken(context.Background(), e.wat(workload, jane))
	ts := identity.TokenSource{Getter: e.broker, Provider: providerMS, Scopes: []string{connectorScope}}
	first, _ := ts.Token(ctx)
	forced, err := ts.ForceToken(ctx)
	if err != nil || forced == first {
		t.Fatalf("ForceToken = same token %t, %v", forced == first, err)
	}
	again, _ := ts.Token(ctx)
	e.remember(first)
	e.remember(forced)
	if again != forced || e.oboRequests() != 2 {
		t.Errorf("after ForceToken: vault serves the new token %t, IdP requests %d (want 2)", again == forced, e.oboRequests())
	}
}

func TestRequiresAccessTokenRunsTheToolWithTheUsersToken(t *testing.T) {
	e := newEnv(t, options{})
	var seen string
	handler := identity.RequiresAccessToken(e.broker, identity.AccessTokenOptions{ProviderName: providerMS, Scopes: []string{connectorScope}},
		func(ctx context.Context, token string, input json.RawMessage) (tool.Result, error) {
			seen = token
			return tool.Result{Content: "ran with " + string(input)}, nil
		})
	ctx := identity.WithWorkloadAccessToken(context.Background(), e.wat(workload, jane))
	res, err := handler(ctx, json.RawMessage(`{"q":1}`))
	if err != nil || res.Content != `ran with {"q":1}` {
		t.Fatalf("result = %+v, %v", res, err)
	}
	e.remember(seen)
	if claims(t, seen)["preferred_username"] != jane {
		t.Error("the tool got a token that is not jane's")
	}
	if _, err := handler(context.Background(), nil); !errors.Is(err, identity.ErrNoWorkloadAccessToken) {
		t.Errorf("without a WAT: %v", err)
	}
}

func TestRequiresAccessTokenTurnsRefusalsIntoResultsAndChallengesIntoErrors(t *testing.T) {
	e := newEnv(t, options{})
	ran := false
	call := func(scope string) func(context.Context, json.RawMessage) (tool.Result, error) {
		return identity.RequiresAccessToken(e.broker, identity.AccessTokenOptions{ProviderName: providerMS, Scopes: []string{scope}},
			func(context.Context, string, json.RawMessage) (tool.Result, error) {
				ran = true
				return tool.Result{}, nil
			})
	}
	ctx := identity.WithWorkloadAccessToken(context.Background(), e.wat(workload, jane))
	// Missing consent: the model is told, nothing runs.
	res, err := call("api://"+hrAppID+"/Cases.Read")(ctx, nil)
	if err != nil || !res.IsError || !strings.Contains(res.Content, "AccessDeniedException") || !strings.Contains(res.Content, "consent required") {
		t.Errorf("consent missing: %+v, %v", res, err)
	}
	// Conditional Access: the runtime must challenge the user, so it is an
	// error carrying the claims.
	e.idp.SetConditionalAccess(jane, true)
	_, err = call(connectorScope)(ctx, nil)
	if _, ok := identity.ClaimsChallenge(err); !ok {
		t.Errorf("interaction required: err = %v, want a claims challenge", err)
	}
	if ran {
		t.Error("the tool ran without a token")
	}
}

func TestRequiresAccessTokenHandsTheAuthorizationURLToTheUser(t *testing.T) {
	const authURL = "https://idp.example/authorize?state=s"
	getter := getterFunc(func(_ context.Context, in identity.GetResourceOauth2TokenInput) (identity.GetResourceOauth2TokenOutput, error) {
		if in.Oauth2Flow != identity.FlowUserFederation || in.ResourceOauth2ReturnURL != "https://app/cb" || in.CustomState != "cs" {
			t.Errorf("input = %+v", in)
		}
		return identity.GetResourceOauth2TokenOutput{AuthorizationURL: authURL, SessionURI: "urn:ietf:params:oauth:request_uri:x", SessionStatus: "IN_PROGRESS"}, nil
	})
	opts := identity.AccessTokenOptions{ProviderName: "Github", Scopes: []string{"repo"}, AuthFlow: identity.FlowUserFederation, CallbackURL: "https://app/cb", CustomState: "cs"}
	ctx := identity.WithWorkloadAccessToken(context.Background(), "obwat1.x")
	fn := func(context.Context, string, json.RawMessage) (tool.Result, error) {
		t.Error("the tool ran without a token")
		return tool.Result{}, nil
	}
	res, err := identity.RequiresAccessToken(getter, opts, fn)(ctx, nil)
	if err != nil || !res.IsError || !strings.Contains(res.Content, authURL) {
		t.Errorf("without OnAuthURL: %+v, %v; want the URL for the model to show", res, err)
	}
	var sent string
	opts.OnAuthURL = func(_ context.Context, u string) error { sent = u; return nil }
	res, err = identity.RequiresAccessToken(getter, opts, fn)(ctx, nil)
	if err != nil || sent != authURL || strings.Contains(res.Content, authURL) || !res.IsError {
		t.Errorf("with OnAuthURL: sent %q, result %+v, %v; want the URL to the callback only", sent, res, err)
	}
	pending := getterFunc(func(context.Context, identity.GetResourceOauth2TokenInput) (identity.GetResourceOauth2TokenOutput, error) {
		return identity.GetResourceOauth2TokenOutput{AuthorizationURL: authURL, SessionStatus: "IN_PROGRESS"}, nil
	})
	if _, err := (identity.TokenSource{Getter: pending, Provider: "Github", Flow: identity.FlowUserFederation}).Token(ctx); !errors.Is(err, identity.ErrAuthorizationRequired) {
		t.Errorf("TokenSource without a token: %v, want ErrAuthorizationRequired", err)
	}
}

// The article's fetch_snow_token + @requires_access_token, in Go: the tool
// gets Token B for the current request's user with one wrapper.
func ExampleRequiresAccessToken() {
	broker := getterFunc(func(_ context.Context, in identity.GetResourceOauth2TokenInput) (identity.GetResourceOauth2TokenOutput, error) {
		return identity.GetResourceOauth2TokenOutput{AccessToken: "token-b-for-" + in.ResourceCredentialProviderName}, nil
	})
	queryIncidents := identity.RequiresAccessToken(broker, identity.AccessTokenOptions{
		ProviderName: "EntraIdServiceNow",
		Scopes:       []string{"api://5e7c0000-0000-4000-8000-000000000003/user_impersonation"},
		AuthFlow:     identity.FlowOnBehalfOf,
	}, func(ctx context.Context, token string, input json.RawMessage) (tool.Result, error) {
		// Call ServiceNow with "Authorization: Bearer " + token.
		return tool.Result{Content: "queried with " + token}, nil
	})

	ctx := identity.WithWorkloadAccessToken(context.Background(), "obwat1.…") // set by the runtime
	res, _ := queryIncidents(ctx, json.RawMessage(`{}`))
	fmt.Println(res.Content)
	// Output: queried with token-b-for-EntraIdServiceNow
}
