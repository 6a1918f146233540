package identity_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/store"
	"github.com/onbehalf/onbehalf/trace"
)

func TestOBOReturnsTokenBForTheConnectorCarryingTheUser(t *testing.T) {
	e := newEnv(t, options{})
	tok := e.mustGet(obo(e.wat(workload, jane), providerMS, connectorScope))

	c := claims(t, tok)
	if c["aud"] != entra.DevConnectorClientID {
		t.Errorf("Token B aud = %v, want the connector %s", c["aud"], entra.DevConnectorClientID)
	}
	if c["preferred_username"] != jane {
		t.Errorf("Token B preferred_username = %v, want %s", c["preferred_username"], jane)
	}
	if c["scp"] != "user_impersonation" {
		t.Errorf("Token B scp = %v, want user_impersonation", c["scp"])
	}
	if n := e.oboRequests(); n != 1 {
		t.Errorf("IdP jwt-bearer requests = %d, want 1", n)
	}
}

func TestCustomProviderWithBasicAuthAlsoExchanges(t *testing.T) {
	e := newEnv(t, options{})
	tok := e.mustGet(obo(e.wat(workload, jane), providerCus, connectorScope))
	if c := claims(t, tok); c["preferred_username"] != jane || c["aud"] != entra.DevConnectorClientID {
		t.Errorf("Token B = aud %v user %v, want %s %s", c["aud"], c["preferred_username"], entra.DevConnectorClientID, jane)
	}
}

func TestSecondCallIsAVaultHit(t *testing.T) {
	e := newEnv(t, options{})
	wat := e.wat(workload, jane)
	first := e.mustGet(obo(wat, providerMS, connectorScope))
	// The trace panel learns how each token was obtained.
	ctx := trace.WithRecorder(context.Background())
	var hops []trace.Hop
	trace.Attach(ctx, func(h trace.Hop) { hops = append(hops, h) })
	out, err := e.broker.GetResourceOauth2Token(ctx, obo(wat, providerMS, connectorScope))
	if err != nil {
		t.Fatal(err)
	}
	second := out.AccessToken
	if len(hops) != 1 || hops[0].Hop != trace.HopTokenExchange || hops[0].Detail != "vault hit, ON_BEHALF_OF_TOKEN_EXCHANGE" {
		t.Errorf("trace hops = %+v, want one token_exchange 'vault hit, ON_BEHALF_OF_TOKEN_EXCHANGE'", hops)
	}
	// A new WAT from a new sign-in of the same user hits the same row.
	third := e.mustGet(obo(e.wat(workload, jane), providerMS, connectorScope))

	if second != first || third != first {
		t.Errorf("cached calls returned a different token")
	}
	if n := e.oboRequests(); n != 1 {
		t.Errorf("IdP jwt-bearer requests = %d, want 1", n)
	}
	var details []string
	for _, ev := range e.audit() {
		if ev.Action == "GetResourceOauth2Token" {
			details = append(details, ev.Detail)
		}
	}
	slices.Reverse(details) // ListAudit is newest first
	if len(details) != 3 || !strings.HasPrefix(details[0], "idp call ") || details[1] != "vault hit" || details[2] != "vault hit" {
		t.Errorf("audit details = %q, want [idp call …, vault hit, vault hit]", details)
	}
}

func TestTwoUsersNeverShareACachedToken(t *testing.T) {
	e := newEnv(t, options{})
	janeTok := e.mustGet(obo(e.wat(workload, jane), providerMS, connectorScope))
	bobTok := e.mustGet(obo(e.wat(workload, bob), providerMS, connectorScope))

	if janeTok == bobTok {
		t.Fatal("jane and bob got the same token")
	}
	if got := claims(t, janeTok)["preferred_username"]; got != jane {
		t.Errorf("jane's token names %v", got)
	}
	if got := claims(t, bobTok)["preferred_username"]; got != bob {
		t.Errorf("bob's token names %v", got)
	}
	if n := e.oboRequests(); n != 2 {
		t.Errorf("IdP jwt-bearer requests = %d, want 2", n)
	}
}

func TestConcurrentColdCallsForOneUserMakeOneIdPRequest(t *testing.T) {
	e := newEnv(t, options{})
	wat := e.wat(workload, jane)
	const n = 100
	var wg sync.WaitGroup
	toks := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			toks[i], errs[i] = e.get(obo(wat, providerMS, connectorScope))
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if toks[i] != toks[0] {
			t.Fatalf("caller %d got a different token", i)
		}
	}
	if got := e.oboRequests(); got != 1 {
		t.Errorf("IdP jwt-bearer requests = %d, want exactly 1", got)
	}
	if got := claims(t, toks[0])["preferred_username"]; got != jane {
		t.Errorf("token names %v, want %s", got, jane)
	}
}

func TestRowMovedToAnotherUsersKeyFailsToOpenAndIsReExchanged(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	e.mustGet(obo(e.wat(workload, jane), providerMS, connectorScope))
	bobWAT := e.wat(workload, bob)
	e.mustGet(obo(bobWAT, providerMS, connectorScope))
	keys := e.store.putKeys()
	if len(keys) != 2 || keys[0] == keys[1] {
		t.Fatalf("vault rows written = %q, want two distinct rows", keys)
	}
	janeRow, bobRow := keys[0], keys[1]

	// The attacker (or a bug) copies jane's sealed token into bob's row.
	janeEntry, err := e.store.GetVault(ctx, janeRow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.kr.Open(janeEntry.Ciphertext, []byte("anything else")); err == nil {
		t.Fatal("ciphertext opened with the wrong associated data")
	}
	moved := janeEntry
	moved.Key = bobRow
	if err := e.store.PutVault(ctx, moved); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(identity.DefaultVaultCacheTTL) // past the broker's in-memory copy

	tok := e.mustGet(obo(bobWAT, providerMS, connectorScope))
	if got := claims(t, tok)["preferred_username"]; got != bob {
		t.Fatalf("bob was served a token for %v", got)
	}
	if n := e.oboRequests(); n != 3 {
		t.Errorf("IdP jwt-bearer requests = %d, want 3 (the moved row is re-exchanged)", n)
	}
	// The re-exchange replaced the moved row with bob's own sealed token.
	again := e.mustGet(obo(bobWAT, providerMS, connectorScope))
	if again != tok || e.oboRequests() != 3 {
		t.Errorf("after the re-exchange bob's row is not a vault hit")
	}
}

func TestVaultStoresNoPlaintextToken(t *testing.T) {
	e := newEnv(t, options{})
	tokenA := e.tokenA(jane)
	out, err := e.broker.GetWorkloadAccessTokenForJWT(context.Background(), identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: tokenA})
	if err != nil {
		t.Fatal(err)
	}
	e.remember(out.WorkloadAccessToken)
	tokenB := e.mustGet(obo(out.WorkloadAccessToken, providerMS, connectorScope))
	keys := e.store.putKeys()
	if len(keys) != 1 {
		t.Fatalf("vault rows = %d, want 1", len(keys))
	}
	entry, err := e.store.GetVault(context.Background(), keys[0])
	if err != nil {
		t.Fatal(err)
	}
	for name, secret := range map[string]string{"Token B": tokenB, "Token A": tokenA, "client secret": e.agentSecret} {
		for _, part := range secretParts(secret) {
			if bytes.Contains(entry.Ciphertext, []byte(part)) {
				t.Errorf("vault ciphertext contains %s in plaintext", name)
			}
		}
	}
	if bytes.Contains(entry.Ciphertext, []byte("access_token")) || bytes.Contains(entry.Ciphertext, []byte(jane)) {
		t.Errorf("vault ciphertext contains plaintext JSON")
	}
	if strings.Contains(keys[0], "jane") || len(keys[0]) != 64 {
		t.Errorf("vault row id %q is not an opaque sha256 hex", keys[0])
	}
	// The WAT is opaque too: neither Token A nor the user is readable in it.
	for _, part := range append(secretParts(tokenA), jane) {
		if strings.Contains(out.WorkloadAccessToken, part) {
			t.Errorf("WAT contains plaintext user data")
		}
	}
	if !strings.HasPrefix(out.WorkloadAccessToken, "obwat1.") {
		t.Errorf("WAT = %.10s…, want obwat1. prefix", out.WorkloadAccessToken)
	}
}

func TestForceAuthenticationReplacesTheCachedToken(t *testing.T) {
	e := newEnv(t, options{})
	wat := e.wat(workload, jane)
	first := e.mustGet(obo(wat, providerMS, connectorScope))
	forced := obo(wat, providerMS, connectorScope)
	forced.ForceAuthentication = true
	second := e.mustGet(forced)
	third := e.mustGet(obo(wat, providerMS, connectorScope))

	if second == first {
		t.Error("ForceAuthentication returned the cached token")
	}
	if third != second {
		t.Error("the forced token did not replace the cached one")
	}
	if n := e.oboRequests(); n != 2 {
		t.Errorf("IdP jwt-bearer requests = %d, want 2", n)
	}
}

func TestTokenNearExpiryIsExchangedAgain(t *testing.T) {
	// Tokens live 10 minutes; the broker stops serving them 5 minutes early.
	e := newEnv(t, options{tokenLifetime: 10 * time.Minute})
	wat := e.wat(workload, jane)
	first := e.mustGet(obo(wat, providerMS, connectorScope))
	e.clk.Advance(4 * time.Minute)
	if e.mustGet(obo(wat, providerMS, connectorScope)) != first || e.oboRequests() != 1 {
		t.Fatalf("at 4m the cached token should be served (requests %d)", e.oboRequests())
	}
	e.clk.Advance(2 * time.Minute) // 6m: 4m left < RefreshBefore 5m
	second := e.mustGet(obo(wat, providerMS, connectorScope))
	if second == first || e.oboRequests() != 2 {
		t.Errorf("at 6m the token should be exchanged again (requests %d, same token %t)", e.oboRequests(), second == first)
	}
}

func TestDifferentScopesOrProvidersUseDifferentRows(t *testing.T) {
	e := newEnv(t, options{})
	wat := e.wat(workload, jane)
	e.mustGet(obo(wat, providerMS, connectorScope))
	e.mustGet(obo(wat, providerMS, connectorScope, "offline_access"))
	e.mustGet(obo(wat, providerMS, "offline_access", connectorScope, connectorScope)) // same set, other order
	e.mustGet(obo(wat, providerCus, connectorScope))
	if n := e.oboRequests(); n != 3 {
		t.Errorf("IdP jwt-bearer requests = %d, want 3 (scope order and duplicates do not matter)", n)
	}
}

func TestMissingConsentIsAccessDeniedWithAADSTS65001(t *testing.T) {
	e := newEnv(t, options{})
	_, err := e.get(obo(e.wat(workload, jane), providerMS, "api://"+hrAppID+"/Cases.Read"))
	ie := wantErr(t, err, identity.AccessDeniedException)
	if ie.OAuth == nil || !slices.Contains(ie.OAuth.ErrorCodes, 65001) {
		t.Fatalf("OAuth = %+v, want error_codes containing 65001", ie.OAuth)
	}
	if !strings.HasPrefix(ie.Message, "consent required") || !strings.Contains(ie.Message, "AADSTS65001") {
		t.Errorf("message = %q, want consent required … AADSTS65001", ie.Message)
	}
	evs := e.audit()
	if evs[0].Outcome != "invalid_grant" || !strings.Contains(evs[0].Detail, "AADSTS65001") {
		t.Errorf("audit = outcome %q detail %q, want invalid_grant with AADSTS65001", evs[0].Outcome, evs[0].Detail)
	}
}

func TestWorkloadNotAllowedForProviderIsAccessDenied(t *testing.T) {
	e := newEnv(t, options{})
	_, err := e.get(obo(e.wat(restricted, jane), providerMS, connectorScope))
	wantErr(t, err, identity.AccessDeniedException)
	if n := e.oboRequests(); n != 0 {
		t.Errorf("IdP requests = %d, want 0", n)
	}
	if ev := e.audit()[0]; ev.Outcome != identity.AccessDeniedException || ev.Workload != restricted {
		t.Errorf("audit = %+v, want AccessDeniedException for %s", ev, restricted)
	}
}

func TestTamperedOrForgedWATIsUnauthorized(t *testing.T) {
	e := newEnv(t, options{})
	wat := e.wat(workload, jane)
	body := []byte(strings.TrimPrefix(wat, "obwat1."))
	flipped := append([]byte(nil), body...)
	i := len(flipped) / 2
	if flipped[i] == 'A' {
		flipped[i] = 'B'
	} else {
		flipped[i] = 'A'
	}

	other := newEnv(t, options{}) // another broker, another keyring
	foreign := other.wat(workload, jane)

	for name, bad := range map[string]string{
		"flipped byte":    "obwat1." + string(flipped),
		"no prefix":       string(body),
		"other version":   "obwat2." + string(body),
		"not base64":      "obwat1.!!!",
		"truncated":       wat[:len(wat)-10],
		"the user token":  e.tokenA(jane),
		"foreign keyring": foreign,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.get(obo(bad, providerMS, connectorScope))
			ie := wantErr(t, err, identity.UnauthorizedException)
			if ie.Message != "workload access token is invalid" {
				t.Errorf("message = %q", ie.Message)
			}
		})
	}
	if n := e.oboRequests(); n != 0 {
		t.Errorf("IdP requests = %d, want 0", n)
	}
}

func TestExpiredWATIsUnauthorized(t *testing.T) {
	e := newEnv(t, options{broker: func(c *identity.Config) { c.WorkloadTokenTTL = 2 * time.Minute }})
	wat := e.wat(workload, jane)
	e.clk.Advance(2 * time.Minute)
	_, err := e.get(obo(wat, providerMS, connectorScope))
	ie := wantErr(t, err, identity.UnauthorizedException)
	if ie.Message != "workload access token has expired" {
		t.Errorf("message = %q", ie.Message)
	}
	if ev := e.audit()[0]; ev.User == "" || ev.Workload != workload || ev.Outcome != identity.UnauthorizedException {
		t.Errorf("audit = %+v, want the expired WAT's workload and user", ev)
	}
}

// A WAT that worked (and so sits in the broker's cache of opened WATs)
// still stops working the second it expires.
func TestWATUsedThenExpiredIsUnauthorized(t *testing.T) {
	e := newEnv(t, options{broker: func(c *identity.Config) { c.WorkloadTokenTTL = 2 * time.Minute }})
	wat := e.wat(workload, jane)
	e.clk.Advance(90 * time.Second)
	e.mustGet(obo(wat, providerMS, connectorScope))
	e.mustGet(obo(wat, providerMS, connectorScope)) // opened from the cache
	e.clk.Advance(31 * time.Second)
	_, err := e.get(obo(wat, providerMS, connectorScope))
	ie := wantErr(t, err, identity.UnauthorizedException)
	if ie.Message != "workload access token has expired" {
		t.Errorf("message = %q, want the expiry", ie.Message)
	}
	// A tampered copy of a cached WAT is still refused.
	bad := wat[:len(wat)-2] + "AA"
	if bad == wat {
		bad = wat[:len(wat)-2] + "BB"
	}
	_, err = e.get(obo(bad, providerMS, connectorScope))
	if ie := wantErr(t, err, identity.UnauthorizedException); ie.Message != "workload access token is invalid" {
		t.Errorf("tampered WAT: message = %q", ie.Message)
	}
}

func TestWATNeverOutlivesTheUserToken(t *testing.T) {
	// Token A lives 10 minutes; the WAT TTL (1h default) must not extend it.
	e := newEnv(t, options{tokenLifetime: 10 * time.Minute})
	wat := e.wat(workload, jane)
	e.clk.Advance(9 * time.Minute)
	e.mustGet(obo(wat, providerMS, connectorScope))
	e.clk.Advance(time.Minute)
	_, err := e.get(obo(wat, providerMS, connectorScope))
	wantErr(t, err, identity.UnauthorizedException)
}

func TestWorkloadAccessTokenRefusals(t *testing.T) {
	e := newEnv(t, options{})
	tokenA := e.tokenA(jane)
	ctx := context.Background()
	call := func(name, tok string) error {
		_, err := e.broker.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: name, UserToken: tok})
		return err
	}
	wantErr(t, call("", tokenA), identity.ValidationException)
	wantErr(t, call(workload, ""), identity.ValidationException)
	wantErr(t, call("no-such-workload", tokenA), identity.ResourceNotFoundException)
	wantErr(t, call(workload, tokenA[:len(tokenA)-4]+"AAAA"), identity.UnauthorizedException)
	e.clk.Advance(2 * time.Hour)
	wantErr(t, call(workload, tokenA), identity.UnauthorizedException)

	evs := e.audit()
	if len(evs) != 5 {
		t.Fatalf("audit events = %d, want 5", len(evs))
	}
	for _, ev := range evs {
		if ev.Action != "GetWorkloadAccessTokenForJWT" || ev.Outcome == "ok" {
			t.Errorf("audit = %+v, want a refused GetWorkloadAccessTokenForJWT", ev)
		}
	}
}

func TestRequestRefusals(t *testing.T) {
	e := newEnv(t, options{})
	wat := e.wat(workload, jane)
	tests := []struct {
		name string
		in   identity.GetResourceOauth2TokenInput
		want string
	}{
		{"no WAT", obo("", providerMS, connectorScope), identity.ValidationException},
		{"no provider", obo(wat, "", connectorScope), identity.ValidationException},
		{"bad flow", identity.GetResourceOauth2TokenInput{WorkloadIdentityToken: wat, ResourceCredentialProviderName: providerMS, Scopes: []string{connectorScope}, Oauth2Flow: "IMPLICIT"}, identity.ValidationException},
		{"scope with a space", obo(wat, providerMS, connectorScope+" offline_access"), identity.ValidationException},
		{"unknown provider", obo(wat, "NoSuchProvider", connectorScope), identity.ResourceNotFoundException},
		{"user federation", identity.GetResourceOauth2TokenInput{WorkloadIdentityToken: wat, ResourceCredentialProviderName: providerMS, Scopes: []string{connectorScope}, Oauth2Flow: identity.FlowUserFederation}, identity.ValidationException},
		{"scope the IdP does not know", obo(wat, providerMS, "api://"+entra.DevConnectorClientID+"/nope"), identity.ValidationException},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.get(tt.in)
			wantErr(t, err, tt.want)
		})
	}
}

func TestIdPUnavailableIsInternalServerException(t *testing.T) {
	e := newEnv(t, options{broker: func(c *identity.Config) {
		c.Providers[0].DiscoveryURL = "http://127.0.0.1:1/t/v2.0/.well-known/openid-configuration"
	}})
	_, err := e.get(obo(e.wat(workload, jane), providerMS, connectorScope))
	ie := wantErr(t, err, identity.InternalServerException)
	if !strings.HasPrefix(ie.Message, "identity provider unavailable") {
		t.Errorf("message = %q", ie.Message)
	}
}

func TestM2MUsesClientCredentialsAndNoUser(t *testing.T) {
	e := newEnv(t, options{})
	in := obo(e.wat(workload, jane), providerMS, "api://"+entra.DevConnectorClientID+"/.default")
	in.Oauth2Flow = identity.FlowM2M
	tok := e.mustGet(in)
	if c := claims(t, tok); c["idtyp"] != "app" || c["preferred_username"] != nil {
		t.Errorf("M2M token claims idtyp=%v preferred_username=%v, want an app token", c["idtyp"], c["preferred_username"])
	}
	// Another user's WAT shares the M2M row: it names no user.
	in.WorkloadIdentityToken = e.wat(workload, bob)
	if e.mustGet(in) != tok {
		t.Error("M2M token not shared across users of one workload")
	}
	if n := e.idp.TokenRequests(entra.GrantClientCredentials); n != 1 {
		t.Errorf("client_credentials requests = %d, want 1", n)
	}
	for _, ev := range e.audit() {
		if ev.Action == "GetResourceOauth2Token" && ev.User != "" {
			t.Errorf("M2M audit event names user %q", ev.User)
		}
	}
}

func TestAuditRecordsEveryCallWithoutSecrets(t *testing.T) {
	e := newEnv(t, options{})
	ctx := identity.WithRequestInfo(context.Background(), identity.RequestInfo{RequestID: "req-1", SessionID: "sess-1"})
	wat, err := e.broker.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: e.tokenA(jane)})
	if err != nil {
		t.Fatal(err)
	}
	e.remember(wat.WorkloadAccessToken)
	for range 2 {
		out, err := e.broker.GetResourceOauth2Token(ctx, obo(wat.WorkloadAccessToken, providerMS, connectorScope))
		if err != nil {
			t.Fatal(err)
		}
		e.remember(out.AccessToken)
	}
	_, err = e.broker.GetResourceOauth2Token(ctx, obo(wat.WorkloadAccessToken, providerMS, "api://"+hrAppID+"/Cases.Read"))
	wantErr(t, err, identity.AccessDeniedException)

	evs := e.audit()
	slices.Reverse(evs)
	type row struct{ Action, Workload, User, Provider, Flow, Outcome, RequestID, SessionID string }
	user := e.idp.Issuer() + "|"
	want := []row{
		{"GetWorkloadAccessTokenForJWT", workload, user, "", "", "ok", "req-1", "sess-1"},
		{"GetResourceOauth2Token", workload, user, providerMS, identity.FlowOnBehalfOf, "ok", "req-1", "sess-1"},
		{"GetResourceOauth2Token", workload, user, providerMS, identity.FlowOnBehalfOf, "ok", "req-1", "sess-1"},
		{"GetResourceOauth2Token", workload, user, providerMS, identity.FlowOnBehalfOf, "invalid_grant", "req-1", "sess-1"},
	}
	if len(evs) != len(want) {
		t.Fatalf("audit events = %d, want %d: %+v", len(evs), len(want), evs)
	}
	for i, ev := range evs {
		got := row{ev.Action, ev.Workload, ev.User, ev.Provider, ev.Flow, ev.Outcome, ev.RequestID, ev.SessionID}
		if !strings.HasPrefix(got.User, user) || len(got.User) == len(user) {
			t.Errorf("event %d user = %q, want %s<sub>", i, got.User, user)
		}
		got.User = user
		if got != want[i] {
			t.Errorf("event %d = %+v\nwant       %+v", i, got, want[i])
		}
		if ev.Time.IsZero() {
			t.Errorf("event %d has no time", i)
		}
	}
	if !strings.HasPrefix(evs[1].Detail, "idp call ") || evs[2].Detail != "vault hit" {
		t.Errorf("details = %q, %q", evs[1].Detail, evs[2].Detail)
	}
	// assertNothingSecretLeaked (registered by newEnv) scans every field of
	// every event for Token A, Token B, the WAT, the client secret and the
	// password.
}

var _ store.Store = (*recordingStore)(nil)

// countingStore counts vault reads.
type countingStore struct {
	store.Store
	mu    sync.Mutex
	reads int
}

func (s *countingStore) GetVault(ctx context.Context, key string) (store.VaultEntry, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return s.Store.GetVault(ctx, key)
}

func (s *countingStore) vaultReads() int { s.mu.Lock(); defer s.mu.Unlock(); return s.reads }

func TestVaultHitsAreServedFromMemoryForVaultCacheTTL(t *testing.T) {
	var cs *countingStore
	e := newEnv(t, options{broker: func(c *identity.Config) {
		cs = &countingStore{Store: c.Store}
		c.Store = cs
	}})
	wat := e.wat(workload, jane)
	first := e.mustGet(obo(wat, providerMS, connectorScope))
	base := cs.vaultReads()
	for range 10 {
		if e.mustGet(obo(wat, providerMS, connectorScope)) != first {
			t.Fatal("a different token within the cache TTL")
		}
	}
	if got := cs.vaultReads() - base; got != 0 {
		t.Errorf("vault reads within the TTL = %d, want 0", got)
	}
	e.clk.Advance(identity.DefaultVaultCacheTTL)
	if e.mustGet(obo(wat, providerMS, connectorScope)) != first {
		t.Fatal("a different token after the cache TTL")
	}
	if got := cs.vaultReads() - base; got != 1 {
		t.Errorf("vault reads after the TTL = %d, want 1", got)
	}
	// A forced exchange replaces the cached copy at once.
	forced := obo(wat, providerMS, connectorScope)
	forced.ForceAuthentication = true
	second := e.mustGet(forced)
	if second == first || e.mustGet(obo(wat, providerMS, connectorScope)) != second {
		t.Error("after forceAuthentication the cache served the old token")
	}
}

// With VerifyUserTokenFor, each workload accepts only the tokens its own
// verifier accepts: a token good for one agent does not buy a WAT for
// another agent's workload.
func TestUserTokensAreVerifiedForTheWorkloadTheyArePresentedFor(t *testing.T) {
	var asked []string
	e := newEnv(t, options{broker: func(c *identity.Config) {
		verify := c.VerifyUserToken
		c.VerifyUserTokenFor = func(ctx context.Context, wl, raw string) (identity.UserClaims, error) {
			asked = append(asked, wl)
			if wl != workload {
				return identity.UserClaims{}, errors.New("token is not for this agent")
			}
			return verify(ctx, raw)
		}
	}})
	if _, err := e.broker.GetWorkloadAccessTokenForJWT(context.Background(), identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: e.tokenA(jane)}); err != nil {
		t.Fatalf("own workload: %v", err)
	}
	_, err := e.broker.GetWorkloadAccessTokenForJWT(context.Background(), identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: restricted, UserToken: e.tokenA(jane)})
	if ie := wantErr(t, err, identity.UnauthorizedException); ie.Message != "user token rejected" {
		t.Errorf("message = %q", ie.Message)
	}
	if fmt.Sprint(asked) != fmt.Sprint([]string{workload, restricted}) {
		t.Errorf("verifier asked for %v, want each call's workload", asked)
	}
}

// The broker's metrics count calls by operation and outcome and tokens by
// source, and time the IdP request; no label holds a user or a token.
func TestMetricsCountCallsTokensAndIdPRequests(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	e := newEnv(t, options{broker: func(c *identity.Config) { c.Metrics = reg }})
	wat := e.wat(workload, jane)
	e.mustGet(obo(wat, providerMS, connectorScope)) // idp
	e.mustGet(obo(wat, providerMS, connectorScope)) // vault
	e.mustGet(obo(wat, providerMS, connectorScope)) // vault
	if _, err := e.get(obo("obwat1.garbage", providerMS, connectorScope)); err == nil {
		t.Fatal("a garbage WAT was accepted")
	}
	want := `
# HELP onbehalf_identity_calls_total Audited broker calls by operation and outcome (ok, an error type, or the IdP's OAuth error code).
# TYPE onbehalf_identity_calls_total counter
onbehalf_identity_calls_total{operation="GetResourceOauth2Token",outcome="UnauthorizedException"} 1
onbehalf_identity_calls_total{operation="GetResourceOauth2Token",outcome="ok"} 3
onbehalf_identity_calls_total{operation="GetWorkloadAccessTokenForJWT",outcome="ok"} 1
# HELP onbehalf_identity_resource_tokens_total Resource tokens handed out by credential provider and where they came from (vault, idp).
# TYPE onbehalf_identity_resource_tokens_total counter
onbehalf_identity_resource_tokens_total{provider="` + providerMS + `",source="idp"} 1
onbehalf_identity_resource_tokens_total{provider="` + providerMS + `",source="vault"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "onbehalf_identity_calls_total", "onbehalf_identity_resource_tokens_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "onbehalf_identity_idp_request_seconds"); n != 1 {
		t.Errorf("IdP request histograms = %d, want 1 (one provider, one result)", n)
	}
	out, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range out {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), jane) || strings.Contains(l.GetValue(), "eyJ") || strings.Contains(l.GetValue(), "obwat1.") {
					t.Errorf("metric %s label %s=%q holds a user or a token", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

func TestOutcomeLabelsStayBounded(t *testing.T) {
	for in, want := range map[string]string{
		"ok": "ok", "invalid_grant": "invalid_grant", "UnauthorizedException": "UnauthorizedException",
		"AADSTS-made-up-code": "other_idp_error", "x_" + strings.Repeat("y", 100): "other_idp_error",
	} {
		if got := identity.OutcomeLabelForTest(in); got != want {
			t.Errorf("outcome %q -> label %q, want %q", in, got, want)
		}
	}
}
