package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/onbehalf/onbehalf/config"
	"github.com/onbehalf/onbehalf/emulator/entra"
	snowemu "github.com/onbehalf/onbehalf/emulator/servicenow"
	"github.com/onbehalf/onbehalf/stack"
	"github.com/spf13/cobra"
)

// Fixed dev ids of the Entra emulator's tenant and app registrations.
const (
	devTenantID    = "c0ffee00-0000-4000-8000-000000000001"
	devAgentApp    = "a9e17000-0000-4000-8000-000000000002"
	devConnector   = "5e7c0000-0000-4000-8000-000000000003"
	devWorkload    = "servicenow-agent-workload"
	devProvider    = "EntraIdServiceNow"
	devAgentName   = "servicenow"
	devAdminUser   = "admin"
	devOIDCName    = "Entra ID"
	devConnectorOp = "user_impersonation"
)

var devUsers = []string{"jane.smith@company.com", "bob.jones@company.com", "hr.partner@company.com", "soc.analyst@company.com"}

type devOptions struct {
	DataDir                                              string
	RuntimeAddr, IdentityAddr, EntraAddr, ServiceNowAddr string
	// MetricsAddr, when set, serves Prometheus metrics there.
	MetricsAddr string
	Logger      *slog.Logger
}

// devStack is the running local stack: both emulators and onbehalf.
type devStack struct {
	Env     devEnv
	stack   *stack.Stack
	servers []*http.Server
	snow    *snowemu.Server
}

func newDevCommand() *cobra.Command {
	opts := devOptions{}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the whole local stack: Entra ID and ServiceNow emulators, identity broker, runtime",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Logger = newLogger()
			d, err := startDev(cmd.Context(), opts)
			if err != nil {
				return err
			}
			defer d.Close()
			printBanner(cmd.OutOrStdout(), d.Env, d.stack.Model)
			<-cmd.Context().Done()
			fmt.Fprintln(cmd.ErrOrStderr(), "stopping")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.DataDir, "data-dir", defaultDataDir(), "where the dev stack keeps its databases, keys, onbehalf.yaml and dev.env")
	f.StringVar(&opts.RuntimeAddr, "runtime-addr", "127.0.0.1:8080", "runtime (agent) listen address")
	f.StringVar(&opts.IdentityAddr, "identity-addr", "127.0.0.1:8081", "identity broker listen address")
	f.StringVar(&opts.EntraAddr, "entra-addr", "127.0.0.1:8082", "Entra ID emulator listen address")
	f.StringVar(&opts.ServiceNowAddr, "servicenow-addr", "127.0.0.1:8083", "ServiceNow emulator listen address")
	f.StringVar(&opts.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics (GET /metrics) on this address, e.g. 127.0.0.1:9464; off when empty")
	return cmd
}

// startDev starts the emulators, writes onbehalf.yaml and dev.env into the
// data dir, and runs onbehalf from that configuration, as `serve` would.
func startDev(ctx context.Context, opts devOptions) (_ *devStack, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	d := &devStack{Env: devEnv{}}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	old, _ := readDevEnv(filepath.Join(dir, "dev.env"))
	if err := d.Env.ensureSecrets(old); err != nil {
		return nil, err
	}
	apiKeys, err := d.Env.ensureAccessKeys(old)
	if err != nil {
		return nil, err
	}
	lns := map[string]net.Listener{}
	for _, a := range []struct{ name, addr string }{
		{"runtime", opts.RuntimeAddr}, {"identity", opts.IdentityAddr},
		{"entra", opts.EntraAddr}, {"servicenow", opts.ServiceNowAddr},
	} {
		ln, err := net.Listen("tcp", a.addr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("%s: cannot listen on %s (is another onbehalf dev running? use --%s-addr): %w", a.name, a.addr, a.name, err)
		}
		lns[a.name] = ln
	}
	if opts.MetricsAddr != "" {
		ln, err := net.Listen("tcp", opts.MetricsAddr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("metrics: cannot listen on %s: %w", opts.MetricsAddr, err)
		}
		lns["metrics"] = ln
	}
	url := func(name string) string { return "http://" + lns[name].Addr().String() }
	e := d.Env
	if lns["metrics"] != nil {
		e[envMetricsURL] = url("metrics") + "/metrics"
	} else {
		delete(e, envMetricsURL)
	}
	e[envDataDir] = dir
	e[envRuntimeURL], e[envIdentityURL] = url("runtime"), url("identity")
	e[envEntraURL], e[envServiceNowURL] = url("entra"), url("servicenow")
	e[envEntraTenant], e[envAgentClientID], e[envConnectorID] = devTenantID, devAgentApp, devConnector
	e[envSNAdminUser] = devAdminUser

	key, err := loadOrCreateRSAKey(filepath.Join(dir, "entra-signing-key.pem"))
	if err != nil {
		return nil, fmt.Errorf("entra signing key: %w", err)
	}
	// The chat UI at the runtime's / signs users in as a SPA.
	ecfg := entra.DevConfig(e[envEntraURL], e[envAgentSecret], e[envUserPassword], entra.DevOptions{RuntimeURL: e[envRuntimeURL]})
	ecfg.SigningKey = key
	ecfg.Logger = opts.Logger.With("component", "entra-emulator")
	idp, err := entra.New(ecfg)
	if err != nil {
		return nil, fmt.Errorf("entra emulator: %w", err)
	}
	e[envEntraDiscovery], e[envEntraToken] = idp.DiscoveryURL(), idp.TokenURL()
	d.serve(lns["entra"], idp, opts.Logger)

	d.snow, err = snowemu.New(ctx, snowemu.Config{
		BaseURL:       e[envServiceNowURL],
		DBPath:        filepath.Join(dir, "servicenow.db"),
		AdminPassword: e[envSNAdminPassword],
		SeedDev:       true,
		OIDC: []snowemu.OIDCProvider{{
			Name: devOIDCName, MetadataURL: idp.DiscoveryURL(), ClientID: devConnector,
			UserClaim: "preferred_username", UserField: "email",
		}},
		Logger: opts.Logger.With("component", "servicenow-emulator"),
	})
	if err != nil {
		return nil, fmt.Errorf("servicenow emulator: %w", err)
	}
	d.serve(lns["servicenow"], d.snow, opts.Logger)

	if err := e.write(filepath.Join(dir, "dev.env")); err != nil {
		return nil, fmt.Errorf("dev.env: %w", err)
	}
	cfgPath := filepath.Join(dir, "onbehalf.yaml")
	if err := writeDevConfig(cfgPath, dir, e); err != nil {
		return nil, err
	}
	cfg, err := config.Load(cfgPath, e.lookup)
	if err != nil {
		return nil, err
	}
	d.stack, err = stack.Start(ctx, cfg, stack.Options{
		Logger:           opts.Logger,
		RuntimeListener:  lns["runtime"],
		IdentityListener: lns["identity"],
		MetricsListener:  lns["metrics"],
		IdentityRegion:   devRegion,
	})
	if err != nil {
		return nil, err
	}
	for _, k := range apiKeys {
		if err := d.stack.Keys.Put(ctx, k); err != nil {
			return nil, fmt.Errorf("identity api keys: %w", err)
		}
	}
	return d, nil
}

// devMetrics is the metrics section of the dev configuration: on when the
// dev stack listens for them.
func devMetrics(e devEnv) *config.Metrics {
	u := e[envMetricsURL]
	if u == "" {
		return nil
	}
	return &config.Metrics{Listen: strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/metrics")}
}

// writeDevConfig writes the production-shaped configuration the dev stack
// runs. Secrets stay ${REFERENCES} resolved from dev.env.
func writeDevConfig(path, dir string, e devEnv) error {
	cfg := config.Config{
		Store: "sqlite:" + filepath.Join(dir, "onbehalf.db"),
		Keys:  config.Keys{File: filepath.Join(dir, "keys.json")},
		Identity: config.Identity{
			Listen: strings.TrimPrefix(e[envIdentityURL], "http://"),
			CredentialProviders: []config.CredentialProvider{{
				Name:                     devProvider,
				CredentialProviderVendor: "MicrosoftOauth2",
				Oauth2ProviderConfigInput: config.ProviderConfigInput{MicrosoftOauth2ProviderConfig: &config.MicrosoftOauth2ProviderConfig{
					TenantID:     "${" + envEntraTenant + "}",
					ClientID:     "${" + envAgentClientID + "}",
					ClientSecret: "${" + envAgentSecret + "}",
					DiscoveryURL: "${" + envEntraDiscovery + "}",
				}},
			}},
			WorkloadIdentities: []config.WorkloadIdentity{{Name: devWorkload}},
		},
		Metrics: devMetrics(e),
		Runtime: config.Runtime{
			Listen: strings.TrimPrefix(e[envRuntimeURL], "http://"),
			UI: &config.UI{
				Authority: "${" + envEntraURL + "}/${" + envEntraTenant + "}/v2.0",
				ClientID:  "${" + envAgentClientID + "}",
				Scopes:    []string{"api://${" + envAgentClientID + "}/access_as_user"},
			},
			Agents: []config.Agent{{
				Name:             devAgentName,
				WorkloadIdentity: devWorkload,
				AuthorizerConfiguration: config.AuthorizerConfiguration{CustomJWTAuthorizer: config.CustomJWTAuthorizer{
					DiscoveryURL:    "${" + envEntraDiscovery + "}",
					AllowedClients:  []string{"${" + envAgentClientID + "}"},
					AllowedAudience: []string{"${" + envAgentClientID + "}", "api://${" + envAgentClientID + "}"},
				}},
				Model: config.Model{Provider: "auto"},
				ServiceNow: &config.ServiceNow{
					InstanceURL:        "${" + envServiceNowURL + "}",
					CredentialProvider: devProvider,
					Scopes:             []string{"api://${" + envConnectorID + "}/" + devConnectorOp},
				},
			}},
		},
	}
	b, err := cfg.Marshal()
	if err != nil {
		return err
	}
	header := "# Generated by `onbehalf dev`: the same shape `onbehalf serve --config` takes.\n" +
		"# Secrets and URLs are environment references, set by dev.env (source it to run this file with `onbehalf serve`).\n"
	return os.WriteFile(path, append([]byte(header), b...), 0o600)
}

func (d *devStack) serve(ln net.Listener, h http.Handler, logger *slog.Logger) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	d.servers = append(d.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("emulator stopped", "addr", ln.Addr().String(), "error", err)
		}
	}()
}

// Close stops onbehalf, then the emulators.
func (d *devStack) Close() {
	if d.stack != nil {
		d.stack.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range d.servers {
		_ = s.Shutdown(ctx)
	}
	if d.snow != nil {
		_ = d.snow.Close()
	}
}

func loadOrCreateRSAKey(path string) (*rsa.PrivateKey, error) {
	if b, err := os.ReadFile(path); err == nil {
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("%s is not PEM", path)
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s is not an RSA key", path)
		}
		return rk, nil
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return k, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

// selfCommand is how the user should run onbehalf in printed commands.
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil || strings.Contains(exe, "go-build") {
		return "go run ./cmd/onbehalf"
	}
	if p, err := lookPathSelf(exe); err == nil {
		return p
	}
	return exe
}

// metricsLine is the banner's metrics line, or nothing when metrics are off.
func metricsLine(e devEnv) string {
	if e[envMetricsURL] == "" {
		return ""
	}
	return "  metrics     " + e[envMetricsURL] + "   Prometheus (calls, tokens by source, IdP latency)\n"
}

func printBanner(w io.Writer, e devEnv, model string) {
	self := selfCommand()
	fmt.Fprintf(w, `onbehalf dev is running (data dir %s)

  chat UI     %s/   sign in as a demo user
  runtime     %s   POST /invocations, GET /ping
  identity    %s   identity broker: AgentCore Identity API (SigV4; aws CLI, boto3, AWS SDKs)
  entra       %s   Entra ID emulator, tenant %s
  servicenow  %s   ServiceNow emulator (Basic auth: %s, password in dev.env)
%s
Model: %s

Demo users (password: DEV_USER_PASSWORD in dev.env):
  %s

Settings for your shell:  . %s/dev.env

Try, in another terminal:
  %s invoke --bearer-token "$(%s token --user jane.smith@company.com)" "Show me 5 incidents assigned to me"
  %s invoke --bearer-token "$(%s token --user bob.jones@company.com)" "Show me my open incidents"
  curl -s -u "$SERVICENOW_ADMIN_USER:$SERVICENOW_ADMIN_PASSWORD" "$SERVICENOW_URL/api/now/table/incident?sysparm_fields=number,short_description,category&sysparm_display_value=true"

The aws CLI against the broker (after sourcing dev.env; AWS_ACCESS_KEY_ID there is an admin key):
  aws bedrock-agentcore-control get-workload-identity --name "$WORKLOAD_NAME" --endpoint-url "$ONBEHALF_IDENTITY_URL"
  aws bedrock-agentcore-control list-oauth2-credential-providers --endpoint-url "$ONBEHALF_IDENTITY_URL"
  AWS_ACCESS_KEY_ID="$WORKLOAD_AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$WORKLOAD_AWS_SECRET_ACCESS_KEY" \
    aws bedrock-agentcore get-workload-access-token-for-jwt --workload-name "$WORKLOAD_NAME" \
    --user-token "$(%s token --user jane.smith@company.com)" --endpoint-url "$ONBEHALF_IDENTITY_URL"
More keys: %s identity keys create --workload NAME   (or --admin)

Press Ctrl-C to stop.
`, e[envDataDir], e[envRuntimeURL], e[envRuntimeURL], e[envIdentityURL], e[envEntraURL], e[envEntraTenant], e[envServiceNowURL], e[envSNAdminUser], metricsLine(e),
		model, strings.Join(devUsers, "\n  "), e[envDataDir], self, self, self, self, self, self)
}

// lookPathSelf returns the bare command name when PATH finds exe by it.
func lookPathSelf(exe string) (string, error) {
	name := filepath.Base(exe)
	p, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	a, _ := filepath.EvalSymlinks(p)
	b, _ := filepath.EvalSymlinks(exe)
	if a != b {
		return "", errors.New("another binary of that name is first on PATH")
	}
	return name, nil
}
