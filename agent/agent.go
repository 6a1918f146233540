package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/tool"
)

// Default limits of one invocation.
const (
	DefaultMaxSteps  = 8
	DefaultMaxTokens = 4096
	DefaultTimeout   = 2 * time.Minute
)

// Errors a Run can end with.
var (
	ErrMaxSteps    = errors.New("agent: step limit reached before the model finished")
	ErrNoPrompt    = errors.New("agent: empty prompt")
	ErrModelFailed = errors.New("agent: the model call failed")
)

// Agent runs one model with a set of tools.
type Agent struct {
	Model  model.Provider
	Tools  []tool.Tool
	System string
	// MaxSteps bounds model calls per invocation (DefaultMaxSteps if 0).
	MaxSteps int
	// MaxTokens bounds output tokens per model call (DefaultMaxTokens if 0).
	MaxTokens int
	// Timeout bounds the wall time of one invocation (DefaultTimeout if 0).
	Timeout time.Duration
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

// Run continues history with the user's prompt and drives the model until
// it ends its turn. Every event is passed to emit (from one goroutine at a
// time). It returns the conversation including the new turns; on error the
// returned history holds what completed so far.
func (a *Agent) Run(ctx context.Context, history []model.Message, prompt string, emit func(Event)) ([]model.Message, error) {
	if prompt == "" {
		return history, ErrNoPrompt
	}
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var mu sync.Mutex
	send := func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		emit(e)
	}
	send(Event{Type: EventModel, Model: a.Model.Name()})

	msgs := append(append([]model.Message(nil), history...), model.Message{
		Role: model.RoleUser, Content: []model.Block{{Type: model.BlockText, Text: prompt}},
	})
	req := model.Request{System: a.System, Tools: a.specs(), MaxTokens: a.maxTokens()}
	maxSteps := a.MaxSteps
	if maxSteps <= 0 {
		maxSteps = DefaultMaxSteps
	}
	for step := 0; step < maxSteps; step++ {
		req.Messages = msgs
		resp, err := a.Model.Converse(ctx, req, func(delta string) {
			send(Event{Type: EventText, Text: delta})
		})
		if err != nil {
			if ctx.Err() != nil {
				return msgs, fmt.Errorf("%w: %w", ErrModelFailed, ctx.Err())
			}
			return msgs, fmt.Errorf("%w: %w", ErrModelFailed, err)
		}
		msgs = append(msgs, resp.Message)
		uses := toolUses(resp.Message)
		if len(uses) == 0 {
			send(Event{Type: EventFinal, Text: resp.Message.Text(), Model: a.Model.Name()})
			return msgs, nil
		}
		msgs = append(msgs, a.runTools(ctx, uses, send))
	}
	return msgs, ErrMaxSteps
}

func (a *Agent) maxTokens() int {
	if a.MaxTokens > 0 {
		return a.MaxTokens
	}
	return DefaultMaxTokens
}

func (a *Agent) specs() []model.ToolSpec {
	specs := make([]model.ToolSpec, 0, len(a.Tools))
	for _, t := range a.Tools {
		specs = append(specs, model.ToolSpec{Name: t.Name, Description: t.Description, InputSchema: t.InputSchema})
	}
	return specs
}

func toolUses(m model.Message) []model.Block {
	var uses []model.Block
	for _, b := range m.Content {
		if b.Type == model.BlockToolUse {
			uses = append(uses, b)
		}
	}
	return uses
}

// runTools runs every tool call of one model turn concurrently and returns
// the user message carrying their results, in the order of the calls.
func (a *Agent) runTools(ctx context.Context, uses []model.Block, send func(Event)) model.Message {
	results := make([]model.Block, len(uses))
	var wg sync.WaitGroup
	for i, use := range uses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = a.runTool(ctx, use, send)
		}()
	}
	wg.Wait()
	return model.Message{Role: model.RoleUser, Content: results}
}

func (a *Agent) runTool(ctx context.Context, use model.Block, send func(Event)) model.Block {
	now := a.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	send(Event{Type: EventToolStart, Tool: use.ToolName, ToolUseID: use.ToolUseID, Summary: summarizeInput(use.Input)})
	res := a.call(ctx, use)
	send(Event{Type: EventToolEnd, Tool: use.ToolName, ToolUseID: use.ToolUseID, Summary: res.Summary,
		IsError: res.IsError, Millis: now().Sub(start).Milliseconds()})
	return model.Block{Type: model.BlockToolResult, ToolUseID: use.ToolUseID, Text: res.Content, IsError: res.IsError}
}

func (a *Agent) call(ctx context.Context, use model.Block) (res tool.Result) {
	t, ok := a.tool(use.ToolName)
	if !ok {
		return tool.ErrorResult(fmt.Sprintf("There is no tool named %q.", use.ToolName))
	}
	input := use.Input
	if len(input) == 0 {
		input = json.RawMessage(`{}`)
	}
	if !json.Valid(input) {
		return tool.ErrorResult(fmt.Sprintf("The input for %s is not valid JSON.", t.Name))
	}
	defer func() {
		if p := recover(); p != nil {
			res = tool.ErrorResult(fmt.Sprintf("The tool %s failed unexpectedly.", t.Name))
		}
	}()
	res, err := t.Handler(ctx, input)
	if err != nil {
		return tool.ErrorResult(fmt.Sprintf("The tool %s failed: %v", t.Name, err))
	}
	if res.Summary == "" {
		res.Summary = t.Name
	}
	return res
}

func (a *Agent) tool(name string) (tool.Tool, bool) {
	for _, t := range a.Tools {
		if t.Name == name {
			return t, true
		}
	}
	return tool.Tool{}, false
}

// summarizeInput renders a tool input for the event stream: compact JSON,
// cut short. Tool inputs come from the model and hold no secrets.
func summarizeInput(in json.RawMessage) string {
	const max = 160
	s := string(in)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
