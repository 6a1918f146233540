package servicenow

// create_incident: POST a new incident as the signed-in user.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/onbehalf/onbehalf/tool"
)

type createIn struct {
	ShortDescription string     `json:"short_description"`
	Description      string     `json:"description"`
	Category         string     `json:"category"`
	Impact           flexString `json:"impact"`
	Urgency          flexString `json:"urgency"`
	Priority         flexString `json:"priority"`
	AssignedTo       string     `json:"assigned_to"`
}

// changes validates the new incident's fields from the model. The caller
// is not among them: create sets it to the signed-in user.
func (in createIn) changes() ([]change, error) {
	short, err := text("short_description", in.ShortDescription, maxShortDescLen)
	if err != nil {
		return nil, err
	}
	if short == "" {
		return nil, &inputError{msg: "Give a short_description: a one-line summary of the problem."}
	}
	if strings.ContainsAny(short, "\r\n") {
		return nil, invalid("short_description", "must be one line")
	}
	cs := []change{{"short_description", "short_description", short}}
	if s, err := text("description", in.Description, maxNotesLen); err != nil {
		return nil, err
	} else if s != "" {
		cs = append(cs, change{"description", "description", s})
	}
	if s := strings.TrimSpace(in.Category); s != "" {
		v, ok := knownCategory(s)
		if !ok {
			return nil, invalid("category", "use one of %s", strings.Join(labels(categoryChoices), ", "))
		}
		cs = append(cs, change{"category", "category", v})
	}
	for _, f := range []struct {
		name string
		v    flexString
	}{{"impact", in.Impact}, {"urgency", in.Urgency}} {
		if f.v == "" {
			continue
		}
		v, ok := impactValue(string(f.v))
		if !ok {
			return nil, invalid(f.name, "use 1 (High), 2 (Medium) or 3 (Low)")
		}
		cs = append(cs, change{f.name, f.name, v})
	}
	if in.Priority != "" {
		v, ok := priorityValue(string(in.Priority))
		if !ok {
			return nil, invalid("priority", "use 1 (Critical) to 5 (Planning)")
		}
		cs = append(cs, change{"priority", "priority", v})
	}
	return cs, checkAssignee(in.AssignedTo)
}

func (t *incidentTools) create(ctx context.Context, k *call, raw json.RawMessage) (tool.Result, error) {
	var in createIn
	if err := decodeInput(raw, &in); err != nil {
		return k.invalid(err), nil
	}
	cs, err := in.changes()
	if err != nil {
		return k.invalid(err), nil
	}
	// The caller is always the signed-in user, whom ServiceNow resolves:
	// no input can name another caller. (opened_by defaults to the user
	// making the call; caller_id has no default in a base instance.)
	me, err := k.userSysID(ctx, "me")
	if errors.Is(err, errNoUser) || errors.Is(err, errManyUsers) {
		k.outcome = OutcomeNotFound
		return errResult(MsgNoSelf, "incident: caller not found"), nil
	}
	if err != nil {
		return k.fail(err)
	}
	cs = append(cs, change{"caller", "caller_id", me})
	switch who := strings.TrimSpace(in.AssignedTo); {
	case strings.EqualFold(who, "me"):
		cs = append(cs, change{"assigned_to", "assigned_to", me})
	case who != "":
		id, err := k.assigneeID(ctx, who)
		if err != nil {
			return k.fail(err)
		}
		cs = append(cs, change{"assigned_to", "assigned_to", id})
	}
	rec, err := k.s.create(ctx, incidentTable, fieldsOf(cs), writeOpt)
	if err != nil {
		return k.fail(err)
	}
	k.rows = 1
	out := struct {
		Incident   incidentDetail `json:"incident"`
		NotApplied []string       `json:"not_applied,omitempty"`
	}{Incident: detailOf(rec)}
	k.record = out.Incident.Number
	_, out.NotApplied = appliedSplit(rec, cs)
	summary := fmt.Sprintf("incident %s: created", out.Incident.Number)
	if len(out.NotApplied) > 0 {
		summary += "; not applied " + strings.Join(out.NotApplied, ", ")
	}
	return result(out, summary)
}
