package provider

import (
	"encoding/json"
	"strings"
)

// ToolInput is the joined argument text of a tool call as JSON (empty
// becomes {}); false when it is not valid JSON.
func ToolInput(args string) (json.RawMessage, bool) {
	if strings.TrimSpace(args) == "" {
		args = "{}"
	}
	return json.RawMessage(args), json.Valid([]byte(args))
}
