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
	for _, prompt := range []string{"hello", "what's the weather?", "update INC0012345"} {
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
