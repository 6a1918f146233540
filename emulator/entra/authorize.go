package entra

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The authorization endpoint (response_type=code only):
//
//	GET  /{tenant}/oauth2/v2.0/authorize?client_id=…&redirect_uri=…&response_type=code&scope=…
//	     [&state][&nonce][&code_challenge&code_challenge_method=S256][&prompt][&login_hint]
//	     [&response_mode=query|fragment][&claims]
//	POST /{tenant}/oauth2/v2.0/authorize   (the sign-in page's own form)
//
// An unknown client or an unregistered redirect URI gets an error page, as
// at Entra (redirecting would make the endpoint an open redirector); every
// later error is redirected to the client with error, error_description
// (AADSTS…), error_uri and state. The validated request is kept
// server-side under a random id while the page is shown; the page posts
// back only that id, the chosen user, the password and the MFA approval.

const (
	pendingLifetime   = 10 * time.Minute
	maxSignInAttempts = 5
	maxAuthParamBytes = 4096
)

// authRequest is a validated authorization request.
type authRequest struct {
	id        string // page request id ("" until a page is shown)
	browser   string // browser cookie of the GET that showed the page
	tenantSeg string // the {tenant} segment used, for the form action
	client    *App
	redirect  string
	spaOrigin string
	fragment  bool // response_mode=fragment
	req       *scopeRequest
	scopes    []string // granted
	state     string
	nonce     string
	challenge string
	loginHint string
	prompt    string
	claims    bool // a claims challenge came: the sign-in needs MFA
	attempts  int
	expires   time.Time
}

// needsMFA reports whether signing user in for ar needs the emulated MFA:
// a claims challenge asked for it, or the Conditional Access policy
// applies to the requested resource.
func (s *Server) needsMFA(ar *authRequest, user *User) bool {
	return ar.claims || s.mfaPolicyApplies(user, ar.client, ar.req.resource)
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	if _, ok := s.tenantSegment(seg); !ok {
		s.errorPage(w, r, errTenantNotFound(seg))
		return
	}
	q := r.URL.Query()
	ar, e := s.authorizeClient(q)
	if e != nil {
		s.errorPage(w, r, e)
		return
	}
	ar.tenantSeg = seg
	if e := s.authorizeParams(ar, q); e != nil {
		s.redirectError(w, r, ar, e, http.StatusFound)
		return
	}

	sess := s.currentSession(r)
	hintOK := sess != nil && (ar.loginHint == "" || strings.EqualFold(ar.loginHint, sess.user.UserPrincipalName))
	if ar.prompt == "none" {
		switch {
		case !hintOK:
			s.redirectError(w, r, ar, errLoginRequired(), http.StatusFound)
		case s.needsMFA(ar, sess.user) && !sess.mfa:
			s.redirectError(w, r, ar, errMFARequired("interaction_required", ar.req.resource, s.claimsChallenge()), http.StatusFound)
		default:
			s.redirectCode(w, r, ar, sess.user, sess.mfa, sess.signIn, http.StatusFound)
		}
		return
	}
	if ar.prompt == "" && hintOK && (sess.mfa || !s.needsMFA(ar, sess.user)) {
		s.redirectCode(w, r, ar, sess.user, sess.mfa, sess.signIn, http.StatusFound) // single sign-on
		return
	}
	ar.browser = s.browserID(w, r)
	s.storePending(ar)
	s.renderSignIn(w, r, ar, pageState{selected: ar.loginHint})
}

// authorizeClient checks what must be right before the endpoint may
// redirect anywhere: the client and its redirect URI.
func (s *Server) authorizeClient(q url.Values) (*authRequest, *aadError) {
	clientID := q.Get("client_id")
	if clientID == "" {
		return nil, errMissingParam("client_id")
	}
	app := s.apps[strings.ToLower(clientID)]
	if app == nil {
		return nil, errAppNotFound(trimTo(clientID, 64), s.tenant)
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" {
		return nil, errMissingParam("redirect_uri")
	}
	if !isRegisteredRedirect(app, redirect) {
		return nil, errRedirectNotRegistered(trimTo(redirect, 512), app)
	}
	return &authRequest{client: app, redirect: redirect, spaOrigin: spaOriginFor(app, redirect)}, nil
}

// authorizeParams validates the rest of the request into ar. State is
// read first, so that every later error carries it back.
func (s *Server) authorizeParams(ar *authRequest, q url.Values) *aadError {
	for _, p := range []string{"state", "nonce", "login_hint", "claims", "scope", "code_challenge"} {
		if len(q.Get(p)) > maxAuthParamBytes {
			return errInvalidParam(p)
		}
	}
	ar.state = q.Get("state")
	switch q.Get("response_mode") {
	case "", "query":
	case "fragment":
		ar.fragment = true
	default:
		return errInvalidParam("response_mode")
	}
	switch rt := q.Get("response_type"); rt {
	case "code":
	case "":
		return errMissingParam("response_type")
	default:
		return errUnsupportedResponseType(trimTo(rt, 64))
	}
	req, e := s.parseScope(q.Get("scope"))
	if e != nil {
		return e
	}
	ar.req = req
	if ar.scopes, e = s.grantDelegated(ar.client, req); e != nil {
		return errConsentRequired(ar.client)
	}

	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && (ar.spaOrigin != "" || ar.client.ClientSecret == ""):
		return errPKCERequired()
	case challenge == "" && method != "":
		return errMissingParam("code_challenge")
	case challenge != "" && method != "S256":
		// Entra defaults a missing method to "plain"; this tenant allows
		// only S256, as OAuth 2.1 recommends.
		return errPKCEMethod()
	case challenge != "" && !isS256Challenge(challenge):
		return errPKCEChallengeSize()
	}
	ar.challenge = challenge

	switch p := q.Get("prompt"); p {
	case "", "login", "select_account", "consent", "none":
		ar.prompt = p
	default:
		return errInvalidParam("prompt")
	}
	if c := q.Get("claims"); c != "" {
		var v map[string]any
		if json.Unmarshal([]byte(c), &v) != nil {
			return errInvalidParam("claims")
		}
		ar.claims = true
	}
	ar.nonce = q.Get("nonce")
	ar.loginHint = q.Get("login_hint")
	return nil
}

// isS256Challenge: base64url of a SHA-256, 43 characters.
func isS256Challenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(c) == 43 && len(b) == 32
}

func (s *Server) storePending(ar *authRequest) {
	now := s.now()
	ar.id = randomToken("", 24)
	ar.expires = now.Add(pendingLifetime)
	s.stMu.Lock()
	defer s.stMu.Unlock()
	makeRoom(s.st.pending, func(v *authRequest) bool { return !now.Before(v.expires) })
	s.st.pending[ar.id] = ar
}

func (s *Server) dropPending(id string) {
	s.stMu.Lock()
	defer s.stMu.Unlock()
	delete(s.st.pending, id)
}

// handleSignIn takes the sign-in page's form.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	if _, ok := s.tenantSegment(seg); !ok {
		s.errorPage(w, r, errTenantNotFound(seg))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenRequestBytes)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, errInvalidParam("form"))
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != s.origin && o != "http://"+r.Host && o != "https://"+r.Host {
		s.errorPage(w, r, errForeignForm())
		return
	}
	id := r.PostForm.Get("request_id")
	s.stMu.Lock()
	ar := s.st.pending[id]
	s.stMu.Unlock()
	if ar == nil || !s.now().Before(ar.expires) {
		s.errorPage(w, r, errSignInExpired())
		return
	}
	if c, err := r.Cookie(browserCookie); err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(ar.browser)) != 1 {
		s.errorPage(w, r, errForeignForm())
		return
	}
	if r.PostForm.Get("action") == "cancel" {
		s.dropPending(id)
		s.redirectError(w, r, ar, errUserCancelled(), http.StatusSeeOther)
		return
	}

	upn := r.PostForm.Get("username")
	user := s.usersUPN[strings.ToLower(upn)]
	if user == nil || !secretEqual(r.PostForm.Get("password"), user.Password) {
		s.stMu.Lock()
		ar.attempts++
		locked := ar.attempts >= maxSignInAttempts
		s.stMu.Unlock()
		if locked {
			s.dropPending(id)
			s.errorPage(w, r, errTooManyAttempts())
			return
		}
		s.renderSignIn(w, r, ar, pageState{selected: upn, err: "Your account or password is incorrect."})
		return
	}
	mfa := r.PostForm.Get("mfa_approve") == "yes"
	if s.needsMFA(ar, user) && !mfa {
		s.renderSignIn(w, r, ar, pageState{selected: user.UserPrincipalName, mfaRequired: true,
			err: "Your organization requires multi-factor authentication for this sign-in. Approve the sign-in request and enter your password again."})
		return
	}
	s.dropPending(id)
	s.startSession(w, user, mfa)
	s.redirectCode(w, r, ar, user, mfa, s.now(), http.StatusSeeOther)
}

// redirectCode issues a code for user and sends the browser back to the
// client with it.
func (s *Server) redirectCode(w http.ResponseWriter, r *http.Request, ar *authRequest, user *User, mfa bool, signIn time.Time, status int) {
	code := s.issueCode(&authCode{
		user: user, client: ar.client, redirect: ar.redirect, spaOrigin: ar.spaOrigin,
		req: ar.req, scopes: ar.scopes, nonce: ar.nonce, challenge: ar.challenge, mfa: mfa, signIn: signIn,
	})
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "entra sign-in succeeded",
		slog.String("client_id", ar.client.ClientID), slog.String("user_oid", user.ObjectID),
		slog.String("aud", ar.req.resource.ClientID), slog.Bool("mfa", mfa))
	params := url.Values{"code": {code}}
	if ar.state != "" {
		params.Set("state", ar.state)
	}
	s.redirectTo(w, ar, params, status)
}

// redirectError sends the browser back to the client with an error.
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, ar *authRequest, e *aadError, status int) {
	trace := newGUID()
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "entra authorization refused",
		slog.String("client_id", ar.client.ClientID), slog.String("error", e.err),
		slog.Int("aadsts", e.code), slog.String("trace_id", trace))
	params := url.Values{
		"error":             {e.err},
		"error_description": {s.description(e, trace, newGUID())},
		"error_uri":         {s.baseURL + "/error?code=" + itoa(e.code)},
	}
	if e.claims != "" {
		params.Set("claims", e.claims)
	}
	if ar.state != "" {
		params.Set("state", ar.state)
	}
	s.redirectTo(w, ar, params, status)
}

// redirectTo adds params to the redirect URI's query (or, with
// response_mode=fragment, sets them as its fragment) and redirects.
func (s *Server) redirectTo(w http.ResponseWriter, ar *authRequest, params url.Values, status int) {
	u, _ := url.Parse(ar.redirect) // validated at configuration
	if ar.fragment {
		u.Fragment = ""
		u.RawFragment = ""
		target := u.String() + "#" + params.Encode()
		s.noStore(w)
		w.Header().Set("Location", target)
		w.WriteHeader(status)
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	s.noStore(w)
	w.Header().Set("Location", u.String())
	w.WriteHeader(status)
}

// noStore marks a browser page or redirect uncacheable. Referrer-Policy is
// same-origin, not no-referrer: with no-referrer Chromium sends "Origin:
// null" on the sign-in form post, which the Origin check must refuse;
// same-origin still sends no referrer to any other site.
func (s *Server) noStore(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("Referrer-Policy", "same-origin")
}

// handlePageMethod answers the browser endpoints for other methods.
func (s *Server) handlePageMethod(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.tenantSegment(r.PathValue("tenant")); !ok {
		s.errorPage(w, r, errTenantNotFound(r.PathValue("tenant")))
		return
	}
	allow := "GET, POST"
	if strings.HasSuffix(r.URL.Path, "/logout") {
		allow = "GET"
	}
	w.Header().Set("Allow", allow)
	s.errorPage(w, r, newAADError(http.StatusMethodNotAllowed, "invalid_request", 900561,
		"The endpoint only accepts %s requests. Received a %s request.", allow, trimTo(r.Method, 16)))
}
