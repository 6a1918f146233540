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

type queryIn struct {
	AssignedToMe bool       `json:"assigned_to_me"`
	CallerIsMe   bool       `json:"caller_is_me"`
	Active       bool       `json:"active"`
	State        flexString `json:"state"`
	Priority     flexString `json:"priority"`
	Category     string     `json:"category"`
	Text         string     `json:"text"`
	Limit        int        `json:"limit"`
}

// inputNames maps query fields back to the tool input naming them.
var inputNames = map[string]string{"short_description": "text", "category": "category", "state": "state", "priority": "priority"}

func (t *incidentTools) query(ctx context.Context, raw json.RawMessage) (tool.Result, error) {
	var in queryIn
	if err := decodeInput(raw, &in); err != nil {
		return inputResult(err), nil
	}
	q, limit, err := in.build()
	if err != nil {
		return inputResult(err), nil
	}
	// One row more than asked tells whether more rows match.
	rows, total, err := t.c.List(ctx, incidentTable, ListOptions{
		Query: q, Fields: rowFields, Limit: limit + 1, DisplayValue: "true",
	})
	if err != nil {
		return failure(err)
	}
	out := struct {
		Incidents []incidentRow `json:"incidents"`
		Returned  int           `json:"returned"`
		Total     *int          `json:"total,omitempty"`
	}{Incidents: []incidentRow{}}
	for i, r := range rows {
		if i == limit {
			break
		}
		out.Incidents = append(out.Incidents, rowOf(r))
	}
	out.Returned = len(out.Incidents)
	switch {
	case len(rows) <= limit:
		// The visible set was read to its end: its size is the total.
		n := len(rows)
		out.Total = &n
	case total >= 0:
		n := max(total, len(rows))
		out.Total = &n
	}
	return result(out, fmt.Sprintf("incident: %d %s", out.Returned, plural(out.Returned, "row", "rows")))
}

func (in queryIn) build() (*Query, int, error) {
	limit := in.Limit
	switch {
	case limit == 0:
		limit = defaultQueryLimit
	case limit < 0:
		return nil, 0, invalid("limit", "must be between 1 and %d", maxQueryLimit)
	case limit > maxQueryLimit:
		limit = maxQueryLimit
	}
	q := NewQuery()
	if in.AssignedToMe {
		q.EqMe("assigned_to")
	}
	if in.CallerIsMe {
		q.EqMe("caller_id")
	}
	if in.Active {
		q.Eq("active", "true")
	}
	if in.State != "" {
		v, ok := stateValue(string(in.State))
		if !ok {
			return nil, 0, invalid("state", "use one of %s", strings.Join(labels(stateChoices), ", "))
		}
		q.Eq("state", v)
	}
	if in.Priority != "" {
		v, ok := priorityValue(string(in.Priority))
		if !ok {
			return nil, 0, invalid("priority", "use 1 (Critical) to 5 (Planning)")
		}
		q.Eq("priority", v)
	}
	if c := strings.TrimSpace(in.Category); c != "" {
		q.Eq("category", categoryValue(c))
	}
	if text := strings.TrimSpace(in.Text); text != "" {
		q.Like("short_description", text)
	}
	q.OrderBy("number")
	if _, err := q.Encode(); err != nil {
		return nil, 0, queryInputError(err)
	}
	return q, limit, nil
}

// queryInputError words a refused query value for the model, naming the
// tool input it came from and never the value.
func queryInputError(err error) error {
	var qe *QueryError
	if !errors.As(err, &qe) {
		return &inputError{msg: "Invalid input."}
	}
	name := inputNames[qe.Field]
	if name == "" {
		name = qe.Field
	}
	reason := strings.TrimPrefix(qe.Reason, "value ")
	if errors.Is(err, ErrUnsafeValue) {
		reason = "it " + reason + ", which a ServiceNow query cannot carry"
	}
	return invalid(name, "%s", reason)
}

type recordIn struct {
	Number string `json:"number"`
	SysID  string `json:"sys_id"`
}

// target validates number or sys_id (exactly one) and normalises it.
func (in *recordIn) target() error {
	in.Number = strings.ToUpper(strings.TrimSpace(in.Number))
	in.SysID = strings.ToLower(strings.TrimSpace(in.SysID))
	switch {
	case in.Number == "" && in.SysID == "":
		return &inputError{msg: "Give the incident's number (INC0012345) or sys_id."}
	case in.Number != "" && in.SysID != "":
		return &inputError{msg: "Give the incident's number or its sys_id, not both."}
	case in.Number != "" && !numberRe.MatchString(in.Number):
		return invalid("number", "an incident number is INC followed by 7 digits")
	case in.SysID != "" && !sysIDRe.MatchString(in.SysID):
		return invalid("sys_id", "a sys_id is 32 hexadecimal characters")
	}
	return nil
}

func (t *incidentTools) get(ctx context.Context, raw json.RawMessage) (tool.Result, error) {
	var in recordIn
	if err := decodeInput(raw, &in); err != nil {
		return inputResult(err), nil
	}
	if err := in.target(); err != nil {
		return inputResult(err), nil
	}
	opt := ListOptions{Fields: detailFields, DisplayValue: "true"}
	var rec Record
	if in.SysID != "" {
		r, err := t.c.Get(ctx, incidentTable, in.SysID, opt)
		if err != nil {
			return failure(err)
		}
		rec = r
	} else {
		r, err := t.byNumber(ctx, in.Number, opt)
		if err != nil {
			return failure(err)
		}
		rec = r
	}
	d := detailOf(rec)
	return result(struct {
		Incident incidentDetail `json:"incident"`
	}{d}, "incident "+d.Number)
}

// byNumber finds the incident with number; none visible is ErrNotFound.
func (t *incidentTools) byNumber(ctx context.Context, number string, opt ListOptions) (Record, error) {
	opt.Query = NewQuery().Eq("number", number)
	opt.Limit = 1
	rows, _, err := t.c.List(ctx, incidentTable, opt)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, &Error{Status: 404, Message: "No Record found"}
	}
	return rows[0], nil
}

type updateIn struct {
	recordIn
	State      flexString `json:"state"`
	Priority   flexString `json:"priority"`
	CloseCode  string     `json:"close_code"`
	CloseNotes string     `json:"close_notes"`
	Comments   string     `json:"comments"`
}

// change is one field an update writes, in the order they are reported.
type change struct{ input, field, value string }

func (in updateIn) changes() ([]change, error) {
	var cs []change
	if in.State != "" {
		v, ok := stateValue(string(in.State))
		if !ok {
			return nil, invalid("state", "use one of %s", strings.Join(labels(stateChoices), ", "))
		}
		cs = append(cs, change{"state", "state", v})
	}
	if in.Priority != "" {
		v, ok := priorityValue(string(in.Priority))
		if !ok {
			return nil, invalid("priority", "use 1 (Critical) to 5 (Planning)")
		}
		cs = append(cs, change{"priority", "priority", v})
	}
	if s := strings.TrimSpace(in.CloseCode); s != "" {
		if len(s) > maxCloseCodeLen || strings.ContainsFunc(s, isControl) {
			return nil, invalid("close_code", "a resolution code is one short line")
		}
		cs = append(cs, change{"close_code", "close_code", closeCodeValue(s)})
	}
	for _, f := range []struct{ name, value string }{{"close_notes", in.CloseNotes}, {"comments", in.Comments}} {
		s := strings.TrimSpace(f.value)
		if s == "" {
			continue
		}
		if len(s) > maxNotesLen {
			return nil, invalid(f.name, "longer than %d characters", maxNotesLen)
		}
		cs = append(cs, change{f.name, f.name, s})
	}
	if len(cs) == 0 {
		return nil, &inputError{msg: "Nothing to update: give state, priority, close_code, close_notes or comments."}
	}
	return cs, nil
}

func (t *incidentTools) update(ctx context.Context, raw json.RawMessage) (tool.Result, error) {
	var in updateIn
	if err := decodeInput(raw, &in); err != nil {
		return inputResult(err), nil
	}
	if err := in.target(); err != nil {
		return inputResult(err), nil
	}
	cs, err := in.changes()
	if err != nil {
		return inputResult(err), nil
	}
	sysID := in.SysID
	if sysID == "" {
		r, err := t.byNumber(ctx, in.Number, ListOptions{Fields: []string{"sys_id"}})
		if err != nil {
			return failure(err)
		}
		sysID = r.Value("sys_id")
		if checkSysID(sysID) != nil {
			return failure(fmt.Errorf("%w: lookup returned no usable sys_id", ErrUnavailable))
		}
	}
	fields := make(map[string]string, len(cs))
	for _, c := range cs {
		fields[c.field] = c.value
	}
	rec, err := t.c.UpdateWith(ctx, incidentTable, sysID, fields, ListOptions{Fields: detailFields, DisplayValue: "true"})
	if err != nil {
		return failure(err)
	}
	out := struct {
		Incident   incidentDetail `json:"incident"`
		Updated    []string       `json:"updated"`
		NotApplied []string       `json:"not_applied,omitempty"`
	}{Incident: detailOf(rec), Updated: []string{}}
	for _, c := range cs {
		if applied(rec, c) {
			out.Updated = append(out.Updated, c.input)
		} else {
			out.NotApplied = append(out.NotApplied, c.input)
		}
	}
	summary := fmt.Sprintf("incident %s: updated %s", out.Incident.Number, strings.Join(out.Updated, ", "))
	if len(out.NotApplied) > 0 {
		summary += "; not applied " + strings.Join(out.NotApplied, ", ")
	}
	return result(out, summary)
}

// applied reports whether the row ServiceNow returned holds the value
// written. ServiceNow silently drops writes to fields the user may not
// write, and business rules may recompute some (priority); what cannot be
// checked (journal fields, fields not returned) counts as applied.
func applied(rec Record, c change) bool {
	if _, ok := rec[c.field]; !ok {
		return true
	}
	got := rec.Display(c.field)
	switch c.field {
	case "state":
		v, ok := stateValue(got)
		return ok && v == c.value
	case "priority":
		v, ok := priorityValue(got)
		return ok && v == c.value
	case "close_code":
		return strings.EqualFold(strings.TrimSpace(got), c.value)
	case "close_notes":
		return strings.TrimSpace(got) == c.value
	}
	return true
}

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
