package openai

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/providertest"
)

func TestConverseStreamsTextAndEndsTurn(t *testing.T) {
	f := startFake(t, sse(t, "text.sse"))
	p, _ := newTestProvider(t, f, 0)
	var deltas []string
	resp, err := p.Converse(context.Background(), userRequest("How many incidents do I have?"), func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if want := []string{"You have ", "5 open incidents."}; !reflect.DeepEqual(deltas, want) {
		t.Errorf("deltas = %q, want %q", deltas, want)
	}
	if resp.Message.Text() != "You have 5 open incidents." || resp.Message.Role != model.RoleAssistant {
		t.Errorf("message = %+v", resp.Message)
	}
	if resp.StopReason != model.StopEndTurn {
		t.Errorf("stop = %q, want end_turn", resp.StopReason)
	}
	if resp.Usage != (model.Usage{InputTokens: 120, OutputTokens: 8}) {
		t.Errorf("usage = %+v", resp.Usage)
	}
}

func TestConverseSendsModelSystemToolsAndKey(t *testing.T) {
	f := startFake(t, sse(t, "text.sse"))
	p, _ := newTestProvider(t, f, 0)
	if _, err := p.Converse(context.Background(), userRequest("hi"), nil); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	r := f.Requests()[0]
	if r.Path != "/v1/chat/completions" {
		t.Errorf("path = %q, want /v1/chat/completions", r.Path)
	}
	if r.Header.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("the key is not sent as a bearer token")
	}
	providertest.Check(t, map[string][2]any{
		"model":          {get(r.Body, "model"), DefaultModel},
		"stream":         {get(r.Body, "stream"), true},
		"include_usage":  {get(r.Body, "stream_options", "include_usage"), true},
		"max_tokens":     {get(r.Body, "max_tokens"), 1024.0},
		"no max_compl":   {get(r.Body, "max_completion_tokens"), nil},
		"system role":    {get(r.Body, "messages", 0, "role"), "system"},
		"system":         {get(r.Body, "messages", 0, "content"), "You help with ServiceNow incidents."},
		"user role":      {get(r.Body, "messages", 1, "role"), "user"},
		"user text":      {get(r.Body, "messages", 1, "content"), "hi"},
		"tool type":      {get(r.Body, "tools", 0, "type"), "function"},
		"tool name":      {get(r.Body, "tools", 0, "function", "name"), "list_incidents"},
		"tool desc":      {get(r.Body, "tools", 0, "function", "description"), "List incidents."},
		"tool required":  {get(r.Body, "tools", 0, "function", "parameters", "required", 0), "limit"},
		"tool extra kw":  {get(r.Body, "tools", 0, "function", "parameters", "additionalProperties"), false},
		"tool prop type": {get(r.Body, "tools", 0, "function", "parameters", "properties", "limit", "type"), "integer"},
	})
}

func TestOpenAIItselfGetsMaxCompletionTokens(t *testing.T) {
	p, err := New(Options{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	params, err := p.params(userRequest("hi"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(params)
	var body map[string]any
	json.Unmarshal(b, &body)
	if body["max_completion_tokens"] != 1024.0 || body["max_tokens"] != nil {
		t.Errorf("max_completion_tokens=%v max_tokens=%v, want only max_completion_tokens", body["max_completion_tokens"], body["max_tokens"])
	}
}

func TestConverseReturnsTwoToolCallsFromIndexedFragments(t *testing.T) {
	f := startFake(t, sse(t, "two_tools.sse"))
	p, _ := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("Show INC0010001 and my incidents"), nil)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	want := []model.Block{
		{Type: model.BlockText, Text: "Let me look both up."},
		{Type: model.BlockToolUse, ToolUseID: "call_DdmO9pD3xa9XTPNJ32zg2hcA", ToolName: "get_incident", Input: json.RawMessage(`{"number": "INC0010001"}`)},
		{Type: model.BlockToolUse, ToolUseID: "call_ABSg8fBHVSnFh5nYRwPGZvkB", ToolName: "list_incidents", Input: json.RawMessage(`{"assigned_to_me": true, "limit": 5}`)},
	}
	if !reflect.DeepEqual(resp.Message.Content, want) {
		t.Errorf("content =\n%+v\nwant\n%+v", resp.Message.Content, want)
	}
	if resp.StopReason != model.StopToolUse {
		t.Errorf("stop = %q, want tool_use", resp.StopReason)
	}
}

func TestConverseSplitsWholeCallsSentAtOneIndex(t *testing.T) {
	f := startFake(t, sse(t, "ollama_tools.sse"))
	p, _ := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("Show INC0010001 and my incidents"), nil)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	want := []model.Block{
		{Type: model.BlockToolUse, ToolUseID: "call_9x2kq1ab", ToolName: "get_incident", Input: json.RawMessage(`{"number":"INC0010001"}`)},
		{Type: model.BlockToolUse, ToolUseID: "call_7d1mf0zz", ToolName: "list_incidents", Input: json.RawMessage(`{"assigned_to_me":true,"limit":5}`)},
	}
	if !reflect.DeepEqual(resp.Message.Content, want) {
		t.Errorf("content =\n%+v\nwant\n%+v", resp.Message.Content, want)
	}
	if resp.StopReason != model.StopToolUse {
		t.Errorf("stop = %q, want tool_use although the server said stop", resp.StopReason)
	}
	if resp.Usage != (model.Usage{InputTokens: 211, OutputTokens: 40}) {
		t.Errorf("usage = %+v", resp.Usage)
	}
}

func TestConverseSendsToolCallsAndResultsBack(t *testing.T) {
	f := startFake(t, sse(t, "text.sse"))
	p, _ := newTestProvider(t, f, 0)
	req := userRequest("Show INC0010001 and my incidents")
	req.Messages = append(req.Messages,
		model.Message{Role: model.RoleAssistant, Content: []model.Block{
			{Type: model.BlockText, Text: "Let me look."},
			{Type: model.BlockToolUse, ToolUseID: "call_1", ToolName: "get_incident", Input: json.RawMessage(`{"number":"INC0010001"}`)},
			{Type: model.BlockToolUse, ToolUseID: "call_2", ToolName: "list_incidents"},
		}},
		model.Message{Role: model.RoleUser, Content: []model.Block{
			{Type: model.BlockToolResult, ToolUseID: "call_1", Text: "access denied", IsError: true},
			{Type: model.BlockToolResult, ToolUseID: "call_2", Text: `[{"number":"INC0010002"}]`},
		}},
	)
	if _, err := p.Converse(context.Background(), req, nil); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	body := f.Requests()[0].Body
	providertest.Check(t, map[string][2]any{
		"assistant role":  {get(body, "messages", 2, "role"), "assistant"},
		"assistant text":  {get(body, "messages", 2, "content"), "Let me look."},
		"call 1 id":       {get(body, "messages", 2, "tool_calls", 0, "id"), "call_1"},
		"call 1 type":     {get(body, "messages", 2, "tool_calls", 0, "type"), "function"},
		"call 1 name":     {get(body, "messages", 2, "tool_calls", 0, "function", "name"), "get_incident"},
		"call 1 args":     {get(body, "messages", 2, "tool_calls", 0, "function", "arguments"), `{"number":"INC0010001"}`},
		"call 2 args":     {get(body, "messages", 2, "tool_calls", 1, "function", "arguments"), "{}"},
		"result 1 role":   {get(body, "messages", 3, "role"), "tool"},
		"result 1 id":     {get(body, "messages", 3, "tool_call_id"), "call_1"},
		"result 1 error":  {get(body, "messages", 3, "content"), "Error: access denied"},
		"result 2 id":     {get(body, "messages", 4, "tool_call_id"), "call_2"},
		"result 2 text":   {get(body, "messages", 4, "content"), `[{"number":"INC0010002"}]`},
		"nothing after 4": {get(body, "messages", 5), nil},
	})
}

func TestConverseMapsLengthToMaxTokens(t *testing.T) {
	f := startFake(t, sse(t, "length.sse"))
	p, _ := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("Write a long story"), nil)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if resp.StopReason != model.StopMaxTokens || resp.Message.Text() != "Here is a very long" {
		t.Errorf("stop %q text %q, want max_tokens with the partial text", resp.StopReason, resp.Message.Text())
	}
}

func TestConverseDoesNotRetryInsufficientQuota(t *testing.T) {
	f := startFake(t, apiError(429, "insufficient_quota", "insufficient_quota", "You exceeded your current quota", nil))
	p, s := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("hi"), nil)
	if !errors.Is(err, model.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if len(f.Requests()) != 1 || len(s.Waits()) != 0 {
		t.Errorf("%d attempts, want 1", len(f.Requests()))
	}
}

func TestNoKeyFromTheEnvironmentIsSentToAKeylessServer(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-from-the-environment")
	t.Setenv("OPENAI_ORG_ID", "org-from-the-environment")
	f := startFake(t, sse(t, "text.sse"))
	p, err := New(Options{Model: "llama3.1", BaseURL: f.URL() + "/v1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Converse(context.Background(), userRequest("hi"), nil); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	h := f.Requests()[0].Header
	if h.Get("Authorization") != "" || h.Get("OpenAI-Organization") != "" {
		t.Errorf("sent Authorization %q, OpenAI-Organization %q; want neither", h.Get("Authorization"), h.Get("OpenAI-Organization"))
	}
}

func TestNameSaysModelAndServer(t *testing.T) {
	p, err := New(Options{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "openai:gpt-4o-mini" {
		t.Errorf("Name = %q", p.Name())
	}
	p, err = New(Options{Model: "gpt-4o-mini", BaseURL: "http://127.0.0.1:11434/v1/"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "openai:gpt-4o-mini@http://127.0.0.1:11434/v1" {
		t.Errorf("Name = %q", p.Name())
	}
	p, err = New(Options{Model: "m", BaseURL: "https://u:secret@gw.example.com/v1?key=k"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "openai:m@https://gw.example.com/v1" {
		t.Errorf("Name = %q, want no user info or query", p.Name())
	}
}

func TestNewRejectsBadURLAndLengthField(t *testing.T) {
	if _, err := New(Options{BaseURL: "127.0.0.1:11434"}); err == nil {
		t.Error("New with a base URL without scheme succeeded")
	}
	if _, err := New(Options{LengthField: "max_length"}); err == nil {
		t.Error("New with an unknown LengthField succeeded")
	}
}

func TestFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	_, ok, err := FromEnv(context.Background(), env(nil), Options{})
	if ok || err != nil {
		t.Errorf("empty environment: ok=%v err=%v, want not configured", ok, err)
	}
	p, ok, err := FromEnv(context.Background(), env(map[string]string{EnvBaseURL: "http://127.0.0.1:11434/v1", EnvModel: "llama3.1"}), Options{})
	if !ok || err != nil || p.Name() != "openai:llama3.1@http://127.0.0.1:11434/v1" || p.apiKey != "" {
		t.Errorf("base URL only: %v, %v, %v", p, ok, err)
	}
	p, ok, err = FromEnv(context.Background(), env(map[string]string{EnvAPIKey: testKey}), Options{})
	if !ok || err != nil || p.Name() != "openai:gpt-4o-mini" || p.lengthField != MaxCompletionTokensField {
		t.Errorf("key only: %v, %v, %v", p, ok, err)
	}
	_, ok, err = FromEnv(context.Background(), env(map[string]string{EnvBaseURL: "localhost:11434"}), Options{})
	if ok || err == nil {
		t.Errorf("bad base URL: ok=%v err=%v, want an error", ok, err)
	}
}

func TestErrorCases(t *testing.T) {
	providertest.RunErrorTests(t, providertest.Adapter{
		Fake: fakeOptions,
		New: func(t *testing.T, c providertest.Config) model.Provider {
			p, err := New(Options{APIKey: testKey, BaseURL: c.BaseURL + "/v1", HTTPClient: c.HTTPClient, MaxRetries: c.MaxRetries, Sleep: c.Sleep})
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		Answer:              sse(t, "text.sse"),
		Streamed:            sse(t, "text.sse"),
		BrokenAfterText:     sse(t, "broken_after_text.sse"),
		BrokenBeforeText:    sse(t, "broken_before_text.sse"),
		ErrorAfterText:      sse(t, "error_after_text.sse"),
		ErrorAfterTextKind:  model.ErrUnavailable,
		ErrorAfterTextQuote: "Sorry about that",
		ErrorBeforeText:     sse(t, "error_before_text.sse"),
		MalformedTool:       sse(t, "malformed_tool.sse"),
		// retry-after-ms wins over retry-after
		RateLimited:      apiError(429, "requests", "rate_limit_exceeded", "Rate limit reached for gpt-4o-mini", map[string]string{"retry-after-ms": "1500", "retry-after": "2"}),
		RateLimitedWait:  1500 * time.Millisecond,
		ServerError:      apiError(500, "server_error", "", "The server had an error", nil),
		Overloaded:       apiError(503, "server_error", "", "The engine is currently overloaded, please try again later", nil),
		OverloadedStatus: 503,
		OverloadedCode:   "server_error",
		RequestID:        requestID,
		HTTPErrors: []providertest.HTTPError{
			{Name: "rate limited", Reply: apiError(429, "requests", "rate_limit_exceeded", "slow down", nil), Want: model.ErrRateLimited, Status: 429},
			{Name: "overloaded 529", Reply: reply{Status: 529, Body: []byte(`{"error":{"type":"overloaded_error","message":"Overloaded"}}`)}, Want: model.ErrOverloaded, Status: 529},
			{Name: "unavailable 503", Reply: reply{Status: 503, Body: []byte("no healthy upstream")}, Want: model.ErrOverloaded, Status: 503},
			{Name: "server error 500", Reply: apiError(500, "server_error", "", "boom", nil), Want: model.ErrUnavailable, Status: 500},
			{Name: "bad gateway 502", Reply: reply{Status: 502, Body: []byte("<html>bad gateway</html>")}, Want: model.ErrUnavailable, Status: 502},
			{Name: "unauthorized", Reply: apiError(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided", nil), Want: model.ErrAuth, Status: 401},
			{Name: "forbidden", Reply: apiError(403, "invalid_request_error", "unsupported_country_region_territory", "Country not supported", nil), Want: model.ErrAuth, Status: 403},
			{Name: "bad request", Reply: apiError(400, "invalid_request_error", "", "Invalid schema for function 'list_incidents'", nil), Want: model.ErrBadRequest, Status: 400},
			{Name: "model not found (ollama)", Reply: reply{Status: 404, Body: []byte(`{"error":{"message":"model \"gpt-4o-mini\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`)}, Want: model.ErrBadRequest, Status: 404},
			{Name: "vllm numeric code", Reply: reply{Status: 400, Body: []byte(`{"object":"error","message":"maximum context length is 8192 tokens","type":"BadRequestError","param":null,"code":400}`)}, Want: model.ErrBadRequest, Status: 400},
		},
		BadRequests: []providertest.Explained{
			{Name: "ollama", Reply: reply{Status: 404, Body: []byte(`{"error":{"message":"model \"llama3.1\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`)}, Want: "try pulling it first"},
			{Name: "vllm", Reply: reply{Status: 400, Body: []byte(`{"object":"error","message":"maximum context length is 8192 tokens","type":"BadRequestError","param":null,"code":400}`)}, Want: "maximum context length"},
			{Name: "numeric code in error", Reply: reply{Status: 400, Body: []byte(`{"error":{"message":"tools are not supported by this model","type":"BadRequestError","code":400}}`)}, Want: "tools are not supported"},
		},
		SecretReplies: []reply{
			apiError(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided: "+testKey, nil),
			apiError(400, "invalid_request_error", "", "bad header "+testKey, nil),
		},
		Secrets: []string{"TESTKEY"},
	})
}
