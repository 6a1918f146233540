package openai

import (
	"encoding/json"
	"testing"

	"github.com/onbehalf/onbehalf/model/internal/providertest"
)

type reply = providertest.Reply

const requestID = "req_6d5b2c9a0f1e4e0a8b1c2d3e4f5a6b7c"

// fakeOptions make the fake answer like the chat completions API.
var fakeOptions = providertest.Options{
	Header:     map[string]string{"Content-Type": "text/event-stream"},
	Unscripted: reply{Status: 500, Body: []byte(`{"error":{"type":"server_error","message":"no reply scripted"}}`)},
}

// startFake starts a local chat completions API that plays replies in
// order.
func startFake(t *testing.T, replies ...reply) *providertest.Fake {
	t.Helper()
	return providertest.Start(t, fakeOptions, replies...)
}

// sse is a 200 reply streaming testdata/name.
func sse(t *testing.T, name string) reply {
	t.Helper()
	return reply{Body: providertest.Testdata(t, name)}
}

// apiError is an error reply in OpenAI's JSON error shape.
func apiError(status int, typ, code, msg string, header map[string]string) reply {
	var c any
	if code != "" {
		c = code
	}
	body, _ := json.Marshal(map[string]any{
		"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": c},
	})
	h := map[string]string{"Content-Type": "application/json", "x-request-id": requestID}
	for k, v := range header {
		h[k] = v
	}
	return reply{Status: status, Header: h, Body: body}
}

const testKey = "sk-proj-TESTKEY-never-shown-0123456789abcdef"

// newTestProvider returns a Provider talking to f with an injected Sleep.
func newTestProvider(t *testing.T, f *providertest.Fake, maxRetries int) (*Provider, *providertest.Sleeper) {
	t.Helper()
	s := &providertest.Sleeper{}
	p, err := New(Options{
		APIKey: testKey, BaseURL: f.URL() + "/v1", HTTPClient: f.Client(),
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
