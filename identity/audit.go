package identity

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/onbehalf/onbehalf/store"
)

// Audit actions.
const (
	actionWAT           = "GetWorkloadAccessTokenForJWT"
	actionResourceToken = "GetResourceOauth2Token"
)

// RequestInfo identifies the request a broker call serves, for the audit
// trail. The runtime puts it in the context with WithRequestInfo.
type RequestInfo struct {
	RequestID string
	SessionID string
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying ri; audit events of calls made with
// it record ri's ids.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, ri)
}

// RequestInfoFrom returns the RequestInfo in ctx, if any.
func RequestInfoFrom(ctx context.Context) (RequestInfo, bool) {
	ri, ok := ctx.Value(requestInfoKey{}).(RequestInfo)
	return ri, ok
}

func (b *Broker) newEvent(ctx context.Context, action string) store.AuditEvent {
	ri, _ := RequestInfoFrom(ctx)
	return store.AuditEvent{Time: b.now(), Action: action, RequestID: ri.RequestID, SessionID: ri.SessionID}
}

// outcome is the audit outcome of err: "ok", the IdP's OAuth error code, or
// the *Error type.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var e *Error
	if errors.As(err, &e) {
		if e.OAuth != nil && e.OAuth.Code != "" {
			return e.OAuth.Code
		}
		return e.Type
	}
	return InternalServerException
}

// finish records ev with err's outcome and returns err. A successful call
// whose event cannot be written fails: an exchange nobody can audit must not
// happen silently. A failed call stays failed with its own error.
func (b *Broker) finish(ctx context.Context, ev *store.AuditEvent, err error) error {
	ev.Outcome = outcome(err)
	b.metrics.call(ev.Action, ev.Outcome)
	if aerr := b.audit.append(*ev); aerr != nil {
		b.log.ErrorContext(ctx, "audit write failed", "action", ev.Action, "workload", ev.Workload, "error", aerr)
		if err == nil {
			return newError(InternalServerException, aerr, "cannot write the audit event")
		}
	}
	return err
}

// auditTimeout bounds one batch write, which no caller's context cancels:
// an audit write must not be lost because the caller gave up.
const auditTimeout = 30 * time.Second

// auditor writes audit events with group commit: concurrent events are
// stored in one transaction, and each caller returns once its event is
// committed. While one batch is being written the next accumulates, so
// under load the store sees a few large commits instead of one per call.
//
// A store that spools audit events (store.SpoolsAudits: one local write
// per call, the commits batched behind it) gets each event directly from
// its caller: handing it to a writer goroutine and waiting to be woken
// cost more than the write, and on two cores the extra wake-ups were much
// of the broker's tail latency.
type auditor struct {
	st      store.Store
	direct  bool
	mu      sync.Mutex
	pending []pendingEvent
	writing bool
}

type pendingEvent struct {
	ev   store.AuditEvent
	done chan error
}

// append stores ev and waits for the commit.
func (a *auditor) append(ev store.AuditEvent) error {
	if a.direct {
		ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
		defer cancel()
		return a.st.AppendAudits(ctx, []store.AuditEvent{ev})
	}
	p := pendingEvent{ev: ev, done: make(chan error, 1)}
	a.mu.Lock()
	a.pending = append(a.pending, p)
	if !a.writing {
		a.writing = true
		go a.write()
	}
	a.mu.Unlock()
	return <-p.done
}

// write commits batches until none is pending.
func (a *auditor) write() {
	for {
		a.mu.Lock()
		batch := a.pending
		a.pending = nil
		if len(batch) == 0 {
			a.writing = false
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
		evs := make([]store.AuditEvent, len(batch))
		for i, p := range batch {
			evs[i] = p.ev
		}
		ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
		err := a.st.AppendAudits(ctx, evs)
		cancel()
		for _, p := range batch {
			p.done <- err
		}
	}
}
