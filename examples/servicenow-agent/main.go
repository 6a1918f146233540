// Command servicenow-agent is the article's main.py in Go: a ServiceNow
// assistant that acts as the signed-in user through On-Behalf-Of.
//
// It serves the AgentCore Runtime container contract (POST /invocations,
// GET /ping on :8080), so the same binary runs behind onbehalf's runtime
// and on AWS AgentCore Runtime. It never sees Token A: the runtime hands
// it a workload access token, which the identity broker (onbehalf's, at
// ONBEHALF_IDENTITY_URL, or AgentCore Identity when that is empty) trades
// for the user's ServiceNow token.
package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/identity/awsapi"
	"github.com/onbehalf/onbehalf/incidentagent"
	"github.com/onbehalf/onbehalf/model/pick"
	"github.com/onbehalf/onbehalf/runtime"
	"github.com/onbehalf/onbehalf/servicenow"
)

func main() {
	ctx := context.Background()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatalf("AWS configuration: %v", err)
	}
	snowToken := identity.TokenSource{
		Getter:   awsapi.NewRemoteClient(awsCfg, os.Getenv("ONBEHALF_IDENTITY_URL")),
		Provider: env("PROVIDER_NAME", "EntraIdServiceNow"),
		Scopes:   strings.Fields(os.Getenv("SNOW_SCOPES")), // api://<API_CONNECTOR_CLIENT_ID>/user_impersonation
		Flow:     "ON_BEHALF_OF_TOKEN_EXCHANGE",
	}
	snow := &servicenow.Client{BaseURL: os.Getenv("SNOW_INSTANCE_URL"), Tokens: snowToken}
	model, why, err := pick.Choose(ctx, pick.Spec{Provider: env("MODEL_PROVIDER", pick.Auto), ID: os.Getenv("MODEL_ID")}, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("model: %s (%s)", model.Name(), why)

	app := &runtime.App{Handler: incidentagent.Handler(incidentagent.Config{
		Model: model,
		Tools: servicenow.Tools(snow),
		Token: snowToken.Token, // the article's fetch_snow_token
	})}
	log.Fatal(http.ListenAndServe(env("LISTEN", "0.0.0.0:8080"), app))
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
