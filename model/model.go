package model

import (
	"context"
	"encoding/json"
)

// Role is who wrote a message.
type Role string

// Roles of a conversation.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// BlockType says what a content block holds.
type BlockType string

// Content block types.
const (
	BlockText       BlockType = "text"
	BlockToolUse    BlockType = "tool_use"
	BlockToolResult BlockType = "tool_result"
)

// Block is one piece of a message.
type Block struct {
	Type BlockType `json:"type"`
	// Text is set for BlockText, and for BlockToolResult (the result content).
	Text string `json:"text,omitempty"`
	// ToolUseID links a tool_use to its tool_result.
	ToolUseID string `json:"tool_use_id,omitempty"`
	// ToolName and Input are set for BlockToolUse.
	ToolName string          `json:"tool_name,omitempty"`
	Input    json.RawMessage `json:"input,omitempty"`
	// IsError marks a failed tool_result.
	IsError bool `json:"is_error,omitempty"`
}

// Message is one turn of the conversation.
type Message struct {
	Role    Role    `json:"role"`
	Content []Block `json:"content"`
}

// Text returns the concatenated text blocks of m.
func (m Message) Text() string {
	var s string
	for _, b := range m.Content {
		if b.Type == BlockText {
			s += b.Text
		}
	}
	return s
}

// ToolSpec describes a tool to the model.
type ToolSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// Request is one model call.
type Request struct {
	System    string
	Messages  []Message
	Tools     []ToolSpec
	MaxTokens int
}

// StopReason says why the model stopped.
type StopReason string

// Stop reasons.
const (
	StopEndTurn   StopReason = "end_turn"
	StopToolUse   StopReason = "tool_use"
	StopMaxTokens StopReason = "max_tokens"
)

// Usage counts tokens of one call.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// Response is the model's full answer to one Request.
type Response struct {
	Message    Message
	StopReason StopReason
	Usage      Usage
}

// Provider is a model backend.
type Provider interface {
	// Name says which model answers, e.g. "offline planner" or
	// "bedrock:us.anthropic.claude-sonnet-4-20250514-v1:0". It is shown to
	// users so they always know what produced an answer.
	Name() string
	// Converse runs one model call. Text is streamed through onText as it
	// arrives (onText may be nil); the returned Response holds the whole
	// message including tool_use blocks.
	Converse(ctx context.Context, req Request, onText func(delta string)) (*Response, error)
}
