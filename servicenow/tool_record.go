package servicenow

// get_incident and update_incident, and what every tool that addresses one
// incident shares: the target, the lookup by number, the write result.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/onbehalf/onbehalf/tool"
)

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

func (in recordIn) name() string {
	if in.Number != "" {
		return in.Number
	}
	return in.SysID
}

func (t *incidentTools) get(ctx context.Context, k *call, raw json.RawMessage) (tool.Result, error) {
	var in recordIn
	if err := decodeInput(raw, &in); err != nil {
		return k.invalid(err), nil
	}
	if err := in.target(); err != nil {
		return k.invalid(err), nil
	}
	k.record = in.name()
	opt := ListOptions{Fields: detailFields, DisplayValue: "true"}
	var rec Record
	var err error
	if in.SysID != "" {
		rec, err = k.s.get(ctx, incidentTable, in.SysID, opt)
	} else {
		rec, err = k.byNumber(ctx, in.Number, opt)
	}
	if err != nil {
		return k.fail(err)
	}
	k.rows = 1
	d := detailOf(rec)
	return result(struct {
		Incident incidentDetail `json:"incident"`
	}{d}, "incident "+d.Number)
}

// byNumber finds the incident with number; none visible is ErrNotFound.
func (k *call) byNumber(ctx context.Context, number string, opt ListOptions) (Record, error) {
	opt.Query = NewQuery().Eq("number", number)
	opt.Limit = 1
	rows, _, err := k.s.list(ctx, incidentTable, opt)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, &Error{Status: 404, Message: "No Record found"}
	}
	return rows[0], nil
}

// sysIDOf is the target's sys_id, looked up when it was given by number.
func (k *call) sysIDOf(ctx context.Context, in recordIn) (string, error) {
	k.record = in.name()
	if in.SysID != "" {
		return in.SysID, nil
	}
	r, err := k.byNumber(ctx, in.Number, ListOptions{Fields: []string{"sys_id"}})
	if err != nil {
		return "", err
	}
	id := r.Value("sys_id")
	if checkSysID(id) != nil {
		return "", fmt.Errorf("%w: lookup returned no usable sys_id", ErrUnavailable)
	}
	return id, nil
}

// change is one field a write sets, in the order they are reported.
type change struct{ input, field, value string }

// writeOpt asks for the written row with both values and display values,
// so that what was applied can be checked on values.
var writeOpt = ListOptions{Fields: detailFields, DisplayValue: "all"}

// writeResult is the answer of a write tool.
type writeResult struct {
	Incident   incidentDetail `json:"incident"`
	Updated    []string       `json:"updated"`
	NotApplied []string       `json:"not_applied,omitempty"`
}

// patch writes cs to the incident with sysID and reports which changes
// ServiceNow applied.
func (k *call) patch(ctx context.Context, sysID string, cs []change) (tool.Result, error) {
	rec, err := k.s.update(ctx, incidentTable, sysID, fieldsOf(cs), writeOpt)
	if err != nil {
		return k.fail(err)
	}
	k.rows = 1
	out := writeResult{Incident: detailOf(rec), Updated: []string{}}
	out.Updated, out.NotApplied = appliedSplit(rec, cs)
	summary := fmt.Sprintf("incident %s: updated %s", out.Incident.Number, strings.Join(out.Updated, ", "))
	if len(out.NotApplied) > 0 {
		summary += "; not applied " + strings.Join(out.NotApplied, ", ")
	}
	return result(out, summary)
}

func fieldsOf(cs []change) map[string]string {
	fields := make(map[string]string, len(cs))
	for _, c := range cs {
		fields[c.field] = c.value
	}
	return fields
}

func appliedSplit(rec Record, cs []change) (updated, notApplied []string) {
	updated = []string{}
	for _, c := range cs {
		if applied(rec, c) {
			updated = append(updated, c.input)
		} else {
			notApplied = append(notApplied, c.input)
		}
	}
	return updated, notApplied
}

// applied reports whether the row ServiceNow returned holds the value
// written. ServiceNow silently drops writes to fields the user may not
// write, and business rules may recompute some (priority); what cannot be
// checked (journal fields, fields not returned) counts as applied.
func applied(rec Record, c change) bool {
	if _, ok := rec[c.field]; !ok || c.field == "comments" || c.field == "work_notes" {
		return true
	}
	got := strings.TrimSpace(rec.Value(c.field))
	if got == c.value {
		return true
	}
	// An instance that ignored sysparm_display_value=all sends labels.
	switch c.field {
	case "state":
		v, ok := stateValue(got)
		return ok && v == c.value
	case "priority":
		v, ok := priorityValue(got)
		return ok && v == c.value
	case "impact", "urgency":
		v, ok := impactValue(got)
		return ok && v == c.value
	case "close_code", "category":
		return strings.EqualFold(got, c.value)
	}
	return false
}

type updateIn struct {
	recordIn
	State      flexString `json:"state"`
	Priority   flexString `json:"priority"`
	AssignedTo string     `json:"assigned_to"`
	CloseCode  string     `json:"close_code"`
	CloseNotes string     `json:"close_notes"`
}

// changes validates the update; the assignee is returned to be looked up.
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
		v, err := closeCode(s)
		if err != nil {
			return nil, err
		}
		cs = append(cs, change{"close_code", "close_code", v})
	}
	if s, err := text("close_notes", in.CloseNotes, maxNotesLen); err != nil {
		return nil, err
	} else if s != "" {
		cs = append(cs, change{"close_notes", "close_notes", s})
	}
	if len(cs) == 0 && strings.TrimSpace(in.AssignedTo) == "" {
		return nil, &inputError{msg: "Nothing to update: give state, priority, assigned_to, close_code or close_notes."}
	}
	return cs, nil
}

func (t *incidentTools) update(ctx context.Context, k *call, raw json.RawMessage) (tool.Result, error) {
	var in updateIn
	if err := decodeInput(raw, &in); err != nil {
		return k.invalid(err), nil
	}
	if err := in.target(); err != nil {
		return k.invalid(err), nil
	}
	cs, err := in.changes()
	if err != nil {
		return k.invalid(err), nil
	}
	if err := checkAssignee(in.AssignedTo); err != nil {
		return k.invalid(err), nil
	}
	sysID, err := k.sysIDOf(ctx, in.recordIn)
	if err != nil {
		return k.fail(err)
	}
	if who := strings.TrimSpace(in.AssignedTo); who != "" {
		id, err := k.assigneeID(ctx, who)
		if err != nil {
			return k.fail(err)
		}
		cs = append(cs, change{"assigned_to", "assigned_to", id})
	}
	return k.patch(ctx, sysID, cs)
}

func closeCode(s string) (string, error) {
	v, ok := closeCodeValue(s)
	if !ok {
		return "", invalid("close_code", "use one of %s", strings.Join(closeCodes(), ", "))
	}
	return v, nil
}

// text validates free text written to a field (not a query: '^' is fine
// here): trimmed, valid UTF-8, no control characters but line breaks and
// tabs, at most max characters. "" means the field was not given.
func text(name, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", invalid(name, "not valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		return "", invalid(name, "longer than %d characters", max)
	case strings.ContainsFunc(s, func(r rune) bool { return isControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		return "", invalid(name, "contains a control character")
	}
	return s, nil
}
