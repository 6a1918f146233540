package servicenow

// query_incidents: typed filters become a safe encoded query.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/onbehalf/onbehalf/tool"
)

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
