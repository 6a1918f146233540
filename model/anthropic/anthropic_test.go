package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
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
	if got := resp.Message.Text(); got != "You have 5 open incidents." {
		t.Errorf("text = %q", got)
	}
	if resp.Message.Role != model.RoleAssistant || resp.StopReason != model.StopEndTurn {
		t.Errorf("role %q stop %q, want assistant end_turn", resp.Message.Role, resp.StopReason)
	}
	if resp.Usage != (model.Usage{InputTokens: 472, OutputTokens: 12}) {
		t.Errorf("usage = %+v", resp.Usage)
	}
}

func TestConverseSendsModelSystemToolsAndKey(t *testing.T) {
	f := startFake(t, sse(t, "text.sse"))
	p, _ := newTestProvider(t, f, 0)
	if _, err := p.Converse(context.Background(), userRequest("hi"), nil); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.path != "/v1/messages" {
		t.Errorf("path = %q, want /v1/messages", r.path)
	}
	if r.header.Get("X-Api-Key") != testKey || r.header.Get("Authorization") != "" {
		t.Errorf("the key is not sent (only) in x-api-key")
	}
	if r.header.Get("Anthropic-Version") == "" {
		t.Errorf("no anthropic-version header")
	}
	checks := map[string][2]any{
		"model":      {get(r.body, "model"), DefaultModel},
		"max_tokens": {get(r.body, "max_tokens"), 1024.0},
		"stream":     {get(r.body, "stream"), true},
		"system":     {get(r.body, "system", 0, "text"), "You help with ServiceNow incidents."},
		"tool name":  {get(r.body, "tools", 0, "name"), "list_incidents"},
		"tool desc":  {get(r.body, "tools", 0, "description"), "List incidents."},
		"schema":     {get(r.body, "tools", 0, "input_schema", "type"), "object"},
		"required":   {get(r.body, "tools", 0, "input_schema", "required", 0), "limit"},
		"extra kw":   {get(r.body, "tools", 0, "input_schema", "additionalProperties"), false},
		"prop":       {get(r.body, "tools", 0, "input_schema", "properties", "limit", "type"), "integer"},
		"role":       {get(r.body, "messages", 0, "role"), "user"},
		"text":       {get(r.body, "messages", 0, "content", 0, "text"), "hi"},
	}
	for name, c := range checks {
		if !reflect.DeepEqual(c[0], c[1]) {
			t.Errorf("%s = %#v, want %#v", name, c[0], c[1])
		}
	}
}

func TestConverseReturnsTwoToolUsesFromOneTurn(t *testing.T) {
	f := startFake(t, sse(t, "two_tools.sse"))
	p, _ := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("Show INC0010001 and my incidents"), nil)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if resp.StopReason != model.StopToolUse {
		t.Errorf("stop = %q, want tool_use", resp.StopReason)
	}
	want := []model.Block{
		{Type: model.BlockText, Text: "Let me look both up."},
		{Type: model.BlockToolUse, ToolUseID: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", ToolName: "get_incident", Input: json.RawMessage(`{"number": "INC0010001"}`)},
		{Type: model.BlockToolUse, ToolUseID: "toolu_01GoU8ZR2kSPaNgQ6TEmPpSz", ToolName: "list_incidents", Input: json.RawMessage(`{"assigned_to_me": true, "limit": 5}`)},
	}
	if !reflect.DeepEqual(resp.Message.Content, want) {
		t.Errorf("content =\n%+v\nwant\n%+v", resp.Message.Content, want)
	}
	if resp.Usage != (model.Usage{InputTokens: 612, OutputTokens: 89}) {
		t.Errorf("usage = %+v", resp.Usage)
	}
}

func TestConverseSendsToolUsesAndResultsBack(t *testing.T) {
	f := startFake(t, sse(t, "text.sse"))
	p, _ := newTestProvider(t, f, 0)
	req := userRequest("Show INC0010001 and my incidents")
	req.Messages = append(req.Messages,
		model.Message{Role: model.RoleAssistant, Content: []model.Block{
			{Type: model.BlockText, Text: "Let me look."},
			{Type: model.BlockToolUse, ToolUseID: "toolu_1", ToolName: "get_incident", Input: json.RawMessage(`{"number":"INC0010001"}`)},
			{Type: model.BlockToolUse, ToolUseID: "toolu_2", ToolName: "list_incidents", Input: nil},
		}},
		model.Message{Role: model.RoleUser, Content: []model.Block{
			{Type: model.BlockToolResult, ToolUseID: "toolu_1", Text: "access denied", IsError: true},
			{Type: model.BlockToolResult, ToolUseID: "toolu_2", Text: `[{"number":"INC0010002"}]`},
		}},
	)
	if _, err := p.Converse(context.Background(), req, nil); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	body := f.requests()[0].body
	checks := map[string][2]any{
		"assistant role":   {get(body, "messages", 1, "role"), "assistant"},
		"use 1 type":       {get(body, "messages", 1, "content", 1, "type"), "tool_use"},
		"use 1 id":         {get(body, "messages", 1, "content", 1, "id"), "toolu_1"},
		"use 1 name":       {get(body, "messages", 1, "content", 1, "name"), "get_incident"},
		"use 1 input":      {get(body, "messages", 1, "content", 1, "input", "number"), "INC0010001"},
		"use 2 empty in":   {get(body, "messages", 1, "content", 2, "input"), map[string]any{}},
		"result 1 type":    {get(body, "messages", 2, "content", 0, "type"), "tool_result"},
		"result 1 id":      {get(body, "messages", 2, "content", 0, "tool_use_id"), "toolu_1"},
		"result 1 text":    {get(body, "messages", 2, "content", 0, "content", 0, "text"), "access denied"},
		"result 1 error":   {get(body, "messages", 2, "content", 0, "is_error"), true},
		"result 2 id":      {get(body, "messages", 2, "content", 1, "tool_use_id"), "toolu_2"},
		"result 2 noerror": {get(body, "messages", 2, "content", 1, "is_error"), nil},
	}
	for name, c := range checks {
		if !reflect.DeepEqual(c[0], c[1]) {
			t.Errorf("%s = %#v, want %#v", name, c[0], c[1])
		}
	}
}

func TestConverseMapsMaxTokensStopReason(t *testing.T) {
	f := startFake(t, sse(t, "max_tokens.sse"))
	p, _ := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("Write a long story"), nil)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if resp.StopReason != model.StopMaxTokens || resp.Message.Text() != "Here is a very long" {
		t.Errorf("stop %q text %q, want max_tokens with the partial text", resp.StopReason, resp.Message.Text())
	}
}

func TestConverseRetriesRateLimitAfterRetryAfter(t *testing.T) {
	f := startFake(t,
		apiError(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", map[string]string{"retry-after": "2"}),
		sse(t, "text.sse"),
	)
	p, s := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("hi"), nil)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if resp.Message.Text() != "You have 5 open incidents." {
		t.Errorf("text = %q", resp.Message.Text())
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
	if want := []time.Duration{2 * time.Second}; !reflect.DeepEqual(s.waits, want) {
		t.Errorf("waits = %v, want %v (the retry-after)", s.waits, want)
	}
}

func TestConverseReadsRetryAfterDateWithItsClock(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f := startFake(t,
		apiError(429, "rate_limit_error", "slow down", map[string]string{"retry-after": now.Add(7 * time.Second).Format(http.TimeFormat)}),
		sse(t, "text.sse"),
	)
	s := &sleeper{}
	p, err := New(Options{APIKey: testKey, BaseURL: f.srv.URL, Sleep: s.Sleep, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Converse(context.Background(), userRequest("hi"), nil); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if want := []time.Duration{7 * time.Second}; !reflect.DeepEqual(s.waits, want) {
		t.Errorf("waits = %v, want %v", s.waits, want)
	}
}

func TestConverseStopsRetryingWhenRetryAfterIsTooLong(t *testing.T) {
	f := startFake(t, apiError(429, "rate_limit_error", "slow down", map[string]string{"retry-after": "600"}))
	p, s := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("hi"), nil)
	var me *model.Error
	if !errors.Is(err, model.ErrRateLimited) || !errors.As(err, &me) || me.RetryAfter != 10*time.Minute {
		t.Fatalf("err = %v, want ErrRateLimited with RetryAfter 10m", err)
	}
	if len(f.requests()) != 1 || len(s.waits) != 0 {
		t.Errorf("%d attempts, %d waits; want 1 attempt and no wait", len(f.requests()), len(s.waits))
	}
}

func TestConverseGivesUpOnOverloadAfterMaxRetries(t *testing.T) {
	overloaded := apiError(529, "overloaded_error", "Overloaded", nil)
	f := startFake(t, overloaded, overloaded, overloaded)
	p, s := newTestProvider(t, f, 2)
	_, err := p.Converse(context.Background(), userRequest("hi"), nil)
	var me *model.Error
	if !errors.Is(err, model.ErrOverloaded) || !errors.As(err, &me) {
		t.Fatalf("err = %v, want ErrOverloaded", err)
	}
	if me.Status != 529 || me.Code != "overloaded_error" || me.Attempts != 3 || me.RequestID == "" {
		t.Errorf("error = %+v, want status 529, code overloaded_error, 3 attempts, a request id", me)
	}
	if len(f.requests()) != 3 || len(s.waits) != 2 {
		t.Errorf("%d attempts, %d waits; want 3 and 2", len(f.requests()), len(s.waits))
	}
	for _, w := range s.waits {
		if w <= 0 || w > 8*time.Second {
			t.Errorf("backoff wait %v outside (0, 8s]", w)
		}
	}
}

func TestConverseRetriesServerErrorThenSucceeds(t *testing.T) {
	f := startFake(t, apiError(500, "api_error", "Internal server error", nil), sse(t, "text.sse"))
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
		{"rate limited", apiError(429, "rate_limit_error", "rate", nil), model.ErrRateLimited, 429},
		{"overloaded 529", apiError(529, "overloaded_error", "Overloaded", nil), model.ErrOverloaded, 529},
		{"unavailable 503", reply{status: 503, body: "upstream connect error"}, model.ErrOverloaded, 503},
		{"server error 500", apiError(500, "api_error", "Internal server error", nil), model.ErrUnavailable, 500},
		{"bad gateway 502", reply{status: 502, body: "<html>bad gateway</html>"}, model.ErrUnavailable, 502},
		{"unauthorized", apiError(401, "authentication_error", "invalid x-api-key", nil), model.ErrAuth, 401},
		{"forbidden", apiError(403, "permission_error", "no access to model", nil), model.ErrAuth, 403},
		{"bad request", apiError(400, "invalid_request_error", "max_tokens: must be positive", nil), model.ErrBadRequest, 400},
		{"not found", apiError(404, "not_found_error", "model: claude-nope", nil), model.ErrBadRequest, 404},
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
			if strings.Contains(err.Error(), "<html>") || strings.Contains(err.Error(), "upstream connect") {
				t.Errorf("error %q quotes the response body", err)
			}
		})
	}
}

func TestConverseDoesNotRetryBadRequestAndExplainsIt(t *testing.T) {
	f := startFake(t, apiError(400, "invalid_request_error", "messages.1.content.0: unexpected `tool_use_id` found in `tool_result` blocks", nil))
	p, s := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("hi"), nil)
	if !errors.Is(err, model.ErrBadRequest) {
		t.Fatalf("err = %v, want ErrBadRequest", err)
	}
	if !strings.Contains(err.Error(), "unexpected `tool_use_id`") {
		t.Errorf("error %q does not explain what was rejected", err)
	}
	if len(f.requests()) != 1 || len(s.waits) != 0 {
		t.Errorf("%d attempts, want 1", len(f.requests()))
	}
}

func TestErrorsNeverShowTheAPIKey(t *testing.T) {
	for _, rep := range []reply{
		apiError(401, "authentication_error", "invalid x-api-key "+testKey, nil),
		apiError(400, "invalid_request_error", "bad header "+testKey, nil),
	} {
		f := startFake(t, rep)
		p, _ := newTestProvider(t, f, -1)
		_, err := p.Converse(context.Background(), userRequest("hi"), nil)
		if err == nil || strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "TESTKEY") {
			t.Errorf("error %q shows the API key", err)
		}
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
	if shown.String() != "You have 5 " {
		t.Errorf("shown %q, want the partial text once", shown.String())
	}
	if len(f.requests()) != 1 {
		t.Errorf("%d attempts, want 1: the user already saw text", len(f.requests()))
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
	if shown.String() != "You have 5 open incidents." || resp.Message.Text() != shown.String() {
		t.Errorf("shown %q, answer %q; want the full answer once", shown.String(), resp.Message.Text())
	}
	if len(f.requests()) != 2 {
		t.Errorf("%d attempts, want 2", len(f.requests()))
	}
}

func TestConverseTreatsAStreamWithoutMessageStopAsBroken(t *testing.T) {
	f := startFake(t, sse(t, "broken_after_text.sse")) // ends cleanly, but early
	p, _ := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("hi"), func(string) {})
	if !errors.Is(err, model.ErrStreamBroken) {
		t.Fatalf("err = %v, want ErrStreamBroken", err)
	}
	if len(f.requests()) != 1 {
		t.Errorf("%d attempts, want 1", len(f.requests()))
	}
}

func TestConverseErrorEventAfterTextIsABrokenStream(t *testing.T) {
	f := startFake(t, sse(t, "error_after_text.sse"), sse(t, "text.sse"))
	p, _ := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("hi"), func(string) {})
	if !errors.Is(err, model.ErrStreamBroken) || !errors.Is(err, model.ErrOverloaded) {
		t.Fatalf("err = %v, want ErrStreamBroken caused by ErrOverloaded", err)
	}
	if len(f.requests()) != 1 {
		t.Errorf("%d attempts, want 1", len(f.requests()))
	}
}

func TestConverseRetriesAnErrorEventBeforeText(t *testing.T) {
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
		t.Errorf("%d attempts, want 1: a truncated tool call is not retried", len(f.requests()))
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

func TestConverseSendsNonObjectToolInputWrapped(t *testing.T) {
	f := startFake(t, sse(t, "text.sse"))
	p, _ := newTestProvider(t, f, 0)
	req := userRequest("hi")
	req.Messages = append(req.Messages,
		model.Message{Role: model.RoleAssistant, Content: []model.Block{
			{Type: model.BlockToolUse, ToolUseID: "toolu_1", ToolName: "list_incidents", Input: json.RawMessage(`["not", "an object"]`)},
		}},
		model.Message{Role: model.RoleUser, Content: []model.Block{
			{Type: model.BlockToolResult, ToolUseID: "toolu_1", Text: "bad input", IsError: true},
		}},
	)
	if _, err := p.Converse(context.Background(), req, nil); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if got := get(f.requests()[0].body, "messages", 1, "content", 0, "input", "unparsed_input"); got != `["not", "an object"]` {
		t.Errorf("input = %#v, want the text under unparsed_input", got)
	}
}

func TestConverseConnectionRefusedIsUnavailable(t *testing.T) {
	f := startFake(t)
	url := f.srv.URL
	f.srv.Close()
	p, err := New(Options{APIKey: testKey, BaseURL: url, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Converse(context.Background(), userRequest("hi"), nil)
	if !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestConverseStopsWhenTheContextEnds(t *testing.T) {
	f := startFake(t, apiError(529, "overloaded_error", "Overloaded", nil))
	ctx, cancel := context.WithCancel(context.Background())
	p, err := New(Options{APIKey: testKey, BaseURL: f.srv.URL, Sleep: func(context.Context, time.Duration) error {
		cancel()
		return context.Canceled
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Converse(ctx, userRequest("hi"), nil)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, model.ErrOverloaded) {
		t.Fatalf("err = %v, want the overload and context.Canceled", err)
	}
	if len(f.requests()) != 1 {
		t.Errorf("%d attempts, want 1", len(f.requests()))
	}
}

func TestNameSaysModelAndNonDefaultBaseURL(t *testing.T) {
	p, err := New(Options{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "anthropic:claude-sonnet-4-20250514" {
		t.Errorf("Name = %q", p.Name())
	}
	p, err = New(Options{APIKey: testKey, Model: "claude-opus-4-1", BaseURL: "https://user:pw@gateway.example.com/anthropic/?k=v"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "anthropic:claude-opus-4-1@https://gateway.example.com/anthropic" {
		t.Errorf("Name = %q, want the base URL without user info or query", p.Name())
	}
}

func TestNewRejectsMissingKeyAndBadURL(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("New without an API key succeeded")
	}
	if _, err := New(Options{APIKey: testKey, BaseURL: "ftp://x"}); err == nil {
		t.Error("New with an ftp base URL succeeded")
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
	p, ok, err := FromEnv(context.Background(), env(map[string]string{
		EnvAPIKey: testKey, EnvBaseURL: "http://127.0.0.1:9", EnvModel: "claude-3-5-haiku-latest",
	}), Options{})
	if !ok || err != nil || p.Name() != "anthropic:claude-3-5-haiku-latest@http://127.0.0.1:9" {
		t.Errorf("FromEnv = %v, %v, %v", p, ok, err)
	}
	_, ok, err = FromEnv(context.Background(), env(map[string]string{EnvAPIKey: testKey, EnvBaseURL: "::"}), Options{})
	if ok || err == nil {
		t.Errorf("bad base URL: ok=%v err=%v, want an error", ok, err)
	}
}
