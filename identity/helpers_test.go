package identity_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/store"
)

const (
	workload    = "servicenow-agent-workload"
	restricted  = "restricted-workload"
	providerMS  = "EntraIdServiceNow" // MicrosoftOauth2 with the emulator's discovery URL
	providerCus = "EntraCustomBasic"  // CustomOauth2 + JWT_AUTHORIZATION_GRANT + client_secret_basic
	providerHR  = "HrApiProvider"     // allowed only for restricted
	hrAppID     = "7e570000-0000-4000-8000-000000000004"
	jane        = "jane.smith@company.com"
	bob         = "bob.jones@company.com"
)

var connectorScope = "api://" + entra.DevConnectorClientID + "/user_impersonation"

// clock is a settable clock shared by the emulator, the oauth client and
// the broker.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recordingStore is the real store, remembering the vault row ids written.
type recordingStore struct {
	store.Store
	mu   sync.Mutex
	puts []string
}

func (s *recordingStore) PutVault(ctx context.Context, e store.VaultEntry) error {
	s.mu.Lock()
	s.puts = append(s.puts, e.Key)
	s.mu.Unlock()
	return s.Store.PutVault(ctx, e)
}

func (s *recordingStore) putKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.puts...)
}

// env is one test world: the Entra emulator on loopback, a SQLite store, a
// keyring and a broker.
type env struct {
	t            *testing.T
	clk          *clock
	idp          *entra.Server
	store        *recordingStore
	kr           *keyring.Keyring
	broker       *identity.Broker
	cfg          identity.Config // the broker's, for replicas
	agentSecret  string
	userPassword string
	logs         *syncBuffer

	mu      sync.Mutex
	secrets []string // every token and secret seen; never in audit or logs
}

type options struct {
	tokenLifetime time.Duration
	broker        func(*identity.Config)
	entra         func(*entra.Config)
	dsn           string // the store; default a fresh SQLite file
}

func randomSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

func newEnv(t *testing.T, opt options) *env {
	t.Helper()
	e := &env{t: t, clk: &clock{now: time.Now().Truncate(time.Second)}, agentSecret: randomSecret(), userPassword: randomSecret(), logs: &syncBuffer{}}
	e.secrets = []string{e.agentSecret, e.userPassword}

	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	cfg := entra.DevConfig(base, e.agentSecret, e.userPassword)
	cfg.Now = e.clk.Now
	cfg.TokenLifetime = opt.tokenLifetime
	if opt.entra != nil {
		opt.entra(&cfg)
	}
	// A resource the agent app holds no consent for.
	cfg.Apps = append(cfg.Apps, entra.App{
		ClientID: hrAppID, DisplayName: "HR API",
		IdentifierURIs: []string{"api://" + hrAppID}, Scopes: []string{"Cases.Read"},
	})
	idp, err := entra.New(cfg)
	if err != nil {
		t.Fatalf("entra.New: %v", err)
	}
	ts.Config.Handler = idp
	ts.Start()
	t.Cleanup(ts.Close)
	e.idp = idp

	dsn := opt.dsn
	if dsn == "" {
		dsn = "sqlite:" + t.TempDir() + "/onbehalf.db"
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	e.store = &recordingStore{Store: st}

	e.kr, err = keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	bcfg := identity.Config{
		Store:           e.store,
		Keyring:         e.kr,
		OAuth:           &oauth.Client{Now: e.clk.Now},
		VerifyUserToken: e.verifier(),
		Providers: []identity.Oauth2CredentialProvider{
			{
				Name: providerMS, CredentialProviderVendor: identity.VendorMicrosoftOauth2,
				TenantID: entra.DevTenantID, DiscoveryURL: idp.DiscoveryURL(),
				ClientID: entra.DevAgentClientID, ClientSecret: e.agentSecret,
			},
			{
				Name: providerCus, CredentialProviderVendor: identity.VendorCustomOauth2,
				DiscoveryURL: idp.DiscoveryURL(), ClientID: entra.DevAgentClientID, ClientSecret: e.agentSecret,
				ClientAuthenticationMethod: "CLIENT_SECRET_BASIC", OnBehalfOfGrantType: identity.GrantJWTAuthorization,
			},
			{
				Name: providerHR, CredentialProviderVendor: identity.VendorMicrosoftOauth2,
				TenantID: entra.DevTenantID, DiscoveryURL: idp.DiscoveryURL(),
				ClientID: entra.DevAgentClientID, ClientSecret: e.agentSecret,
			},
		},
		Workloads: []identity.WorkloadIdentity{
			{Name: workload, AllowedProviders: []string{providerMS, providerCus}},
			{Name: restricted, AllowedProviders: []string{providerHR}},
		},
		Now:    e.clk.Now,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if opt.broker != nil {
		opt.broker(&bcfg)
	}
	e.cfg = bcfg
	e.broker, err = identity.New(bcfg)
	if err != nil {
		t.Fatalf("identity.New: %v", err)
	}
	t.Cleanup(e.assertNothingSecretLeaked)
	return e
}

// verifier checks Token A like the authorizer would: RS256 signature
// against the emulator's JWKS, issuer, audience (the agent app), expiry on
// the shared clock.
func (e *env) verifier() func(context.Context, string) (identity.UserClaims, error) {
	var once sync.Once
	var kf keyfunc.Keyfunc
	var kerr error
	return func(ctx context.Context, raw string) (identity.UserClaims, error) {
		once.Do(func() {
			resp, err := http.Get(e.idp.JWKSURL())
			if err != nil {
				kerr = err
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			kf, kerr = keyfunc.NewJWKSetJSON(body)
		})
		if kerr != nil {
			return identity.UserClaims{}, kerr
		}
		p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(e.idp.Issuer()),
			jwt.WithAudience(entra.DevAgentClientID), jwt.WithExpirationRequired(), jwt.WithTimeFunc(e.clk.Now))
		var c jwt.RegisteredClaims
		if _, err := p.ParseWithClaims(raw, &c, kf.Keyfunc); err != nil {
			return identity.UserClaims{}, errors.New("token does not verify")
		}
		return identity.UserClaims{Issuer: c.Issuer, Subject: c.Subject, ExpiresAt: c.ExpiresAt.Time}, nil
	}
}

func (e *env) remember(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.secrets = append(e.secrets, s)
}

// tokenA signs user in to the agent app (password grant) and returns Token A.
func (e *env) tokenA(user string) string {
	e.t.Helper()
	c := &oauth.Client{Now: e.clk.Now}
	tok, err := c.Password(context.Background(), e.idp.TokenURL(),
		oauth.ClientAuth{ClientID: entra.DevAgentClientID, ClientSecret: e.agentSecret},
		user, e.userPassword, []string{"api://" + entra.DevAgentClientID + "/access_as_user"})
	if err != nil {
		e.t.Fatalf("Token A for %s: %v", user, err)
	}
	e.remember(tok.AccessToken)
	return tok.AccessToken
}

// wat returns a workload access token for user at workload name.
func (e *env) wat(name, user string) string {
	e.t.Helper()
	out, err := e.broker.GetWorkloadAccessTokenForJWT(context.Background(), identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: name, UserToken: e.tokenA(user)})
	if err != nil {
		e.t.Fatalf("GetWorkloadAccessTokenForJWT(%s, %s): %v", name, user, err)
	}
	e.remember(out.WorkloadAccessToken)
	return out.WorkloadAccessToken
}

func obo(wat, provider string, scopes ...string) identity.GetResourceOauth2TokenInput {
	return identity.GetResourceOauth2TokenInput{
		WorkloadIdentityToken: wat, ResourceCredentialProviderName: provider,
		Scopes: scopes, Oauth2Flow: identity.FlowOnBehalfOf,
	}
}

// get calls GetResourceOauth2Token and remembers the token.
func (e *env) get(in identity.GetResourceOauth2TokenInput) (string, error) {
	out, err := e.broker.GetResourceOauth2Token(context.Background(), in)
	if out.AccessToken != "" {
		e.remember(out.AccessToken)
	}
	return out.AccessToken, err
}

func (e *env) mustGet(in identity.GetResourceOauth2TokenInput) string {
	e.t.Helper()
	tok, err := e.get(in)
	if err != nil {
		e.t.Fatalf("GetResourceOauth2Token: %v", err)
	}
	return tok
}

func (e *env) oboRequests() int64 { return e.idp.TokenRequests(entra.GrantJWTBearer) }

func (e *env) audit() []store.AuditEvent {
	e.t.Helper()
	evs, err := e.store.ListAudit(context.Background(), store.AuditFilter{Limit: 10000})
	if err != nil {
		e.t.Fatalf("ListAudit: %v", err)
	}
	return evs
}

// assertNothingSecretLeaked scans every field of every audit event and
// every log line for every token and secret the test saw.
func (e *env) assertNothingSecretLeaked() {
	e.mu.Lock()
	secrets := append([]string(nil), e.secrets...)
	e.mu.Unlock()
	evs, err := e.store.ListAudit(context.Background(), store.AuditFilter{Limit: 10000})
	if err != nil {
		e.t.Errorf("ListAudit: %v", err)
	}
	logs := e.logs.String()
	for i, s := range secrets {
		for _, part := range secretParts(s) {
			for _, ev := range evs {
				if strings.Contains(fmt.Sprintf("%#v", ev), part) {
					e.t.Errorf("audit event %d (%s) contains secret #%d", ev.ID, ev.Action, i)
				}
			}
			if strings.Contains(logs, part) {
				e.t.Errorf("logs contain secret #%d", i)
			}
		}
	}
}

// secretParts is s and, for a JWT, its payload and signature segments: a
// leaked fragment is a leak too.
func secretParts(s string) []string {
	parts := []string{s}
	if seg := strings.Split(s, "."); len(seg) == 3 {
		parts = append(parts, seg[1], seg[2])
	}
	return parts
}

// claims decodes a JWT's payload without verifying it.
func claims(t *testing.T, tok string) map[string]any {
	t.Helper()
	seg := strings.Split(tok, ".")
	if len(seg) != 3 {
		t.Fatalf("not a JWT (%d segments)", len(seg))
	}
	b, err := base64.RawURLEncoding.DecodeString(seg[1])
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("payload: %v", err)
	}
	return m
}

// wantErr asserts err is an *identity.Error of type typ and returns it.
func wantErr(t *testing.T, err error, typ string) *identity.Error {
	t.Helper()
	var ie *identity.Error
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *identity.Error %s", err, typ)
	}
	if ie.Type != typ {
		t.Fatalf("error type = %s (%s), want %s", ie.Type, ie.Message, typ)
	}
	return ie
}
