package incidentagent

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/onbehalf/onbehalf/agent"
	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/store"
)

func text(role model.Role, s string) model.Message {
	return model.Message{Role: role, Content: []model.Block{{Type: model.BlockText, Text: s}}}
}

func sessionStore(t *testing.T, conv agent.Conversation) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, _ := json.Marshal(conv)
	if err := st.CreateSession(context.Background(), store.Session{ID: "s-1", Issuer: "iss", Subject: "jane", Messages: b}); err != nil {
		t.Fatal(err)
	}
	return st
}

func texts(t *testing.T, st store.Store) (string, []agent.PendingCall) {
	t.Helper()
	conv, _ := loadConversation(context.Background(), st, "s-1")
	var out []string
	for _, m := range conv.Messages {
		out = append(out, m.Text())
	}
	return fmt.Sprint(out), conv.Pending
}

// Two messages of one session answered at once: both turns are kept, the
// second saved after the first.
func TestConcurrentTurnsInOneSessionKeepBothTurns(t *testing.T) {
	ctx := context.Background()
	st := sessionStore(t, agent.Conversation{Messages: []model.Message{text(model.RoleUser, "hi"), text(model.RoleAssistant, "hello")}})
	a, baseA := loadConversation(ctx, st, "s-1")
	b, baseB := loadConversation(ctx, st, "s-1")
	a.Messages = append(a.Messages, text(model.RoleUser, "A?"), text(model.RoleAssistant, "A!"))
	b.Messages = append(b.Messages, text(model.RoleUser, "B?"), text(model.RoleAssistant, "B!"))
	if err := saveConversation(ctx, st, "s-1", a, baseA); err != nil {
		t.Fatal(err)
	}
	if err := saveConversation(ctx, st, "s-1", b, baseB); err != nil {
		t.Fatal(err)
	}
	if got, _ := texts(t, st); got != "[hi hello A? A! B? B!]" {
		t.Errorf("history = %s, want both turns after the shared start", got)
	}
	// A turn that started from the latest state simply replaces it.
	c, baseC := loadConversation(ctx, st, "s-1")
	c.Messages = append(c.Messages, text(model.RoleUser, "C?"), text(model.RoleAssistant, "C!"))
	if err := saveConversation(ctx, st, "s-1", c, baseC); err != nil {
		t.Fatal(err)
	}
	if got, _ := texts(t, st); got != "[hi hello A? A! B? B! C? C!]" {
		t.Errorf("history = %s", got)
	}
}

// A held write that one turn confirmed (and ran) is not brought back by a
// concurrent turn that left it untouched; one a turn creates is kept.
func TestConcurrentTurnsNeverResurrectAConfirmedWrite(t *testing.T) {
	ctx := context.Background()
	held := agent.PendingCall{ToolUseID: "t1", Tool: "resolve_incident", Input: json.RawMessage(`{"number":"INC0012345"}`), Summary: "resolve INC0012345"}
	st := sessionStore(t, agent.Conversation{Messages: []model.Message{text(model.RoleUser, "resolve it")}, Pending: []agent.PendingCall{held}})
	yes, baseYes := loadConversation(ctx, st, "s-1")
	other, baseOther := loadConversation(ctx, st, "s-1")
	yes.Pending = nil // confirmed and run
	yes.Messages = append(yes.Messages, text(model.RoleUser, "yes"), text(model.RoleAssistant, "resolved"))
	other.Messages = append(other.Messages, text(model.RoleUser, "how many open?"), text(model.RoleAssistant, "3"))
	if err := saveConversation(ctx, st, "s-1", yes, baseYes); err != nil {
		t.Fatal(err)
	}
	if err := saveConversation(ctx, st, "s-1", other, baseOther); err != nil {
		t.Fatal(err)
	}
	if _, pending := texts(t, st); len(pending) != 0 {
		t.Errorf("pending after a confirmed write and a concurrent turn = %+v, want none", pending)
	}

	// A turn that creates a held write keeps it even if it saves second.
	st2 := sessionStore(t, agent.Conversation{Messages: []model.Message{text(model.RoleUser, "hi")}})
	asks, baseAsks := loadConversation(ctx, st2, "s-1")
	chat, baseChat := loadConversation(ctx, st2, "s-1")
	chat.Messages = append(chat.Messages, text(model.RoleAssistant, "hello"))
	asks.Pending = []agent.PendingCall{held}
	if err := saveConversation(ctx, st2, "s-1", chat, baseChat); err != nil {
		t.Fatal(err)
	}
	if err := saveConversation(ctx, st2, "s-1", asks, baseAsks); err != nil {
		t.Fatal(err)
	}
	if _, pending := texts(t, st2); len(pending) != 1 || pending[0].ToolUseID != "t1" {
		t.Errorf("pending = %+v, want the write the second turn held", pending)
	}
}
