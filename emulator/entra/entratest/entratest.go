// Package entratest starts the Entra ID emulator for the tests of other
// packages: the development tenant of entra.DevConfig on 127.0.0.1 with
// fresh random secrets, stopped when the test ends, and helpers that fetch
// user tokens the way a real client would (over HTTP).
package entratest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

// Tenant is a running development tenant.
type Tenant struct {
	*entra.Server
	URL          string // base URL, e.g. http://127.0.0.1:41234
	AgentSecret  string // client secret of entra.DevAgentClientID
	UserPassword string // password of every dev user
}

// AgentScope is the scope of Token A; ConnectorScope the scope of Token B.
var (
	AgentScope     = "api://" + entra.DevAgentClientID + "/access_as_user"
	ConnectorScope = "api://" + entra.DevConnectorClientID + "/user_impersonation"
)

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error
)

// sharedKey is one RSA key per test binary: generating one per tenant is
// the slowest part of starting it. Set Config.SigningKey to differ.
func sharedKey() (*rsa.PrivateKey, error) {
	keyOnce.Do(func() { key, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	return key, keyErr
}

// Start runs the development tenant until the test ends; edit may adjust
// the configuration (Now, Logger, extra Apps or Users, ...).
func Start(tb testing.TB, edit ...func(*entra.Config)) *Tenant {
	tb.Helper()
	k, err := sharedKey()
	if err != nil {
		tb.Fatalf("entratest: signing key: %v", err)
	}
	ts := httptest.NewUnstartedServer(nil)
	t := &Tenant{URL: "http://" + ts.Listener.Addr().String(), AgentSecret: randomSecret(), UserPassword: randomSecret()}
	cfg := entra.DevConfig(t.URL, t.AgentSecret, t.UserPassword)
	cfg.SigningKey = k
	for _, e := range edit {
		e(&cfg)
	}
	srv, err := entra.New(cfg)
	if err != nil {
		ts.Close()
		tb.Fatalf("entratest: %v", err)
	}
	t.Server = srv
	ts.Config.Handler = srv
	ts.Start()
	tb.Cleanup(ts.Close)
	return t
}

// TokenA is the user's token for the agent API, issued to the agent app
// (password grant), as the chat UI would hold it.
func (t *Tenant) TokenA(tb testing.TB, upn string) string {
	tb.Helper()
	return t.UserToken(tb, upn, AgentScope)
}

// UserToken gets a token for upn issued to the agent app for scope with
// the password grant; the test fails on any error.
func (t *Tenant) UserToken(tb testing.TB, upn, scope string) string {
	tb.Helper()
	resp, err := http.PostForm(t.TokenURL(), url.Values{
		"grant_type":    {entra.GrantPassword},
		"client_id":     {entra.DevAgentClientID},
		"client_secret": {t.AgentSecret},
		"username":      {upn},
		"password":      {t.UserPassword},
		"scope":         {scope},
	})
	if err != nil {
		tb.Fatalf("entratest: token request: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken      string `json:"access_token"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		tb.Fatalf("entratest: token response: %v", err)
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		tb.Fatalf("entratest: token for %s: %d %s: %s", upn, resp.StatusCode, body.Error, body.ErrorDescription)
	}
	return body.AccessToken
}

func randomSecret() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
