package awsapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"

	"github.com/onbehalf/onbehalf/authorizer"
	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/emulator/entra/entratest"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/identity/awsapi"
	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/store"
	"github.com/onbehalf/onbehalf/store/storetest"
)

const (
	workload      = "servicenow-agent-workload"
	otherWorkload = "hr-agent-workload"
	provider      = "EntraIdServiceNow"
	hrProvider    = "HrApiProvider"
	hrAppID       = "7e570000-0000-4000-8000-000000000004"
	region        = "us-east-1"
	jane          = "jane.smith@company.com"
	bob           = "bob.jones@company.com"
)

// world is one broker behind the API on loopback, the Entra emulator it
// exchanges at, and one admin key and one key per workload.
type world struct {
	t        testing.TB
	idp      *entratest.Tenant
	store    store.Store
	broker   *identity.Broker
	keys     *awsapi.KeyStore
	url      string
	admin    awsapi.AccessKey
	wl       awsapi.AccessKey // workload's key
	other    awsapi.AccessKey // otherWorkload's key
	logs     *syncBuffer
	recorder *bodyRecorder
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// bodyRecorder keeps every response body the API sent, so a test can
// assert that no secret ever left the broker.
type bodyRecorder struct {
	mu     sync.Mutex
	bodies []string
}

type recordingWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	return w.ResponseWriter.Write(p)
}

func (br *bodyRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &recordingWriter{ResponseWriter: w}
		h.ServeHTTP(rw, r)
		var hdr strings.Builder
		for k, v := range w.Header() {
			hdr.WriteString(k + ": " + strings.Join(v, ",") + "\n")
		}
		br.mu.Lock()
		br.bodies = append(br.bodies, hdr.String()+rw.buf.String())
		br.mu.Unlock()
	})
}

func (br *bodyRecorder) all() []string {
	br.mu.Lock()
	defer br.mu.Unlock()
	return append([]string(nil), br.bodies...)
}

func newWorld(t testing.TB) *world { return newWorldWith(t, worldOptions{}) }

type worldOptions struct {
	// bench: logs go to io.Discard at info level (as in production) and
	// responses are not recorded.
	bench bool
	// empty: the broker starts with no credential provider and no workload
	// identity; tests create them through the control plane.
	empty bool
	// noAudit drops audit events instead of storing them (a benchmark's
	// what-if: the ceiling without the audit insert).
	noAudit bool
	// rateLimit is Options.RateLimit (burst 1).
	rateLimit float64
	// postgres puts the store in a fresh schema of ONBEHALF_TEST_POSTGRES
	// instead of a SQLite file.
	postgres bool
}

func newWorldWith(t testing.TB, opt worldOptions) *world {
	t.Helper()
	bench := opt.bench
	ctx := context.Background()
	w := &world{t: t, logs: &syncBuffer{}, recorder: &bodyRecorder{}}
	w.idp = entratest.Start(t, func(c *entra.Config) {
		c.Apps = append(c.Apps, entra.App{
			ClientID: hrAppID, DisplayName: "HR API",
			IdentifierURIs: []string{"api://" + hrAppID}, Scopes: []string{"Cases.Read"},
		})
	})
	var st store.Store
	if opt.postgres {
		st = storetest.NewPostgres(t) // skips, saying why, without ONBEHALF_TEST_POSTGRES
	} else {
		var err error
		if st, err = store.Open(ctx, "sqlite:"+t.TempDir()+"/onbehalf.db"); err != nil {
			t.Fatalf("store.Open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
	}
	w.store = st
	if opt.noAudit {
		st = droppedAudit{st}
	}
	kr, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	actx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	az, err := authorizer.New(actx, authorizer.Config{
		DiscoveryURL:     w.idp.DiscoveryURL(),
		AllowedAudiences: []string{entra.DevAgentClientID, "api://" + entra.DevAgentClientID},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(az.Close)
	logger := slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if bench {
		logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	w.broker, err = identity.New(identity.Config{
		Store:   st,
		Keyring: kr,
		OAuth:   &oauth.Client{},
		VerifyUserToken: func(ctx context.Context, raw string) (identity.UserClaims, error) {
			c, err := az.Verify(ctx, raw)
			if err != nil {
				return identity.UserClaims{}, err
			}
			return identity.UserClaims{Issuer: c.Issuer, Subject: c.Subject, ExpiresAt: c.ExpiresAt}, nil
		},
		Providers: providersUnless(opt.empty, []identity.Oauth2CredentialProvider{
			{
				Name: provider, CredentialProviderVendor: identity.VendorMicrosoftOauth2,
				TenantID: entra.DevTenantID, DiscoveryURL: w.idp.DiscoveryURL(),
				ClientID: entra.DevAgentClientID, ClientSecret: w.idp.AgentSecret,
			},
			{
				Name: hrProvider, CredentialProviderVendor: identity.VendorMicrosoftOauth2,
				TenantID: entra.DevTenantID, DiscoveryURL: w.idp.DiscoveryURL(),
				ClientID: entra.DevAgentClientID, ClientSecret: w.idp.AgentSecret,
			},
		}),
		Workloads: providersUnless(opt.empty, []identity.WorkloadIdentity{
			{Name: workload, AllowedProviders: []string{provider}},
			{Name: otherWorkload, AllowedProviders: []string{hrProvider}},
		}),
		Logger: logger.With("component", "identity"),
	})
	if err != nil {
		t.Fatalf("identity.New: %v", err)
	}
	w.keys = awsapi.NewKeyStore(st, kr, nil)
	for _, k := range []struct {
		dst *awsapi.AccessKey
		g   awsapi.Grant
	}{{&w.admin, awsapi.Grant{Admin: true}}, {&w.wl, awsapi.Grant{Workload: workload}}, {&w.other, awsapi.Grant{Workload: otherWorkload}}} {
		if *k.dst, err = w.keys.Create(ctx, k.g); err != nil {
			t.Fatalf("keys.Create: %v", err)
		}
	}
	h, err := awsapi.NewHandler(w.broker, w.keys, &awsapi.Options{Region: region, Logger: logger.With("component", "awsapi"), RateLimit: opt.rateLimit, RateBurst: 1})
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	if bench {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		w.url = srv.URL
		return w
	}
	srv := httptest.NewServer(w.recorder.wrap(h))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	t.Cleanup(w.assertNoSecretLeaked)
	return w
}

// secrets are the values that must never appear in a response or a log
// line besides the one response that hands each out.
func (w *world) secrets() map[string]string {
	return map[string]string{
		"agent client secret":   w.idp.AgentSecret,
		"user password":         w.idp.UserPassword,
		"admin secret":          w.admin.SecretAccessKey,
		"workload secret":       w.wl.SecretAccessKey,
		"other workload secret": w.other.SecretAccessKey,
	}
}

func (w *world) assertNoSecretLeaked() {
	for name, s := range w.secrets() {
		for _, b := range w.recorder.all() {
			if strings.Contains(b, s) {
				w.t.Errorf("the %s appears in a response:\n%.300s", name, b)
			}
		}
		if strings.Contains(w.logs.String(), s) {
			w.t.Errorf("the %s appears in the logs", name)
		}
	}
}

func awsConfig(k awsapi.AccessKey) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, ""),
		HTTPClient:  &http.Client{},
		// Errors are asserted, not retried.
		RetryMaxAttempts: 1,
	}
}

func (w *world) dataClient(k awsapi.AccessKey) *bedrockagentcore.Client {
	return bedrockagentcore.NewFromConfig(awsConfig(k), func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(w.url) })
}

func (w *world) controlClient(k awsapi.AccessKey) *bedrockagentcorecontrol.Client {
	return bedrockagentcorecontrol.NewFromConfig(awsConfig(k), func(o *bedrockagentcorecontrol.Options) { o.BaseEndpoint = aws.String(w.url) })
}

// claims decodes a JWT's payload without verifying it (the test only
// reads what the IdP put there).
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// rawCall posts body to path, unsigned unless sign is set.
func (w *world) rawCall(t *testing.T, path string, body string, sign func(*http.Request)) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sign != nil {
		sign(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// providersUnless is list, or nothing for an empty world.
func providersUnless[T any](empty bool, list []T) []T {
	if empty {
		return nil
	}
	return list
}

// droppedAudit is a store that accepts and drops audit events.
type droppedAudit struct{ store.Store }

func (droppedAudit) AppendAudit(context.Context, store.AuditEvent) (int64, error) { return 1, nil }
func (droppedAudit) AppendAudits(context.Context, []store.AuditEvent) error       { return nil }
