package incidentagent

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/onbehalf/onbehalf/authorizer"
	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/emulator/entra/entratest"
	snowemu "github.com/onbehalf/onbehalf/emulator/servicenow"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/servicenow"
	"github.com/onbehalf/onbehalf/store"
)

// world is the real outside world and broker for one test: the Entra and
// ServiceNow emulators on loopback, a SQLite store and the broker.
type world struct {
	idp    *entratest.Tenant
	snow   string // ServiceNow base URL
	admin  *servicenow.Client
	broker *identity.Broker
	store  store.Store
}

const adminPassword = "admin-test-password"

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w := &world{idp: entratest.Start(t)}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w.snow = "http://" + ln.Addr().String()
	sn, err := snowemu.New(ctx, snowemu.Config{
		BaseURL: w.snow, AdminPassword: adminPassword, SeedDev: true,
		OIDC: []snowemu.OIDCProvider{{Name: "Entra ID", MetadataURL: w.idp.DiscoveryURL(), ClientID: entra.DevConnectorClientID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: sn}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); sn.Close() })
	w.admin = &servicenow.Client{BaseURL: w.snow, Auth: servicenow.BasicAuth("admin", adminPassword)}

	if w.store, err = store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "t.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.store.Close() })
	keys, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	az, err := authorizer.New(ctx, authorizer.Config{DiscoveryURL: w.idp.DiscoveryURL(), AllowedAudiences: []string{entra.DevAgentClientID}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(az.Close)
	w.broker, err = identity.New(identity.Config{
		Store: w.store, Keyring: keys, OAuth: &oauth.Client{},
		VerifyUserToken: func(ctx context.Context, raw string) (identity.UserClaims, error) {
			c, err := az.Verify(ctx, raw)
			if err != nil {
				return identity.UserClaims{}, err
			}
			return identity.UserClaims{Issuer: c.Issuer, Subject: c.Subject, ExpiresAt: c.ExpiresAt}, nil
		},
		Providers: []identity.Oauth2CredentialProvider{{
			Name: "EntraIdServiceNow", CredentialProviderVendor: "MicrosoftOauth2", TenantID: entra.DevTenantID,
			DiscoveryURL: w.idp.DiscoveryURL(), ClientID: entra.DevAgentClientID, ClientSecret: w.idp.AgentSecret,
		}},
		Workloads: []identity.WorkloadIdentity{{Name: "servicenow-agent-workload"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// userContext is what the runtime gives an invocation of upn: a workload
// access token for the agent, never Token A.
func (w *world) userContext(t *testing.T, upn string) context.Context {
	t.Helper()
	out, err := w.broker.GetWorkloadAccessTokenForJWT(context.Background(), identity.GetWorkloadAccessTokenForJWTInput{
		WorkloadName: "servicenow-agent-workload", UserToken: w.idp.TokenA(t, upn),
	})
	if err != nil {
		t.Fatal(err)
	}
	return identity.WithWorkloadAccessToken(context.Background(), out.WorkloadAccessToken)
}

func (w *world) tokens() identity.TokenSource {
	return identity.TokenSource{Getter: w.broker, Provider: "EntraIdServiceNow", Scopes: []string{entratest.ConnectorScope}}
}

// userClient is the connector as the agent's tools use it.
func (w *world) userClient() *servicenow.Client {
	return &servicenow.Client{BaseURL: w.snow, Tokens: w.tokens()}
}

// scripted plays back fixed model turns and records every request.
type scripted struct {
	mu    sync.Mutex
	turns []model.Message
	seen  []model.Request
}

func (s *scripted) Name() string { return "scripted" }

func (s *scripted) Converse(ctx context.Context, req model.Request, onText func(string)) (*model.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, req)
	if len(s.turns) == 0 {
		return &model.Response{Message: model.Message{Role: model.RoleAssistant, Content: []model.Block{{Type: model.BlockText, Text: "(script over)"}}}}, nil
	}
	m := s.turns[0]
	s.turns = s.turns[1:]
	return &model.Response{Message: m}, nil
}

func call(id, name string, input any) model.Block {
	b, _ := json.Marshal(input)
	return model.Block{Type: model.BlockToolUse, ToolUseID: id, ToolName: name, Input: b}
}

func turn(blocks ...model.Block) model.Message {
	return model.Message{Role: model.RoleAssistant, Content: blocks}
}

func storeSession(id string) store.Session {
	return store.Session{ID: id, Issuer: "iss", Subject: "jane"}
}
