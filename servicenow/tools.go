package servicenow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/onbehalf/onbehalf/tool"
)

// Messages of failed tool calls. They are honest and distinct, and they
// never suggest a way around the refusal. ServiceNow answers 404 both for
// a record that does not exist and for one its ACLs hide, so MsgNotFound
// says so; it never claims the user lacks access, which is MsgForbidden.
const (
	MsgUnauthorized = "ServiceNow did not accept your sign-in; please sign in again."
	MsgForbidden    = "You don't have access to do that in ServiceNow."
	MsgNotFound     = "No such incident, or you don't have access to it."
	MsgUnavailable  = "ServiceNow is unavailable right now."
	MsgRateLimited  = "ServiceNow is limiting requests right now; please try again later."
	MsgNoToken      = "Could not get access to ServiceNow on your behalf; please sign in again."
	// MsgNoSelf: create_incident could not read the signed-in user's own
	// sys_user record to make them the caller.
	MsgNoSelf = "ServiceNow did not return your own user record, so the incident was not created."
)

const (
	incidentTable     = "incident"
	defaultQueryLimit = 10
	maxQueryLimit     = 100
	// maxShortDescLen is ServiceNow's short_description length.
	maxShortDescLen = 160
	// maxNotesLen bounds description, close notes, comments and work notes.
	maxNotesLen = 4000
)

var (
	numberRe = regexp.MustCompile(`^INC\d{7}$`)

	rowFields    = []string{"sys_id", "number", "short_description", "priority", "state", "category", "assigned_to", "caller_id", "opened_at"}
	detailFields = append(append([]string(nil), rowFields...), "description", "impact", "urgency", "close_code", "close_notes")
)

// incidentRow is an incident as the tools return it: display values, with
// references flattened to their display value.
type incidentRow struct {
	SysID            string `json:"sys_id"`
	Number           string `json:"number"`
	ShortDescription string `json:"short_description"`
	Priority         string `json:"priority"`
	State            string `json:"state"`
	Category         string `json:"category"`
	AssignedTo       string `json:"assigned_to"`
	Caller           string `json:"caller"`
	OpenedAt         string `json:"opened_at"`
}

type incidentDetail struct {
	incidentRow
	Description string `json:"description"`
	Impact      string `json:"impact"`
	Urgency     string `json:"urgency"`
	CloseCode   string `json:"close_code"`
	CloseNotes  string `json:"close_notes"`
}

func rowOf(r Record) incidentRow {
	return incidentRow{
		SysID:            r.Value("sys_id"),
		Number:           r.Display("number"),
		ShortDescription: r.Display("short_description"),
		Priority:         r.Display("priority"),
		State:            r.Display("state"),
		Category:         r.Display("category"),
		AssignedTo:       r.Display("assigned_to"),
		Caller:           r.Display("caller_id"),
		OpenedAt:         r.Display("opened_at"),
	}
}

func detailOf(r Record) incidentDetail {
	return incidentDetail{
		incidentRow: rowOf(r),
		Description: r.Display("description"),
		Impact:      r.Display("impact"),
		Urgency:     r.Display("urgency"),
		CloseCode:   r.Display("close_code"),
		CloseNotes:  r.Display("close_notes"),
	}
}

// Tools returns the incident tools calling ServiceNow through c, as the
// user c's TokenSource gives a token for: query_incidents, get_incident,
// create_incident, update_incident, add_comment, add_work_note and
// resolve_incident. Every call of one is one Client.Audit event.
func Tools(c *Client) []tool.Tool {
	t := &incidentTools{c: c}
	return []tool.Tool{
		t.tool("query_incidents", http.MethodGet, false, querySchema, t.query,
			"List ServiceNow incidents the signed-in user can see, ordered by number, with display values. Filters combine with AND. Returns the incidents, how many were returned, and how many match in total."),
		t.tool("get_incident", http.MethodGet, false, getSchema, t.get,
			"Get one ServiceNow incident by number (INC0012345) or sys_id, with description, impact, urgency and resolution."),
		t.tool("create_incident", http.MethodPost, true, createSchema, t.create,
			"Open a new ServiceNow incident as the signed-in user, who becomes its caller. ServiceNow computes priority from impact and urgency."),
		t.tool("update_incident", http.MethodPatch, true, updateSchema, t.update,
			"Update a ServiceNow incident as the signed-in user: state, priority, assignee, resolution code and notes. To resolve, prefer resolve_incident; to comment, add_comment."),
		t.tool("add_comment", http.MethodPatch, true, journalSchema("The comment, visible to the caller."), t.journal("comments", "comment"),
			"Add a comment to a ServiceNow incident, as the signed-in user. Comments are visible to the caller."),
		t.tool("add_work_note", http.MethodPatch, true, journalSchema("The work note, visible only to IT staff."), t.journal("work_notes", "work_note"),
			"Add a work note to a ServiceNow incident, as the signed-in user. Work notes are internal: the caller does not see them."),
		t.tool("resolve_incident", http.MethodPatch, true, resolveSchema, t.resolve,
			"Resolve a ServiceNow incident as the signed-in user, with a resolution code and notes."),
	}
}

type incidentTools struct{ c *Client }

// call is one tool call: the session its requests share, and what its
// audit event reports.
type call struct {
	s       *session
	record  string // the incident number or sys_id addressed
	rows    int    // records returned to the model
	outcome string // set by fail and invalid; "" is OutcomeOK
}

type handler func(ctx context.Context, k *call, raw json.RawMessage) (tool.Result, error)

// tool wraps h so that each call gets its own session and ends in exactly
// one audit event.
func (t *incidentTools) tool(name, method string, write bool, schema string, h handler, desc string) tool.Tool {
	return tool.Tool{
		Name:        name,
		Description: desc,
		InputSchema: json.RawMessage(schema),
		Write:       write,
		Handler: func(ctx context.Context, raw json.RawMessage) (tool.Result, error) {
			k := &call{s: t.c.newSession()}
			res, err := h(ctx, k, raw)
			ev := k.s.event(name, incidentTable, method, k.record, k.rows, err)
			if err == nil && k.outcome != "" {
				ev.Outcome = k.outcome
			}
			t.c.audit(ctx, ev)
			return res, err
		},
	}
}

// fail turns a client error into an honest tool result. Only a cancelled
// call is returned as an error: nobody is waiting for a result.
func (k *call) fail(err error) (tool.Result, error) {
	k.rows = 0
	var ie *inputError
	switch {
	case errors.Is(err, context.Canceled):
		k.outcome = OutcomeCanceled
		return tool.Result{}, err
	case errors.As(err, &ie):
		return k.invalid(err), nil
	case errors.Is(err, ErrNoToken):
		k.outcome = OutcomeNoToken
		return errResult(MsgNoToken, "incident: no token"), nil
	case errors.Is(err, ErrUnauthorized):
		k.outcome = OutcomeUnauthorized
		return errResult(MsgUnauthorized, "incident: 401"), nil
	case errors.Is(err, ErrForbidden):
		k.outcome = OutcomeForbidden
		return errResult(MsgForbidden, "incident: 403"), nil
	case errors.Is(err, ErrNotFound):
		k.outcome = OutcomeNotFound
		return errResult(MsgNotFound, "incident: 404"), nil
	case errors.Is(err, ErrRateLimited):
		k.outcome = OutcomeRateLimited
		return errResult(MsgRateLimited, "incident: 429"), nil
	case errors.Is(err, ErrBadRequest):
		k.outcome = OutcomeBadRequest
		msg := "ServiceNow refused the request."
		var ae *Error
		if errors.As(err, &ae) && ae.Message != "" && ae.Message != "Bad Request" {
			msg = "ServiceNow refused the request: " + ae.Message + "."
		}
		return errResult(msg, "incident: 400"), nil
	case errors.Is(err, ErrUnsafeValue), errors.Is(err, ErrInvalidField), errors.Is(err, ErrInvalidSysID):
		return k.invalid(queryInputError(err)), nil
	}
	k.outcome = OutcomeUnavailable
	return errResult(MsgUnavailable, "incident: unavailable"), nil
}

// invalid reports a tool input problem (no request was made for it).
func (k *call) invalid(err error) tool.Result {
	k.outcome = OutcomeInvalidInput
	k.rows = 0
	return errResult(err.Error(), "incident: invalid input")
}

func errResult(msg, summary string) tool.Result {
	r := tool.ErrorResult(msg)
	r.Summary = summary
	return r
}

// result encodes v as compact JSON, without HTML escaping.
func result(v any, summary string) (tool.Result, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return tool.Result{}, fmt.Errorf("servicenow: encode result: %w", err)
	}
	return tool.Result{Content: strings.TrimSuffix(b.String(), "\n"), Summary: summary}, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
