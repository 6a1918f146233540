package incidentagent

import (
	"context"
	"encoding/json"
	"errors"
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

// A held write loaded by two turns at once (a "yes" sent twice) is claimed
// by one of them only: the other runs without it, so it runs once.
func TestAHeldWriteIsClaimedByOneTurnOnly(t *testing.T) {
	ctx := context.Background()
	held := agent.PendingCall{ToolUseID: "t1", Tool: "resolve_incident", Input: json.RawMessage(`{"number":"INC0012345"}`), Summary: "resolve INC0012345"}
	st := sessionStore(t, agent.Conversation{Messages: []model.Message{text(model.RoleUser, "resolve it")}, Pending: []agent.PendingCall{held}})
	first, baseFirst := loadConversation(ctx, st, "s-1")
	second, baseSecond := loadConversation(ctx, st, "s-1")
	first, baseFirst = claimPending(ctx, st, "s-1", first, baseFirst)
	second, baseSecond = claimPending(ctx, st, "s-1", second, baseSecond)
	if len(first.Pending) != 1 || first.Pending[0].ToolUseID != "t1" {
		t.Fatalf("first turn's held writes = %+v, want the one it claimed", first.Pending)
	}
	if len(second.Pending) != 0 {
		t.Fatalf("second turn's held writes = %+v, want none (the first claimed it)", second.Pending)
	}
	if _, pending := texts(t, st); len(pending) != 0 {
		t.Errorf("stored held writes after the claim = %+v, want none", pending)
	}
	// Both turns save; the write is held by nobody afterwards and both
	// turns' messages are there.
	first.Pending = nil
	first.Messages = append(first.Messages, text(model.RoleUser, "yes"), text(model.RoleAssistant, "resolved"))
	second.Messages = append(second.Messages, text(model.RoleUser, "yes"), text(model.RoleAssistant, "nothing to confirm"))
	if err := saveConversation(ctx, st, "s-1", first, baseFirst); err != nil {
		t.Fatal(err)
	}
	if err := saveConversation(ctx, st, "s-1", second, baseSecond); err != nil {
		t.Fatal(err)
	}
	got, pending := texts(t, st)
	if got != "[resolve it yes resolved yes nothing to confirm]" || len(pending) != 0 {
		t.Errorf("after both turns: %s, pending %+v", got, pending)
	}
}

// Two turns that each hold a new write keep both.
func TestConcurrentTurnsThatBothHoldWritesKeepBoth(t *testing.T) {
	ctx := context.Background()
	st := sessionStore(t, agent.Conversation{Messages: []model.Message{text(model.RoleUser, "hi")}})
	a, baseA := loadConversation(ctx, st, "s-1")
	b, baseB := loadConversation(ctx, st, "s-1")
	a.Pending = []agent.PendingCall{{ToolUseID: "x", Tool: "add_comment", Input: json.RawMessage(`{"n":"1"}`)}}
	b.Pending = []agent.PendingCall{{ToolUseID: "y", Tool: "add_comment", Input: json.RawMessage(`{"n":"2"}`)}}
	if err := saveConversation(ctx, st, "s-1", a, baseA); err != nil {
		t.Fatal(err)
	}
	if err := saveConversation(ctx, st, "s-1", b, baseB); err != nil {
		t.Fatal(err)
	}
	_, pending := texts(t, st)
	if len(pending) != 2 || pending[0].ToolUseID != "x" || pending[1].ToolUseID != "y" {
		t.Errorf("held writes = %+v, want x and y", pending)
	}
}

// failingUpdates fails the first n UpdateSession calls (a store hiccup).
type failingUpdates struct {
	store.Store
	n int
}

func (f *failingUpdates) UpdateSession(ctx context.Context, id string, fn func(store.Session) (store.Session, error)) error {
	if f.n > 0 {
		f.n--
		return errors.New("database is locked")
	}
	return f.Store.UpdateSession(ctx, id, fn)
}

// A turn that cannot claim the held writes runs without them, and its
// save keeps them stored for a later turn: nothing is dropped.
func TestATurnThatCannotClaimKeepsTheHeldWritesStored(t *testing.T) {
	ctx := context.Background()
	held := agent.PendingCall{ToolUseID: "t1", Tool: "resolve_incident", Input: json.RawMessage(`{"number":"INC0012345"}`), Summary: "resolve INC0012345"}
	st := &failingUpdates{Store: sessionStore(t, agent.Conversation{Messages: []model.Message{text(model.RoleUser, "resolve it")}, Pending: []agent.PendingCall{held}}), n: 1}
	conv, base := loadConversation(ctx, st, "s-1")
	conv, base = claimPending(ctx, st, "s-1", conv, base)
	if len(conv.Pending) != 0 {
		t.Fatalf("held writes after a failed claim = %+v, want none for this turn", conv.Pending)
	}
	conv.Messages = append(conv.Messages, text(model.RoleUser, "how many open?"), text(model.RoleAssistant, "3"))
	if err := saveConversation(ctx, st, "s-1", conv, base); err != nil {
		t.Fatal(err)
	}
	got, pending := texts(t, st)
	if got != "[resolve it how many open? 3]" || len(pending) != 1 || pending[0].ToolUseID != "t1" {
		t.Errorf("after the turn: %s, pending %+v; want the turn saved and the write still held", got, pending)
	}
}
