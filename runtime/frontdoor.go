package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/onbehalf/onbehalf/authorizer"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/store"
	"github.com/onbehalf/onbehalf/trace"
)

// Default session limits, as AgentCore Runtime's.
const (
	DefaultSessionIdleTimeout = 15 * time.Minute
	DefaultSessionMaxLifetime = 8 * time.Hour
)

// TokenVerifier checks Token A; *authorizer.Authorizer implements it.
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (*authorizer.Claims, error)
}

// WorkloadTokenIssuer issues workload access tokens; *identity.Broker
// implements it.
type WorkloadTokenIssuer interface {
	GetWorkloadAccessTokenForJWT(ctx context.Context, in identity.GetWorkloadAccessTokenForJWTInput) (identity.GetWorkloadAccessTokenForJWTOutput, error)
}

// FrontDoor authenticates users and hands their invocations to an agent.
type FrontDoor struct {
	// Verifier validates the bearer token before any agent code runs.
	Verifier TokenVerifier
	// Identity issues the workload access token the agent receives.
	Identity WorkloadTokenIssuer
	// WorkloadName is the agent's workload identity.
	WorkloadName string
	// AgentName names the agent in sessions.
	AgentName string
	// Sessions binds session ids to the users who opened them.
	Sessions store.Store
	// Agent serves the container contract (usually an *App).
	Agent http.Handler
	// UI, when set, serves every path other than /invocations, /ping and
	// the protected resource metadata (the chat UI). It is public: it
	// holds no data, and the browser signs the user in with the IdP itself.
	UI http.Handler
	// AuthorizationServers are the issuers whose tokens this agent
	// accepts (empty: the Verifier's own, when it can say, as
	// *authorizer.Authorizer can), and Scopes the scopes a token may
	// need: the protected resource metadata (RFC 9728) tells clients
	// where to get a token.
	AuthorizationServers []string
	Scopes               []string
	// PublicURL is the runtime's URL as clients reach it (scheme and
	// host), for the resource URLs in the metadata and in 401 challenges;
	// empty uses the request's Host.
	PublicURL string
	// Realm is the WWW-Authenticate realm (default "onbehalf").
	Realm              string
	SessionIdleTimeout time.Duration
	SessionMaxLifetime time.Duration
	Now                func() time.Time
	Logger             *slog.Logger
	// Metrics, when set, counts and times invocations (shared by the
	// runtime's front doors).
	Metrics *Metrics

	sweepMu      sync.Mutex
	lastSweep    time.Time
	sweepsClosed bool
	sweeping     sync.WaitGroup
}

// Expired sessions are deleted, conversation and all, once they have been
// expired for sessionPurgeGrace: until then an expired id still gets "this
// session has expired" (not a silent fresh start), after it the rows and
// the user data they hold are gone. The front door sweeps at most every
// sessionSweepEvery, in the background of a request.
const (
	sessionPurgeGrace = 24 * time.Hour
	sessionSweepEvery = 10 * time.Minute
	sessionSweepLimit = time.Minute // bounds one sweep's DELETE
)

// sweepSessions starts a purge of long-expired sessions unless one ran
// within sessionSweepEvery.
func (f *FrontDoor) sweepSessions(now time.Time) {
	f.sweepMu.Lock()
	if f.sweepsClosed || (!f.lastSweep.IsZero() && now.Sub(f.lastSweep) < sessionSweepEvery) {
		f.sweepMu.Unlock()
		return
	}
	f.lastSweep = now
	f.sweeping.Add(1)
	f.sweepMu.Unlock()
	go func() {
		defer f.sweeping.Done()
		ctx, cancel := context.WithTimeout(context.Background(), sessionSweepLimit)
		defer cancel()
		n, err := f.Sessions.DeleteExpiredSessions(ctx, f.AgentName, now.Add(-f.idle()-sessionPurgeGrace), now.Add(-f.maxLifetime()-sessionPurgeGrace))
		if err != nil {
			f.logger().Warn("purging expired sessions failed", "error", err)
			return
		}
		if n > 0 {
			f.logger().Info("purged expired sessions", "count", n)
		}
	}()
}

// WaitSweeps waits for a running purge of expired sessions (for a clean
// shutdown, and tests).
func (f *FrontDoor) WaitSweeps() { f.sweeping.Wait() }

// StopSweeps lets no new purge start and waits for a running one: the
// last step before the store closes.
func (f *FrontDoor) StopSweeps() {
	f.sweepMu.Lock()
	f.sweepsClosed = true
	f.sweepMu.Unlock()
	f.sweeping.Wait()
}

// ServeHTTP authenticates /invocations, passes /ping through (with no
// credential of the caller), serves the protected resource metadata and
// the UI, and answers 404 to anything else: nothing but the container
// contract reaches the agent. Router serves several agents at AgentCore's
// /runtimes/{id}/invocations.
func (f *FrontDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/ping":
		f.Agent.ServeHTTP(w, agentRequest(r, r.Context()))
		return
	case r.URL.Path == metadataPath:
		f.serveMetadata(w, r, "") // the runtime's origin as a whole
		return
	case r.URL.Path == metadataPath+"/invocations":
		f.serveMetadata(w, r, "/invocations")
		return
	case r.URL.Path != "/invocations" && f.UI != nil:
		f.UI.ServeHTTP(w, r)
		return
	case r.URL.Path != "/invocations":
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "no such path")
		return
	}
	f.invoke(w, r, "/invocations")
}

// invoke authenticates one invocation of the agent, whose resource path
// (for the 401 challenge's resource_metadata) is resourcePath, and hands
// it to the agent at the container contract's /invocations.
func (f *FrontDoor) invoke(w http.ResponseWriter, r *http.Request, resourcePath string) {
	if f.Metrics != nil {
		sw, start := &statusWriter{ResponseWriter: w}, time.Now()
		defer func() { f.Metrics.observe(f.AgentName, sw.status, time.Since(start)) }()
		w = sw
	}
	requestID := newID("req-")
	w.Header().Set(HeaderRequestID, requestID)

	raw, err := authorizer.BearerToken(r)
	if err != nil {
		f.deny(w, r, requestID, resourcePath, err)
		return
	}
	claims, err := f.Verifier.Verify(r.Context(), raw)
	if err != nil {
		f.deny(w, r, requestID, resourcePath, err)
		return
	}
	sessionID, status, msg := f.session(r.Context(), r.Header.Get(HeaderSessionID), claims)
	if status != 0 {
		f.logger().Info("invocation refused", "request_id", requestID, "status", status, "reason", msg)
		writeError(w, status, errorTypeFor(status), msg)
		return
	}
	ctx := identity.WithRequestInfo(trace.WithRecorder(r.Context()), identity.RequestInfo{RequestID: requestID, SessionID: sessionID})
	trace.Record(ctx, trace.Hop{Hop: trace.HopTokenAccepted, Detail: "issuer " + claims.Issuer + ", user " + userID(claims)})
	start := f.now()
	out, err := f.Identity.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{
		WorkloadName: f.WorkloadName, UserToken: raw,
	})
	if err != nil {
		f.logger().Error("workload access token failed", "request_id", requestID, "error", err)
		writeError(w, http.StatusInternalServerError, "InternalServerException", "could not obtain a workload access token for this agent")
		return
	}

	trace.Record(ctx, trace.Hop{Hop: trace.HopWorkloadToken, Detail: "workload " + f.WorkloadName, Millis: f.now().Sub(start).Milliseconds()})

	in := agentRequest(r, ctx)
	// The agent serves the container contract, whatever path the
	// invocation came in on.
	// Nothing of the caller's URL (host, userinfo, query) goes along.
	in.URL, in.RequestURI = &url.URL{Path: "/invocations"}, "/invocations"
	in.Header.Set(HeaderWorkloadAccessToken, out.WorkloadAccessToken)
	in.Header.Set(HeaderWorkloadAccessTokenNewer, out.WorkloadAccessToken)
	in.Header.Set(HeaderSessionID, sessionID)
	// The user id the agent sees is the stable iss|sub (what the broker's
	// audit uses too), never a mutable claim such as preferred_username.
	in.Header.Set(HeaderUserID, claims.Issuer+"|"+claims.Subject)
	in.Header.Set(HeaderRequestID, requestID)
	w.Header().Set(HeaderSessionID, sessionID)
	f.logger().Info("invocation", "request_id", requestID, "session_id", sessionID, "user", userID(claims), "agent", f.AgentName)
	f.Agent.ServeHTTP(w, in)
}

// forwardedHeaders are the only caller headers an agent receives; the
// front door adds the identity headers itself.
var forwardedHeaders = []string{"Content-Type", "Content-Length", "Accept", "Accept-Language", "User-Agent"}

// agentRequest is r as the agent may see it: an allow-list of the caller's
// headers, so Token A, cookies, proxy credentials, hop-by-hop directives
// (a "Connection: WorkloadAccessToken" would make a proxy strip the
// identity headers) and look-alikes of the identity headers (with "_" for
// "-") never reach it.
func agentRequest(r *http.Request, ctx context.Context) *http.Request {
	in := r.Clone(ctx)
	in.Header = http.Header{}
	for _, h := range forwardedHeaders {
		if v := r.Header.Values(h); len(v) > 0 {
			in.Header[h] = append([]string(nil), v...)
		}
	}
	return in
}

func userID(c *authorizer.Claims) string {
	if c.PreferredUsername != "" {
		return c.PreferredUsername
	}
	return c.Subject
}

// deny answers an authentication failure: 401 with a Bearer challenge,
// 403 for a missing scope, or 503 when the IdP's keys cannot be fetched.
func (f *FrontDoor) deny(w http.ResponseWriter, r *http.Request, requestID, resourcePath string, err error) {
	realm := f.Realm
	if realm == "" {
		realm = "onbehalf"
	}
	// RFC 9728: the challenge names where a client learns which
	// authorization server issues tokens for this agent.
	challenge := authorizer.Challenge(err, realm) + `, resource_metadata="` + f.base(r) + metadataPath + resourcePath + `"`
	f.logger().Info("authentication failed", "request_id", requestID, "error", err)
	status := authorizer.StatusCode(err)
	switch status {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "5")
		writeError(w, status, "ServiceUnavailableException", "the identity provider's signing keys are unavailable; try again shortly")
		return
	case http.StatusForbidden:
		w.Header().Set("WWW-Authenticate", challenge)
		writeError(w, status, "AccessDeniedException", "the bearer token lacks a scope this agent requires")
		return
	}
	w.Header().Set("WWW-Authenticate", challenge)
	msg := "a valid bearer token is required"
	if !errors.Is(err, authorizer.ErrMissingToken) {
		msg = "the bearer token was rejected: " + err.Error()
	}
	writeError(w, http.StatusUnauthorized, "AccessDeniedException", msg)
}

// session resolves the invocation's session: it creates one when none is
// given or the id is new, and refuses ids of other users or expired ones.
// A non-zero status means refuse with msg.
func (f *FrontDoor) session(ctx context.Context, id string, c *authorizer.Claims) (string, int, string) {
	now := f.now()
	f.sweepSessions(now)
	if id == "" {
		id = newID("session-")
	} else if len(id) < minSessionIDLen || len(id) > maxSessionIDLen || !printableASCII(id) {
		return "", http.StatusBadRequest, fmt.Sprintf("session id must be %d to %d printable characters", minSessionIDLen, maxSessionIDLen)
	}
	s, err := f.Sessions.GetSession(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = f.Sessions.CreateSession(ctx, store.Session{ID: id, Issuer: c.Issuer, Subject: c.Subject, Agent: f.AgentName, CreatedAt: now, LastSeenAt: now})
		if errors.Is(err, store.ErrAlreadyExists) {
			// Another request created it first: check whose it is (once).
			if s, err = f.Sessions.GetSession(ctx, id); err != nil {
				return "", http.StatusInternalServerError, "could not read the session"
			}
			return f.checkSession(ctx, id, s, c, now)
		}
		if err != nil {
			return "", http.StatusInternalServerError, "could not store the session"
		}
		return id, 0, ""
	case err != nil:
		return "", http.StatusInternalServerError, "could not read the session"
	}
	return f.checkSession(ctx, id, s, c, now)
}

// checkSession refuses another user's or an expired session and marks an
// accepted one as used.
func (f *FrontDoor) checkSession(ctx context.Context, id string, s store.Session, c *authorizer.Claims, now time.Time) (string, int, string) {
	if s.Issuer != c.Issuer || s.Subject != c.Subject {
		return "", http.StatusForbidden, "this session belongs to another user"
	}
	if s.Agent != "" && f.AgentName != "" && s.Agent != f.AgentName {
		return "", http.StatusForbidden, "this session belongs to another agent"
	}
	if now.Sub(s.LastSeenAt) > f.idle() || now.Sub(s.CreatedAt) > f.maxLifetime() {
		return "", http.StatusNotFound, "this session has expired; start a new one"
	}
	err := f.Sessions.UpdateSession(ctx, id, func(s store.Session) (store.Session, error) {
		s.LastSeenAt = now
		return s, nil
	})
	if err != nil {
		return "", http.StatusInternalServerError, "could not update the session"
	}
	return id, 0, ""
}

func errorTypeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "ValidationException"
	case http.StatusForbidden:
		return "AccessDeniedException"
	case http.StatusNotFound:
		return "ResourceNotFoundException"
	}
	return "InternalServerException"
}

func (f *FrontDoor) idle() time.Duration {
	if f.SessionIdleTimeout > 0 {
		return f.SessionIdleTimeout
	}
	return DefaultSessionIdleTimeout
}

func (f *FrontDoor) maxLifetime() time.Duration {
	if f.SessionMaxLifetime > 0 {
		return f.SessionMaxLifetime
	}
	return DefaultSessionMaxLifetime
}

func (f *FrontDoor) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *FrontDoor) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func newID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
