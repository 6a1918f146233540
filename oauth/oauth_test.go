package oauth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onbehalf/onbehalf/oauth"
)

const (
	testClientID = "a9e17000-0000-4000-8000-000000000002"
	testSecret   = "s3cr+t/with:odd chars&=%"
	testUserJWT  = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJl"
)

var fixedNow = time.Date(2025, 11, 25, 12, 0, 0, 0, time.UTC)

// seen is what the fake token endpoint received.
type seen struct {
	Method        string
	ContentType   string
	Authorization string
	Form          url.Values
}

// tokenServer answers every request with status and body and records it.
func tokenServer(t *testing.T, status int, body string) (*httptest.Server, func() seen) {
	t.Helper()
	var mu sync.Mutex
	var last seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		mu.Lock()
		last = seen{Method: r.Method, ContentType: r.Header.Get("Content-Type"), Authorization: r.Header.Get("Authorization"), Form: r.PostForm}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() seen { mu.Lock(); defer mu.Unlock(); return last }
}

const okBody = `{"token_type":"Bearer","scope":"api://5e7c/user_impersonation","expires_in":3599,"ext_expires_in":3599,"access_token":"TOKEN-B","refresh_token":"REFRESH-B"}`

// newClient retries with a millisecond backoff so failure cases stay fast.
func newClient() *oauth.Client {
	return &oauth.Client{Now: func() time.Time { return fixedNow }, RetryBackoff: time.Millisecond}
}

func postAuth() oauth.ClientAuth {
	return oauth.ClientAuth{ClientID: testClientID, ClientSecret: testSecret, Method: oauth.AuthSecretPost}
}

func TestJWTBearerSendsEntraOBOFormWithSecretInBody(t *testing.T) {
	srv, got := tokenServer(t, 200, okBody)
	extra := url.Values{"requested_token_use": {"on_behalf_of"}}
	tok, err := newClient().JWTBearer(context.Background(), srv.URL, postAuth(), testUserJWT,
		[]string{"api://5e7c/user_impersonation", "offline_access"}, extra)
	if err != nil {
		t.Fatalf("JWTBearer: %v", err)
	}
	want := url.Values{
		"grant_type":          {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":           {testUserJWT},
		"scope":               {"api://5e7c/user_impersonation offline_access"},
		"requested_token_use": {"on_behalf_of"},
		"client_id":           {testClientID},
		"client_secret":       {testSecret},
	}
	s := got()
	if diff := cmp.Diff(want, s.Form); diff != "" {
		t.Errorf("form (-want +got):\n%s", diff)
	}
	if s.Authorization != "" {
		t.Errorf("Authorization header = %q, want none with client_secret_post", s.Authorization)
	}
	if s.Method != http.MethodPost || s.ContentType != "application/x-www-form-urlencoded" {
		t.Errorf("request = %s %s, want POST application/x-www-form-urlencoded", s.Method, s.ContentType)
	}
	wantTok := &oauth.Token{AccessToken: "TOKEN-B", TokenType: "Bearer", RefreshToken: "REFRESH-B",
		Scope: "api://5e7c/user_impersonation", ExpiresAt: fixedNow.Add(3599 * time.Second)}
	if diff := cmp.Diff(wantTok, tok); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
}

func TestClientSecretBasicURLEncodesIDAndSecretAndKeepsThemOutOfTheBody(t *testing.T) {
	srv, got := tokenServer(t, 200, okBody)
	auth := oauth.ClientAuth{ClientID: "my client:1", ClientSecret: testSecret, Method: oauth.AuthSecretBasic}
	if _, err := newClient().ClientCredentials(context.Background(), srv.URL, auth, []string{"api://x/.default"}, nil); err != nil {
		t.Fatalf("ClientCredentials: %v", err)
	}
	s := got()
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("my+client%3A1:s3cr%2Bt%2Fwith%3Aodd+chars%26%3D%25"))
	if s.Authorization != wantAuth {
		t.Errorf("Authorization = %q, want %q", s.Authorization, wantAuth)
	}
	want := url.Values{"grant_type": {"client_credentials"}, "scope": {"api://x/.default"}}
	if diff := cmp.Diff(want, s.Form); diff != "" {
		t.Errorf("form (-want +got):\n%s", diff)
	}
}

func TestEachGrantSendsItsExactForm(t *testing.T) {
	tests := []struct {
		name string
		call func(c *oauth.Client, u string) (*oauth.Token, error)
		want url.Values
	}{
		{
			name: "token exchange with audiences and resources",
			call: func(c *oauth.Client, u string) (*oauth.Token, error) {
				return c.TokenExchange(context.Background(), u, postAuth(), oauth.TokenExchangeRequest{
					SubjectToken: testUserJWT, SubjectTokenType: oauth.TokenTypeJWT,
					RequestedTokenType: oauth.TokenTypeAccessToken,
					Audiences:          []string{"servicenow", "other"}, Resources: []string{"https://sn.example/"},
					Scopes: []string{"read", "write"},
				}, url.Values{"custom": {"1"}})
			},
			want: url.Values{
				"grant_type":           {"urn:ietf:params:oauth:grant-type:token-exchange"},
				"subject_token":        {testUserJWT},
				"subject_token_type":   {"urn:ietf:params:oauth:token-type:jwt"},
				"requested_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
				"audience":             {"servicenow", "other"},
				"resource":             {"https://sn.example/"},
				"scope":                {"read write"},
				"custom":               {"1"},
				"client_id":            {testClientID},
				"client_secret":        {testSecret},
			},
		},
		{
			name: "token exchange with an actor",
			call: func(c *oauth.Client, u string) (*oauth.Token, error) {
				return c.TokenExchange(context.Background(), u, postAuth(), oauth.TokenExchangeRequest{
					SubjectToken: testUserJWT, SubjectTokenType: oauth.TokenTypeJWT,
					ActorToken: "ACTOR", ActorTokenType: oauth.TokenTypeAccessToken,
				}, nil)
			},
			want: url.Values{
				"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
				"subject_token":      {testUserJWT},
				"subject_token_type": {"urn:ietf:params:oauth:token-type:jwt"},
				"actor_token":        {"ACTOR"},
				"actor_token_type":   {"urn:ietf:params:oauth:token-type:access_token"},
				"client_id":          {testClientID},
				"client_secret":      {testSecret},
			},
		},
		{
			name: "client credentials",
			call: func(c *oauth.Client, u string) (*oauth.Token, error) {
				return c.ClientCredentials(context.Background(), u, postAuth(), []string{"api://5e7c/.default"}, nil)
			},
			want: url.Values{
				"grant_type": {"client_credentials"}, "scope": {"api://5e7c/.default"},
				"client_id": {testClientID}, "client_secret": {testSecret},
			},
		},
		{
			name: "password",
			call: func(c *oauth.Client, u string) (*oauth.Token, error) {
				return c.Password(context.Background(), u, postAuth(), "jane.smith@company.com", "pa ss&word", []string{"api://a9e1/access_as_user"})
			},
			want: url.Values{
				"grant_type": {"password"}, "username": {"jane.smith@company.com"}, "password": {"pa ss&word"},
				"scope": {"api://a9e1/access_as_user"}, "client_id": {testClientID}, "client_secret": {testSecret},
			},
		},
		{
			name: "refresh without scopes omits scope",
			call: func(c *oauth.Client, u string) (*oauth.Token, error) {
				return c.Refresh(context.Background(), u, postAuth(), "REFRESH-A", nil)
			},
			want: url.Values{
				"grant_type": {"refresh_token"}, "refresh_token": {"REFRESH-A"},
				"client_id": {testClientID}, "client_secret": {testSecret},
			},
		},
		{
			name: "public client sends only its id",
			call: func(c *oauth.Client, u string) (*oauth.Token, error) {
				return c.ClientCredentials(context.Background(), u, oauth.ClientAuth{ClientID: testClientID}, nil, nil)
			},
			want: url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := tokenServer(t, 200, okBody)
			if _, err := tt.call(newClient(), srv.URL); err != nil {
				t.Fatalf("call: %v", err)
			}
			if diff := cmp.Diff(tt.want, got().Form); diff != "" {
				t.Errorf("form (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExtraParamsAreAddedButNeverOverrideStandardOnes(t *testing.T) {
	srv, got := tokenServer(t, 200, okBody)
	extra := url.Values{
		"grant_type":            {"password"},
		"assertion":             {"FORGED"},
		"scope":                 {"everything"},
		"client_id":             {"other-client"},
		"client_secret":         {"other-secret"},
		"client_assertion":      {"x"},
		"client_assertion_type": {"y"},
		"requested_token_use":   {"on_behalf_of"},
		"prompt":                {"none"},
	}
	auth := oauth.ClientAuth{ClientID: testClientID, ClientSecret: testSecret, Method: oauth.AuthSecretBasic}
	if _, err := newClient().JWTBearer(context.Background(), srv.URL, auth, testUserJWT, []string{"s1"}, extra); err != nil {
		t.Fatalf("JWTBearer: %v", err)
	}
	want := url.Values{
		"grant_type":          {oauth.GrantTypeJWTBearer},
		"assertion":           {testUserJWT},
		"scope":               {"s1"},
		"requested_token_use": {"on_behalf_of"},
		"prompt":              {"none"},
	}
	if diff := cmp.Diff(want, got().Form); diff != "" {
		t.Errorf("form (-want +got):\n%s", diff)
	}
}

func TestExpiresInAsStringOrMissing(t *testing.T) {
	tests := []struct {
		body string
		want time.Time
	}{
		{`{"access_token":"T","token_type":"Bearer","expires_in":"3600"}`, fixedNow.Add(time.Hour)},
		{`{"access_token":"T","token_type":"Bearer","expires_in":60}`, fixedNow.Add(time.Minute)},
		{`{"access_token":"T","token_type":"Bearer"}`, time.Time{}},
	}
	for _, tt := range tests {
		srv, _ := tokenServer(t, 200, tt.body)
		tok, err := newClient().ClientCredentials(context.Background(), srv.URL, postAuth(), nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.body, err)
		}
		if !tok.ExpiresAt.Equal(tt.want) {
			t.Errorf("%s: ExpiresAt = %v, want %v", tt.body, tok.ExpiresAt, tt.want)
		}
	}
}

const consentBody = `{"error":"invalid_grant","error_description":"AADSTS65001: The user or administrator has not consented to use the application with ID 'a9e17000-0000-4000-8000-000000000002' named 'ServiceNow Agent'.\r\nTrace ID: 0f1e2d3c\r\nCorrelation ID: 9a8b7c6d\r\nTimestamp: 2025-11-25 12:00:00Z","error_codes":[65001],"timestamp":"2025-11-25 12:00:00Z","trace_id":"0f1e2d3c","correlation_id":"9a8b7c6d","suberror":"consent_required"}`

func TestEntraErrorResponseBecomesTypedError(t *testing.T) {
	srv, _ := tokenServer(t, 400, consentBody)
	_, err := newClient().JWTBearer(context.Background(), srv.URL, postAuth(), testUserJWT, []string{"s"}, nil)
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		t.Fatalf("err = %v, want *oauth.Error", err)
	}
	if oe.StatusCode != 400 || oe.Code != "invalid_grant" || oe.TraceID != "0f1e2d3c" || oe.CorrelationID != "9a8b7c6d" {
		t.Errorf("got %+v", oe)
	}
	if diff := cmp.Diff([]int{65001}, oe.ErrorCodes); diff != "" {
		t.Errorf("ErrorCodes (-want +got):\n%s", diff)
	}
	if !oe.HasErrorCode(65001) || oe.HasErrorCode(500131) {
		t.Errorf("HasErrorCode: 65001=%t 500131=%t, want true false", oe.HasErrorCode(65001), oe.HasErrorCode(500131))
	}
	want := "oauth: invalid_grant: AADSTS65001: The user or administrator has not consented to use the application with ID 'a9e17000-0000-4000-8000-000000000002' named 'ServiceNow Agent'."
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err.Error(), want)
	}
	if errors.Is(err, oauth.ErrUnavailable) {
		t.Errorf("a 400 invalid_grant must not match ErrUnavailable")
	}
}

func TestInteractionRequiredKeepsClaimsChallenge(t *testing.T) {
	body := `{"error":"interaction_required","error_description":"AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.","error_codes":[50076],"claims":"{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"1\"]}}}"}`
	srv, _ := tokenServer(t, 400, body)
	_, err := newClient().JWTBearer(context.Background(), srv.URL, postAuth(), testUserJWT, nil, nil)
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Code != oauth.ErrCodeInteractionRequired {
		t.Fatalf("err = %v, want *oauth.Error interaction_required", err)
	}
	if oe.Claims != `{"access_token":{"capolids":{"essential":true,"values":["1"]}}}` {
		t.Errorf("Claims = %q", oe.Claims)
	}
}

func TestUnavailableOnServerFailureGarbageOrNoServer(t *testing.T) {
	closed := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		u := "http://" + ln.Addr().String() + "/token"
		ln.Close()
		return u
	}
	server := func(status int, body string) func(t *testing.T) string {
		return func(t *testing.T) string { srv, _ := tokenServer(t, status, body); return srv.URL }
	}
	tests := []struct {
		name      string
		url       func(t *testing.T) string
		wantOAuth string // the *Error code when the server sent one
	}{
		{"connection refused", closed, ""},
		{"500 html", server(500, "<html>oops SECRET-BODY</html>"), ""},
		{"502 empty", server(502, ""), ""},
		{"503 temporarily_unavailable", server(503, `{"error":"temporarily_unavailable","error_description":"try later"}`), "temporarily_unavailable"},
		{"429 throttled", server(429, `{"error":"invalid_request","error_description":"AADSTS50196: loop detected"}`), "invalid_request"},
		{"200 not json", server(200, "access_token=SECRET-BODY"), ""},
		{"200 json without access_token", server(200, `{"token_type":"Bearer","id_token":"SECRET-BODY"}`), ""},
		{"400 not json", server(400, "Bad Request SECRET-BODY"), ""},
		{"401 json without error", server(401, `{"message":"SECRET-BODY"}`), ""},
		{"oversized", server(200, `{"access_token":"`+strings.Repeat("A", oauth.MaxResponseBytes)+`"}`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newClient().JWTBearer(context.Background(), tt.url(t), postAuth(), testUserJWT, []string{"s"}, nil)
			if !errors.Is(err, oauth.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			var oe *oauth.Error
			if got := errors.As(err, &oe); got != (tt.wantOAuth != "") || (got && oe.Code != tt.wantOAuth) {
				t.Errorf("errors.As *oauth.Error = %t (%v), want code %q", got, oe, tt.wantOAuth)
			}
			assertNoSecrets(t, err.Error())
		})
	}
}

func TestRedirectIsNotFollowedWithTheSecret(t *testing.T) {
	var hits int
	var mu sync.Mutex
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		io.WriteString(w, okBody)
	}))
	defer evil.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+"/token", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()

	_, err := newClient().JWTBearer(context.Background(), redirector.URL, postAuth(), testUserJWT, nil, nil)
	if !errors.Is(err, oauth.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 0 {
		t.Errorf("redirect target got %d requests, want 0", hits)
	}
}

func TestCanceledContextIsUnavailableAndCanceled(t *testing.T) {
	srv, _ := tokenServer(t, 200, okBody)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newClient().ClientCredentials(ctx, srv.URL, postAuth(), nil, nil)
	if !errors.Is(err, oauth.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want ErrUnavailable and context.Canceled", err)
	}
}

func TestRejectsBadInputBeforeSendingAnything(t *testing.T) {
	srv, got := tokenServer(t, 200, okBody)
	c := newClient()
	ctx := context.Background()
	errs := map[string]error{}
	_, errs["no assertion"] = c.JWTBearer(ctx, srv.URL, postAuth(), "", nil, nil)
	_, errs["no subject"] = c.TokenExchange(ctx, srv.URL, postAuth(), oauth.TokenExchangeRequest{SubjectTokenType: oauth.TokenTypeJWT}, nil)
	_, errs["actor without type"] = c.TokenExchange(ctx, srv.URL, postAuth(), oauth.TokenExchangeRequest{SubjectToken: "s", SubjectTokenType: oauth.TokenTypeJWT, ActorToken: "a"}, nil)
	_, errs["no client id"] = c.ClientCredentials(ctx, srv.URL, oauth.ClientAuth{ClientSecret: testSecret}, nil, nil)
	_, errs["unknown method"] = c.ClientCredentials(ctx, srv.URL, oauth.ClientAuth{ClientID: "c", ClientSecret: testSecret, Method: "private_key_jwt"}, nil, nil)
	_, errs["relative url"] = c.ClientCredentials(ctx, "/token", postAuth(), nil, nil)
	for name, err := range errs {
		if err == nil || errors.Is(err, oauth.ErrUnavailable) {
			t.Errorf("%s: err = %v, want a non-nil input error that is not ErrUnavailable", name, err)
			continue
		}
		assertNoSecrets(t, err.Error())
	}
	if s := got(); s.Method != "" {
		t.Errorf("server received a request (%s); bad input must fail before sending", s.Method)
	}
}

// assertNoSecrets fails when s holds any credential or body marker used in
// these tests.
func assertNoSecrets(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{testSecret, url.QueryEscape(testSecret), testUserJWT, "SECRET-BODY", "TOKEN-B", "REFRESH", "pa ss&word"} {
		if strings.Contains(s, secret) {
			t.Errorf("error text %q contains secret %q", s, secret)
		}
	}
}

func TestStringersHideSecrets(t *testing.T) {
	tok := &oauth.Token{AccessToken: "TOKEN-B", RefreshToken: "REFRESH-B", TokenType: "Bearer"}
	assertNoSecrets(t, fmt.Sprint(tok))
	assertNoSecrets(t, fmt.Sprintf("%v %+v", postAuth(), postAuth()))
}
