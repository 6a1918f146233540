package stack

import (
	"context"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/onbehalf/onbehalf/authorizer"
	"github.com/onbehalf/onbehalf/config"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/identity/awsapi"
	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/runtime"
	"github.com/onbehalf/onbehalf/store"
	"github.com/onbehalf/onbehalf/webui"
)

// Options are what the config file does not say.
type Options struct {
	// Logger receives the stack's logs (default: discard). Nothing secret
	// is ever logged.
	Logger *slog.Logger
	// HTTPClient is used for every outbound call (IdP, ServiceNow).
	HTTPClient *http.Client
	// RuntimeListener and IdentityListener, when set, are used instead of
	// listening on the configured addresses (tests pass :0 listeners).
	RuntimeListener, IdentityListener, MetricsListener net.Listener
	// IdentityRegion, when set, is the region of the broker's ARNs and the
	// only region SigV4 requests to the identity API may be signed for.
	IdentityRegion string
	// IdentityPublicURL is the identity API's public base URL, where
	// browsers reach the OAuth2 callback (USER_FEDERATION). Default: the
	// identity listener's http:// address.
	IdentityPublicURL string
}

// Stack is a running onbehalf.
type Stack struct {
	Store  store.Store
	Broker *identity.Broker
	// Keys are the access keys the identity API accepts.
	Keys        *awsapi.KeyStore
	RuntimeURL  string
	IdentityURL string
	// MetricsURL is where GET /metrics answers; empty without metrics.
	MetricsURL string
	// Model says which model the agent uses and why, e.g. "offline
	// planner (no model credentials found …)"; empty for a remote agent.
	Model string

	servers     []*http.Server
	authorizers []*authorizer.Authorizer
	fronts      []*runtime.FrontDoor
	logger      *slog.Logger
	cancel      context.CancelFunc
}

// Start builds the stack from cfg and starts serving. Close stops it.
func Start(ctx context.Context, cfg *config.Config, opts Options) (_ *Stack, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	bg, cancel := context.WithCancel(context.Background())
	s := &Stack{logger: opts.Logger, cancel: cancel}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	if s.Store, err = store.Open(ctx, cfg.Store); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	keys, err := keyring.LoadOrCreate(cfg.Keys.File)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	oc := &oauth.Client{HTTPClient: opts.HTTPClient}

	var verifiers []*authorizer.Authorizer
	for _, a := range cfg.Runtime.Agents {
		j := a.AuthorizerConfiguration.CustomJWTAuthorizer
		az, err := authorizer.New(bg, authorizer.Config{
			DiscoveryURL:     j.DiscoveryURL,
			AllowedAudiences: j.AllowedAudience,
			AllowedClients:   j.AllowedClients,
			AllowedScopes:    j.AllowedScopes,
			// No HTTPClient: the authorizer's own refuses redirects that
			// downgrade to http, so nobody on a plain hop can swap keys.
			Logger: opts.Logger.With("component", "authorizer", "agent", a.Name),
		})
		if err != nil {
			return nil, fmt.Errorf("runtime.agents %s: %w", a.Name, err)
		}
		verifiers = append(verifiers, az)
	}
	s.authorizers = verifiers

	// Listen before building the broker: its callback URL is the
	// listener's address unless a public URL is configured.
	identityLn := opts.IdentityListener
	if identityLn == nil {
		if identityLn, err = net.Listen("tcp", cfg.Identity.Listen); err != nil {
			return nil, fmt.Errorf("identity.listen: %w", err)
		}
		defer func() {
			if s.IdentityURL == "" { // not served: nobody else closes it
				identityLn.Close()
			}
		}()
	}
	publicURL := opts.IdentityPublicURL
	if publicURL == "" {
		publicURL = "http://" + identityLn.Addr().String()
	}

	var (
		reg       *prometheus.Registry
		rtMetrics *runtime.Metrics
	)
	if cfg.Metrics != nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		if _, _, ok := store.AuditSpoolStats(s.Store); ok {
			reg.MustRegister(
				prometheus.NewGaugeFunc(prometheus.GaugeOpts{
					Name: "onbehalf_audit_spool_queued_events",
					Help: "Audit events spooled but not yet loaded into the database.",
				}, func() float64 { q, _, _ := store.AuditSpoolStats(s.Store); return float64(q) }),
				prometheus.NewCounterFunc(prometheus.CounterOpts{
					Name: "onbehalf_audit_spool_failed_loads_total",
					Help: "Loads of spooled audit events into the database that failed (and are retried).",
				}, func() float64 { _, f, _ := store.AuditSpoolStats(s.Store); return float64(f) }),
			)
		}
		if rtMetrics, err = runtime.NewMetrics(reg); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	s.Broker, err = identity.New(identity.Config{
		Metrics:            registerer(reg),
		Store:              s.Store,
		Keyring:            keys,
		OAuth:              oc,
		VerifyUserTokenFor: verifyForWorkload(cfg.Runtime.Agents, verifiers),
		Providers:          providers(cfg.Identity.CredentialProviders),
		Workloads:          workloads(cfg.Identity.WorkloadIdentities),
		Region:             opts.IdentityRegion,
		CallbackBaseURL:    publicURL,
		Logger:             opts.Logger.With("component", "identity"),
	})
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}

	// One runtime serves every agent at /runtimes/{name}/invocations, and
	// the first also at the container contract's /invocations and the UI.
	idle, _ := time.ParseDuration(cfg.Runtime.SessionIdleTimeout)
	maxLife, _ := time.ParseDuration(cfg.Runtime.SessionMaxLifetime)
	for i, a := range cfg.Runtime.Agents {
		agentHandler, err := s.agent(ctx, a, opts)
		if err != nil {
			return nil, fmt.Errorf("runtime.agents %s: %w", a.Name, err)
		}
		front := &runtime.FrontDoor{
			Verifier:     verifiers[i], // its issuer is the metadata's authorization server
			Identity:     s.Broker,
			WorkloadName: a.WorkloadIdentity,
			AgentName:    a.Name,
			Sessions:     s.Store,
			Agent:        agentHandler,
			Scopes:       a.AuthorizerConfiguration.CustomJWTAuthorizer.AllowedScopes,
			PublicURL:    cfg.Runtime.PublicURL,
			Metrics:      rtMetrics,

			SessionIdleTimeout: idle,
			SessionMaxLifetime: maxLife,
			Logger:             opts.Logger.With("component", "runtime", "agent", a.Name),
		}
		s.fronts = append(s.fronts, front)
	}
	if ui := cfg.Runtime.UI; ui != nil {
		wc := webui.Config{Authority: ui.Authority, ClientID: ui.ClientID, Scopes: ui.Scopes}
		if err := wc.Validate(); err != nil {
			return nil, fmt.Errorf("runtime.ui: %w", err)
		}
		s.fronts[0].UI = webui.Handler(wc)
	}
	go reloadKeys(bg, keys, cfg.Keys.File, opts.Logger)
	if s.RuntimeURL, err = s.serve(opts.RuntimeListener, cfg.Runtime.Listen, &runtime.Router{Agents: s.fronts}); err != nil {
		return nil, fmt.Errorf("runtime.listen: %w", err)
	}
	// The broker's HTTP face: the AgentCore Identity API, SigV4-verified
	// against the access keys sealed in the store (GET /ping unsigned).
	s.Keys = awsapi.NewKeyStore(s.Store, keys, nil)
	api, err := awsapi.NewHandler(s.Broker, s.Keys, &awsapi.Options{
		Region: opts.IdentityRegion,
		Logger: opts.Logger.With("component", "identity-api"),
	})
	if err != nil {
		return nil, fmt.Errorf("identity api: %w", err)
	}
	if s.IdentityURL, err = s.serve(identityLn, cfg.Identity.Listen, api); err != nil {
		return nil, fmt.Errorf("identity.listen: %w", err)
	}
	if reg != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		if s.MetricsURL, err = s.serve(opts.MetricsListener, cfg.Metrics.Listen, mux); err != nil {
			return nil, fmt.Errorf("metrics.listen: %w", err)
		}
		s.MetricsURL += "/metrics"
	}
	return s, nil
}

// registerer is reg as a prometheus.Registerer, nil (no metrics) for a
// nil registry.
func registerer(reg *prometheus.Registry) prometheus.Registerer {
	if reg == nil {
		return nil
	}
	return reg
}

func (s *Stack) serve(ln net.Listener, addr string, h http.Handler) (string, error) {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return "", err
		}
	}
	// ReadTimeout bounds reading a request (answers may stream for longer);
	// IdleTimeout closes idle keep-alive connections.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn)}
	s.servers = append(s.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("server stopped", "addr", ln.Addr().String(), "error", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Close stops serving and releases everything.
func (s *Stack) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		_ = srv.Shutdown(ctx)
	}
	for _, a := range s.authorizers {
		a.Close()
	}
	s.cancel()
	for _, f := range s.fronts {
		f.StopSweeps() // a session purge in flight finishes before the store closes
	}
	if s.Store != nil {
		_ = s.Store.Close()
	}
}

// verifyForWorkload verifies a Token A presented for a workload with the
// authorizers of the agents that run as that workload only, so a token
// minted for one agent does not buy a workload access token for another.
// A workload no configured agent runs as (one created through the API, or
// left from an older configuration) accepts no Token A: nothing says whose
// tokens it may take. Its agent can still use M2M, or
// GetWorkloadAccessTokenForUserId with a key allowed to; an agent hosted
// elsewhere that takes users' tokens is configured as a runtime agent with
// an endpoint, and its authorizer then speaks for its workload.
func verifyForWorkload(agents []config.Agent, vs []*authorizer.Authorizer) func(context.Context, string, string) (identity.UserClaims, error) {
	byWorkload := map[string][]*authorizer.Authorizer{}
	for i, a := range agents {
		byWorkload[a.WorkloadIdentity] = append(byWorkload[a.WorkloadIdentity], vs[i])
	}
	return func(ctx context.Context, workload, raw string) (identity.UserClaims, error) {
		own, ok := byWorkload[workload]
		if !ok {
			return identity.UserClaims{}, fmt.Errorf("no agent of this runtime runs as workload identity %q, so no authorizer accepts user tokens for it", workload)
		}
		return verifyWithAny(own)(ctx, raw)
	}
}

func verifyWithAny(vs []*authorizer.Authorizer) func(context.Context, string) (identity.UserClaims, error) {
	return func(ctx context.Context, raw string) (identity.UserClaims, error) {
		var first error
		for _, v := range vs {
			c, err := v.Verify(ctx, raw)
			if err == nil {
				return identity.UserClaims{Issuer: c.Issuer, Subject: c.Subject, ExpiresAt: c.ExpiresAt}, nil
			}
			if first == nil {
				first = err
			}
		}
		if first == nil {
			first = errors.New("no authorizer is configured")
		}
		return identity.UserClaims{}, first
	}
}

func providers(in []config.CredentialProvider) []identity.Oauth2CredentialProvider {
	var out []identity.Oauth2CredentialProvider
	for _, p := range in {
		op := identity.Oauth2CredentialProvider{Name: p.Name, CredentialProviderVendor: p.CredentialProviderVendor}
		if m := p.Oauth2ProviderConfigInput.MicrosoftOauth2ProviderConfig; m != nil {
			op.TenantID, op.ClientID, op.ClientSecret, op.DiscoveryURL = m.TenantID, m.ClientID, m.ClientSecret, m.DiscoveryURL
			op.OnBehalfOfGrantType = "JWT_AUTHORIZATION_GRANT"
		}
		if c := p.Oauth2ProviderConfigInput.CustomOauth2ProviderConfig; c != nil {
			op.DiscoveryURL, op.ClientID, op.ClientSecret = c.OauthDiscovery.DiscoveryURL, c.ClientID, c.ClientSecret
			switch c.ClientAuthenticationMethod {
			case "CLIENT_SECRET_BASIC":
				op.ClientAuthenticationMethod = string(oauth.AuthSecretBasic)
			case "CLIENT_SECRET_POST":
				op.ClientAuthenticationMethod = string(oauth.AuthSecretPost)
			}
			if c.OnBehalfOfTokenExchangeConfig != nil {
				op.OnBehalfOfGrantType = c.OnBehalfOfTokenExchangeConfig.GrantType
			}
		}
		out = append(out, op)
	}
	return out
}

func workloads(in []config.WorkloadIdentity) []identity.WorkloadIdentity {
	var out []identity.WorkloadIdentity
	for _, w := range in {
		out = append(out, identity.WorkloadIdentity{Name: w.Name})
	}
	return out
}
