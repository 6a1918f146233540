package servicenow

// resolve_incident: state Resolved with a resolution code and notes.

import (
	"context"
	"encoding/json"

	"github.com/onbehalf/onbehalf/tool"
)

// stateResolved is the incident state Resolved.
const stateResolved = "6"

type resolveIn struct {
	recordIn
	CloseCode  string `json:"close_code"`
	CloseNotes string `json:"close_notes"`
}

func (in resolveIn) changes() ([]change, error) {
	code, err := closeCode(in.CloseCode)
	if err != nil {
		return nil, err
	}
	notes, err := text("close_notes", in.CloseNotes, maxNotesLen)
	if err != nil {
		return nil, err
	}
	if notes == "" {
		return nil, &inputError{msg: "Give close_notes: what was done to resolve the incident."}
	}
	return []change{{"state", "state", stateResolved}, {"close_code", "close_code", code}, {"close_notes", "close_notes", notes}}, nil
}

func (t *incidentTools) resolve(ctx context.Context, k *call, raw json.RawMessage) (tool.Result, error) {
	var in resolveIn
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
	sysID, err := k.sysIDOf(ctx, in.recordIn)
	if err != nil {
		return k.fail(err)
	}
	return k.patch(ctx, sysID, cs)
}
