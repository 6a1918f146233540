package agent

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/tool"
)

// scripted is a model.Provider that plays back fixed responses.
type scripted struct {
	turns []model.Message
	seen  []model.Request
}

func (s *scripted) Name() string { return "scripted" }

func (s *scripted) Converse(ctx context.Context, req model.Request, onText func(string)) (*model.Response, error) {
	s.seen = append(s.seen, req)
	if len(s.turns) == 0 {
		return nil, errors.New("script exhausted")
	}
	m := s.turns[0]
	s.turns = s.turns[1:]
	if t := m.Text(); t != "" && onText != nil {
		onText(t)
	}
	return &model.Response{Message: m}, nil
}

func toolUse(id, name, input string) model.Block {
	return model.Block{Type: model.BlockToolUse, ToolUseID: id, ToolName: name, Input: json.RawMessage(input)}
}

func assistant(blocks ...model.Block) model.Message {
	return model.Message{Role: model.RoleAssistant, Content: blocks}
}

func text(s string) model.Block { return model.Block{Type: model.BlockText, Text: s} }

func TestRunFeedsToolResultsBackInCallOrder(t *testing.T) {
	// Two calls in one turn run concurrently: each waits until both started.
	var started sync.WaitGroup
	started.Add(2)
	slow := tool.Tool{Name: "echo", Handler: func(ctx context.Context, in json.RawMessage) (tool.Result, error) {
		started.Done()
		started.Wait()
		return tool.Result{Content: string(in), Summary: "echoed"}, nil
	}}
	m := &scripted{turns: []model.Message{
		assistant(toolUse("1", "echo", `{"n":1}`), toolUse("2", "echo", `{"n":2}`)),
		assistant(text("done")),
	}}
	a := &Agent{Model: m, Tools: []tool.Tool{slow}}
	var events []Event
	conv := &Conversation{}
	err := a.Run(context.Background(), conv, "go", func(e Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	msgs := conv.Messages
	results := m.seen[1].Messages[2].Content
	if len(results) != 2 || results[0].ToolUseID != "1" || results[0].Text != `{"n":1}` || results[1].ToolUseID != "2" || results[1].Text != `{"n":2}` {
		t.Fatalf("tool results sent to the model = %+v", results)
	}
	if len(msgs) != 4 || msgs[3].Text() != "done" {
		t.Errorf("history = %+v, want user, tool_use, results, answer", msgs)
	}
	var types []EventType
	for _, e := range events {
		types = append(types, e.Type)
	}
	got := strings.TrimSpace(stringsOf(types))
	if !strings.HasPrefix(got, "model tool_start tool_start") || !strings.HasSuffix(got, "tool_end tool_end text final") {
		t.Errorf("event types = %s", got)
	}
	if events[0].Model != "scripted" {
		t.Errorf("first event names model %q, want scripted", events[0].Model)
	}
}

func stringsOf(types []EventType) string {
	var b strings.Builder
	for _, t := range types {
		b.WriteString(string(t) + " ")
	}
	return b.String()
}

func TestRunReturnsToolFailuresToTheModelAsErrors(t *testing.T) {
	failing := tool.Tool{Name: "boom", Handler: func(ctx context.Context, in json.RawMessage) (tool.Result, error) {
		return tool.Result{}, errors.New("connection reset")
	}}
	panicking := tool.Tool{Name: "panic", Handler: func(ctx context.Context, in json.RawMessage) (tool.Result, error) {
		panic("bug")
	}}
	m := &scripted{turns: []model.Message{
		assistant(toolUse("1", "boom", `{}`), toolUse("2", "panic", `{}`), toolUse("3", "missing", `{}`), toolUse("4", "boom", `{not json`)),
		assistant(text("sorry")),
	}}
	a := &Agent{Model: m, Tools: []tool.Tool{failing, panicking}}
	if err := a.Run(context.Background(), &Conversation{}, "go", func(Event) {}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"The tool boom failed: connection reset",
		"The tool panic failed unexpectedly.",
		`There is no tool named "missing".`,
		"The input for boom is not valid JSON.",
	}
	results := m.seen[1].Messages[2].Content
	for i, w := range want {
		if !results[i].IsError || results[i].Text != w {
			t.Errorf("result %d = %+v, want error %q", i, results[i], w)
		}
	}
}

func TestRunStopsAtTheStepLimit(t *testing.T) {
	var calls atomic.Int32
	loop := tool.Tool{Name: "again", Handler: func(ctx context.Context, in json.RawMessage) (tool.Result, error) {
		calls.Add(1)
		return tool.Result{Content: "ok"}, nil
	}}
	m := &scripted{}
	for i := 0; i < 10; i++ {
		m.turns = append(m.turns, assistant(toolUse("x", "again", `{}`)))
	}
	a := &Agent{Model: m, Tools: []tool.Tool{loop}, MaxSteps: 3}
	err := a.Run(context.Background(), &Conversation{}, "go", func(Event) {})
	if !errors.Is(err, ErrMaxSteps) {
		t.Fatalf("err = %v, want ErrMaxSteps", err)
	}
	if calls.Load() != 3 {
		t.Errorf("tool ran %d times, want 3", calls.Load())
	}
}

func TestRunStopsWhenTheInvocationIsCancelled(t *testing.T) {
	block := tool.Tool{Name: "wait", Handler: func(ctx context.Context, in json.RawMessage) (tool.Result, error) {
		<-ctx.Done()
		return tool.Result{}, ctx.Err()
	}}
	m := &blocking{}
	a := &Agent{Model: m, Tools: []tool.Tool{block}, Timeout: 50 * time.Millisecond}
	err := a.Run(context.Background(), &Conversation{}, "go", func(Event) {})
	if !errors.Is(err, ErrModelFailed) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrModelFailed wrapping DeadlineExceeded", err)
	}
}

type blocking struct{}

func (blocking) Name() string { return "blocking" }
func (blocking) Converse(ctx context.Context, req model.Request, onText func(string)) (*model.Response, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestRunRejectsAnEmptyPrompt(t *testing.T) {
	a := &Agent{Model: &scripted{}}
	if err := a.Run(context.Background(), &Conversation{}, "", func(Event) {}); !errors.Is(err, ErrNoPrompt) {
		t.Fatalf("err = %v, want ErrNoPrompt", err)
	}
}
