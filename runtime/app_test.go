package runtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/agent"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/trace"
)

// readEvents parses an SSE body into events.
func readEvents(t *testing.T, body string) []agent.Event {
	t.Helper()
	var out []agent.Event
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var e agent.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("bad event %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func TestAppStreamsEventsAndPassesTheWorkloadTokenInContext(t *testing.T) {
	var gotWAT, gotPrompt, gotSession string
	app := &App{Handler: func(ctx context.Context, inv *Invocation, emit func(agent.Event)) error {
		gotWAT, _ = identity.WorkloadAccessTokenFrom(ctx)
		gotPrompt, gotSession = inv.Prompt, inv.SessionID
		if from, ok := InvocationFrom(ctx); !ok || from != inv {
			t.Error("InvocationFrom(ctx) does not return the invocation")
		}
		emit(agent.Event{Type: agent.EventText, Text: "hello "})
		emit(agent.Event{Type: agent.EventFinal, Text: "hello world"})
		return nil
	}}
	req := httptest.NewRequest(http.MethodPost, "/invocations", strings.NewReader(`{"prompt":"hi"}`))
	req.Header.Set(HeaderWorkloadAccessToken, "wat-123")
	req.Header.Set(HeaderSessionID, strings.Repeat("s", 40))
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)

	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d content-type %q, want 200 text/event-stream", rec.Code, rec.Header().Get("Content-Type"))
	}
	if gotWAT != "wat-123" || gotPrompt != "hi" || gotSession != strings.Repeat("s", 40) {
		t.Errorf("handler saw wat %q prompt %q session %q", gotWAT, gotPrompt, gotSession)
	}
	evs := readEvents(t, rec.Body.String())
	if len(evs) != 2 || evs[0].Text != "hello " || evs[1].Type != agent.EventFinal {
		t.Errorf("events = %+v", evs)
	}
}

func TestAppEndsTheStreamWithTheHandlersError(t *testing.T) {
	app := &App{Handler: func(ctx context.Context, inv *Invocation, emit func(agent.Event)) error {
		return errors.New("the model could not answer right now")
	}}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/invocations", strings.NewReader(`{"prompt":"hi"}`)))
	evs := readEvents(t, rec.Body.String())
	if len(evs) != 1 || evs[0].Type != agent.EventError || evs[0].Error != "the model could not answer right now" {
		t.Errorf("events = %+v, want one error event", evs)
	}
}

func TestAppRejectsBadPayloads(t *testing.T) {
	called := false
	app := &App{Handler: func(ctx context.Context, inv *Invocation, emit func(agent.Event)) error {
		called = true
		return nil
	}}
	for _, body := range []string{``, `not json`, `{"prompt": ""}`, `{"prompt": 3}`, `{"prompt":"` + strings.Repeat("a", maxPayloadBytes) + `"}`} {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/invocations", strings.NewReader(body)))
		if rec.Code != http.StatusBadRequest || rec.Header().Get("X-Amzn-ErrorType") != "ValidationException" {
			t.Errorf("body %.20q: status %d type %q, want 400 ValidationException", body, rec.Code, rec.Header().Get("X-Amzn-ErrorType"))
		}
	}
	if called {
		t.Error("the handler ran for a bad payload")
	}
}

func TestAppPingReportsHealthy(t *testing.T) {
	app := &App{Now: func() time.Time { return time.Unix(1700000000, 0) }}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ping", nil))
	var got struct {
		Status string `json:"status"`
		Time   int64  `json:"time_of_last_update"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Status != "Healthy" || got.Time != 1700000000 {
		t.Errorf("ping = %s (%v), want Healthy at 1700000000", rec.Body, err)
	}
}

func TestAppAnswersAnHTTPErrorReturnedBeforeStreaming(t *testing.T) {
	app := &App{Handler: func(ctx context.Context, inv *Invocation, emit func(agent.Event)) error {
		trace.Record(ctx, trace.Hop{Hop: trace.HopTokenExchange, Detail: "idp call"})
		return &HTTPError{Status: http.StatusUnauthorized, Message: "sign in again",
			Header: http.Header{"Www-Authenticate": {`Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ=="`}}}
	}}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/invocations", strings.NewReader(`{"prompt":"hi"}`)))
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Header().Get("WWW-Authenticate"), `error="insufficient_claims"`) {
		t.Fatalf("status %d, WWW-Authenticate %q; want 401 with the claims challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	if strings.Contains(rec.Body.String(), "data:") {
		t.Errorf("a refused invocation streamed events: %s", rec.Body)
	}
}

func TestAppStreamsTraceHopsOnceTheAnswerStarts(t *testing.T) {
	app := &App{Handler: func(ctx context.Context, inv *Invocation, emit func(agent.Event)) error {
		trace.Record(ctx, trace.Hop{Hop: trace.HopTokenExchange, Detail: "vault hit", Millis: 2})
		emit(agent.Event{Type: agent.EventModel, Model: "m"})
		trace.Record(ctx, trace.Hop{Hop: trace.HopDownstream, Detail: "GET incident", Status: 200, Rows: 5})
		return nil
	}}
	// Hops the front door recorded arrive first.
	ctx := trace.WithRecorder(context.Background())
	trace.Record(ctx, trace.Hop{Hop: trace.HopTokenAccepted, Detail: "user jane"})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/invocations", strings.NewReader(`{"prompt":"hi"}`)).WithContext(ctx))
	var got []string
	for _, e := range readEvents(t, rec.Body.String()) {
		got = append(got, string(e.Type)+":"+e.Hop)
	}
	want := []string{"trace:token_accepted", "trace:token_exchange", "model:", "trace:downstream_call"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestAppCancelsTheHandlerWhenTheClientGoesAway(t *testing.T) {
	cancelled := make(chan struct{})
	started := make(chan struct{})
	app := &App{Handler: func(ctx context.Context, inv *Invocation, emit func(agent.Event)) error {
		emit(agent.Event{Type: agent.EventModel, Model: "m"})
		close(started)
		<-ctx.Done()
		close(cancelled)
		return ctx.Err()
	}}
	srv := httptest.NewServer(app)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/invocations", strings.NewReader(`{"prompt":"hi"}`))
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second): // a guard against hanging, not a timing assertion
		t.Fatal("the handler was not cancelled after the client disconnected")
	}
}
