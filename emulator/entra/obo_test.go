package entra_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

var connectorScope = connectorAPI + "/user_impersonation"

func TestOBOExchangesTokenAForConnectorTokenB(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	_, a := tn.verify(t, tokenA)

	r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, connectorScope))
	if r.status != http.StatusOK {
		t.Fatalf("OBO = %d %s", r.status, r)
	}
	if r.str("token_type") != "Bearer" || r.str("scope") != connectorScope || r.body["expires_in"] != float64(3600) {
		t.Errorf("token_type/scope/expires_in = %v/%v/%v", r.body["token_type"], r.body["scope"], r.body["expires_in"])
	}
	_, b := tn.verify(t, r.str("access_token"))
	want := map[string]any{
		"aud":                entra.DevConnectorClientID,
		"azp":                entra.DevAgentClientID,
		"azpacr":             "1",
		"scp":                "user_impersonation",
		"oid":                janeOID,
		"tid":                entra.DevTenantID,
		"preferred_username": janeUPN,
		"name":               "Jane Smith",
		"iss":                tn.srv.Issuer(),
		"ver":                "2.0",
	}
	for k, v := range want {
		if b[k] != v {
			t.Errorf("Token B %s = %v, want %v", k, b[k], v)
		}
	}
	if b["sub"] == a["sub"] {
		t.Errorf("Token B sub equals Token A sub; sub is pairwise per resource")
	}
	if b["uti"] == a["uti"] {
		t.Errorf("Token B reuses Token A's uti")
	}
}

func TestOBOAcceptsDefaultScopeClientIDFormAndBasicAuth(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	for _, scope := range []string{connectorAPI + "/.default", entra.DevConnectorClientID + "/user_impersonation"} {
		form := oboForm(entra.DevAgentClientID, "", tokenA, scope)
		form.Del("client_id")
		r := tn.post(t, form, entra.DevAgentClientID, agentSecret)
		if r.status != http.StatusOK {
			t.Fatalf("scope %q: %d %s", scope, r.status, r)
		}
		_, b := tn.verify(t, r.str("access_token"))
		if b["aud"] != entra.DevConnectorClientID || b["scp"] != "user_impersonation" {
			t.Errorf("scope %q: aud/scp = %v/%v", scope, b["aud"], b["scp"])
		}
	}
}

func TestOBOAcceptsAssertionAddressedToIdentifierURI(t *testing.T) {
	tn := start(t)
	// Entra v1-style access tokens carry the identifier URI as aud.
	assertion := tn.forge(t, 0, func(c jwt.MapClaims) { c["aud"] = agentAPI })
	r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, assertion, connectorScope))
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r)
	}
}

func TestOBOErrors(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	ok := func() url.Values { return oboForm(entra.DevAgentClientID, agentSecret, tokenA, connectorScope) }
	with := func(f url.Values, k, v string) url.Values { f.Set(k, v); return f }
	without := func(f url.Values, k string) url.Values { f.Del(k); return f }

	// Jane's token issued straight for the connector: not addressed to the agent.
	forConnector := tn.mustToken(t, passwordForm(entra.DevAgentClientID, agentSecret, connectorScope))
	// The agent's own app-only token for its API: right audience, no user.
	appOnly := tn.mustToken(t, clientCredentialsForm(entra.DevAgentClientID, agentSecret, agentAPI+"/.default"))
	// An ID token for the agent: right audience, but not an access token.
	idTok := tn.post(t, passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user openid")).str("id_token")
	// A tenant with the same directory but another key, and one with our key but another tenant id.
	otherKey := start(t, func(c *entra.Config) { c.SigningKey = testKey(t, 1) }).tokenA(t)
	otherTenant := start(t, func(c *entra.Config) { c.TenantID = "0e000000-0000-4000-8000-00000000000e" }).tokenA(t)
	// Our kid, another key.
	forgedSig := tn.forge(t, 1, nil)
	algNone := unsignedToken(t, tn)

	tests := []struct {
		name     string
		form     url.Values
		status   int
		err      string
		code     int
		contains string
	}{
		{"AssertionForAnotherAudience", with(ok(), "assertion", forConnector), 400, "invalid_grant", 500131, "'" + entra.DevConnectorClientID + "'"},
		{"AppOnlyAssertion", with(ok(), "assertion", appOnly), 400, "invalid_grant", 50013, "App-only tokens"},
		{"IDTokenAssertion", with(ok(), "assertion", idTok), 400, "invalid_grant", 50013, "ID tokens"},
		{"AssertionSignedByAnotherTenantKey", with(ok(), "assertion", otherKey), 400, "invalid_grant", 50013, "The key was not found"},
		{"AssertionWithOurKidButAnotherKey", with(ok(), "assertion", forgedSig), 400, "invalid_grant", 50013, "verify the signature failed"},
		{"AssertionFromAnotherIssuer", with(ok(), "assertion", otherTenant), 400, "invalid_grant", 50013, "not issued by this tenant"},
		{"AssertionAlgNone", with(ok(), "assertion", algNone), 400, "invalid_grant", 50013, "Assertion failed signature validation"},
		{"MalformedAssertion", with(ok(), "assertion", "not-a-jwt"), 400, "invalid_grant", 50013, "not a well-formed JWT"},
		{"ScopeNotConsented", with(ok(), "scope", hrAPI+"/cases.read"), 400, "invalid_grant", 65001, "'" + entra.DevAgentClientID + "' named 'ServiceNow Agent'"},
		{"DefaultScopeNotConsented", with(ok(), "scope", hrAPI+"/.default"), 400, "invalid_grant", 65001, "has not consented"},
		{"UnknownResource", with(ok(), "scope", "api://nope/read"), 400, "invalid_resource", 500011, "api://nope"},
		{"PublicClient", without(with(ok(), "client_id", cliClientID), "client_secret"), 401, "invalid_client", 7000218, "'client_secret'"},
		{"BadSecret", with(ok(), "client_secret", "wrong"), 401, "invalid_client", 7000215, entra.DevAgentClientID},
		{"MissingRequestedTokenUse", without(ok(), "requested_token_use"), 400, "invalid_request", 900144, "'requested_token_use'"},
		{"WrongRequestedTokenUse", with(ok(), "requested_token_use", "something_else"), 400, "invalid_request", 90100, "requested_token_use"},
		{"MissingAssertion", without(ok(), "assertion"), 400, "invalid_request", 900144, "'assertion'"},
		{"MissingScope", without(ok(), "scope"), 400, "invalid_request", 900144, "'scope'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tn.post(t, tc.form)
			text := wantError(t, r, tc.status, tc.err, tc.code)
			if !strings.Contains(text, tc.contains) {
				t.Errorf("description %q does not contain %q", text, tc.contains)
			}
			if a := tc.form.Get("assertion"); len(a) > 20 && strings.Contains(r.raw, a) {
				t.Errorf("error body contains the assertion")
			}
			if strings.Contains(r.raw, agentSecret) {
				t.Errorf("error body contains the client secret")
			}
		})
	}
}

func TestOBORejectsExpiredAssertion(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	_, a := tn.verify(t, tokenA)
	tn.clock.Advance(time.Hour) // now == exp: no longer valid
	r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, connectorScope))
	text := wantError(t, r, 400, "invalid_grant", 500133)
	if !strings.HasPrefix(text, "Assertion is not within its valid time range.") {
		t.Errorf("description %q", text)
	}
	exp := time.Unix(int64(a["exp"].(float64)), 0).UTC().Format("2006-01-02T15:04:05")
	if !strings.Contains(text, "expiry time of assertion "+exp) {
		t.Errorf("description %q does not give the expiry %s", text, exp)
	}
}

func TestOBORejectsAssertionBeforeNotBefore(t *testing.T) {
	tn := start(t)
	future := tn.forge(t, 0, func(c jwt.MapClaims) { c["nbf"] = tn.clock.Now().Add(10 * time.Minute).Unix() })
	r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, future, connectorScope))
	wantError(t, r, 400, "invalid_grant", 500133)
}

func TestOBOChecksClientBeforeAssertion(t *testing.T) {
	tn := start(t)
	// A bad secret wins over a bad assertion: the client is checked first.
	r := tn.post(t, oboForm(entra.DevAgentClientID, "wrong", "not-a-jwt", connectorScope))
	wantError(t, r, 401, "invalid_client", 7000215)
	// An expired assertion for another audience: time is checked before audience.
	forConnector := tn.mustToken(t, passwordForm(entra.DevAgentClientID, agentSecret, connectorScope))
	tn.clock.Advance(2 * time.Hour)
	r = tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, forConnector, connectorScope))
	wantError(t, r, 400, "invalid_grant", 500133)
}

// forge signs a Jane-for-agent token claims set with test key i under this
// tenant's kid; edit may change the claims.
func (tn *tenant) forge(t *testing.T, i int, edit func(jwt.MapClaims)) string {
	t.Helper()
	header, claims := tn.verify(t, tn.tokenA(t))
	if edit != nil {
		edit(claims)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = header["kid"]
	s, err := tok.SignedString(testKey(t, i))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func unsignedToken(t *testing.T, tn *tenant) string {
	t.Helper()
	header, claims := tn.verify(t, tn.tokenA(t))
	tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	tok.Header["kid"] = header["kid"]
	s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
