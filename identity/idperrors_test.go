package identity_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/store"
)

// fastRetries makes the broker's IdP client retry after a millisecond and
// give each attempt timeout.
func fastRetries(timeout time.Duration) func(*identity.Config) {
	return func(c *identity.Config) {
		c.OAuth = &oauth.Client{Now: c.Now, RetryBackoff: time.Millisecond, AttemptTimeout: timeout}
	}
}

func TestConditionalAccessGivesAClaimsChallengeForTheRuntime(t *testing.T) {
	e := newEnv(t, options{})
	wat := e.wat(workload, jane)
	if err := e.idp.SetConditionalAccess(jane, true); err != nil {
		t.Fatal(err)
	}
	_, err := e.get(obo(wat, providerMS, connectorScope))
	ie := wantErr(t, err, identity.AccessDeniedException)
	if !strings.HasPrefix(ie.Message, "interaction required") {
		t.Errorf("message = %q", ie.Message)
	}
	claims, ok := identity.ClaimsChallenge(err)
	if !ok || claims != ie.OAuth.Claims || !json.Valid([]byte(claims)) || !strings.Contains(claims, "access_token") {
		t.Fatalf("ClaimsChallenge = %q, %t; want the IdP's claims JSON", claims, ok)
	}
	header, ok := identity.ClaimsChallengeHeader(err)
	prefix := `Bearer error="insufficient_claims", claims="`
	if !ok || !strings.HasPrefix(header, prefix) || !strings.HasSuffix(header, `"`) {
		t.Fatalf("header = %q", header)
	}
	decoded, err2 := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(header, prefix), `"`))
	if err2 != nil || string(decoded) != claims {
		t.Errorf("header claims decode to %q (%v), want the claims JSON", decoded, err2)
	}
	if ev := e.audit()[0]; ev.Outcome != "interaction_required" || !strings.Contains(ev.Detail, "AADSTS50076") {
		t.Errorf("audit = outcome %q detail %q", ev.Outcome, ev.Detail)
	}
	// The policy lifted, the same WAT works (nothing was cached).
	e.idp.SetConditionalAccess(jane, false)
	e.mustGet(obo(wat, providerMS, connectorScope))
}

func TestClaimsChallengeIsAbsentFromOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("x"), &identity.Error{Type: identity.AccessDeniedException},
		&identity.Error{Type: identity.AccessDeniedException, OAuth: &oauth.Error{Code: "invalid_grant"}}} {
		if c, ok := identity.ClaimsChallenge(err); ok || c != "" {
			t.Errorf("ClaimsChallenge(%v) = %q, true", err, c)
		}
		if h, ok := identity.ClaimsChallengeHeader(err); ok || h != "" {
			t.Errorf("ClaimsChallengeHeader(%v) = %q, true", err, h)
		}
	}
}

func TestRevokedConsentIsConsentRequiredUntilGrantedAgain(t *testing.T) {
	e := newEnv(t, options{})
	wat := e.wat(workload, jane)
	if err := e.idp.RevokeConsent(entra.DevAgentClientID, entra.DevConnectorClientID); err != nil {
		t.Fatal(err)
	}
	_, err := e.get(obo(wat, providerMS, connectorScope))
	ie := wantErr(t, err, identity.AccessDeniedException)
	if !strings.HasPrefix(ie.Message, "consent required") || ie.OAuth == nil || !ie.OAuth.HasErrorCode(65001) {
		t.Errorf("error = %q (%+v), want consent required with AADSTS65001", ie.Message, ie.OAuth)
	}
	if _, ok := identity.ClaimsChallenge(err); ok {
		t.Error("missing consent carries no claims challenge")
	}
	if err := e.idp.GrantConsent(entra.DevAgentClientID, entra.DevConnectorClientID, "user_impersonation"); err != nil {
		t.Fatal(err)
	}
	e.mustGet(obo(wat, providerMS, connectorScope))
}

func TestIdPBlipIsRetriedAndTheCallerNeverSeesIt(t *testing.T) {
	e := newEnv(t, options{broker: fastRetries(0)})
	if err := e.idp.SetFault(entra.Fault{Status: 503, Count: 2, GrantType: entra.GrantJWTBearer}); err != nil {
		t.Fatal(err)
	}
	tok := e.mustGet(obo(e.wat(workload, jane), providerMS, connectorScope))
	if claims(t, tok)["preferred_username"] != jane {
		t.Error("wrong token")
	}
	if n := e.oboRequests(); n != 3 {
		t.Errorf("OBO requests = %d, want 3 (two 503s, then success)", n)
	}
}

func TestIdPOutageIsUnavailableAfterBoundedRetries(t *testing.T) {
	for name, fault := range map[string]entra.Fault{
		"503":       {Status: 503, GrantType: entra.GrantJWTBearer},
		"502 plain": {Status: 502, GrantType: entra.GrantJWTBearer},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, options{broker: fastRetries(0)})
			wat := e.wat(workload, jane)
			e.idp.SetFault(fault)
			_, err := e.get(obo(wat, providerMS, connectorScope))
			ie := wantErr(t, err, identity.InternalServerException)
			if !strings.HasPrefix(ie.Message, "identity provider unavailable") || !errors.Is(err, oauth.ErrUnavailable) {
				t.Errorf("error = %q", ie.Message)
			}
			if n := e.oboRequests(); n != 1+oauth.DefaultMaxRetries {
				t.Errorf("OBO requests = %d, want %d", n, 1+oauth.DefaultMaxRetries)
			}
			evs, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "GetResourceOauth2Token", Limit: 5})
			if len(evs) != 1 || evs[0].Outcome == "ok" {
				t.Errorf("audit = %+v", evs)
			}
		})
	}
}

func TestSlowIdPTimesOutPerAttemptAndIsUnavailable(t *testing.T) {
	e := newEnv(t, options{broker: fastRetries(30 * time.Millisecond)})
	wat := e.wat(workload, jane)
	e.idp.SetFault(entra.Fault{Delay: time.Minute, GrantType: entra.GrantJWTBearer})
	_, err := e.get(obo(wat, providerMS, connectorScope))
	ie := wantErr(t, err, identity.InternalServerException)
	if !strings.HasPrefix(ie.Message, "identity provider unavailable") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v", err)
	}
	if n := e.oboRequests(); n != 1+oauth.DefaultMaxRetries {
		t.Errorf("OBO requests = %d, want %d", n, 1+oauth.DefaultMaxRetries)
	}
	e.idp.ClearFaults()
	e.mustGet(obo(wat, providerMS, connectorScope))
}
