package servicenow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/onbehalf/onbehalf/trace"
)

// Outcomes of a CallEvent.
const (
	OutcomeOK           = "ok"
	OutcomeInvalidInput = "invalid_input" // refused before any request
	OutcomeNoToken      = "no_token"      // no (fresh) token for the user
	OutcomeUnauthorized = "unauthorized"  // 401, also after a forced re-exchange
	OutcomeForbidden    = "forbidden"     // 403
	OutcomeNotFound     = "not_found"     // 404, or no visible row
	OutcomeBadRequest   = "bad_request"   // 400
	OutcomeRateLimited  = "rate_limited"  // 429 after the retries
	OutcomeUnavailable  = "unavailable"   // 5xx, transport, non-JSON, too large
	OutcomeCanceled     = "canceled"      // ctx canceled or its deadline passed
)

// CallEvent is the audit record of one tool call, or of one call of an
// exported Client method. It says who-did-what only through the context the
// runtime passes (request, session, user): it holds no token, credential
// or record content, only what was called, on what, and how it went.
type CallEvent struct {
	Time   time.Time // when the call started (Client.Now)
	Tool   string    // the tool's name; "" for a direct Client call
	Table  string    // e.g. "incident"
	Method string    // the call's main HTTP method: GET, POST or PATCH
	// Record is the incident number or sys_id the call addressed (for a
	// create, the new row's), if any. Identifiers only.
	Record string
	// Status is the last HTTP status ServiceNow answered, 0 if none.
	Status int
	// Requests counts HTTP requests: pages, lookups, retries and the retry
	// after a forced re-authentication.
	Requests int
	// Rows is how many records the call returned.
	Rows int
	// Reauthenticated: a 401 led to a forced token exchange.
	Reauthenticated bool
	Duration        time.Duration // by Client.Now
	Outcome         string        // OutcomeOK or another Outcome… constant
}

// Detail is a short, non-secret line describing ev, for an audit row or a
// trace, e.g. "query_incidents incident GET 200, 5 rows, 1 request, 12ms".
func (ev CallEvent) Detail() string {
	name := ev.Tool
	if name == "" {
		name = "client"
	}
	s := fmt.Sprintf("%s %s %s", name, ev.Table, ev.Method)
	if ev.Record != "" {
		s += " " + ev.Record
	}
	if ev.Status != 0 {
		s += fmt.Sprintf(" %d", ev.Status)
	}
	s += fmt.Sprintf(", %d %s, %d %s", ev.Rows, plural(ev.Rows, "row", "rows"), ev.Requests, plural(ev.Requests, "request", "requests"))
	if ev.Reauthenticated {
		s += ", re-authenticated"
	}
	return s + ", " + ev.Duration.Round(time.Millisecond).String()
}

// Hop is ev as a downstream-call hop for the UI's trace panel, e.g.
// Detail "update_incident: PATCH incident INC0012345, forbidden".
func (ev CallEvent) Hop() trace.Hop {
	d := ev.Method + " " + ev.Table
	if ev.Tool != "" {
		d = ev.Tool + ": " + d
	}
	if ev.Record != "" {
		d += " " + ev.Record
	}
	if ev.Reauthenticated {
		d += ", re-authenticated"
	}
	if ev.Outcome != OutcomeOK {
		d += ", " + ev.Outcome
	}
	return trace.Hop{Hop: trace.HopDownstream, Detail: d, Status: ev.Status, Rows: ev.Rows, Millis: ev.Duration.Milliseconds()}
}

// outcomeOf classifies the error a call ended with.
func outcomeOf(err error) string {
	var ie *inputError
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return OutcomeCanceled
	case errors.As(err, &ie), errors.Is(err, ErrUnsafeValue), errors.Is(err, ErrInvalidField),
		errors.Is(err, ErrInvalidQuery), errors.Is(err, ErrInvalidTable), errors.Is(err, ErrInvalidSysID),
		errors.Is(err, ErrInvalidOption):
		return OutcomeInvalidInput
	case errors.Is(err, ErrNoToken):
		return OutcomeNoToken
	case errors.Is(err, ErrUnauthorized):
		return OutcomeUnauthorized
	case errors.Is(err, ErrForbidden):
		return OutcomeForbidden
	case errors.Is(err, ErrNotFound):
		return OutcomeNotFound
	case errors.Is(err, ErrBadRequest):
		return OutcomeBadRequest
	case errors.Is(err, ErrRateLimited):
		return OutcomeRateLimited
	}
	return OutcomeUnavailable
}
