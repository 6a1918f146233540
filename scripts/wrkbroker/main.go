// Command wrkbroker prepares a wrk run against a running onbehalf broker:
// it asks the broker for Jane's workload access token and for her
// ServiceNow token once (the cold exchange), then prints a wrk Lua script
// that repeats the signed GetResourceOauth2Token request (a vault hit).
// The signature is good for the five minutes of SigV4's clock skew, so a
// run must start within them. scripts/wrk-broker.sh drives it.
//
// Environment (from the dev stack's dev.env): ONBEHALF_IDENTITY_URL,
// WORKLOAD_NAME, WORKLOAD_AWS_ACCESS_KEY_ID, WORKLOAD_AWS_SECRET_ACCESS_KEY,
// AWS_REGION, API_CONNECTOR_CLIENT_ID. Argument: Jane's Token A.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: wrkbroker TOKEN_A > broker.lua")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "wrkbroker:", err)
		os.Exit(1)
	}
}

func run(tokenA string) error {
	base := os.Getenv("ONBEHALF_IDENTITY_URL")
	body, _ := json.Marshal(map[string]string{"workloadName": os.Getenv("WORKLOAD_NAME"), "userToken": tokenA})
	var out struct{ WorkloadAccessToken string }
	if err := call(base+"/identities/GetWorkloadAccessTokenForJWT", body, &out); err != nil {
		return err
	}
	body, _ = json.Marshal(map[string]any{
		"workloadIdentityToken":          out.WorkloadAccessToken,
		"resourceCredentialProviderName": "EntraIdServiceNow",
		"scopes":                         []string{"api://" + os.Getenv("API_CONNECTOR_CLIENT_ID") + "/user_impersonation"},
		"oauth2Flow":                     "ON_BEHALF_OF_TOKEN_EXCHANGE",
	})
	if err := call(base+"/identities/oauth2/token", body, nil); err != nil { // the cold exchange
		return err
	}
	req, err := sign(base+"/identities/oauth2/token", body)
	if err != nil {
		return err
	}
	var lua strings.Builder
	fmt.Fprintf(&lua, "wrk.method = \"POST\"\nwrk.body = %q\n", string(body))
	for k, vs := range req.Header {
		fmt.Fprintf(&lua, "wrk.headers[%q] = %q\n", k, vs[0])
	}
	// Every answer must be 200: wrk counts others as "Non-2xx".
	_, err = fmt.Print(lua.String())
	return err
}

func sign(url string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: os.Getenv("WORKLOAD_AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("WORKLOAD_AWS_SECRET_ACCESS_KEY")}
	err = v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "bedrock-agentcore", os.Getenv("AWS_REGION"), time.Now())
	return req, err
}

func call(url string, body []byte, out any) error {
	req, err := sign(url, body)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
