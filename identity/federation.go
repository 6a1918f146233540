package identity

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/store"
)

// USER_FEDERATION (three-legged OAuth with session binding):
//
//  1. GetResourceOauth2Token(USER_FEDERATION) finds no usable token and
//     starts an authorization session: it answers with the IdP's
//     authorization URL (PKCE S256, a state naming the session), the
//     sessionUri and IN_PROGRESS.
//  2. The user signs in; the IdP redirects to CallbackHandler, which checks
//     the state, redeems the code with the PKCE verifier and keeps the
//     tokens sealed in the session — not yet in the vault — then sends the
//     browser to the resourceOauth2ReturnUrl with session_id=<sessionUri>
//     (and state=<customState> when one was given).
//  3. The application at the return URL calls CompleteResourceTokenAuth
//     with its signed-in user. Only the user who started the flow
//     completes it: then the tokens move into the vault under that user.
//     A link forwarded to someone else thus never gives the starter that
//     person's account.
//  4. GetResourceOauth2Token (with or without the sessionUri) now returns
//     the token, refreshing it with the stored refresh token when needed.

// federatedDefaultLifetime is how long a USER_FEDERATION token the server
// gave no expires_in for is served.
const federatedDefaultLifetime = 24 * time.Hour

// sessionURIPrefix starts every sessionUri.
const sessionURIPrefix = "urn:ietf:params:oauth:request_uri:"

// Session states (stored; the API shows IN_PROGRESS or FAILED).
const (
	stPending    = "pending"    // waiting for the user at the IdP
	stExchanging = "exchanging" // a callback is redeeming the code
	stAuthorized = "authorized" // tokens held, waiting for CompleteResourceTokenAuth
	stCompleted  = "completed"  // tokens in the vault
	stFailed     = "failed"
)

type sessionDoc struct {
	Workload  string   `json:"workload"`
	Provider  string   `json:"provider"`
	User      string   `json:"user"` // iss|sub of the user who started it
	Row       string   `json:"row"`  // the vault row the tokens go to
	Scopes    []string `json:"scopes,omitempty"`
	ReturnURL string   `json:"returnUrl"`
	Status    string   `json:"status"`
	Failure   string   `json:"failure,omitempty"` // the IdP's error code
}

type sessionSecret struct {
	State            string       `json:"state"`
	Verifier         string       `json:"verifier"`
	AuthorizationURL string       `json:"authorizationUrl"`
	CustomState      string       `json:"customState,omitempty"`
	Token            *cachedToken `json:"token,omitempty"`
}

// userFederation serves USER_FEDERATION.
func (b *Broker) userFederation(ctx context.Context, c *resourceCall) (obtained, error) {
	if !c.in.ForceAuthentication {
		cached, err := b.readVault(ctx, c.row)
		if err != nil {
			return obtained{detail: "vault read failed"}, newError(InternalServerException, err, "token vault unavailable")
		}
		if b.fresh(cached, b.now()) {
			return obtained{token: cached.AccessToken, detail: detailVaultHit}, nil
		}
		if cached != nil && cached.RefreshToken != "" {
			res, err := b.shared(ctx, c, b.refreshFederated)
			if err != nil || res.token != "" {
				return res, err
			}
		}
		if c.in.SessionURI != "" {
			if res, ok, err := b.sessionStatus(ctx, c); ok || err != nil {
				return res, err
			}
		}
	}
	return b.startSession(ctx, c)
}

// refreshFederated redeems the row's refresh token under the row lock. No
// token and no error means the user must authorize again.
func (b *Broker) refreshFederated(ctx context.Context, c *resourceCall) (obtained, error) {
	unlock, err := b.lockRow(ctx, c.row)
	if err != nil {
		return obtained{detail: "vault lock failed"}, err
	}
	defer unlock()
	cached, err := b.readVault(ctx, c.row)
	if err != nil {
		return obtained{detail: "vault read failed"}, newError(InternalServerException, err, "token vault unavailable")
	}
	if b.fresh(cached, b.now()) {
		return obtained{token: cached.AccessToken, detail: detailVaultHit}, nil
	}
	if cached == nil || cached.RefreshToken == "" {
		return obtained{}, nil
	}
	md, err := b.serverMetadata(ctx, c.p)
	if err != nil {
		return obtained{detail: "discovery failed"}, fromOAuth(err, c.p.name)
	}
	start := time.Now()
	tok, err := b.oauth.Refresh(ctx, md.TokenEndpoint, c.p.auth, cached.RefreshToken, c.scopes)
	detail := fmt.Sprintf("refresh %dms", time.Since(start).Milliseconds())
	switch {
	case errors.Is(err, oauth.ErrUnavailable):
		return obtained{detail: detail}, fromOAuth(err, c.p.name)
	case err != nil:
		b.log.InfoContext(ctx, "refresh token refused; the user must authorize again", "vault_row", c.row[:12], "error", err)
		b.deleteVault(ctx, c.row)
		return obtained{detail: detail + ", refused"}, nil
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = cached.RefreshToken
	}
	detail += b.store(ctx, c.row, tok)
	return obtained{token: tok.AccessToken, detail: detail}, nil
}

// loadSession reads a live session: not found, expired or unreadable is
// ok=false.
func (b *Broker) loadSession(ctx context.Context, id string) (store.Resource, sessionDoc, bool, error) {
	r, err := b.cfg.Store.GetResource(ctx, kindOauth2Session, id)
	if errors.Is(err, store.ErrNotFound) {
		return r, sessionDoc{}, false, nil
	}
	if err != nil {
		return r, sessionDoc{}, false, storeError(err)
	}
	var doc sessionDoc
	if json.Unmarshal(r.Data, &doc) != nil || !b.now().Before(r.ExpiresAt) {
		return r, sessionDoc{}, false, nil
	}
	return r, doc, true, nil
}

// sessionStatus answers a poll with c.in.SessionURI: ok=false when the
// session is gone or for other parameters (a new one is started).
func (b *Broker) sessionStatus(ctx context.Context, c *resourceCall) (obtained, bool, error) {
	id := strings.TrimPrefix(c.in.SessionURI, sessionURIPrefix)
	r, doc, ok, err := b.loadSession(ctx, id)
	if !ok || err != nil {
		return obtained{}, false, err
	}
	if doc.User != c.wat.user() || doc.Workload != c.wat.Workload {
		return obtained{detail: "session of another user"}, true, newError(AccessDeniedException, nil, "the authorization session belongs to another user or workload")
	}
	if doc.Row != c.row {
		return obtained{}, false, nil
	}
	out := &GetResourceOauth2TokenOutput{SessionURI: c.in.SessionURI}
	switch doc.Status {
	case stFailed:
		out.SessionStatus = SessionFailed
		return obtained{out: out, detail: "session failed: " + doc.Failure}, true, nil
	case stCompleted:
		return obtained{}, false, nil // the token expired since: authorize again
	}
	var sec sessionSecret
	if err := b.open(r, &sec); err != nil {
		return obtained{}, false, nil
	}
	out.AuthorizationURL, out.SessionStatus = sec.AuthorizationURL, SessionInProgress
	return obtained{out: out, detail: "session in progress"}, true, nil
}

// startSession begins an authorization for c's user.
func (b *Broker) startSession(ctx context.Context, c *resourceCall) (obtained, error) {
	callback := b.CallbackURL()
	if callback == "" {
		return obtained{}, newError(ValidationException, nil, "USER_FEDERATION is not available: the broker has no CallbackBaseURL")
	}
	if c.in.ResourceOauth2ReturnURL == "" {
		v := validator{}
		v.add("resourceOauth2ReturnUrl", "Member must not be null for USER_FEDERATION (the application there completes the flow with CompleteResourceTokenAuth)")
		return obtained{}, v.err()
	}
	if !slices.Contains(c.w.returnURLs, c.in.ResourceOauth2ReturnURL) {
		v := validator{}
		v.add("resourceOauth2ReturnUrl", "Member must be one of the workload identity's allowedResourceOauth2ReturnUrls")
		return obtained{}, v.err()
	}
	md, err := b.serverMetadata(ctx, c.p)
	if err != nil {
		return obtained{detail: "discovery failed"}, fromOAuth(err, c.p.name)
	}
	if md.AuthorizationEndpoint == "" {
		return obtained{}, newError(ValidationException, nil, "credential provider %q has no authorization endpoint: USER_FEDERATION is not possible", c.p.name)
	}
	verifier, err := oauth.NewPKCEVerifier()
	if err != nil {
		return obtained{}, newError(InternalServerException, err, "cannot start the authorization")
	}
	id, secretState := randomID(), randomID()
	extra := url.Values{}
	for k, v := range c.in.CustomParameters {
		extra.Set(k, v)
	}
	authURL, err := oauth.AuthCodeURL(md.AuthorizationEndpoint, oauth.AuthCodeRequest{
		ClientID: c.p.auth.ClientID, RedirectURI: callback, Scopes: c.scopes,
		State: id + "." + secretState, CodeChallenge: oauth.PKCEChallenge(verifier),
		Resources: c.in.Resources, Audiences: c.in.Audiences,
	}, extra)
	if err != nil {
		return obtained{}, newError(InternalServerException, err, "credential provider %q has an unusable authorization endpoint", c.p.name)
	}
	doc := sessionDoc{Workload: c.wat.Workload, Provider: c.p.name, User: c.wat.user(), Row: c.row,
		Scopes: c.scopes, ReturnURL: c.in.ResourceOauth2ReturnURL, Status: stPending}
	sealed, err := b.seal(kindOauth2Session, id, sessionSecret{State: secretState, Verifier: verifier, AuthorizationURL: authURL, CustomState: c.in.CustomState})
	if err != nil {
		return obtained{}, newError(InternalServerException, err, "cannot seal the authorization session")
	}
	now := b.now()
	if err := b.cfg.Store.CreateResource(ctx, store.Resource{Kind: kindOauth2Session, Name: id, Data: marshalDoc(doc), Secret: sealed,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(b.cfg.AuthorizationSessionTTL)}); err != nil {
		return obtained{}, storeError(err)
	}
	b.sweepSessions(ctx, now)
	out := &GetResourceOauth2TokenOutput{AuthorizationURL: authURL, SessionURI: sessionURIPrefix + id, SessionStatus: SessionInProgress}
	return obtained{out: out, detail: "authorization started"}, nil
}

// sweepSessions deletes expired sessions at most once a minute.
func (b *Broker) sweepSessions(ctx context.Context, now time.Time) {
	b.sweepMu.Lock()
	due := now.Sub(b.lastSweep) >= time.Minute
	if due {
		b.lastSweep = now
	}
	b.sweepMu.Unlock()
	if due {
		if _, err := b.cfg.Store.DeleteExpiredResources(ctx, kindOauth2Session, now.Add(-time.Minute)); err != nil {
			b.log.WarnContext(ctx, "deleting expired authorization sessions failed", "error", err)
		}
	}
}

// CallbackHandler serves the OAuth2 redirect URI,
// Config.CallbackBaseURL + CallbackPath: GET (or form_post POST) with state
// and code, or error. It redeems the code and sends the browser to the
// session's return URL; a state it does not know gets a plain error page.
// It never shows or logs a code or token.
func (b *Broker) CallbackHandler() http.Handler {
	return http.HandlerFunc(b.serveCallback)
}

var callbackPage = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; line-height: 1.5">
<h1>{{.Title}}</h1><p>{{.Text}}</p></body></html>
`))

func writePage(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	callbackPage.Execute(w, struct{ Title, Text string }{title, text})
}

func (b *Broker) serveCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writePage(w, http.StatusMethodNotAllowed, "Method not allowed", "Use the link from the sign-in page.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writePage(w, http.StatusBadRequest, "Sign-in failed", "The request could not be read.")
		return
	}
	ctx := r.Context()
	ev := b.newEvent(ctx, "OAuth2Callback")
	ev.Flow = FlowUserFederation
	res, err := b.callback(ctx, r.Form, &ev)
	b.finish(ctx, &ev, err)
	if res.redirect != "" {
		http.Redirect(w, r, res.redirect, http.StatusFound)
		return
	}
	writePage(w, http.StatusBadRequest, "Sign-in failed", "This sign-in link is invalid, was already used, or has expired. Return to the application and try again.")
}

type callbackResult struct{ redirect string }

var errBadState = errors.New("unknown, used or expired state")

func (b *Broker) callback(ctx context.Context, form url.Values, ev *store.AuditEvent) (callbackResult, error) {
	id, secretState, ok := strings.Cut(form.Get("state"), ".")
	if !ok || id == "" {
		return callbackResult{}, newError(ValidationException, errBadState, "the callback's state is invalid")
	}
	r, doc, ok, err := b.loadSession(ctx, id)
	if err != nil {
		return callbackResult{}, err
	}
	if !ok {
		return callbackResult{}, newError(ValidationException, errBadState, "the callback's state is invalid")
	}
	ev.Workload, ev.User, ev.Provider = doc.Workload, doc.User, doc.Provider
	var sec sessionSecret
	if err := b.open(r, &sec); err != nil || subtle.ConstantTimeCompare([]byte(sec.State), []byte(secretState)) != 1 {
		return callbackResult{}, newError(ValidationException, errBadState, "the callback's state is invalid")
	}
	// Claim the session, so that a replayed callback cannot redeem again.
	claimed := false
	err = b.cfg.Store.UpdateResource(ctx, kindOauth2Session, id, func(cur store.Resource) (store.Resource, error) {
		var d sessionDoc
		json.Unmarshal(cur.Data, &d)
		if d.Status != stPending {
			return cur, errBadState
		}
		d.Status = stExchanging
		cur.Data, cur.UpdatedAt = marshalDoc(d), b.now()
		claimed = true
		return cur, nil
	})
	if !claimed || err != nil {
		return callbackResult{}, newError(ValidationException, errBadState, "the authorization session was already used")
	}
	back := func(params url.Values) callbackResult {
		u, err := url.Parse(doc.ReturnURL)
		if err != nil {
			return callbackResult{}
		}
		q := u.Query()
		q.Set("session_id", sessionURIPrefix+id)
		if sec.CustomState != "" {
			q.Set("state", sec.CustomState)
		}
		for k, v := range params {
			q[k] = v
		}
		u.RawQuery = q.Encode()
		return callbackResult{redirect: u.String()}
	}
	fail := func(code string, err error) (callbackResult, error) {
		b.setSession(ctx, id, func(d *sessionDoc, _ *sessionSecret) { d.Status, d.Failure = stFailed, code })
		ev.Detail = "failed: " + code
		return back(url.Values{"error": {code}}), err
	}
	if e := form.Get("error"); e != "" {
		code := oauthCode(e)
		ev.Detail = "identity provider: " + code
		return fail(code, newError(AccessDeniedException, nil, "the identity provider answered the authorization with %s", code))
	}
	code := form.Get("code")
	if code == "" {
		return fail(oauth.ErrCodeInvalidRequest, newError(ValidationException, nil, "the callback has no code"))
	}
	p, err := b.oauth2Provider(ctx, doc.Provider)
	if err != nil {
		return fail("server_error", err)
	}
	md, err := b.serverMetadata(ctx, p)
	if err != nil {
		return fail(oauth.ErrCodeTemporarilyUnavail, fromOAuth(err, p.name))
	}
	start := time.Now()
	tok, err := b.oauth.AuthorizationCode(ctx, md.TokenEndpoint, p.auth, code, b.CallbackURL(), sec.Verifier, nil)
	if err != nil {
		e := fromOAuth(err, p.name)
		c := oauth.ErrCodeServerError
		if e.OAuth != nil && e.OAuth.Code != "" {
			c = oauthCode(e.OAuth.Code)
		} else if errors.Is(err, oauth.ErrUnavailable) {
			c = oauth.ErrCodeTemporarilyUnavail
		}
		return fail(c, e)
	}
	exp := tok.ExpiresAt
	if exp.IsZero() {
		// Some servers (GitHub OAuth apps) issue tokens that never expire:
		// serve them for a day, then ask the user again.
		exp = b.now().Add(federatedDefaultLifetime)
	}
	held := &cachedToken{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Scope: tok.Scope, ExpiresAt: exp.Unix()}
	if err := b.setSession(ctx, id, func(d *sessionDoc, s *sessionSecret) { d.Status, s.Token = stAuthorized, held }); err != nil {
		return fail(oauth.ErrCodeServerError, err)
	}
	ev.Detail = fmt.Sprintf("code redeemed %dms", time.Since(start).Milliseconds())
	return back(nil), nil
}

// oauthCode keeps an error code to the RFC 6749 character set, short.
func oauthCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 0x20 && r <= 0x7e && r != '"' && r != '\\' {
			return r
		}
		return -1
	}, s)
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		return "invalid_request"
	}
	return s
}

// setSession updates a session's document and secret.
func (b *Broker) setSession(ctx context.Context, id string, fn func(*sessionDoc, *sessionSecret)) error {
	err := b.cfg.Store.UpdateResource(ctx, kindOauth2Session, id, func(r store.Resource) (store.Resource, error) {
		var d sessionDoc
		var s sessionSecret
		if err := json.Unmarshal(r.Data, &d); err != nil {
			return r, err
		}
		if err := b.open(r, &s); err != nil {
			return r, err
		}
		fn(&d, &s)
		sealed, err := b.seal(kindOauth2Session, id, s)
		if err != nil {
			return r, err
		}
		r.Data, r.Secret, r.UpdatedAt = marshalDoc(d), sealed, b.now()
		return r, nil
	})
	if err != nil {
		return newError(InternalServerException, err, "cannot update the authorization session")
	}
	return nil
}

// UserIdentifier names the user completing a session: exactly one of a
// user token (verified) or a bare user id (needs Caller.AllowUserID).
type UserIdentifier struct {
	UserToken string `json:"userToken,omitempty"`
	UserID    string `json:"userId,omitempty"`
}

// CompleteResourceTokenAuthInput is the AgentCore operation's input.
type CompleteResourceTokenAuthInput struct {
	UserIdentifier UserIdentifier `json:"userIdentifier"`
	SessionURI     string         `json:"sessionUri"`
}

// String never prints the user token.
func (in CompleteResourceTokenAuthInput) String() string {
	return fmt.Sprintf("identity.CompleteResourceTokenAuthInput{sessionUri=%q userToken=%t userId=%t}", in.SessionURI, in.UserIdentifier.UserToken != "", in.UserIdentifier.UserID != "")
}

// CompleteResourceTokenAuthOutput is the AgentCore operation's (empty)
// output.
type CompleteResourceTokenAuthOutput struct{}

// CompleteResourceTokenAuth confirms that the user who signed in at the IdP
// for sessionUri is the user who started it, and moves the tokens into the
// vault. Errors: ValidationException (bad input; the user has not finished
// signing in; the authorization failed), UnauthorizedException (the user
// token does not verify), AccessDeniedException (another user; a bare user
// id without Caller.AllowUserID; a Caller bound to another workload),
// ResourceNotFoundException (no such live session). Completing a completed
// session again is a no-op.
func (b *Broker) CompleteResourceTokenAuth(ctx context.Context, in CompleteResourceTokenAuthInput) (CompleteResourceTokenAuthOutput, error) {
	ev := b.newEvent(ctx, "CompleteResourceTokenAuth")
	ev.Flow = FlowUserFederation
	err := b.complete(ctx, in, &ev)
	return CompleteResourceTokenAuthOutput{}, b.finish(ctx, &ev, err)
}

func (b *Broker) complete(ctx context.Context, in CompleteResourceTokenAuthInput, ev *store.AuditEvent) error {
	var v validator
	ui := in.UserIdentifier
	if (ui.UserToken == "") == (ui.UserID == "") {
		v.add("userIdentifier", "Member must have exactly one of its union members set")
	}
	if ui.UserToken != "" && len(ui.UserToken) > maxUserTokenLen {
		v.add("userIdentifier.userToken", "Member must have length less than or equal to %d", maxUserTokenLen)
	}
	if ui.UserID != "" {
		v.length("userIdentifier.userId", ui.UserID, 1, 128)
	}
	if v.required("sessionUri", in.SessionURI) && !sessionURIRE.MatchString(in.SessionURI) {
		v.add("sessionUri", "Member must satisfy regular expression pattern: urn:ietf:params:oauth:request_uri:[a-zA-Z0-9-._~]+")
	}
	if err := v.err(); err != nil {
		return err
	}
	if ui.UserID != "" && !userIDAllowed(ctx) {
		return newError(AccessDeniedException, nil, "the caller may not name users by a bare user id")
	}
	id := strings.TrimPrefix(in.SessionURI, sessionURIPrefix)
	r, doc, ok, err := b.loadSession(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return newError(ResourceNotFoundException, nil, "authorization session not found or expired")
	}
	ev.Workload, ev.Provider = doc.Workload, doc.Provider
	if err := checkCallerWorkload(ctx, doc.Workload); err != nil {
		return err
	}
	// The user token is verified for the workload that started the
	// session, whoever calls (an admin key is bound to no workload).
	var user string
	if ui.UserID != "" {
		user = UserIDIssuer + "|" + ui.UserID
	} else {
		uc, err := b.verifyUser(ctx, doc.Workload, ui.UserToken)
		if err != nil || uc.Issuer == "" || uc.Subject == "" {
			return newError(UnauthorizedException, err, "user token rejected")
		}
		user = uc.Issuer + "|" + uc.Subject
	}
	ev.User = user
	if doc.User != user {
		ev.Detail = "another user"
		return newError(AccessDeniedException, nil, "the authorization session was started by another user")
	}
	switch doc.Status {
	case stCompleted:
		ev.Detail = "already completed"
		return nil
	case stFailed:
		return newError(ValidationException, nil, "the authorization failed at the identity provider (%s); start again", doc.Failure)
	case stPending, stExchanging:
		return newError(ValidationException, nil, "the user has not finished signing in")
	}
	var sec sessionSecret
	if err := b.open(r, &sec); err != nil || sec.Token == nil {
		return newError(InternalServerException, err, "the authorization session's tokens do not open")
	}
	if err := b.writeVault(ctx, doc.Row, sec.Token); err != nil {
		return newError(InternalServerException, err, "token vault unavailable")
	}
	if err := b.setSession(ctx, id, func(d *sessionDoc, s *sessionSecret) { d.Status, s.Token = stCompleted, nil }); err != nil {
		return err
	}
	ev.Detail = "tokens stored"
	return nil
}
