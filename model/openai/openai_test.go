package openai

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/agent"
	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/tool"
)

var listSchema = json.RawMessage(`{"type":"object","properties":{"assigned_to_me":{"type":"boolean"},"limit":{"type":"integer"}},"required":["limit"],"additionalProperties":false}`)

func userRequest(text string) model.Request {
	return model.Request{
		System:    "You help with ServiceNow incidents.",
		MaxTokens: 1024,
		Tools:     []model.ToolSpec{{Name: "list_incidents", Description: "List incidents.", InputSchema: listSchema}},
		Messages:  []model.Message{{Role: model.RoleUser, Content: []model.Block{{Type: model.BlockText, Text: text}}}},
	}
}

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
	r := f.requests()[0]
	if r.path != "/v1/chat/completions" {
		t.Errorf("path = %q, want /v1/chat/completions", r.path)
	}
	if r.header.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("the key is not sent as a bearer token")
	}
	checks := map[string][2]any{
		"model":          {get(r.body, "model"), DefaultModel},
		"stream":         {get(r.body, "stream"), true},
		"include_usage":  {get(r.body, "stream_options", "include_usage"), true},
		"max_tokens":     {get(r.body, "max_tokens"), 1024.0},
		"no max_compl":   {get(r.body, "max_completion_tokens"), nil},
		"system role":    {get(r.body, "messages", 0, "role"), "system"},
		"system":         {get(r.body, "messages", 0, "content"), "You help with ServiceNow incidents."},
		"user role":      {get(r.body, "messages", 1, "role"), "user"},
		"user text":      {get(r.body, "messages", 1, "content"), "hi"},
		"tool type":      {get(r.body, "tools", 0, "type"), "function"},
		"tool name":      {get(r.body, "tools", 0, "function", "name"), "list_incidents"},
		"tool desc":      {get(r.body, "tools", 0, "function", "description"), "List incidents."},
		"tool required":  {get(r.body, "tools", 0, "function", "parameters", "required", 0), "limit"},
		"tool extra kw":  {get(r.body, "tools", 0, "function", "parameters", "additionalProperties"), false},
		"tool prop type": {get(r.body, "tools", 0, "function", "parameters", "properties", "limit", "type"), "integer"},
	}
	for name, c := range checks {
		if !reflect.DeepEqual(c[0], c[1]) {
			t.Errorf("%s = %#v, want %#v", name, c[0], c[1])
		}
	}
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
	body := f.requests()[0].body
	checks := map[string][2]any{
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
	}
	for name, c := range checks {
		if !reflect.DeepEqual(c[0], c[1]) {
			t.Errorf("%s = %#v, want %#v", name, c[0], c[1])
		}
	}
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

func TestConverseRetriesRateLimitAfterRetryAfterMs(t *testing.T) {
	f := startFake(t,
		apiError(429, "requests", "rate_limit_exceeded", "Rate limit reached for gpt-4o-mini", map[string]string{"retry-after-ms": "1500", "retry-after": "2"}),
		sse(t, "text.sse"),
	)
	p, s := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("hi"), nil)
	if err != nil || resp.Message.Text() != "You have 5 open incidents." {
		t.Fatalf("Converse = %v, %v", resp, err)
	}
	if len(f.requests()) != 2 {
		t.Errorf("%d attempts, want 2", len(f.requests()))
	}
	if want := []time.Duration{1500 * time.Millisecond}; !reflect.DeepEqual(s.waits, want) {
		t.Errorf("waits = %v, want %v (retry-after-ms wins)", s.waits, want)
	}
}

func TestConverseDoesNotRetryInsufficientQuota(t *testing.T) {
	f := startFake(t, apiError(429, "insufficient_quota", "insufficient_quota", "You exceeded your current quota", nil))
	p, s := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("hi"), nil)
	if !errors.Is(err, model.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if len(f.requests()) != 1 || len(s.waits) != 0 {
		t.Errorf("%d attempts, want 1", len(f.requests()))
	}
}

func TestConverseGivesUpOnOverloadAfterMaxRetries(t *testing.T) {
	busy := apiError(503, "server_error", "", "The engine is currently overloaded, please try again later", nil)
	f := startFake(t, busy, busy, busy)
	p, s := newTestProvider(t, f, 2)
	_, err := p.Converse(context.Background(), userRequest("hi"), nil)
	var me *model.Error
	if !errors.Is(err, model.ErrOverloaded) || !errors.As(err, &me) {
		t.Fatalf("err = %v, want ErrOverloaded", err)
	}
	if me.Status != 503 || me.Attempts != 3 || me.RequestID != "req_6d5b2c9a0f1e4e0a8b1c2d3e4f5a6b7c" {
		t.Errorf("error = %+v, want status 503, 3 attempts, the request id", me)
	}
	if len(f.requests()) != 3 || len(s.waits) != 2 {
		t.Errorf("%d attempts, %d waits; want 3 and 2", len(f.requests()), len(s.waits))
	}
}

func TestConverseRetriesServerErrorThenSucceeds(t *testing.T) {
	f := startFake(t, apiError(500, "server_error", "", "The server had an error", nil), sse(t, "text.sse"))
	p, _ := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("hi"), nil)
	if err != nil || resp.Message.Text() != "You have 5 open incidents." {
		t.Fatalf("Converse = %v, %v; want the answer after one retry", resp, err)
	}
	if len(f.requests()) != 2 {
		t.Errorf("%d attempts, want 2", len(f.requests()))
	}
}

func TestConverseMapsHTTPErrors(t *testing.T) {
	cases := []struct {
		name   string
		reply  reply
		want   error
		status int
	}{
		{"rate limited", apiError(429, "requests", "rate_limit_exceeded", "slow down", nil), model.ErrRateLimited, 429},
		{"overloaded 529", reply{status: 529, body: `{"error":{"type":"overloaded_error","message":"Overloaded"}}`}, model.ErrOverloaded, 529},
		{"unavailable 503", reply{status: 503, body: "no healthy upstream"}, model.ErrOverloaded, 503},
		{"server error 500", apiError(500, "server_error", "", "boom", nil), model.ErrUnavailable, 500},
		{"bad gateway 502", reply{status: 502, body: "<html>bad gateway</html>"}, model.ErrUnavailable, 502},
		{"unauthorized", apiError(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided", nil), model.ErrAuth, 401},
		{"forbidden", apiError(403, "invalid_request_error", "unsupported_country_region_territory", "Country not supported", nil), model.ErrAuth, 403},
		{"bad request", apiError(400, "invalid_request_error", "", "Invalid schema for function 'list_incidents'", nil), model.ErrBadRequest, 400},
		{"model not found (ollama)", reply{status: 404, body: `{"error":{"message":"model \"gpt-4o-mini\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`}, model.ErrBadRequest, 404},
		{"vllm numeric code", reply{status: 400, body: `{"object":"error","message":"maximum context length is 8192 tokens","type":"BadRequestError","param":null,"code":400}`}, model.ErrBadRequest, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := startFake(t, c.reply)
			p, _ := newTestProvider(t, f, -1)
			_, err := p.Converse(context.Background(), userRequest("hi"), nil)
			var me *model.Error
			if !errors.Is(err, c.want) || !errors.As(err, &me) || me.Status != c.status {
				t.Fatalf("err = %v, want %v with status %d", err, c.want, c.status)
			}
			if strings.Contains(err.Error(), "<html>") || strings.Contains(err.Error(), "healthy upstream") {
				t.Errorf("error %q quotes the response body", err)
			}
		})
	}
}

func TestConverseExplainsABadRequest(t *testing.T) {
	cases := map[string]struct {
		reply reply
		want  string
	}{
		"ollama":                {reply{status: 404, body: `{"error":{"message":"model \"llama3.1\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`}, "try pulling it first"},
		"vllm":                  {reply{status: 400, body: `{"object":"error","message":"maximum context length is 8192 tokens","type":"BadRequestError","param":null,"code":400}`}, "maximum context length"},
		"numeric code in error": {reply{status: 400, body: `{"error":{"message":"tools are not supported by this model","type":"BadRequestError","code":400}}`}, "tools are not supported"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := startFake(t, c.reply)
			p, s := newTestProvider(t, f, 0)
			_, err := p.Converse(context.Background(), userRequest("hi"), nil)
			if !errors.Is(err, model.ErrBadRequest) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrBadRequest saying %q", err, c.want)
			}
			if len(f.requests()) != 1 || len(s.waits) != 0 {
				t.Errorf("%d attempts, want 1", len(f.requests()))
			}
		})
	}
}

func TestErrorsNeverShowTheAPIKey(t *testing.T) {
	for _, rep := range []reply{
		apiError(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided: "+testKey, nil),
		apiError(400, "invalid_request_error", "", "bad header "+testKey, nil),
	} {
		f := startFake(t, rep)
		p, _ := newTestProvider(t, f, -1)
		_, err := p.Converse(context.Background(), userRequest("hi"), nil)
		if err == nil || strings.Contains(err.Error(), "TESTKEY") {
			t.Errorf("error %q shows the API key", err)
		}
	}
}

func TestNoKeyFromTheEnvironmentIsSentToAKeylessServer(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-from-the-environment")
	t.Setenv("OPENAI_ORG_ID", "org-from-the-environment")
	f := startFake(t, sse(t, "text.sse"))
	p, err := New(Options{Model: "llama3.1", BaseURL: f.srv.URL + "/v1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Converse(context.Background(), userRequest("hi"), nil); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	h := f.requests()[0].header
	if h.Get("Authorization") != "" || h.Get("OpenAI-Organization") != "" {
		t.Errorf("sent Authorization %q, OpenAI-Organization %q; want neither", h.Get("Authorization"), h.Get("OpenAI-Organization"))
	}
}

func TestConverseDoesNotRetryAStreamThatBrokeAfterText(t *testing.T) {
	broken := sse(t, "broken_after_text.sse")
	broken.abort = true
	f := startFake(t, broken, sse(t, "text.sse"))
	p, _ := newTestProvider(t, f, 0)
	var shown strings.Builder
	_, err := p.Converse(context.Background(), userRequest("hi"), func(d string) { shown.WriteString(d) })
	var me *model.Error
	if !errors.Is(err, model.ErrStreamBroken) || !errors.As(err, &me) || !me.TextSent {
		t.Fatalf("err = %v, want ErrStreamBroken with TextSent", err)
	}
	if shown.String() != "You have 5 " || len(f.requests()) != 1 {
		t.Errorf("shown %q after %d attempts; want the partial text once, 1 attempt", shown.String(), len(f.requests()))
	}
}

func TestConverseRetriesAStreamThatBrokeBeforeText(t *testing.T) {
	broken := sse(t, "broken_before_text.sse")
	broken.abort = true
	f := startFake(t, broken, sse(t, "text.sse"))
	p, _ := newTestProvider(t, f, 0)
	var shown strings.Builder
	resp, err := p.Converse(context.Background(), userRequest("hi"), func(d string) { shown.WriteString(d) })
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if shown.String() != "You have 5 open incidents." || resp.Message.Text() != shown.String() || len(f.requests()) != 2 {
		t.Errorf("shown %q, answer %q, %d attempts; want the full answer once after 2 attempts", shown.String(), resp.Message.Text(), len(f.requests()))
	}
}

func TestConverseTreatsAStreamWithoutFinishReasonAsBroken(t *testing.T) {
	f := startFake(t, sse(t, "broken_after_text.sse")) // ends cleanly, but early
	p, _ := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("hi"), func(string) {})
	if !errors.Is(err, model.ErrStreamBroken) || len(f.requests()) != 1 {
		t.Fatalf("err = %v after %d attempts, want ErrStreamBroken after 1", err, len(f.requests()))
	}
}

func TestConverseErrorLineAfterTextIsABrokenStream(t *testing.T) {
	f := startFake(t, sse(t, "error_after_text.sse"), sse(t, "text.sse"))
	p, _ := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("hi"), func(string) {})
	if !errors.Is(err, model.ErrStreamBroken) || !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrStreamBroken caused by ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "Sorry about that") {
		t.Errorf("error %q quotes the stream", err)
	}
	if len(f.requests()) != 1 {
		t.Errorf("%d attempts, want 1", len(f.requests()))
	}
}

func TestConverseRetriesAnErrorLineBeforeText(t *testing.T) {
	f := startFake(t, sse(t, "error_before_text.sse"), sse(t, "text.sse"))
	p, s := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("hi"), func(string) {})
	if err != nil || resp.Message.Text() != "You have 5 open incidents." {
		t.Fatalf("Converse = %v, %v; want the answer after a retry", resp, err)
	}
	if len(f.requests()) != 2 || len(s.waits) != 1 {
		t.Errorf("%d attempts, %d waits; want 2 and 1", len(f.requests()), len(s.waits))
	}
}

func TestConverseRejectsMalformedToolArguments(t *testing.T) {
	f := startFake(t, sse(t, "malformed_tool.sse"), sse(t, "text.sse"))
	p, s := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("list"), nil)
	var me *model.Error
	if !errors.Is(err, model.ErrBadToolInput) || !errors.As(err, &me) || !strings.Contains(me.Message, `"list_incidents"`) {
		t.Fatalf("err = %v, want ErrBadToolInput naming list_incidents", err)
	}
	if len(f.requests()) != 1 || len(s.waits) != 0 {
		t.Errorf("%d attempts, want 1", len(f.requests()))
	}
}

func TestAgentRunWithMalformedToolArgumentsRunsNoToolAndKeepsConversationSavable(t *testing.T) {
	f := startFake(t, sse(t, "malformed_tool.sse"))
	p, _ := newTestProvider(t, f, 0)
	called := false
	a := &agent.Agent{Model: p, Tools: []tool.Tool{{
		Name: "list_incidents", InputSchema: listSchema,
		Handler: func(context.Context, json.RawMessage) (tool.Result, error) {
			called = true
			return tool.Result{}, nil
		},
	}}}
	conv := &agent.Conversation{}
	err := a.Run(context.Background(), conv, "list my incidents", func(agent.Event) {})
	if !errors.Is(err, agent.ErrModelFailed) || !errors.Is(err, model.ErrBadToolInput) {
		t.Fatalf("Run = %v, want ErrModelFailed wrapping ErrBadToolInput", err)
	}
	if called {
		t.Error("the tool ran with input that is not JSON")
	}
	if _, err := json.Marshal(conv); err != nil {
		t.Errorf("conversation cannot be saved: %v", err)
	}
}

func TestConverseConnectionRefusedIsUnavailable(t *testing.T) {
	f := startFake(t)
	url := f.srv.URL
	f.srv.Close()
	p, err := New(Options{BaseURL: url + "/v1", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Converse(context.Background(), userRequest("hi"), nil)
	if !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestConverseStopsWhenTheContextEnds(t *testing.T) {
	f := startFake(t, apiError(500, "server_error", "", "boom", nil))
	ctx, cancel := context.WithCancel(context.Background())
	p, err := New(Options{BaseURL: f.srv.URL + "/v1", Sleep: func(context.Context, time.Duration) error {
		cancel()
		return context.Canceled
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Converse(ctx, userRequest("hi"), nil)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, model.ErrUnavailable) || len(f.requests()) != 1 {
		t.Fatalf("err = %v after %d attempts, want the failure and context.Canceled after 1", err, len(f.requests()))
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
