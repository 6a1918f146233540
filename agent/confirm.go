package agent

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/tool"
)

// PendingCall is a write the model asked for that waits for the user's
// confirmation. It is kept with the conversation between invocations.
type PendingCall struct {
	ToolUseID string          `json:"tool_use_id"`
	Tool      string          `json:"tool"`
	Input     json.RawMessage `json:"input"`
	// Summary is what the user is asked to confirm.
	Summary string `json:"summary"`
}

// Conversation is the state an agent keeps for one session.
type Conversation struct {
	Messages []model.Message `json:"messages"`
	Pending  []PendingCall   `json:"pending,omitempty"`
}

// confirmationResult is the tool result the model receives for a held
// write: it says plainly that nothing was changed.
type confirmationResult struct {
	ConfirmationRequired bool   `json:"confirmation_required"`
	Summary              string `json:"summary"`
	Note                 string `json:"note"`
}

func heldResult(p PendingCall) tool.Result {
	b, _ := json.Marshal(confirmationResult{
		ConfirmationRequired: true,
		Summary:              p.Summary,
		Note:                 "Nothing has been changed. The user must confirm this change in their next message.",
	})
	return tool.Result{Content: string(b), Summary: "waiting for confirmation: " + p.Summary}
}

// describeCall renders a write for the user to confirm, e.g.
// `update_incident number=INC0012345 priority=3`.
func describeCall(name string, input json.RawMessage) string {
	var fields map[string]any
	if json.Unmarshal(input, &fields) != nil || len(fields) == 0 {
		return name
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{name}
	for _, k := range keys {
		v := fmt.Sprint(fields[k])
		if len(v) > 80 {
			v = v[:80] + "…"
		}
		parts = append(parts, fmt.Sprintf("%s=%q", k, v))
	}
	return strings.Join(parts, " ")
}

var (
	yesRe = regexp.MustCompile(`(?i)^\s*(yes|y|yep|yeah|confirm(ed)?|go ahead|do it|ok(ay)?|sure|please do|proceed)\b[\s.!]*$`)
	noRe  = regexp.MustCompile(`(?i)^\s*(no|n|nope|cancel|stop|don'?t|do not|abort)\b`)
)

// confirms reports whether the user's own message confirms pending writes.
// Only a short, unambiguous reply counts: "yes", "confirm", "go ahead".
func confirms(prompt string) bool { return yesRe.MatchString(prompt) }

// declines reports whether the user's message refuses pending writes.
func declines(prompt string) bool { return noRe.MatchString(prompt) }
