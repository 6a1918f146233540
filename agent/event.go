package agent

// EventType names an Event. The set is part of onbehalf's documented
// invocation stream: the runtime sends each Event as one SSE `data:` line.
type EventType string

// Event types, in the order they usually appear.
const (
	// EventModel says which model answers ("offline planner", "bedrock:…").
	EventModel EventType = "model"
	// EventText is a delta of the answer's text.
	EventText EventType = "text"
	// EventToolStart says a tool call began (Tool, ToolUseID, Summary of the input).
	EventToolStart EventType = "tool_start"
	// EventToolEnd says a tool call ended (Tool, ToolUseID, Summary, IsError).
	EventToolEnd EventType = "tool_end"
	// EventConfirmation says a write was held until the user confirms it
	// (Tool, ToolUseID, Summary of the change).
	EventConfirmation EventType = "confirmation_required"
	// EventFinal ends a successful invocation; Text holds the whole answer.
	EventFinal EventType = "final"
	// EventError ends a failed invocation; Error is safe to show the user.
	EventError EventType = "error"
	// EventTrace reports a hop of the request (token accepted, workload
	// token issued, token exchange, downstream call) for the trace panel.
	// It never carries a token or secret.
	EventTrace EventType = "trace"
)

// Event is one item of the invocation stream.
type Event struct {
	Type      EventType `json:"type"`
	Text      string    `json:"text,omitempty"`
	Model     string    `json:"model,omitempty"`
	Tool      string    `json:"tool,omitempty"`
	ToolUseID string    `json:"tool_use_id,omitempty"`
	Summary   string    `json:"summary,omitempty"`
	IsError   bool      `json:"is_error,omitempty"`
	Error     string    `json:"error,omitempty"`
	// Hop and Detail describe a trace event, e.g. Hop "token_exchange",
	// Detail "vault hit".
	Hop    string `json:"hop,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Millis is the duration of a tool call or hop, when known.
	Millis int64 `json:"ms,omitempty"`
	// Status and Rows describe a downstream call of a trace event.
	Status int `json:"status,omitempty"`
	Rows   int `json:"rows,omitempty"`
}
