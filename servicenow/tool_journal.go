package servicenow

// add_comment and add_work_note: append to an incident's journal fields.

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/onbehalf/onbehalf/tool"
)

type journalIn struct {
	recordIn
	Text string `json:"text"`
}

// journal returns the handler that PATCHes text into field ("comments" or
// "work_notes"); kind names it in the result ("comment", "work_note").
// The text goes in a JSON body, never in a query, so '^' is only text.
func (t *incidentTools) journal(field, kind string) handler {
	return func(ctx context.Context, k *call, raw json.RawMessage) (tool.Result, error) {
		var in journalIn
		if err := decodeInput(raw, &in); err != nil {
			return k.invalid(err), nil
		}
		if err := in.target(); err != nil {
			return k.invalid(err), nil
		}
		s, err := text("text", in.Text, maxNotesLen)
		if err != nil {
			return k.invalid(err), nil
		}
		if s == "" {
			return k.invalid(&inputError{msg: "Give the text of the " + kindLabel(kind) + "."}), nil
		}
		sysID, err := k.sysIDOf(ctx, in.recordIn)
		if err != nil {
			return k.fail(err)
		}
		rec, err := k.s.update(ctx, incidentTable, sysID, map[string]string{field: s}, ListOptions{Fields: rowFields, DisplayValue: "all"})
		if err != nil {
			return k.fail(err)
		}
		k.rows = 1
		out := struct {
			Incident incidentRow `json:"incident"`
			Added    string      `json:"added"`
		}{rowOf(rec), kind}
		return result(out, fmt.Sprintf("incident %s: added %s", out.Incident.Number, kindLabel(kind)))
	}
}

func kindLabel(kind string) string {
	if kind == "work_note" {
		return "work note"
	}
	return kind
}
