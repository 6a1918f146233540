package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithydocument "github.com/aws/smithy-go/document"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// input is the part of a Converse and a ConverseStream request that comes
// from a model.Request.
type input struct {
	messages  []types.Message
	system    []types.SystemContentBlock
	inference *types.InferenceConfiguration
	tools     *types.ToolConfiguration
}

// input converts a model.Request.
func (p *Provider) input(req model.Request) (input, error) {
	var in input
	if req.MaxTokens > 0 {
		in.inference = &types.InferenceConfiguration{MaxTokens: aws.Int32(int32(min(req.MaxTokens, math.MaxInt32)))}
	}
	if req.System != "" {
		in.system = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: req.System}}
	}
	if len(req.Tools) > 0 {
		in.tools = &types.ToolConfiguration{}
		for _, t := range req.Tools {
			schema, err := toolSchema(t.InputSchema)
			if err != nil {
				return in, p.badInput(fmt.Sprintf("the input schema of tool %q is not a JSON object", t.Name))
			}
			spec := types.ToolSpecification{Name: aws.String(t.Name), InputSchema: &types.ToolInputSchemaMemberJson{Value: schema}}
			if t.Description != "" {
				spec.Description = aws.String(t.Description)
			}
			in.tools.Tools = append(in.tools.Tools, &types.ToolMemberToolSpec{Value: spec})
		}
	}
	for _, m := range req.Messages {
		var role types.ConversationRole
		switch m.Role {
		case model.RoleUser:
			role = types.ConversationRoleUser
		case model.RoleAssistant:
			role = types.ConversationRoleAssistant
		default:
			return in, p.badInput(fmt.Sprintf("unknown message role %q", m.Role))
		}
		blocks, err := contentBlocks(m)
		if err != nil {
			return in, p.badInput(err.Error())
		}
		if len(blocks) > 0 {
			in.messages = append(in.messages, types.Message{Role: role, Content: blocks})
		}
	}
	return in, nil
}

func (p *Provider) badInput(msg string) error { return provider.BadRequest("bedrock", msg) }

// contentBlocks converts m's blocks; empty text blocks are left out (the
// API rejects them).
func contentBlocks(m model.Message) ([]types.ContentBlock, error) {
	var out []types.ContentBlock
	for _, b := range m.Content {
		switch b.Type {
		case model.BlockText:
			if b.Text != "" {
				out = append(out, &types.ContentBlockMemberText{Value: b.Text})
			}
		case model.BlockToolUse:
			in, err := toolInput(b.Input)
			if err != nil {
				return nil, fmt.Errorf("tool_use %s: %w", b.ToolUseID, err)
			}
			out = append(out, &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
				ToolUseId: aws.String(b.ToolUseID), Name: aws.String(b.ToolName), Input: in,
			}})
		case model.BlockToolResult:
			r := types.ToolResultBlock{ToolUseId: aws.String(b.ToolUseID), Status: types.ToolResultStatusSuccess}
			text := b.Text
			if text == "" {
				text = "(no output)" // a text block may not be empty
			}
			r.Content = []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: text}}
			if b.IsError {
				r.Status = types.ToolResultStatusError
			}
			out = append(out, &types.ContentBlockMemberToolResult{Value: r})
		}
	}
	return out, nil
}

// toolSchema is a tool's JSON Schema as a document; an empty one becomes
// an object schema without properties.
func toolSchema(raw json.RawMessage) (document.Interface, error) {
	if len(raw) == 0 {
		return document.NewLazyDocument(map[string]any{"type": "object", "properties": map[string]any{}}), nil
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("not an object")
	}
	return document.NewLazyDocument(v), nil
}

// toolInput is the input of a tool_use block sent back: a JSON object; an
// empty input becomes {}, anything else travels as {"unparsed_input": …}
// rather than failing the whole request.
func toolInput(raw json.RawMessage) (document.Interface, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return document.NewLazyDocument(map[string]any{}), nil
	}
	v, err := decodeJSON(raw)
	if _, ok := v.(map[string]any); err != nil || !ok {
		return document.NewLazyDocument(map[string]any{"unparsed_input": string(raw)}), nil
	}
	return document.NewLazyDocument(v), nil
}

// decodeJSON decodes raw keeping numbers exact (as smithy document
// numbers, which the SDK encodes as JSON numbers).
func decodeJSON(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		return smithydocument.Number(x)
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

// documentJSON is a document from a response as JSON.
func documentJSON(d document.Interface) (json.RawMessage, error) {
	if d == nil {
		return json.RawMessage(`{}`), nil
	}
	var v any
	if err := d.UnmarshalSmithyDocument(&v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(plain(v))
	if err != nil {
		return nil, err
	}
	return b, nil
}

// plain turns smithy document numbers back into JSON numbers.
func plain(v any) any {
	switch x := v.(type) {
	case smithydocument.Number:
		return json.Number(x)
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
	}
	return v
}
