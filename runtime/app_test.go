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
