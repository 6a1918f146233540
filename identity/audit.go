package identity

import (
	"context"
	"errors"

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
	// The audit write must not be lost because the caller gave up.
	if _, aerr := b.cfg.Store.AppendAudit(context.WithoutCancel(ctx), *ev); aerr != nil {
		b.log.ErrorContext(ctx, "audit write failed", "action", ev.Action, "workload", ev.Workload, "error", aerr)
		if err == nil {
			return newError(InternalServerException, aerr, "cannot write the audit event")
		}
	}
	return err
}
