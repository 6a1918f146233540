package anthropic

import (
	"encoding/json"
	"testing"

	"github.com/onbehalf/onbehalf/model/internal/providertest"
)

type reply = providertest.Reply

const requestID = "req_011CSHoEeqs5C35K2UUqR7Fy"

// fakeOptions make the fake answer like the Messages API.
var fakeOptions = providertest.Options{
	Header:     map[string]string{"Content-Type": "text/event-stream", "request-id": requestID},
	Unscripted: reply{Status: 500, Body: []byte(`{"type":"error","error":{"type":"api_error","message":"no reply scripted"}}`)},
}

// startFake starts a local Messages API that plays replies in order.
func startFake(t *testing.T, replies ...reply) *providertest.Fake {
	t.Helper()
	return providertest.Start(t, fakeOptions, replies...)
}

// sse is a 200 reply streaming testdata/name.
func sse(t *testing.T, name string) reply {
	t.Helper()
	return reply{Body: providertest.Testdata(t, name)}
}

// apiError is an error reply in the API's JSON error shape.
func apiError(status int, typ, msg string, header map[string]string) reply {
	body, _ := json.Marshal(map[string]any{
		"type":       "error",
		"error":      map[string]string{"type": typ, "message": msg},
		"request_id": requestID,
	})
	h := map[string]string{"Content-Type": "application/json", "request-id": requestID}
	for k, v := range header {
		h[k] = v
	}
	return reply{Status: status, Header: h, Body: body}
}

const testKey = "sk-ant-api03-TESTKEY-never-shown-0123456789"

// newTestProvider returns a Provider talking to f with an injected Sleep.
func newTestProvider(t *testing.T, f *providertest.Fake, maxRetries int) (*Provider, *providertest.Sleeper) {
	t.Helper()
	s := &providertest.Sleeper{}
	p, err := New(Options{
		APIKey: testKey, BaseURL: f.URL(), HTTPClient: f.Client(),
		MaxRetries: maxRetries, Sleep: s.Sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, s
}

var (
	get         = providertest.Get
	userRequest = providertest.UserRequest
)
