package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/config"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/stack"
)

// Two agents behind one runtime, each at /runtimes/<name>/invocations with
// its own authorizer and workload identity: Jane's dev token works for the
// dev agent (by name, by ARN, and as the default at /invocations) and is
// refused by the partner agent, whose IdP audience it lacks, both at the
// runtime and at the broker (no workload access token for the partner's
// workload, nor for a workload no agent runs as).
func TestTwoAgentsBehindOneRuntime(t *testing.T) {
	d, _ := startTestDev(t)
	cfg, err := (&configFlags{dataDir: d.Env[envDataDir]}).load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Runtime.Listen, cfg.Identity.Listen, cfg.Runtime.UI = "127.0.0.1:0", "127.0.0.1:0", nil
	partner := cfg.Runtime.Agents[0]
	partner.Name, partner.WorkloadIdentity = "partner", "partner-agent-workload"
	partner.AuthorizerConfiguration.CustomJWTAuthorizer.AllowedAudience = []string{"api://partner-only"}
	partner.AuthorizerConfiguration.CustomJWTAuthorizer.AllowedClients = nil
	cfg.Runtime.Agents = append(cfg.Runtime.Agents, partner)
	cfg.Identity.WorkloadIdentities = append(cfg.Identity.WorkloadIdentities,
		config.WorkloadIdentity{Name: "partner-agent-workload"},
		config.WorkloadIdentity{Name: "no-agent-workload"}) // no agent runs as it
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := stack.Start(context.Background(), cfg, stack.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	jane := tokenFor(t, d, "jane.smith@company.com")

	arn := "arn:aws:bedrock-agentcore:us-east-1:000000000000:runtime/" + devAgentName
	for _, agent := range []string{"", devAgentName, arn} {
		out, errOut, err := run(t, "invoke", "--url", s.RuntimeURL, "--agent", agent, "--bearer-token", jane, "Show me 5 incidents assigned to me")
		if err != nil {
			t.Fatalf("invoke --agent %q: %v\n%s", agent, err, errOut)
		}
		if got := rows(out); !slices.Equal(got, janesFive) {
			t.Errorf("invoke --agent %q rows = %q, want Jane's five", agent, got)
		}
	}
	_, errOut, err := run(t, "invoke", "--url", s.RuntimeURL, "--agent", "partner", "--bearer-token", jane, "Show me 5 incidents assigned to me")
	if err == nil || !strings.Contains(err.Error()+errOut, "401") {
		t.Errorf("Jane's token at the partner agent: %v %s, want a 401", err, errOut)
	}
	if _, _, err := run(t, "invoke", "--url", s.RuntimeURL, "--agent", "nobody", "--bearer-token", jane, "hi"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("an unknown agent: %v, want a 404", err)
	}

	// The broker verifies Token A for the workload it is presented for.
	ctx := context.Background()
	if _, err := s.Broker.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: "partner-agent-workload", UserToken: jane}); identity.ErrorType(err) != identity.UnauthorizedException {
		t.Errorf("a WAT for the partner's workload with Jane's dev token: %v, want UnauthorizedException", err)
	}
	// A workload no agent runs as accepts no user token: nothing says whose.
	if _, err := s.Broker.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: "no-agent-workload", UserToken: jane}); identity.ErrorType(err) != identity.UnauthorizedException {
		t.Errorf("a WAT for a workload no agent runs as: %v, want UnauthorizedException", err)
	}
	if _, err := s.Broker.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: devWorkload, UserToken: jane}); err != nil {
		t.Errorf("a WAT for the dev agent's workload: %v", err)
	}

	// Each agent's protected resource metadata names its IdP.
	resp, err := http.Get(s.RuntimeURL + "/.well-known/oauth-protected-resource/runtimes/partner/invocations")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var meta struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("metadata: %d %v", resp.StatusCode, err)
	}
	issuer := strings.TrimSuffix(partner.AuthorizerConfiguration.CustomJWTAuthorizer.DiscoveryURL, "/.well-known/openid-configuration")
	if meta.Resource != s.RuntimeURL+"/runtimes/partner/invocations" || !slices.Equal(meta.AuthorizationServers, []string{issuer}) {
		t.Errorf("partner metadata = %+v, want its resource and issuer %s", meta, issuer)
	}
	if _, err := url.Parse(issuer); err != nil || !strings.HasPrefix(issuer, "http") {
		t.Errorf("issuer %q is not a URL", issuer)
	}
}
