package awsapi_test

import (
	"context"
	"errors"
	"testing"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/emulator/entra/entratest"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/identity/awsapi"
)

func TestRemoteClientServesTokenSourceLikeTheInProcessBroker(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	rc := awsapi.NewRemoteClient(awsConfig(w.wl), w.url)
	out, err := rc.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: w.idp.TokenA(t, jane)})
	if err != nil {
		t.Fatalf("GetWorkloadAccessTokenForJWT: %v", err)
	}
	src := identity.TokenSource{Getter: rc, Provider: provider, Scopes: []string{entratest.ConnectorScope}}
	tok, err := src.Token(identity.WithWorkloadAccessToken(ctx, out.WorkloadAccessToken))
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if c := claims(t, tok); c["aud"] != entra.DevConnectorClientID || c["preferred_username"] != jane {
		t.Errorf("Token B aud=%v user=%v, want %s for %s", c["aud"], c["preferred_username"], entra.DevConnectorClientID, jane)
	}
}

func TestRemoteClientErrorsAreTypedIdentityErrors(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	rc := awsapi.NewRemoteClient(awsConfig(w.other), w.url)
	out, err := rc.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: otherWorkload, UserToken: w.idp.TokenA(t, jane)})
	if err != nil {
		t.Fatal(err)
	}
	wctx := identity.WithWorkloadAccessToken(ctx, out.WorkloadAccessToken)

	_, err = identity.TokenSource{Getter: rc, Provider: "NoSuchProvider", Scopes: []string{"x"}}.Token(wctx)
	if got := identity.ErrorType(err); got != identity.ResourceNotFoundException {
		t.Errorf("unknown provider: type %q (%v), want ResourceNotFoundException", got, err)
	}

	// The agent app holds no consent for the HR API: Entra answers
	// AADSTS65001, and the IdP's code travels back to the remote caller.
	_, err = identity.TokenSource{Getter: rc, Provider: hrProvider, Scopes: []string{"api://" + hrAppID + "/Cases.Read"}}.Token(wctx)
	var ie *identity.Error
	if !errors.As(err, &ie) || ie.Type != identity.AccessDeniedException || ie.OAuth == nil || !ie.OAuth.HasErrorCode(65001) {
		t.Errorf("missing consent: got %#v, want AccessDeniedException carrying AADSTS65001", err)
	}

	// A key the broker does not know is refused before anything else.
	stranger := awsapi.NewRemoteClient(awsConfig(awsapi.AccessKey{AccessKeyID: "AKOBNOBODYKNOWSTHIS", SecretAccessKey: "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"}), w.url)
	_, err = stranger.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: w.idp.TokenA(t, jane)})
	if !errors.As(err, &ie) || ie.Type != identity.AccessDeniedException {
		t.Errorf("unknown key: got %v, want AccessDeniedException", err)
	}
}
