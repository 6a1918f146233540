package entra_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

// wantMFAChallenge asserts Entra's Conditional Access answer and returns
// the decoded claims challenge.
func wantMFAChallenge(t *testing.T, tn *tenant, r response, oauthErr string) map[string]any {
	t.Helper()
	text := wantError(t, r, http.StatusBadRequest, oauthErr, 50076)
	want := "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '" + entra.DevConnectorClientID + "'."
	if text != want {
		t.Errorf("description = %q, want %q", text, want)
	}
	raw := r.str("claims")
	if raw == "" {
		t.Fatalf("no claims member in %s", r)
	}
	var challenge map[string]any
	if err := json.Unmarshal([]byte(raw), &challenge); err != nil {
		t.Fatalf("claims %q is not JSON: %v", raw, err)
	}
	want2 := `{"access_token":{"capolids":{"essential":true,"values":["` + tn.srv.ConditionalAccessPolicyID() + `"]}}}`
	if raw != want2 {
		t.Errorf("claims = %s, want %s", raw, want2)
	}
	return challenge
}

func TestConditionalAccessRefusesOBOWithClaimsChallenge(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t) // the agent's own API: no policy applies
	if err := tn.srv.SetConditionalAccess(janeUPN, true); err != nil {
		t.Fatal(err)
	}
	r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, connectorScope))
	wantMFAChallenge(t, tn, r, "interaction_required")
	if _, ok := r.body["suberror"]; ok {
		t.Errorf("suberror = %v, want none", r.body["suberror"])
	}
	if guidRE.FindString(tn.srv.ConditionalAccessPolicyID()) == "" {
		t.Errorf("policy id %q is not a GUID", tn.srv.ConditionalAccessPolicyID())
	}

	// Token A for the agent's own API is still issued.
	if tn.tokenA(t) == "" {
		t.Fatal("no Token A")
	}
	// Switching the policy off lets the same assertion through.
	if err := tn.srv.SetConditionalAccess(janeUPN, false); err != nil {
		t.Fatal(err)
	}
	if r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, connectorScope)); r.status != http.StatusOK {
		t.Fatalf("OBO after the policy is off = %d %s", r.status, r)
	}
}

func TestConditionalAccessAppliesOnlyToThatUser(t *testing.T) {
	tn := start(t, func(c *entra.Config) { c.Users[1].RequireMFA = true }) // Bob, from config
	bob := tn.mustToken(t, set(passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user"), "username", "bob.jones@company.com"))
	wantMFAChallenge(t, tn, tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, bob, connectorScope)), "interaction_required")
	if r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tn.tokenA(t), connectorScope)); r.status != http.StatusOK {
		t.Fatalf("Jane's OBO = %d %s, want 200 (policy is Bob's)", r.status, r)
	}
}

func TestConditionalAccessRefusesPasswordGrantForDownstreamAPI(t *testing.T) {
	tn := start(t)
	if err := tn.srv.SetConditionalAccess(janeUPN, true); err != nil {
		t.Fatal(err)
	}
	r := tn.post(t, passwordForm(entra.DevAgentClientID, agentSecret, connectorScope))
	wantMFAChallenge(t, tn, r, "invalid_grant")
}

// The documented round trip: OBO answers a claims challenge, the client
// sends it to the authorization endpoint, the user approves MFA, and OBO
// with the new Token A succeeds; Token B records the MFA.
func TestClaimsChallengeRoundTripSatisfiesConditionalAccess(t *testing.T) {
	tn := start(t)
	if err := tn.srv.SetConditionalAccess(janeUPN, true); err != nil {
		t.Fatal(err)
	}
	first := tn.spaTokens(t, janeUPN).str("access_token")
	r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, first, connectorScope))
	wantMFAChallenge(t, tn, r, "interaction_required")

	p := newPKCE(t)
	b := tn.browser(t)
	pg := b.authorize(spaAuthorize(p, "claims", r.str("claims"), "login_hint", janeUPN))
	if pg.status != http.StatusOK || !strings.Contains(pg.body, `id="mfa_approve" name="mfa_approve" value="yes" required`) {
		t.Fatalf("sign-in page = %d, want the MFA approval marked required:\n%s", pg.status, pg.body)
	}
	// Without the approval the page comes back with an alert.
	again := b.signIn(pg, janeUPN, false)
	if again.status != http.StatusOK || !strings.Contains(again.body, `role="alert"`) || !strings.Contains(again.body, "multi-factor") {
		t.Fatalf("sign-in without MFA = %d, want the page with an alert:\n%s", again.status, again.body)
	}
	q := redirected(t, b.signIn(again, janeUPN, true), spaRedirect)
	tok := tn.postFrom(t, runtimeURL, codeForm(q.Get("code"), spaRedirect, p.verifier))
	if tok.status != http.StatusOK {
		t.Fatalf("redeem = %d %s", tok.status, tok)
	}
	_, a := tn.verify(t, tok.str("access_token"))
	if amr := strList(a["amr"]); len(amr) != 2 || amr[1] != "mfa" {
		t.Errorf("Token A amr = %v, want [pwd mfa]", a["amr"])
	}
	r = tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tok.str("access_token"), connectorScope))
	if r.status != http.StatusOK {
		t.Fatalf("OBO after MFA = %d %s", r.status, r)
	}
	_, b2 := tn.verify(t, r.str("access_token"))
	if amr := strList(b2["amr"]); len(amr) != 2 || amr[1] != "mfa" {
		t.Errorf("Token B amr = %v, want the MFA carried forward", b2["amr"])
	}
}

func TestSetConditionalAccessRejectsUnknownUser(t *testing.T) {
	tn := start(t)
	if err := tn.srv.SetConditionalAccess("nobody@company.com", true); !errors.Is(err, entra.ErrUnknownUser) {
		t.Fatalf("err = %v, want ErrUnknownUser", err)
	}
}

func TestRevokedConsentFailsOBOWithAADSTS65001(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	if err := tn.srv.RevokeConsent(entra.DevAgentClientID, entra.DevConnectorClientID); err != nil {
		t.Fatal(err)
	}
	r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, connectorScope))
	text := wantError(t, r, http.StatusBadRequest, "invalid_grant", 65001)
	if r.str("suberror") != "consent_required" || !strings.Contains(text, "'"+entra.DevAgentClientID+"' named 'ServiceNow Agent'") {
		t.Errorf("suberror %q, description %q", r.str("suberror"), text)
	}
	// .default has nothing left to expand to either.
	wantError(t, tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, connectorAPI+"/.default")), 400, "invalid_grant", 65001)

	if err := tn.srv.GrantConsent(entra.DevAgentClientID, connectorAPI); err != nil {
		t.Fatal(err)
	}
	if r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, connectorScope)); r.status != http.StatusOK {
		t.Fatalf("OBO after GrantConsent = %d %s", r.status, r)
	}
}

func TestGrantConsentAddsAccessToANewResource(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	hrScope := hrAPI + "/cases.read"
	wantError(t, tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, hrScope)), 400, "invalid_grant", 65001)
	if err := tn.srv.GrantConsent(entra.DevAgentClientID, hrAPIClientID, "Cases.Read"); err != nil {
		t.Fatal(err)
	}
	r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, hrScope))
	if r.status != http.StatusOK || r.str("scope") != hrScope {
		t.Fatalf("OBO for HR = %d %s", r.status, r)
	}
}

func TestConsentControlsRejectBadArguments(t *testing.T) {
	tn := start(t)
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"unknown client", tn.srv.GrantConsent("99999999-0000-4000-8000-000000000000", connectorAPI), entra.ErrUnknownApp},
		{"unknown resource", tn.srv.RevokeConsent(entra.DevAgentClientID, "api://nope"), entra.ErrUnknownApp},
		{"unknown scope", tn.srv.GrantConsent(entra.DevAgentClientID, connectorAPI, "nope"), entra.ErrUnknownScope},
		{"own API", tn.srv.RevokeConsent(entra.DevAgentClientID, agentAPI), entra.ErrOwnAPI},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
		}
	}
	// Nothing changed: OBO still works.
	if r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tn.tokenA(t), connectorScope)); r.status != http.StatusOK {
		t.Fatalf("OBO = %d %s", r.status, r)
	}
}
