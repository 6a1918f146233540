package trace

import (
	"context"
	"sync"
)

// Hop names, in the order of the article's four hops.
const (
	HopTokenAccepted = "token_accepted"  // the runtime accepted Token A
	HopWorkloadToken = "workload_token"  // the broker issued the workload access token
	HopTokenExchange = "token_exchange"  // Token B from the vault or the IdP
	HopDownstream    = "downstream_call" // a call to ServiceNow (or another API)
)

// Hop is one step of an invocation.
type Hop struct {
	Hop string `json:"hop"`
	// Detail is short and non-secret: "issuer https://…, user jane.smith@…",
	// "vault hit", "idp call", "GET incident".
	Detail string `json:"detail,omitempty"`
	Status int    `json:"status,omitempty"`
	Rows   int    `json:"rows,omitempty"`
	Millis int64  `json:"ms,omitempty"`
}

type sinkKey struct{}

type sink struct {
	mu    sync.Mutex
	early []Hop
	fn    func(Hop)
}

// WithRecorder returns a context in which Record collects hops. Hops
// recorded before Attach are kept and delivered when it is called.
func WithRecorder(ctx context.Context) context.Context {
	if _, ok := ctx.Value(sinkKey{}).(*sink); ok {
		return ctx
	}
	return context.WithValue(ctx, sinkKey{}, &sink{})
}

// Attach delivers every hop recorded in ctx, earlier and later, to fn.
// It reports false when ctx has no recorder.
func Attach(ctx context.Context, fn func(Hop)) bool {
	s, ok := ctx.Value(sinkKey{}).(*sink)
	if !ok {
		return false
	}
	s.mu.Lock()
	early := s.early
	s.early, s.fn = nil, fn
	s.mu.Unlock()
	for _, h := range early {
		fn(h)
	}
	return true
}

// Record reports a hop; without a recorder in ctx it does nothing.
func Record(ctx context.Context, h Hop) {
	s, ok := ctx.Value(sinkKey{}).(*sink)
	if !ok {
		return
	}
	s.mu.Lock()
	fn := s.fn
	if fn == nil {
		s.early = append(s.early, h)
	}
	s.mu.Unlock()
	if fn != nil {
		fn(h)
	}
}
