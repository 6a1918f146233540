package sigv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/onbehalf/onbehalf/sigv4"
)

var signingTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// sdkRequest describes one request signed by the AWS SDK for Go v2 signer.
type sdkRequest struct {
	method string // default POST
	path   string // default /identities/GetWorkloadAccessToken; escaped form
	query  string
	body   string // default a GetWorkloadAccessToken body
	header http.Header

	keyID, secret, token string              // default the workload key
	region, service      string              // default us-east-1, bedrock-agentcore
	at                   time.Time           // default signingTime
	payloadHash          string              // default the body's SHA-256
	tamper               func(*http.Request) // runs after signing
}

const wlBody = `{"workloadName":"servicenow-agent-workload"}`

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// send signs c with the Go SDK's v4.Signer and sends it to srv under the
// case name; it returns the HTTP status.
func (c sdkRequest) send(t *testing.T, srv *verifyServer, name string) int {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.path == "" {
		c.path = "/identities/GetWorkloadAccessToken"
	}
	if c.body == "" && c.method == http.MethodPost {
		c.body = wlBody
	}
	if c.keyID == "" {
		c.keyID = workloadKeyID
	}
	if c.secret == "" {
		c.secret = workloadSecret
	}
	if c.region == "" {
		c.region = "us-east-1"
	}
	if c.service == "" {
		c.service = service
	}
	if c.at.IsZero() {
		c.at = signingTime
	}
	if c.payloadHash == "" {
		c.payloadHash = sha256Hex(c.body)
	}
	target := srv.URL + c.path
	if c.query != "" {
		target += "?" + c.query
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	creds := aws.Credentials{AccessKeyID: c.keyID, SecretAccessKey: c.secret, SessionToken: c.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, c.payloadHash, c.service, c.region, c.at); err != nil {
		t.Fatal(err)
	}
	if c.tamper != nil {
		c.tamper(req)
	}
	req.Header.Set("X-Test-Case", name) // unsigned: added after signing
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func newVerifier(t testing.TB) *sigv4.Verifier {
	return &sigv4.Verifier{Credentials: testStore(t), Service: service, Now: fixedClock(signingTime)}
}

func replaceBody(s string) func(*http.Request) {
	return func(r *http.Request) {
		r.Body = io.NopCloser(strings.NewReader(s))
		r.ContentLength = int64(len(s))
	}
}

func TestGoSDKSignedRequestsVerify(t *testing.T) {
	srv := startVerifyServer(t, newVerifier(t))
	cases := map[string]struct {
		req           sdkRequest
		wantPrincipal string
		wantBody      string
	}{
		"workload key": {req: sdkRequest{}, wantPrincipal: workloadName, wantBody: wlBody},
		"admin key":    {req: sdkRequest{keyID: adminKeyID, secret: adminSecret}, wantPrincipal: "admin", wantBody: wlBody},
		"oauth2 token path": {
			req:           sdkRequest{path: "/identities/oauth2/token", body: `{"scopes":["a b"]}`},
			wantPrincipal: workloadName, wantBody: `{"scopes":["a b"]}`,
		},
		"path with space and non-ASCII": {req: sdkRequest{path: "/a%20b/%C3%BC"}, wantPrincipal: workloadName},
		"path with encoded slash and reserved characters": {
			req: sdkRequest{path: "/identities/x%2Fy/a:b@c!$&'()*+,;=/~tilde"}, wantPrincipal: workloadName,
		},
		"query unsorted with repeated keys and spaces": {
			req: sdkRequest{query: "b=2&a=z&a=1&c=hello%20world&empty=&k%2Fslash=%2F"}, wantPrincipal: workloadName,
		},
		"GET without body": {req: sdkRequest{method: http.MethodGet}, wantPrincipal: workloadName},
		"header with odd whitespace": {
			req: sdkRequest{header: http.Header{"X-Custom": {"  a   b \t  c  "}}}, wantPrincipal: workloadName,
		},
		"header sent twice": {
			req: sdkRequest{header: http.Header{"X-Custom": {"first  value", " second"}}}, wantPrincipal: workloadName,
		},
		"unsigned header added after signing": {
			req: sdkRequest{tamper: func(r *http.Request) { r.Header.Set("X-Added-Later", "x") }}, wantPrincipal: workloadName,
		},
		"temporary credential with its session token": {
			req: sdkRequest{keyID: tempKeyID, secret: tempSecret, token: tempToken}, wantPrincipal: "workload:temporary",
		},
		"S3-style x-amz-content-sha256 with the real hash": {
			req:           sdkRequest{header: http.Header{"X-Amz-Content-Sha256": {sha256Hex(wlBody)}}},
			wantPrincipal: workloadName,
		},
		"signed 4 minutes ago":            {req: sdkRequest{at: signingTime.Add(-4 * time.Minute)}, wantPrincipal: workloadName},
		"signed 4 minutes in future":      {req: sdkRequest{at: signingTime.Add(4 * time.Minute)}, wantPrincipal: workloadName},
		"any region when Region is empty": {req: sdkRequest{region: "eu-west-1"}, wantPrincipal: workloadName},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if status := tc.req.send(t, srv, name); status != http.StatusOK {
				t.Errorf("status = %d, want 200 (err %v)", status, srv.outcome(t, name).err)
			}
			o := srv.outcome(t, name)
			if o.err != nil {
				t.Fatalf("Verify error = %v, want none", o.err)
			}
			if o.res.Principal != tc.wantPrincipal {
				t.Errorf("Principal = %q, want %q", o.res.Principal, tc.wantPrincipal)
			}
			if tc.wantBody != "" && o.body != tc.wantBody {
				t.Errorf("handler read body %q, want %q", o.body, tc.wantBody)
			}
			if o.res.AccessKeyID == "" || o.res.Region == "" || o.res.Service != service {
				t.Errorf("Result = %+v, want key, region and service filled", o.res)
			}
			if !o.res.SigningTime.Equal(firstNonZero(tc.req.at, signingTime)) {
				t.Errorf("SigningTime = %v, want %v", o.res.SigningTime, firstNonZero(tc.req.at, signingTime))
			}
		})
	}
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func TestGoSDKResultCarriesScopeAndSignedHeaders(t *testing.T) {
	srv := startVerifyServer(t, newVerifier(t))
	sdkRequest{keyID: tempKeyID, secret: tempSecret, token: tempToken, region: "eu-central-1"}.send(t, srv, "r")
	o := srv.outcome(t, "r")
	if o.err != nil {
		t.Fatal(o.err)
	}
	want := []string{"content-length", "content-type", "host", "x-amz-date", "x-amz-security-token"}
	if strings.Join(o.res.SignedHeaders, ";") != strings.Join(want, ";") {
		t.Errorf("SignedHeaders = %v, want %v", o.res.SignedHeaders, want)
	}
	if o.res.AccessKeyID != tempKeyID || o.res.Region != "eu-central-1" || !o.res.Temporary {
		t.Errorf("Result = %+v, want key %s, region eu-central-1, temporary", o.res, tempKeyID)
	}
}

func TestGoSDKRefusals(t *testing.T) {
	v := newVerifier(t)
	v.MaxBodyBytes = 4096
	srv := startVerifyServer(t, v)
	regional := newVerifier(t)
	regional.Region = "us-east-1"
	regionalSrv := startVerifyServer(t, regional)

	signedHeaders := func(from, to string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), from, to, 1))
		}
	}
	cases := map[string]struct {
		srv        *verifyServer
		req        sdkRequest
		want       error
		wantStatus int
	}{
		"tampered body": {req: sdkRequest{tamper: replaceBody(strings.Replace(wlBody, "servicenow", "hr-records", 1))}, want: sigv4.ErrSignatureMismatch},
		"tampered path": {req: sdkRequest{tamper: func(r *http.Request) { r.URL.Path = "/identities/GetWorkloadAccessTokenForUserId" }}, want: sigv4.ErrSignatureMismatch},
		"tampered encoded path": {
			req:  sdkRequest{path: "/a%20b/%C3%BC", tamper: func(r *http.Request) { r.URL.Path, r.URL.RawPath = "/a b/u", "" }},
			want: sigv4.ErrSignatureMismatch,
		},
		"tampered query":        {req: sdkRequest{query: "a=1", tamper: func(r *http.Request) { r.URL.RawQuery = "a=2" }}, want: sigv4.ErrSignatureMismatch},
		"query added":           {req: sdkRequest{tamper: func(r *http.Request) { r.URL.RawQuery = "admin=true" }}, want: sigv4.ErrSignatureMismatch},
		"tampered header value": {req: sdkRequest{tamper: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }}, want: sigv4.ErrSignatureMismatch},
		"repeated header values reordered": {
			req: sdkRequest{
				header: http.Header{"X-Custom": {"a", "b"}},
				tamper: func(r *http.Request) { r.Header["X-Custom"] = []string{"b", "a"} },
			},
			want: sigv4.ErrSignatureMismatch,
		},
		"tampered method":    {req: sdkRequest{tamper: func(r *http.Request) { r.Method = http.MethodPut }}, want: sigv4.ErrSignatureMismatch},
		"wrong secret":       {req: sdkRequest{secret: "not-the-secret"}, want: sigv4.ErrSignatureMismatch},
		"other key's secret": {req: sdkRequest{keyID: workloadKeyID, secret: adminSecret}, want: sigv4.ErrSignatureMismatch},
		"unknown key":        {req: sdkRequest{keyID: "AKIAUNKNOWN", secret: "x"}, want: sigv4.ErrUnknownAccessKey},
		"signed 6 minutes ago": {
			req: sdkRequest{at: signingTime.Add(-6 * time.Minute)}, want: sigv4.ErrRequestExpired,
		},
		"signed 6 minutes in the future": {
			req: sdkRequest{at: signingTime.Add(6 * time.Minute)}, want: sigv4.ErrRequestExpired,
		},
		"wrong service":             {req: sdkRequest{service: "bedrock-agentcore-control"}, want: sigv4.ErrWrongService},
		"wrong region":              {srv: regionalSrv, req: sdkRequest{region: "eu-west-1"}, want: sigv4.ErrWrongRegion},
		"host not in SignedHeaders": {req: sdkRequest{tamper: signedHeaders("content-type;host;", "content-type;")}, want: sigv4.ErrUnsignedHeader},
		"x-amz-date not signed":     {req: sdkRequest{tamper: signedHeaders(";x-amz-date", "")}, want: sigv4.ErrUnsignedHeader},
		"signed header removed":     {req: sdkRequest{header: http.Header{"X-Custom": {"v"}}, tamper: func(r *http.Request) { r.Header.Del("X-Custom") }}, want: sigv4.ErrMissingSignedHeader},
		"SignedHeaders not sorted":  {req: sdkRequest{tamper: signedHeaders("content-type;host", "host;content-type")}, want: sigv4.ErrMalformedAuth},
		"X-Amz-Date removed":        {req: sdkRequest{tamper: func(r *http.Request) { r.Header.Del("X-Amz-Date") }}, want: sigv4.ErrMalformedAuth},
		"X-Amz-Date of another day": {req: sdkRequest{tamper: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20250602T120000Z") }}, want: sigv4.ErrMalformedAuth},
		"X-Amz-Date moved 1 second": {req: sdkRequest{tamper: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20250601T120001Z") }}, want: sigv4.ErrSignatureMismatch},
		"no Authorization":          {req: sdkRequest{tamper: func(r *http.Request) { r.Header.Del("Authorization") }}, want: sigv4.ErrMissingAuth},
		"bearer Authorization":      {req: sdkRequest{tamper: func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }}, want: sigv4.ErrMalformedAuth},
		"signature not hex":         {req: sdkRequest{tamper: signedHeaders("Signature=", "Signature=zz")}, want: sigv4.ErrMalformedAuth},
		"session token for long-term key": {
			req: sdkRequest{token: "some-token"}, want: sigv4.ErrInvalidSessionToken,
		},
		"temporary key without session token": {
			req: sdkRequest{keyID: tempKeyID, secret: tempSecret}, want: sigv4.ErrInvalidSessionToken,
		},
		"temporary key with another session token": {
			req: sdkRequest{keyID: tempKeyID, secret: tempSecret, token: tempToken + "x"}, want: sigv4.ErrInvalidSessionToken,
		},
		"session token not signed": {
			req:  sdkRequest{keyID: tempKeyID, secret: tempSecret, tamper: func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", tempToken) }},
			want: sigv4.ErrUnsignedHeader,
		},
		"UNSIGNED-PAYLOAD": {
			req:  sdkRequest{payloadHash: "UNSIGNED-PAYLOAD", header: http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}}},
			want: sigv4.ErrUnsignedPayload,
		},
		"x-amz-content-sha256 of another body": {
			req: sdkRequest{
				payloadHash: sha256Hex(`{}`),
				header:      http.Header{"X-Amz-Content-Sha256": {sha256Hex(`{}`)}},
			},
			want: sigv4.ErrPayloadHashMismatch,
		},
		"body over MaxBodyBytes": {
			req: sdkRequest{body: `{"workloadName":"` + strings.Repeat("x", 5000) + `"}`}, want: sigv4.ErrBodyTooLarge, wantStatus: http.StatusRequestEntityTooLarge,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := tc.srv
			if s == nil {
				s = srv
			}
			status := tc.req.send(t, s, name)
			o := s.outcome(t, name)
			if !errors.Is(o.err, tc.want) {
				t.Fatalf("Verify error = %v, want %v", o.err, tc.want)
			}
			wantStatus := tc.wantStatus
			if wantStatus == 0 {
				wantStatus = http.StatusForbidden
			}
			if status != wantStatus {
				t.Errorf("status = %d, want %d", status, wantStatus)
			}
		})
	}
}

// An error message must never carry the signature or a secret, whatever
// the client sent.
func TestErrorsNeverEchoSignatureOrSecrets(t *testing.T) {
	srv := startVerifyServer(t, newVerifier(t))
	var sig string
	grab := func(r *http.Request) {
		_, sig, _ = strings.Cut(r.Header.Get("Authorization"), "Signature=")
	}
	cases := map[string]sdkRequest{
		"mismatch":  {secret: "wrong", tamper: grab},
		"temporary": {keyID: tempKeyID, secret: tempSecret, token: "leaky-token-value"},
	}
	for name, c := range cases {
		c.send(t, srv, name)
		o := srv.outcome(t, name)
		if o.err == nil {
			t.Fatalf("%s: want an error", name)
		}
		msg := o.err.Error()
		for _, secret := range []string{sig, workloadSecret, tempSecret, tempToken, "leaky-token-value"} {
			if secret != "" && strings.Contains(msg, secret) {
				t.Errorf("%s: error %q contains a secret or signature", name, msg)
			}
		}
	}
}

func TestPresignedURLIsRefused(t *testing.T) {
	srv := startVerifyServer(t, newVerifier(t))
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/identities/GetWorkloadAccessToken", nil)
	if err != nil {
		t.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: workloadKeyID, SecretAccessKey: workloadSecret}
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, sha256Hex(""), service, "us-east-1", signingTime)
	if err != nil {
		t.Fatal(err)
	}
	req, err = http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Test-Case", "presigned")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := srv.outcome(t, "presigned").err; !errors.Is(err, sigv4.ErrMalformedAuth) {
		t.Fatalf("Verify error = %v, want ErrMalformedAuth", err)
	}
}
