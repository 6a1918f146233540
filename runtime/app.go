package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/onbehalf/onbehalf/agent"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/trace"
)

// maxPayloadBytes bounds an invocation's JSON payload.
const maxPayloadBytes = 1 << 20

// Invocation is one call of an agent's entrypoint.
type Invocation struct {
	// Payload is the request body as sent, e.g. {"prompt": "…"}.
	Payload json.RawMessage
	// Prompt is Payload's "prompt" field.
	Prompt    string
	SessionID string
	UserID    string
	RequestID string
}

type invocationKey struct{}

// InvocationFrom returns the invocation a request context belongs to, for
// code deep in a tool call (audit, tracing) that needs its ids.
func InvocationFrom(ctx context.Context) (*Invocation, bool) {
	inv, ok := ctx.Value(invocationKey{}).(*Invocation)
	return inv, ok
}

// Handler is an agent's entrypoint. It streams events through emit; a
// returned error ends the stream with an error event whose text is the
// error's message, so handlers return errors that are safe to show. An
// *HTTPError returned before the first event is answered as that HTTP
// status instead.
type Handler func(ctx context.Context, inv *Invocation, emit func(agent.Event)) error

// HTTPError lets a Handler refuse an invocation with an HTTP status, as
// long as it has not streamed anything yet: for example 401 with a
// claims challenge when the IdP requires the user to sign in again.
type HTTPError struct {
	Status  int
	Type    string // X-Amzn-ErrorType, e.g. "AccessDeniedException"
	Message string // safe to show
	Header  http.Header
}

func (e *HTTPError) Error() string { return e.Message }

// App serves the container contract for one agent.
type App struct {
	Handler Handler
	Logger  *slog.Logger
	Now     func() time.Time

	mu       sync.Mutex
	busy     int
	lastBusy time.Time
}

// ServeHTTP routes /invocations and /ping.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/ping":
		a.ping(w, r)
	case "/invocations":
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "ValidationException", "use POST /invocations")
			return
		}
		a.invoke(w, r)
	default:
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "no such path")
	}
}

func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *App) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (a *App) ping(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	status, last := "Healthy", a.lastBusy
	if a.busy > 0 {
		status = "HealthyBusy"
	}
	a.mu.Unlock()
	if last.IsZero() {
		last = a.now()
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": status, "time_of_last_update": last.Unix()})
}

func (a *App) setBusy(delta int) {
	a.mu.Lock()
	a.busy += delta
	a.lastBusy = a.now()
	a.mu.Unlock()
}

func (a *App) invoke(w http.ResponseWriter, r *http.Request) {
	inv, err := readInvocation(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "ValidationException", err.Error())
		return
	}
	ctx := r.Context()
	wat := r.Header.Get(HeaderWorkloadAccessTokenNewer)
	if wat == "" {
		wat = r.Header.Get(HeaderWorkloadAccessToken)
	}
	if wat != "" {
		ctx = identity.WithWorkloadAccessToken(ctx, wat)
	}
	ctx = identity.WithRequestInfo(ctx, identity.RequestInfo{RequestID: inv.RequestID, SessionID: inv.SessionID})
	ctx = context.WithValue(ctx, invocationKey{}, inv)
	a.setBusy(1)
	defer a.setBusy(-1)

	sse := newEventStream(w)
	if inv.SessionID != "" {
		w.Header().Set(HeaderSessionID, inv.SessionID)
	}
	ctx = trace.WithRecorder(ctx)
	trace.Attach(ctx, sse.hop)
	err = a.Handler(ctx, inv, sse.send)
	var herr *HTTPError
	switch {
	case err == nil:
	case errors.As(err, &herr) && sse.refuse(herr):
		a.logger().Info("invocation refused", "request_id", inv.RequestID, "status", herr.Status)
	case ctx.Err() != nil:
		a.logger().Info("invocation cancelled", "request_id", inv.RequestID)
		return
	default:
		a.logger().Warn("invocation failed", "request_id", inv.RequestID, "error", err)
		sse.send(agent.Event{Type: agent.EventError, Error: err.Error()})
	}
}

func readInvocation(r *http.Request) (*Invocation, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayloadBytes+1))
	if err != nil {
		return nil, errors.New("could not read the request body")
	}
	if len(body) > maxPayloadBytes {
		return nil, errors.New("payload larger than 1 MiB")
	}
	var p struct {
		Prompt string `json:"prompt"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, errors.New(`payload must be a JSON object such as {"prompt": "…"}`)
	}
	if strings.TrimSpace(p.Prompt) == "" {
		return nil, errors.New(`payload needs a non-empty "prompt"`)
	}
	return &Invocation{
		Payload:   body,
		Prompt:    p.Prompt,
		SessionID: r.Header.Get(HeaderSessionID),
		UserID:    r.Header.Get(HeaderUserID),
		RequestID: r.Header.Get(HeaderRequestID),
	}, nil
}

// eventStream writes agent events as text/event-stream, one `data:` line
// of JSON per event, flushing each. Trace hops wait until the first agent
// event, so a handler can still refuse with an HTTP status before that.
type eventStream struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	started bool
	done    bool
	hops    []agent.Event
}

func newEventStream(w http.ResponseWriter) *eventStream { return &eventStream{w: w} }

// hop queues or sends a trace hop.
func (s *eventStream) hop(h trace.Hop) {
	e := agent.Event{Type: agent.EventTrace, Hop: h.Hop, Detail: h.Detail, Millis: h.Millis, Status: h.Status, Rows: h.Rows}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.hops = append(s.hops, e)
		return
	}
	s.write(e)
}

func (s *eventStream) send(e agent.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		h := s.w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		s.w.WriteHeader(http.StatusOK)
		s.started = true
		for _, q := range s.hops {
			s.write(q)
		}
		s.hops = nil
	}
	s.write(e)
}

// refuse answers with e's status if nothing was streamed yet.
func (s *eventStream) refuse(e *HTTPError) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.done {
		return false
	}
	s.done = true
	for k, vs := range e.Header {
		for _, v := range vs {
			s.w.Header().Add(k, v)
		}
	}
	typ := e.Type
	if typ == "" {
		typ = "AccessDeniedException"
	}
	writeError(s.w, e.Status, typ, e.Message)
	return true
}

func (s *eventStream) write(e agent.Event) {
	if s.done {
		return
	}
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	_, _ = s.w.Write([]byte("data: "))
	_, _ = s.w.Write(b)
	_, _ = s.w.Write([]byte("\n\n"))
	if f, ok := s.w.(http.Flusher); ok {
		f.Flush()
	}
}

// errorBody is the AWS-style error the runtime answers with.
type errorBody struct {
	Type    string `json:"__type,omitempty"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("X-Amzn-ErrorType", errType)
	writeJSON(w, status, errorBody{Type: errType, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
