package offline

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/onbehalf/onbehalf/model"
)

// Name is what the planner calls itself wherever a model name is shown.
const Name = "offline planner"

// Planner is the offline model.Provider.
type Planner struct{}

// New returns the offline planner.
func New() *Planner { return &Planner{} }

// Name implements model.Provider.
func (*Planner) Name() string { return Name }

// Converse implements model.Provider. On a user's message it plans tool
// calls (or answers with a clarifying question); on tool results it
// formats them as the answer.
func (p *Planner) Converse(ctx context.Context, req model.Request, onText func(string)) (*model.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(req.Messages) == 0 {
		return nil, fmt.Errorf("offline: no messages")
	}
	last := req.Messages[len(req.Messages)-1]
	if results := toolResults(last); len(results) > 0 {
		text := answer(req.Messages, results)
		return textResponse(text, onText), nil
	}
	calls, reply := plan(last.Text())
	if len(calls) == 0 {
		return textResponse(reply+signature, onText), nil
	}
	msg := model.Message{Role: model.RoleAssistant}
	for i, c := range calls {
		if !hasTool(req.Tools, c.Tool) {
			return textResponse("I would use the "+c.Tool+" tool for that, but this agent does not have it."+signature, onText), nil
		}
		input, err := json.Marshal(c.Input)
		if err != nil {
			return nil, fmt.Errorf("offline: %w", err)
		}
		msg.Content = append(msg.Content, model.Block{
			Type: model.BlockToolUse, ToolUseID: fmt.Sprintf("offline-%d-%d", len(req.Messages), i),
			ToolName: c.Tool, Input: input,
		})
	}
	return &model.Response{Message: msg, StopReason: model.StopToolUse}, nil
}

const signature = "\n\n_(answered by the offline planner, not a language model)_"

func textResponse(text string, onText func(string)) *model.Response {
	if onText != nil {
		onText(text)
	}
	return &model.Response{
		Message:    model.Message{Role: model.RoleAssistant, Content: []model.Block{{Type: model.BlockText, Text: text}}},
		StopReason: model.StopEndTurn,
		Usage:      model.Usage{OutputTokens: len(strings.Fields(text))},
	}
}

func hasTool(specs []model.ToolSpec, name string) bool {
	for _, s := range specs {
		if s.Name == name {
			return true
		}
	}
	return false
}

func toolResults(m model.Message) []model.Block {
	var out []model.Block
	for _, b := range m.Content {
		if b.Type == model.BlockToolResult {
			out = append(out, b)
		}
	}
	return out
}

// toolNameOf finds the tool_use a result answers.
func toolNameOf(msgs []model.Message, id string) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, b := range msgs[i].Content {
			if b.Type == model.BlockToolUse && b.ToolUseID == id {
				return b.ToolName
			}
		}
	}
	return ""
}
