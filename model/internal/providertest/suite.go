package providertest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/agent"
	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/tool"
)

// Answer is the text of the recorded complete answers.
const Answer = "You have 5 open incidents."

// Config is what a test asks of Adapter.New.
type Config struct {
	// BaseURL is the fake's root, without a provider's path prefix.
	BaseURL string
	// HTTPClient is nil for the provider's default client.
	HTTPClient *http.Client
	MaxRetries int
	Sleep      func(context.Context, time.Duration) error
}

// Adapter tells RunErrorTests how to drive one provider. Stream replies
// answer calls with an onText callback; Answer answers calls without one.
type Adapter struct {
	// Fake shapes every reply of the fake (default headers).
	Fake Options
	// New returns the provider under test for c.
	New func(t *testing.T, c Config) model.Provider

	// Answer is a complete answer saying Answer, to a call without onText.
	Answer Reply
	// Streamed is the same answer streamed: "You have ", "5 open incidents.".
	Streamed Reply
	// BrokenAfterText is a stream that ends after "You have 5 " and before
	// the message ends; BrokenBeforeText one that ends before any text.
	BrokenAfterText, BrokenBeforeText Reply
	// ErrorAfterText is a stream whose error event follows text;
	// ErrorAfterTextKind is the sentinel that event maps to, and
	// ErrorAfterTextQuote words of the event that must not be shown.
	ErrorAfterText      Reply
	ErrorAfterTextKind  error
	ErrorAfterTextQuote string
	// ErrorBeforeText is a stream whose retryable error event comes first.
	ErrorBeforeText Reply
	// MalformedTool is a stream calling list_incidents with arguments cut
	// off mid-JSON.
	MalformedTool Reply

	// RateLimited is a 429 asking for RateLimitedWait (any one backoff wait
	// when 0).
	RateLimited     Reply
	RateLimitedWait time.Duration
	// ServerError is a retried 5xx that maps to model.ErrUnavailable.
	ServerError Reply
	// Overloaded is a reply mapping to model.ErrOverloaded with
	// OverloadedStatus, OverloadedCode and RequestID.
	Overloaded       Reply
	OverloadedStatus int
	OverloadedCode   string
	RequestID        string
	// HTTPErrors are error replies and what they map to.
	HTTPErrors []HTTPError
	// BadRequests are rejected requests and the words of the provider's
	// explanation that the error must carry.
	BadRequests []Explained
	// SecretReplies are error replies that quote a credential; Secrets
	// are words of it that no error may show.
	SecretReplies []Reply
	Secrets       []string
}

// HTTPError is one error reply and the sentinel and status it maps to.
type HTTPError struct {
	Name   string
	Reply  Reply
	Want   error
	Status int
}

// Explained is a rejected request and words of its explanation.
type Explained struct {
	Name  string
	Reply Reply
	Want  string
}

// bodyQuotes are words of the non-JSON error bodies the HTTPErrors cases
// use; no error may show them.
var bodyQuotes = []string{"<html>", "upstream connect", "healthy upstream"}

// RunErrorTests runs the failure cases every provider handles alike:
// which error, how many attempts and waits, and what reached onText.
func RunErrorTests(t *testing.T, a Adapter) {
	start := func(t *testing.T, replies ...Reply) *Fake { return Start(t, a.Fake, replies...) }
	provider := func(t *testing.T, f *Fake, maxRetries int) (model.Provider, *Sleeper) {
		s := &Sleeper{}
		return a.New(t, Config{BaseURL: f.URL(), HTTPClient: f.Client(), MaxRetries: maxRetries, Sleep: s.Sleep}), s
	}
	ctx := context.Background()
	discard := func(string) {}

	t.Run("RetriesRateLimitAfterTheWaitAskedFor", func(t *testing.T) {
		f := start(t, a.RateLimited, a.Streamed)
		p, s := provider(t, f, 0)
		resp, err := p.Converse(ctx, UserRequest("hi"), discard)
		if err != nil || resp.Message.Text() != Answer {
			t.Fatalf("Converse = %v, %v; want the answer after a retry", resp, err)
		}
		waits := s.Waits()
		if len(f.Requests()) != 2 || len(waits) != 1 {
			t.Fatalf("%d attempts, %d waits; want 2 and 1", len(f.Requests()), len(waits))
		}
		if a.RateLimitedWait != 0 && waits[0] != a.RateLimitedWait {
			t.Errorf("wait = %v, want %v (the wait the provider asked for)", waits[0], a.RateLimitedWait)
		}
	})

	t.Run("RetriesServerErrorThenSucceeds", func(t *testing.T) {
		f := start(t, a.ServerError, a.Answer)
		p, _ := provider(t, f, 0)
		resp, err := p.Converse(ctx, UserRequest("hi"), nil)
		if err != nil || resp.Message.Text() != Answer {
			t.Fatalf("Converse = %v, %v; want the answer after one retry", resp, err)
		}
		if len(f.Requests()) != 2 {
			t.Errorf("%d attempts, want 2", len(f.Requests()))
		}
	})

	t.Run("GivesUpOnOverloadAfterMaxRetries", func(t *testing.T) {
		f := start(t, a.Overloaded, a.Overloaded, a.Overloaded)
		p, s := provider(t, f, 2)
		_, err := p.Converse(ctx, UserRequest("hi"), nil)
		var me *model.Error
		if !errors.Is(err, model.ErrOverloaded) || !errors.As(err, &me) {
			t.Fatalf("err = %v, want ErrOverloaded", err)
		}
		if me.Status != a.OverloadedStatus || me.Code != a.OverloadedCode || me.Attempts != 3 || me.RequestID != a.RequestID {
			t.Errorf("error = %+v, want status %d, code %q, 3 attempts, request id %q", me, a.OverloadedStatus, a.OverloadedCode, a.RequestID)
		}
		waits := s.Waits()
		if len(f.Requests()) != 3 || len(waits) != 2 {
			t.Errorf("%d attempts, %d waits; want 3 and 2", len(f.Requests()), len(waits))
		}
		for _, w := range waits {
			if w <= 0 || w > 8*time.Second {
				t.Errorf("backoff wait %v outside (0, 8s]", w)
			}
		}
	})

	t.Run("MapsHTTPErrors", func(t *testing.T) {
		for _, c := range a.HTTPErrors {
			t.Run(c.Name, func(t *testing.T) {
				f := start(t, c.Reply)
				p, _ := provider(t, f, -1)
				_, err := p.Converse(ctx, UserRequest("hi"), nil)
				var me *model.Error
				if !errors.Is(err, c.Want) || !errors.As(err, &me) || me.Status != c.Status {
					t.Fatalf("err = %v, want %v with status %d", err, c.Want, c.Status)
				}
				for _, q := range bodyQuotes {
					if strings.Contains(err.Error(), q) {
						t.Errorf("error %q quotes the response body", err)
					}
				}
			})
		}
	})

	t.Run("DoesNotRetryABadRequestAndExplainsIt", func(t *testing.T) {
		for _, c := range a.BadRequests {
			t.Run(c.Name, func(t *testing.T) {
				f := start(t, c.Reply)
				p, s := provider(t, f, 0)
				_, err := p.Converse(ctx, UserRequest("hi"), discard)
				if !errors.Is(err, model.ErrBadRequest) || !strings.Contains(err.Error(), c.Want) {
					t.Fatalf("err = %v, want ErrBadRequest saying %q", err, c.Want)
				}
				if len(f.Requests()) != 1 || len(s.Waits()) != 0 {
					t.Errorf("%d attempts, want 1", len(f.Requests()))
				}
			})
		}
	})

	t.Run("ErrorsNeverShowSecrets", func(t *testing.T) {
		for _, rep := range a.SecretReplies {
			f := start(t, rep)
			p, _ := provider(t, f, -1)
			_, err := p.Converse(ctx, UserRequest("hi"), nil)
			if err == nil {
				t.Fatal("Converse succeeded on an error reply")
			}
			for _, s := range a.Secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows a secret", err)
				}
			}
		}
	})

	t.Run("DoesNotRetryAStreamThatBrokeAfterText", func(t *testing.T) {
		f := start(t, Aborted(a.BrokenAfterText), a.Streamed)
		p, _ := provider(t, f, 0)
		var shown strings.Builder
		_, err := p.Converse(ctx, UserRequest("hi"), func(d string) { shown.WriteString(d) })
		var me *model.Error
		if !errors.Is(err, model.ErrStreamBroken) || !errors.As(err, &me) || !me.TextSent {
			t.Fatalf("err = %v, want ErrStreamBroken with TextSent", err)
		}
		if shown.String() != "You have 5 " || len(f.Requests()) != 1 {
			t.Errorf("shown %q after %d attempts; want the partial text once, 1 attempt: the user already saw text", shown.String(), len(f.Requests()))
		}
	})

	t.Run("RetriesAStreamThatBrokeBeforeText", func(t *testing.T) {
		f := start(t, Aborted(a.BrokenBeforeText), a.Streamed)
		p, _ := provider(t, f, 0)
		var shown strings.Builder
		resp, err := p.Converse(ctx, UserRequest("hi"), func(d string) { shown.WriteString(d) })
		if err != nil {
			t.Fatalf("Converse: %v", err)
		}
		if shown.String() != Answer || resp.Message.Text() != shown.String() || len(f.Requests()) != 2 {
			t.Errorf("shown %q, answer %q, %d attempts; want the full answer once after 2 attempts", shown.String(), resp.Message.Text(), len(f.Requests()))
		}
	})

	t.Run("TreatsAStreamWithoutItsEndAsBroken", func(t *testing.T) {
		f := start(t, a.BrokenAfterText) // ends cleanly, but early
		p, _ := provider(t, f, 0)
		_, err := p.Converse(ctx, UserRequest("hi"), discard)
		if !errors.Is(err, model.ErrStreamBroken) || len(f.Requests()) != 1 {
			t.Fatalf("err = %v after %d attempts, want ErrStreamBroken after 1", err, len(f.Requests()))
		}
	})

	t.Run("ErrorEventAfterTextIsABrokenStream", func(t *testing.T) {
		f := start(t, a.ErrorAfterText, a.Streamed)
		p, _ := provider(t, f, 0)
		_, err := p.Converse(ctx, UserRequest("hi"), discard)
		if !errors.Is(err, model.ErrStreamBroken) || !errors.Is(err, a.ErrorAfterTextKind) {
			t.Fatalf("err = %v, want ErrStreamBroken caused by %v", err, a.ErrorAfterTextKind)
		}
		if a.ErrorAfterTextQuote != "" && strings.Contains(err.Error(), a.ErrorAfterTextQuote) {
			t.Errorf("error %q quotes the stream", err)
		}
		if len(f.Requests()) != 1 {
			t.Errorf("%d attempts, want 1", len(f.Requests()))
		}
	})

	t.Run("RetriesAnErrorEventBeforeText", func(t *testing.T) {
		f := start(t, a.ErrorBeforeText, a.Streamed)
		p, s := provider(t, f, 0)
		resp, err := p.Converse(ctx, UserRequest("hi"), discard)
		if err != nil || resp.Message.Text() != Answer {
			t.Fatalf("Converse = %v, %v; want the answer after a retry", resp, err)
		}
		if len(f.Requests()) != 2 || len(s.Waits()) != 1 {
			t.Errorf("%d attempts, %d waits; want 2 and 1", len(f.Requests()), len(s.Waits()))
		}
	})

	t.Run("RejectsMalformedToolArguments", func(t *testing.T) {
		f := start(t, a.MalformedTool, a.Streamed)
		p, s := provider(t, f, 0)
		_, err := p.Converse(ctx, UserRequest("list"), discard)
		var me *model.Error
		if !errors.Is(err, model.ErrBadToolInput) || !errors.As(err, &me) || !strings.Contains(me.Message, `"list_incidents"`) {
			t.Fatalf("err = %v, want ErrBadToolInput naming list_incidents", err)
		}
		if len(f.Requests()) != 1 || len(s.Waits()) != 0 {
			t.Errorf("%d attempts, want 1: a truncated tool call is not retried", len(f.Requests()))
		}
	})

	t.Run("AgentRunWithMalformedToolArgumentsRunsNoToolAndKeepsConversationSavable", func(t *testing.T) {
		f := start(t, a.MalformedTool)
		p, _ := provider(t, f, 0)
		called := false
		ag := &agent.Agent{Model: p, Tools: []tool.Tool{{
			Name: "list_incidents", InputSchema: ListSchema,
			Handler: func(context.Context, json.RawMessage) (tool.Result, error) {
				called = true
				return tool.Result{}, nil
			},
		}}}
		conv := &agent.Conversation{}
		err := ag.Run(ctx, conv, "list my incidents", func(agent.Event) {})
		if !errors.Is(err, agent.ErrModelFailed) || !errors.Is(err, model.ErrBadToolInput) {
			t.Fatalf("Run = %v, want ErrModelFailed wrapping ErrBadToolInput", err)
		}
		if called {
			t.Error("the tool ran with input that is not JSON")
		}
		if _, err := json.Marshal(conv); err != nil {
			t.Errorf("conversation cannot be saved: %v", err)
		}
	})

	t.Run("ConnectionRefusedIsUnavailable", func(t *testing.T) {
		f := start(t)
		f.Close()
		p := a.New(t, Config{BaseURL: f.URL(), MaxRetries: -1})
		_, err := p.Converse(ctx, UserRequest("hi"), discard)
		if !errors.Is(err, model.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	})

	t.Run("StopsWhenTheContextEnds", func(t *testing.T) {
		for name, c := range map[string]struct {
			reply Reply
			kind  error
		}{"overloaded": {a.Overloaded, model.ErrOverloaded}, "server error": {a.ServerError, model.ErrUnavailable}} {
			t.Run(name, func(t *testing.T) {
				f := start(t, c.reply)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				p := a.New(t, Config{BaseURL: f.URL(), Sleep: func(context.Context, time.Duration) error {
					cancel()
					return context.Canceled
				}})
				_, err := p.Converse(ctx, UserRequest("hi"), nil)
				if !errors.Is(err, context.Canceled) || !errors.Is(err, c.kind) || len(f.Requests()) != 1 {
					t.Fatalf("err = %v after %d attempts, want %v and context.Canceled after 1", err, len(f.Requests()), c.kind)
				}
			})
		}
	})
}
