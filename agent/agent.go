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
	ErrMaxSteps       = errors.New("agent: step limit reached before the model finished")
	ErrOutputLimit    = errors.New("agent: output token limit of the invocation reached")
	ErrNoPrompt       = errors.New("agent: empty prompt")
	ErrModelFailed    = errors.New("agent: the model call failed")
	ErrNoConversation = errors.New("agent: nil conversation")
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
	// MaxOutputTokens bounds output tokens over the whole invocation
	// (MaxSteps*MaxTokens if 0).
	MaxOutputTokens int
	// Timeout bounds the wall time of one invocation (DefaultTimeout if 0).
	Timeout time.Duration
	// RequireConfirmation holds every Write tool call until the user
	// confirms it in their own next message. Tool output can never
	// confirm: only the prompt of a later invocation is read.
	RequireConfirmation bool
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

// Run continues conv with the user's prompt and drives the model until it
// ends its turn. conv is updated in place, also when Run fails (it then
// holds what completed). Every event is passed to emit, from one goroutine
// at a time.
func (a *Agent) Run(ctx context.Context, conv *Conversation, prompt string, emit func(Event)) error {
	if conv == nil {
		return ErrNoConversation
	}
	if prompt == "" {
		return ErrNoPrompt
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

	conv.Messages = append(conv.Messages, model.Message{
		Role: model.RoleUser, Content: []model.Block{{Type: model.BlockText, Text: prompt}},
	})
	pending := conv.Pending
	conv.Pending = nil
	if len(pending) > 0 && confirms(prompt) {
		a.runConfirmed(ctx, conv, pending, send)
	}

	req := model.Request{System: a.System, Tools: a.specs(), MaxTokens: a.maxTokens()}
	maxSteps := a.MaxSteps
	if maxSteps <= 0 {
		maxSteps = DefaultMaxSteps
	}
	budget := a.MaxOutputTokens
	if budget <= 0 {
		budget = maxSteps * a.maxTokens()
	}
	spent := 0
	for step := 0; step < maxSteps; step++ {
		req.Messages = conv.Messages
		resp, err := a.Model.Converse(ctx, req, func(delta string) {
			send(Event{Type: EventText, Text: delta})
		})
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w: %w", ErrModelFailed, ctx.Err())
			}
			return fmt.Errorf("%w: %w", ErrModelFailed, err)
		}
		conv.Messages = append(conv.Messages, resp.Message)
		spent += resp.Usage.OutputTokens
		uses := toolUses(resp.Message)
		if len(uses) == 0 {
			send(Event{Type: EventFinal, Text: resp.Message.Text(), Model: a.Model.Name()})
			return nil
		}
		results, held := a.runTools(ctx, uses, false, send)
		conv.Messages = append(conv.Messages, results)
		for _, h := range held {
			if !hasPending(conv.Pending, h) {
				conv.Pending = append(conv.Pending, h)
			}
		}
		if spent >= budget {
			return ErrOutputLimit
		}
	}
	return ErrMaxSteps
}

func hasPending(list []PendingCall, p PendingCall) bool {
	for _, q := range list {
		if q.Tool == p.Tool && string(q.Input) == string(p.Input) {
			return true
		}
	}
	return false
}

// runConfirmed runs writes the user has just confirmed, as if the model
// had called them in this turn.
func (a *Agent) runConfirmed(ctx context.Context, conv *Conversation, pending []PendingCall, send func(Event)) {
	call := model.Message{Role: model.RoleAssistant}
	for _, p := range pending {
		call.Content = append(call.Content, model.Block{
			Type: model.BlockToolUse, ToolUseID: p.ToolUseID + "-confirmed", ToolName: p.Tool, Input: p.Input,
		})
	}
	results, _ := a.runTools(ctx, call.Content, true, send)
	conv.Messages = append(conv.Messages, call, results)
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
// Writes are held for confirmation unless confirmed is set; held calls are
// returned so the conversation can keep them.
func (a *Agent) runTools(ctx context.Context, uses []model.Block, confirmed bool, send func(Event)) (model.Message, []PendingCall) {
	results := make([]model.Block, len(uses))
	var held []PendingCall
	var wg sync.WaitGroup
	for i, use := range uses {
		if t, ok := a.tool(use.ToolName); ok && t.Write && a.RequireConfirmation && !confirmed {
			p := PendingCall{ToolUseID: use.ToolUseID, Tool: use.ToolName, Input: use.Input, Summary: describeCall(use.ToolName, use.Input)}
			held = append(held, p)
			res := heldResult(p)
			send(Event{Type: EventConfirmation, Tool: use.ToolName, ToolUseID: use.ToolUseID, Summary: p.Summary})
			results[i] = model.Block{Type: model.BlockToolResult, ToolUseID: use.ToolUseID, Text: res.Content}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = a.runTool(ctx, use, send)
		}()
	}
	wg.Wait()
	return model.Message{Role: model.RoleUser, Content: results}, held
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
