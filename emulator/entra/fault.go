package entra

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Fault makes the token endpoint misbehave, so that clients' retry,
// timeout and error paths can be tested against real HTTP.
type Fault struct {
	// Status is the HTTP status to answer instead of processing the
	// request: 503 gives Entra's JSON temporarily_unavailable
	// (AADSTS90033), any other 5xx a plain-text body such as a proxy in
	// front of Entra would send. 0 processes the request normally (after
	// Delay).
	Status int

	// Delay is how long to wait before answering. The wait ends early, and
	// nothing is answered, when the client gives up (its request context
	// is cancelled or the connection closes).
	Delay time.Duration

	// RetryAfter, with Status 503, sets a Retry-After header (whole
	// seconds, rounded up).
	RetryAfter time.Duration

	// Count is how many requests the fault affects; 0 means every request
	// until ClearFaults.
	Count int

	// GrantType limits the fault to requests of that grant_type (one of
	// the Grant constants); "" means every token request. A fault for the
	// request's own grant type wins over the one for "".
	GrantType string
}

type faultState struct {
	Fault
	left int // remaining requests; 0 = unlimited
}

// SetFault installs f, replacing any fault for the same GrantType. It
// fails for a Status that is neither 0 nor 5xx, a negative duration or
// count, or a fault that would do nothing.
func (s *Server) SetFault(f Fault) error {
	switch {
	case f.Status != 0 && (f.Status < 500 || f.Status > 599):
		return fmt.Errorf("entra: fault status %d is not 0 or 5xx", f.Status)
	case f.Delay < 0 || f.RetryAfter < 0 || f.Count < 0:
		return fmt.Errorf("entra: fault delay, retry-after and count must not be negative")
	case f.Status == 0 && f.Delay == 0:
		return fmt.Errorf("entra: fault has neither a status nor a delay")
	}
	s.stMu.Lock()
	defer s.stMu.Unlock()
	s.st.faults[f.GrantType] = &faultState{Fault: f, left: f.Count}
	return nil
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.stMu.Lock()
	defer s.stMu.Unlock()
	clear(s.st.faults)
}

// takeFault returns the fault for this request, if any, and uses up one of
// its requests.
func (s *Server) takeFault(grantType string) (Fault, bool) {
	s.stMu.Lock()
	defer s.stMu.Unlock()
	key := grantType
	fs := s.st.faults[key]
	if fs == nil {
		key = ""
		fs = s.st.faults[key]
	}
	if fs == nil {
		return Fault{}, false
	}
	if fs.left > 0 {
		fs.left--
		if fs.left == 0 {
			delete(s.st.faults, key)
		}
	}
	return fs.Fault, true
}

// applyFault runs the fault for a token request. It reports whether the
// request was answered (or abandoned) by the fault.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, grantType string) bool {
	f, ok := s.takeFault(grantType)
	if !ok {
		return false
	}
	attrs := []slog.Attr{slog.String("grant_type", grantType), slog.Int("status", f.Status), slog.Duration("delay", f.Delay)}
	if f.Delay > 0 && !sleepCtx(r.Context(), f.Delay) {
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "entra token request abandoned by the client during an injected delay", attrs...)
		return true
	}
	if f.Status == 0 {
		return false
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "entra token request failed by an injected fault", attrs...)
	if f.Status == http.StatusServiceUnavailable {
		secs := int((f.RetryAfter + time.Second - 1) / time.Second)
		s.writeError(w, r, errTemporarilyUnavailable(secs))
		return true
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(f.Status)
	fmt.Fprintf(w, "%d %s\n", f.Status, http.StatusText(f.Status))
	return true
}

// sleepCtx waits d; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
