package openai

import (
	"encoding/json"
	"fmt"
	"strings"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// errorPrefix marks a failed tool result: chat completions have no
// is_error flag, so the model reads it in the content.
const errorPrefix = "Error: "

// params converts a model.Request to the SDK's request body.
func (p *Provider) params(req model.Request) (sdk.ChatCompletionNewParams, error) {
	params := sdk.ChatCompletionNewParams{
		Model:         p.model,
		StreamOptions: sdk.ChatCompletionStreamOptionsParam{IncludeUsage: sdk.Bool(true)},
	}
	if req.MaxTokens > 0 {
		if p.lengthField == MaxCompletionTokensField {
			params.MaxCompletionTokens = sdk.Int(int64(req.MaxTokens))
		} else {
			params.MaxTokens = sdk.Int(int64(req.MaxTokens))
		}
	}
	if req.System != "" {
		params.Messages = append(params.Messages, sdk.SystemMessage(req.System))
	}
	for _, t := range req.Tools {
		schema, err := parameters(t.InputSchema)
		if err != nil {
			return params, p.badInput(fmt.Sprintf("the input schema of tool %q is not a JSON object", t.Name))
		}
		fn := shared.FunctionDefinitionParam{Name: t.Name, Parameters: schema}
		if t.Description != "" {
			fn.Description = sdk.String(t.Description)
		}
		params.Tools = append(params.Tools, sdk.ChatCompletionFunctionTool(fn))
	}
	for _, m := range req.Messages {
		switch m.Role {
		case model.RoleUser:
			params.Messages = append(params.Messages, userMessages(m)...)
		case model.RoleAssistant:
			if msg, ok := assistantMessage(m); ok {
				params.Messages = append(params.Messages, msg)
			}
		default:
			return params, p.badInput(fmt.Sprintf("unknown message role %q", m.Role))
		}
	}
	return params, nil
}

func (p *Provider) badInput(msg string) error { return provider.BadRequest("openai", msg) }

// parameters is a tool's JSON Schema; an empty one becomes an object
// schema without properties, which every server accepts.
func parameters(raw json.RawMessage) (shared.FunctionParameters, error) {
	if len(raw) == 0 {
		return shared.FunctionParameters{"type": "object", "properties": map[string]any{}}, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("schema is not an object")
	}
	return m, nil
}

// userMessages turns a user turn into one tool message per tool_result
// (they must directly follow the assistant's tool calls) and then one user
// message with its text, if any.
func userMessages(m model.Message) []sdk.ChatCompletionMessageParamUnion {
	var out []sdk.ChatCompletionMessageParamUnion
	var text []string
	for _, b := range m.Content {
		switch b.Type {
		case model.BlockToolResult:
			content := b.Text
			if b.IsError && !strings.HasPrefix(content, errorPrefix) {
				content = errorPrefix + content
			}
			out = append(out, sdk.ToolMessage(content, b.ToolUseID))
		case model.BlockText:
			if b.Text != "" {
				text = append(text, b.Text)
			}
		}
	}
	if len(text) > 0 {
		out = append(out, sdk.UserMessage(strings.Join(text, "\n\n")))
	}
	return out
}

// assistantMessage turns an assistant turn into one message with its text
// and tool calls; false when it has neither.
func assistantMessage(m model.Message) (sdk.ChatCompletionMessageParamUnion, bool) {
	var a sdk.ChatCompletionAssistantMessageParam
	if text := m.Text(); text != "" {
		a.Content.OfString = sdk.String(text)
	}
	for _, b := range m.Content {
		if b.Type != model.BlockToolUse {
			continue
		}
		args := string(b.Input)
		if strings.TrimSpace(args) == "" {
			args = "{}"
		}
		a.ToolCalls = append(a.ToolCalls, sdk.ChatCompletionMessageToolCallUnionParam{
			OfFunction: &sdk.ChatCompletionMessageFunctionToolCallParam{
				ID:       b.ToolUseID,
				Function: sdk.ChatCompletionMessageFunctionToolCallFunctionParam{Name: b.ToolName, Arguments: args},
			},
		})
	}
	if a.Content.OfString.Value == "" && len(a.ToolCalls) == 0 {
		return sdk.ChatCompletionMessageParamUnion{}, false
	}
	return sdk.ChatCompletionMessageParamUnion{OfAssistant: &a}, true
}
