package servicenow

// get_incident and update_incident: one incident by number or sys_id.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

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
