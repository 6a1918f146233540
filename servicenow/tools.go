package servicenow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/onbehalf/onbehalf/tool"
)

// Messages of failed tool calls. They are honest and distinct, and they
// never suggest a way around the refusal.
const (
	MsgUnauthorized = "ServiceNow did not accept your sign-in; please sign in again."
	MsgForbidden    = "You don't have access to do that in ServiceNow."
	MsgNotFound     = "No such incident, or you don't have access to it."
	MsgUnavailable  = "ServiceNow is unavailable right now."
	MsgRateLimited  = "ServiceNow is limiting requests right now; please try again later."
	MsgNoToken      = "Could not get access to ServiceNow on your behalf; please sign in again."
)

const (
	incidentTable     = "incident"
	defaultQueryLimit = 10
	maxQueryLimit     = 100
	maxCloseCodeLen   = 100
	maxNotesLen       = 4000
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

// Tools returns the incident tools (query_incidents, get_incident,
// update_incident) calling ServiceNow through c, as the user c's
// TokenSource gives a token for.
func Tools(c *Client) []tool.Tool {
	t := &incidentTools{c: c}
	return []tool.Tool{
		{
			Name:        "query_incidents",
			Description: "List ServiceNow incidents the signed-in user can see, ordered by number, with display values. Filters combine with AND. Returns the incidents, how many were returned, and how many match in total.",
			InputSchema: json.RawMessage(querySchema),
			Handler:     t.query,
		},
		{
			Name:        "get_incident",
			Description: "Get one ServiceNow incident by number (INC0012345) or sys_id, with description, impact, urgency and resolution.",
			InputSchema: json.RawMessage(getSchema),
			Handler:     t.get,
		},
		{
			Name:        "update_incident",
			Description: "Update a ServiceNow incident as the signed-in user: state, priority, resolution code and notes, or add a comment. Resolving usually needs close_code and close_notes.",
			InputSchema: json.RawMessage(updateSchema),
			Write:       true,
			Handler:     t.update,
		},
	}
}

const querySchema = `{"type":"object","properties":{` +
	`"assigned_to_me":{"type":"boolean","description":"Only incidents assigned to the signed-in user."},` +
	`"caller_is_me":{"type":"boolean","description":"Only incidents the signed-in user raised (is the caller of)."},` +
	`"active":{"type":"boolean","description":"true: only open (active) incidents."},` +
	`"state":{"type":"string","description":"State label (New, In Progress, On Hold, Resolved, Closed, Canceled, Assigned) or its number."},` +
	`"priority":{"type":"integer","minimum":1,"maximum":5,"description":"1 Critical, 2 High, 3 Moderate, 4 Low, 5 Planning."},` +
	`"category":{"type":"string","description":"Category, e.g. Network, Hardware, Software, Inquiry / Help, Database."},` +
	`"text":{"type":"string","description":"Words the short description contains."},` +
	`"limit":{"type":"integer","minimum":1,"maximum":100,"default":10,"description":"Most incidents to return."}` +
	`},"additionalProperties":false}`

const getSchema = `{"type":"object","properties":{` +
	`"number":{"type":"string","pattern":"^INC\\d{7}$","description":"Incident number, e.g. INC0012345."},` +
	`"sys_id":{"type":"string","pattern":"^[0-9a-f]{32}$","description":"Incident sys_id (32 hex characters)."}` +
	`},"additionalProperties":false}`

const updateSchema = `{"type":"object","properties":{` +
	`"number":{"type":"string","pattern":"^INC\\d{7}$","description":"Incident number, e.g. INC0012345."},` +
	`"sys_id":{"type":"string","pattern":"^[0-9a-f]{32}$","description":"Incident sys_id, instead of number."},` +
	`"state":{"type":"string","description":"New state: New, In Progress, On Hold, Resolved, Closed, Canceled or Assigned."},` +
	`"priority":{"type":"integer","minimum":1,"maximum":5,"description":"New priority: 1 Critical, 2 High, 3 Moderate, 4 Low, 5 Planning."},` +
	`"close_code":{"type":"string","description":"Resolution code, e.g. Solved (Permanently)."},` +
	`"close_notes":{"type":"string","description":"Resolution notes."},` +
	`"comments":{"type":"string","description":"A comment to add, visible to the caller."}` +
	`},"additionalProperties":false}`

type incidentTools struct{ c *Client }

// failure turns a client error into an honest tool result. Only a
// cancelled call is returned as an error: nobody is waiting for a result.
func failure(err error) (tool.Result, error) {
	var ie *inputError
	switch {
	case errors.Is(err, context.Canceled):
		return tool.Result{}, err
	case errors.As(err, &ie):
		return inputResult(err), nil
	case errors.Is(err, ErrNoToken):
		return errResult(MsgNoToken, "incident: no token"), nil
	case errors.Is(err, ErrUnauthorized):
		return errResult(MsgUnauthorized, "incident: 401"), nil
	case errors.Is(err, ErrForbidden):
		return errResult(MsgForbidden, "incident: 403"), nil
	case errors.Is(err, ErrNotFound):
		return errResult(MsgNotFound, "incident: 404"), nil
	case errors.Is(err, ErrRateLimited):
		return errResult(MsgRateLimited, "incident: 429"), nil
	case errors.Is(err, ErrBadRequest):
		msg := "ServiceNow refused the request."
		var ae *Error
		if errors.As(err, &ae) && ae.Message != "" && ae.Message != "Bad Request" {
			msg = "ServiceNow refused the request: " + ae.Message + "."
		}
		return errResult(msg, "incident: 400"), nil
	case errors.Is(err, ErrUnsafeValue), errors.Is(err, ErrInvalidField), errors.Is(err, ErrInvalidSysID):
		return inputResult(queryInputError(err)), nil
	}
	return errResult(MsgUnavailable, "incident: unavailable"), nil
}

func inputResult(err error) tool.Result {
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
