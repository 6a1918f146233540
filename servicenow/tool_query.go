package servicenow

// query_incidents: typed filters become a safe encoded query.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

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
	OpenedSince  string     `json:"opened_since"`
	Limit        int        `json:"limit"`
}

// inputNames maps query fields back to the tool input naming them.
var inputNames = map[string]string{"short_description": "text", "category": "category", "state": "state", "priority": "priority", "opened_at": "opened_since"}

func (t *incidentTools) query(ctx context.Context, k *call, raw json.RawMessage) (tool.Result, error) {
	var in queryIn
	if err := decodeInput(raw, &in); err != nil {
		return k.invalid(err), nil
	}
	q, limit, err := in.build(t.c.now())
	if err != nil {
		return k.invalid(err), nil
	}
	// One row more than asked tells whether more rows match.
	rows, total, err := k.s.list(ctx, incidentTable, ListOptions{
		Query: q, Fields: rowFields, Limit: limit + 1, DisplayValue: "true",
	})
	if err != nil {
		return k.fail(err)
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
	k.rows = out.Returned
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

func (in queryIn) build(now time.Time) (*Query, int, error) {
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
		// Checked before normalising, which would fold a line break
		// into a space: such input is refused, not repaired.
		if reason := unsafeReason(c); reason != "" {
			return nil, 0, queryInputError(&QueryError{Field: "category", Reason: reason, Err: ErrUnsafeValue})
		}
		q.Eq("category", categoryValue(c))
	}
	if text := strings.TrimSpace(in.Text); text != "" {
		q.Like("short_description", text)
	}
	if s := strings.TrimSpace(in.OpenedSince); s != "" {
		since, ok := parseSince(s, now)
		if !ok {
			return nil, 0, invalid("opened_since", "use a date (2026-01-31) or how long ago (7d, 12h, 2w, at most %dd)", maxSinceDays)
		}
		q.OnOrAfter("opened_at", since)
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

// maxSinceDays bounds a relative opened_since (ten years).
const maxSinceDays = 3650

var sinceRe = regexp.MustCompile(`^([0-9]{1,6}) ?([hdw])$`)

// parseSince reads opened_since: a date (midnight UTC) or a duration back
// from now in hours, days or weeks.
func parseSince(s string, now time.Time) (time.Time, bool) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, t.Year() >= 1970
	}
	m := sinceRe.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return time.Time{}, false
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	d := time.Duration(n) * unit
	if n < 1 || d > maxSinceDays*24*time.Hour {
		return time.Time{}, false
	}
	return now.Add(-d), true
}
