package entra

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
)

// The emulator models one Conditional Access policy: "require multi-factor
// authentication for downstream APIs", applied per user. A downstream API
// is any resource other than the requesting app's own: Token A (the agent
// app's own API) is never refused, Token B (the connector, through OBO or
// token exchange) is, until the user signs in again with MFA. This is
// exactly the case Entra documents for OBO: the middle tier gets
// interaction_required with a claims challenge it must hand back to the
// client, whose next interactive sign-in sends that challenge in the
// authorization request's claims parameter.
//
// MFA is emulated: the sign-in page has an "approve" checkbox. A sign-in
// that ticked it yields tokens with amr ["pwd","mfa"], which OBO, token
// exchange and refresh carry forward.

// SetConditionalAccess puts the user (by UPN) under the MFA policy or
// takes them out of it. It fails with ErrUnknownUser for a UPN not in the
// directory.
func (s *Server) SetConditionalAccess(upn string, on bool) error {
	u := s.usersUPN[strings.ToLower(upn)]
	if u == nil {
		return fmt.Errorf("%w: %q", ErrUnknownUser, upn)
	}
	s.stMu.Lock()
	defer s.stMu.Unlock()
	if on {
		s.st.mfa[strings.ToLower(u.ObjectID)] = true
	} else {
		delete(s.st.mfa, strings.ToLower(u.ObjectID))
	}
	return nil
}

// ConditionalAccessPolicyID is the id of the emulated policy, the value in
// the capolids of every claims challenge. It is derived from the tenant id,
// so it is stable across restarts.
func (s *Server) ConditionalAccessPolicyID() string {
	sum := sha256.Sum256([]byte("capolicy|mfa|" + strings.ToLower(s.tenant)))
	var b [16]byte
	copy(b[:], sum[:16])
	return formatGUID(b, 4)
}

// claimsChallenge is the JSON claims request a client sends back to the
// authorization endpoint to satisfy the policy.
func (s *Server) claimsChallenge() string {
	type values struct {
		Essential bool     `json:"essential"`
		Values    []string `json:"values"`
	}
	b, _ := json.Marshal(map[string]map[string]values{
		"access_token": {"capolids": {Essential: true, Values: []string{s.ConditionalAccessPolicyID()}}},
	})
	return string(b)
}

// mfaPolicyApplies reports whether a token of client for resource needs
// MFA for user.
func (s *Server) mfaPolicyApplies(user *User, client, resource *App) bool {
	if client == resource {
		return false
	}
	s.stMu.Lock()
	defer s.stMu.Unlock()
	return s.st.mfa[strings.ToLower(user.ObjectID)]
}

// checkConditionalAccess refuses a token of client for resource unless the
// policy does not apply or the sign-in performed MFA. oauthErr is the
// grant's error code for it (see errMFARequired).
func (s *Server) checkConditionalAccess(oauthErr string, user *User, client, resource *App, mfa bool) *aadError {
	if mfa || !s.mfaPolicyApplies(user, client, resource) {
		return nil
	}
	return errMFARequired(oauthErr, resource, s.claimsChallenge())
}
