package openai

import (
	"fmt"
	"strings"

	sdk "github.com/openai/openai-go/v3"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// accumulator builds one answer from its stream chunks.
type accumulator struct {
	onText   func(string)
	text     strings.Builder
	calls    []*call
	finish   string // finish_reason of choice 0, "" until it arrives
	usage    model.Usage
	started  bool // a chunk arrived
	textSent bool // text reached onText
}

// call is one tool call being streamed.
type call struct {
	index int64
	id    string
	name  string
	args  strings.Builder
}

func newAccumulator(onText func(string)) *accumulator {
	return &accumulator{onText: onText}
}

// Add folds one chunk in. Only choice 0 is read (n is never set). Chunks
// are never corrupt: whatever does not fit is ignored.
func (a *accumulator) Add(c sdk.ChatCompletionChunk) error {
	a.started = true
	if c.JSON.Usage.Valid() && (c.Usage.PromptTokens > 0 || c.Usage.CompletionTokens > 0) {
		a.usage = model.Usage{InputTokens: int(c.Usage.PromptTokens), OutputTokens: int(c.Usage.CompletionTokens)}
	}
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
		a.emit(ch.Delta.Content)
		a.emit(ch.Delta.Refusal) // a refusal is the answer the user should see
		for _, tc := range ch.Delta.ToolCalls {
			cl := a.call(tc.Index, tc.ID)
			if cl.id == "" {
				cl.id = tc.ID
			}
			if cl.name == "" {
				cl.name = tc.Function.Name
			}
			cl.args.WriteString(tc.Function.Arguments)
		}
		if ch.FinishReason != "" {
			a.finish = ch.FinishReason
		}
	}
	return nil
}

// Complete says a finish_reason arrived.
func (a *accumulator) Complete() bool { return a.finish != "" }

// TextSent says text reached onText.
func (a *accumulator) TextSent() bool { return a.textSent }

func (a *accumulator) emit(s string) {
	if s == "" {
		return
	}
	a.text.WriteString(s)
	if a.onText != nil {
		a.onText(s)
	}
	a.textSent = true
}

// call finds the call a fragment belongs to: the latest one with its
// index, unless the fragment carries a different id, which starts a new
// call (servers that send whole calls all at index 0).
func (a *accumulator) call(index int64, id string) *call {
	for i := len(a.calls) - 1; i >= 0; i-- {
		c := a.calls[i]
		if c.index != index {
			continue
		}
		if id == "" || c.id == "" || c.id == id {
			return c
		}
		break
	}
	c := &call{index: index}
	a.calls = append(a.calls, c)
	return c
}

// Response is the finished answer, or an ErrBadToolInput error when a
// call's arguments are not valid JSON.
func (a *accumulator) Response() (*model.Response, error) {
	msg := model.Message{Role: model.RoleAssistant}
	if a.text.Len() > 0 {
		msg.Content = append(msg.Content, model.Block{Type: model.BlockText, Text: a.text.String()})
	}
	for i, c := range a.calls {
		args, ok := provider.ToolInput(c.args.String())
		if !ok {
			return nil, provider.BadToolInput("openai", c.name, "finish reason "+a.finish, a.textSent)
		}
		id := c.id
		if id == "" {
			id = fmt.Sprintf("call_%d", i) // some servers send no id
		}
		msg.Content = append(msg.Content, model.Block{
			Type: model.BlockToolUse, ToolUseID: id, ToolName: c.name, Input: args,
		})
	}
	return &model.Response{Message: msg, StopReason: stopReason(a.finish, len(a.calls) > 0), Usage: a.usage}, nil
}

func stopReason(finish string, calls bool) model.StopReason {
	switch {
	case finish == "length":
		return model.StopMaxTokens
	case finish == "tool_calls" || finish == "function_call" || calls:
		return model.StopToolUse
	default: // stop, content_filter
		return model.StopEndTurn
	}
}
