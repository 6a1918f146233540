package offline

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlanMapsPhrasingsToToolCalls(t *testing.T) {
	tests := []struct {
		prompt string
		want   []call
	}{
		{"Show me 5 incidents assigned to me", []call{{"query_incidents", map[string]any{"assigned_to_me": true, "limit": 5}}}},
		{"Show me my open incidents", []call{{"query_incidents", map[string]any{"assigned_to_me": true, "active": true}}}},
		{"list my P2 incidents", []call{{"query_incidents", map[string]any{"assigned_to_me": true, "priority": 2}}}},
		{"which of my incidents are in progress?", []call{{"query_incidents", map[string]any{"assigned_to_me": true, "state": "In Progress"}}}},
		{"incidents I opened", []call{{"query_incidents", map[string]any{"caller_is_me": true}}}},
		{"Show me INC0012345", []call{{"get_incident", map[string]any{"number": "INC0012345"}}}},
		{"what about inc0012401 and INC0012455", []call{
			{"get_incident", map[string]any{"number": "INC0012401"}},
			{"get_incident", map[string]any{"number": "INC0012455"}},
		}},
		{"Set INC0012345 to resolved", []call{{"update_incident", map[string]any{"number": "INC0012345", "state": "Resolved"}}}},
		{"set INC0012345 to priority 2", []call{{"update_incident", map[string]any{"number": "INC0012345", "priority": 2}}}},
		{"change INC0012345 to in progress, P3", []call{{"update_incident", map[string]any{"number": "INC0012345", "priority": 3, "state": "In Progress"}}}},
		{"show me my open P1s", []call{{"query_incidents", map[string]any{"assigned_to_me": true, "active": true, "priority": 1}}}},
		{"How many network incidents do I have?", []call{{"query_incidents", map[string]any{"assigned_to_me": true, "category": "Network", "limit": 100}}}},
		{"count my open incidents", []call{{"query_incidents", map[string]any{"assigned_to_me": true, "active": true, "limit": 100}}}},
		{"list my hardware incidents that are on hold", []call{{"query_incidents", map[string]any{"assigned_to_me": true, "category": "Hardware", "state": "On Hold"}}}},
		{"Add a comment to INC0012345: waiting for the new laptop", []call{{"add_comment", map[string]any{"number": "INC0012345", "text": "waiting for the new laptop"}}}},
		{"comment on INC0012345 saying I rebooted it", []call{{"add_comment", map[string]any{"number": "INC0012345", "text": "I rebooted it"}}}},
		{"add a work note to INC0012401: BIOS updated", []call{{"add_work_note", map[string]any{"number": "INC0012401", "text": "BIOS updated"}}}},
		{"Resolve INC0012345 with notes: replaced the VPN profile", []call{{"resolve_incident", map[string]any{"number": "INC0012345", "close_code": "Solved (Permanently)", "close_notes": "replaced the VPN profile"}}}},
		{"resolve INC0012345 remotely with a workaround, notes: split tunnel off", []call{{"resolve_incident", map[string]any{"number": "INC0012345", "close_code": "Solved Remotely (Work Around)", "close_notes": "split tunnel off"}}}},
		{"Open an incident: printer on the 3rd floor is jammed", []call{{"create_incident", map[string]any{"short_description": "printer on the 3rd floor is jammed"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.prompt, func(t *testing.T) {
			got, reply := plan(tt.prompt)
			if reply != "" {
				t.Fatalf("plan(%q) asked %q, want tool calls", tt.prompt, reply)
			}
			// Compare through JSON so ints and float64s agree.
			if diff := cmp.Diff(asJSON(t, tt.want), asJSON(t, got)); diff != "" {
				t.Errorf("plan(%q) calls (-want +got):\n%s", tt.prompt, diff)
			}
		})
	}
}

func TestPlanAsksInsteadOfGuessing(t *testing.T) {
	for _, prompt := range []string{"hello", "what's the weather?", "update INC0012345", "add a comment to INC0012345", "resolve INC0012345", "open an incident"} {
		calls, reply := plan(prompt)
		if len(calls) != 0 || reply == "" {
			t.Errorf("plan(%q) = %v, %q; want no calls and a clarifying reply", prompt, calls, reply)
		}
	}
}

func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
