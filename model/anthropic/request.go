package anthropic

import (
	"encoding/json"
	"fmt"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// defaultMaxTokens is sent when the request sets none: the API requires one.
const defaultMaxTokens = 4096

// params converts a model.Request to the SDK's request body.
func (p *Provider) params(req model.Request) (sdk.MessageNewParams, error) {
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = defaultMaxTokens
	}
	params := sdk.MessageNewParams{Model: p.model, MaxTokens: int64(maxTokens)}
	if req.System != "" {
		params.System = []sdk.TextBlockParam{{Text: req.System}}
	}
	for _, t := range req.Tools {
		schema, err := inputSchema(t.InputSchema)
		if err != nil {
			return params, p.badInput(fmt.Sprintf("the input schema of tool %q is not a JSON object", t.Name))
		}
		tool := sdk.ToolParam{Name: t.Name, InputSchema: schema}
		if t.Description != "" {
			tool.Description = sdk.String(t.Description)
		}
		params.Tools = append(params.Tools, sdk.ToolUnionParam{OfTool: &tool})
	}
	for _, m := range req.Messages {
		blocks := contentBlocks(m)
		if len(blocks) == 0 {
			continue // the API rejects empty messages
		}
		switch m.Role {
		case model.RoleUser:
			params.Messages = append(params.Messages, sdk.NewUserMessage(blocks...))
		case model.RoleAssistant:
			params.Messages = append(params.Messages, sdk.NewAssistantMessage(blocks...))
		default:
			return params, p.badInput(fmt.Sprintf("unknown message role %q", m.Role))
		}
	}
	return params, nil
}

func (p *Provider) badInput(msg string) error { return provider.BadRequest("anthropic", msg) }

// inputSchema splits a JSON Schema object into the SDK's fields; keywords
// other than type, properties and required travel as extra fields.
func inputSchema(raw json.RawMessage) (sdk.ToolInputSchemaParam, error) {
	var s sdk.ToolInputSchemaParam
	if len(raw) == 0 {
		return s, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return s, err
	}
	if v, ok := m["properties"]; ok {
		s.Properties = v
	}
	if v, ok := m["required"].([]any); ok {
		for _, r := range v {
			if name, ok := r.(string); ok {
				s.Required = append(s.Required, name)
			}
		}
	}
	for k, v := range m {
		switch k {
		case "type", "properties", "required":
		default:
			if s.ExtraFields == nil {
				s.ExtraFields = map[string]any{}
			}
			s.ExtraFields[k] = v
		}
	}
	return s, nil
}

// contentBlocks converts m's blocks. Empty text blocks are left out: the
// API rejects them.
func contentBlocks(m model.Message) []sdk.ContentBlockParamUnion {
	var out []sdk.ContentBlockParamUnion
	for _, b := range m.Content {
		switch b.Type {
		case model.BlockText:
			if b.Text != "" {
				out = append(out, sdk.NewTextBlock(b.Text))
			}
		case model.BlockToolUse:
			out = append(out, sdk.NewToolUseBlock(b.ToolUseID, toolInput(b.Input), b.ToolName))
		case model.BlockToolResult:
			r := sdk.ToolResultBlockParam{ToolUseID: b.ToolUseID}
			if b.Text != "" {
				r.Content = []sdk.ToolResultBlockParamContentUnion{{OfText: &sdk.TextBlockParam{Text: b.Text}}}
			}
			if b.IsError {
				r.IsError = sdk.Bool(true)
			}
			out = append(out, sdk.ContentBlockParamUnion{OfToolResult: &r})
		}
	}
	return out
}

// toolInput is the input of a tool_use block sent back to the API, which
// takes only a JSON object: empty input becomes {}, and anything that is
// not a JSON object travels as {"unparsed_input": "<the text>"} rather
// than failing the whole request.
func toolInput(in json.RawMessage) any {
	if len(in) == 0 {
		return json.RawMessage(`{}`)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(in, &obj) == nil && obj != nil {
		return json.RawMessage(in)
	}
	return map[string]string{"unparsed_input": string(in)}
}
