package bedrock

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"

	"github.com/onbehalf/onbehalf/model/internal/providertest"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

type reply = providertest.Reply

// streamReply is a ConverseStream reply: testdata/name (JSON lines) encoded
// as event-stream frames.
func streamReply(t *testing.T, name string) reply {
	t.Helper()
	raw := providertest.Testdata(t, name)
	var buf bytes.Buffer
	enc := eventstream.NewEncoder()
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var line struct {
			Event     string          `json:"event"`
			Exception string          `json:"exception"`
			Payload   json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var msg eventstream.Message
		if line.Exception != "" {
			msg.Headers.Set(":message-type", eventstream.StringValue("exception"))
			msg.Headers.Set(":exception-type", eventstream.StringValue(line.Exception))
		} else {
			msg.Headers.Set(":message-type", eventstream.StringValue("event"))
			msg.Headers.Set(":event-type", eventstream.StringValue(line.Event))
		}
		msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		msg.Payload = line.Payload
		if err := enc.Encode(&buf, msg); err != nil {
			t.Fatal(err)
		}
	}
	return reply{Header: map[string]string{"Content-Type": "application/vnd.amazon.eventstream"}, Body: buf.Bytes()}
}

// jsonReply is a Converse reply with testdata/name as body.
func jsonReply(t *testing.T, name string) reply {
	t.Helper()
	return reply{Header: map[string]string{"Content-Type": "application/json"}, Body: providertest.Testdata(t, name)}
}

// apiError is an error reply as Bedrock sends it (restJson1).
func apiError(status int, code, msg string) reply {
	body, _ := json.Marshal(map[string]string{"message": msg})
	return reply{Status: status, Body: body, Header: map[string]string{
		"Content-Type":     "application/json",
		"X-Amzn-ErrorType": code + ":http://internal.amazon.com/coral/com.amazon.bedrock/",
	}}
}

const requestID = "5d5e1c1b-3f4a-4c43-9a55-0a8e4d2f7b61"

// fakeOptions make the fake answer like the Bedrock runtime.
var fakeOptions = providertest.Options{
	Header: map[string]string{"X-Amzn-Requestid": requestID},
	Unscripted: reply{Status: 500, Body: []byte(`{"message":"no reply scripted"}`),
		Header: map[string]string{"X-Amzn-ErrorType": "InternalServerException"}},
}

// startFake starts a local Bedrock runtime that plays replies in order.
func startFake(t *testing.T, replies ...reply) *providertest.Fake {
	t.Helper()
	return providertest.Start(t, fakeOptions, replies...)
}

var testCreds = &Credentials{
	AccessKeyID:     "AKIDONBEHALFTEST",
	SecretAccessKey: "SECRETwJalrXUtnFEMIK7MDENGbPxRfiCYTESTKEY",
	SessionToken:    "SESSIONTOKENIQoJb3JpZ2luX2VjEBAaCXVzLWVhc3QtMSJH",
}

// newTestProvider returns a Provider talking to f with static credentials
// and an injected Sleep: nothing leaves 127.0.0.1.
func newTestProvider(t *testing.T, f *providertest.Fake, maxRetries int) (*Provider, *providertest.Sleeper) {
	t.Helper()
	s := &providertest.Sleeper{}
	p, err := New(Options{
		Region: "us-east-1", BaseURL: f.URL(), Credentials: testCreds,
		HTTPClient: f.Client(), MaxRetries: maxRetries, Sleep: s.Sleep,
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
