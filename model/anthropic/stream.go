package anthropic

import (
	"fmt"
	"strings"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// accumulator builds one answer from its stream events.
type accumulator struct {
	onText   func(string)
	blocks   []*block // by content block index
	started  bool     // message_start arrived
	stopped  bool     // message_stop arrived
	textSent bool     // text reached onText
	stop     sdk.StopReason
	usage    model.Usage
}

// block is one content block being streamed; kind is "" for block types
// the agent does not use (thinking, server tools), which are dropped.
type block struct {
	kind  model.BlockType
	text  strings.Builder
	id    string
	name  string
	input strings.Builder
}

func newAccumulator(onText func(string)) *accumulator {
	return &accumulator{onText: onText}
}

// Add folds one event in. An event that does not fit (a delta for a block
// that never started) means the stream is corrupt.
func (a *accumulator) Add(ev sdk.MessageStreamEventUnion) error {
	switch ev.Type {
	case "message_start":
		a.started = true
		a.usage.InputTokens = int(ev.Message.Usage.InputTokens)
		a.usage.OutputTokens = int(ev.Message.Usage.OutputTokens)
	case "content_block_start":
		if ev.Index != int64(len(a.blocks)) {
			return fmt.Errorf("block %d started after %d blocks", ev.Index, len(a.blocks))
		}
		b := &block{}
		switch cb := ev.ContentBlock; cb.Type {
		case "text":
			b.kind = model.BlockText
			a.text(b, cb.Text)
		case "tool_use":
			b.kind, b.id, b.name = model.BlockToolUse, cb.ID, cb.Name
		}
		a.blocks = append(a.blocks, b)
	case "content_block_delta":
		if ev.Index < 0 || ev.Index >= int64(len(a.blocks)) {
			return fmt.Errorf("delta for block %d of %d", ev.Index, len(a.blocks))
		}
		b := a.blocks[ev.Index]
		switch ev.Delta.Type {
		case "text_delta":
			if b.kind == model.BlockText {
				a.text(b, ev.Delta.Text)
			}
		case "input_json_delta":
			b.input.WriteString(ev.Delta.PartialJSON)
		}
	case "message_delta":
		a.stop = ev.Delta.StopReason
		if ev.Usage.OutputTokens > 0 {
			a.usage.OutputTokens = int(ev.Usage.OutputTokens)
		}
		if ev.Usage.InputTokens > 0 {
			a.usage.InputTokens = int(ev.Usage.InputTokens)
		}
	case "message_stop":
		a.stopped = true
	}
	return nil
}

// Complete says message_stop arrived.
func (a *accumulator) Complete() bool { return a.stopped }

// TextSent says text reached onText.
func (a *accumulator) TextSent() bool { return a.textSent }

func (a *accumulator) text(b *block, s string) {
	if s == "" {
		return
	}
	b.text.WriteString(s)
	if a.onText != nil {
		a.onText(s)
	}
	a.textSent = true
}

// Response is the finished answer, or an ErrBadToolInput error when a
// tool_use carries arguments that are not valid JSON.
func (a *accumulator) Response() (*model.Response, error) {
	msg := model.Message{Role: model.RoleAssistant}
	for _, b := range a.blocks {
		switch b.kind {
		case model.BlockText:
			if b.text.Len() > 0 {
				msg.Content = append(msg.Content, model.Block{Type: model.BlockText, Text: b.text.String()})
			}
		case model.BlockToolUse:
			in, ok := provider.ToolInput(b.input.String())
			if !ok {
				return nil, provider.BadToolInput("anthropic", b.name, "stop reason "+string(a.stop), a.textSent)
			}
			msg.Content = append(msg.Content, model.Block{
				Type: model.BlockToolUse, ToolUseID: b.id, ToolName: b.name, Input: in,
			})
		}
	}
	return &model.Response{Message: msg, StopReason: stopReason(a.stop), Usage: a.usage}, nil
}

func stopReason(r sdk.StopReason) model.StopReason {
	switch r {
	case sdk.StopReasonToolUse:
		return model.StopToolUse
	case sdk.StopReasonMaxTokens, sdk.StopReasonModelContextWindowExceeded:
		return model.StopMaxTokens
	default: // end_turn, stop_sequence, pause_turn, refusal
		return model.StopEndTurn
	}
}
