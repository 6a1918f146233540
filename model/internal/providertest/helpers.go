package providertest

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/model"
)

// Sleeper records the waits it is asked for and returns at once.
type Sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

// Sleep records d and returns ctx's error.
func (s *Sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

// Waits are the waits asked for so far.
func (s *Sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// Get walks a decoded JSON value: Get(v, "messages", 0, "content"). It is
// nil where the path leads nowhere.
func Get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// ListSchema is the input schema of the list_incidents tool the tests
// offer the model.
var ListSchema = json.RawMessage(`{"type":"object","properties":{"assigned_to_me":{"type":"boolean"},"limit":{"type":"integer","maximum":100}},"required":["limit"],"additionalProperties":false}`)

// UserRequest is a request with a system prompt, the list_incidents tool,
// 1024 max tokens and text as the user's message.
func UserRequest(text string) model.Request {
	return model.Request{
		System:    "You help with ServiceNow incidents.",
		MaxTokens: 1024,
		Tools:     []model.ToolSpec{{Name: "list_incidents", Description: "List incidents.", InputSchema: ListSchema}},
		Messages:  []model.Message{{Role: model.RoleUser, Content: []model.Block{{Type: model.BlockText, Text: text}}}},
	}
}

// Check reports every named pair {got, want} that differs.
func Check(t *testing.T, checks map[string][2]any) {
	t.Helper()
	for name, c := range checks {
		if !reflect.DeepEqual(c[0], c[1]) {
			t.Errorf("%s = %#v, want %#v", name, c[0], c[1])
		}
	}
}
