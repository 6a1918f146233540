package tool

import (
	"context"
	"encoding/json"
)

// Tool is one capability the agent may call.
type Tool struct {
	// Name is what the model calls, e.g. "query_incidents" ([a-z0-9_]+).
	Name string
	// Description tells the model when and how to use the tool.
	Description string
	// InputSchema is the JSON Schema (an object schema) of the input.
	InputSchema json.RawMessage
	// Write marks tools that change data downstream (create, update,
	// comment, resolve). The agent may require the user's confirmation
	// before running them.
	Write bool
	// Handler runs the tool. The returned Result is sent back to the model.
	// A non-nil error is an unexpected failure; expected failures (access
	// denied, no such record) are Results with IsError set so the model
	// can tell the user honestly.
	Handler func(ctx context.Context, input json.RawMessage) (Result, error)
}

// Result is what a tool gives back to the model.
type Result struct {
	// Content is compact JSON or text for the model to read.
	Content string
	// IsError marks a result that reports a failure to the model.
	IsError bool
	// Summary is a short, non-secret, human-readable line for event
	// streams and traces, e.g. "incident: 200, 5 rows".
	Summary string
}

// ErrorResult is a Result reporting msg as an error to the model.
func ErrorResult(msg string) Result {
	return Result{Content: msg, IsError: true, Summary: msg}
}
