package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
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
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/v1/messages" {
		t.Errorf("path = %q, want /v1/messages", r.Path)
	}
	if r.Header.Get("X-Api-Key") != testKey || r.Header.Get("Authorization") != "" {
		t.Errorf("the key is not sent (only) in x-api-key")
	}
	if r.Header.Get("Anthropic-Version") == "" {
		t.Errorf("no anthropic-version header")
	}
	providertest.Check(t, map[string][2]any{
		"model":      {get(r.Body, "model"), DefaultModel},
		"max_tokens": {get(r.Body, "max_tokens"), 1024.0},
		"stream":     {get(r.Body, "stream"), true},
		"system":     {get(r.Body, "system", 0, "text"), "You help with ServiceNow incidents."},
		"tool name":  {get(r.Body, "tools", 0, "name"), "list_incidents"},
		"tool desc":  {get(r.Body, "tools", 0, "description"), "List incidents."},
		"schema":     {get(r.Body, "tools", 0, "input_schema", "type"), "object"},
		"required":   {get(r.Body, "tools", 0, "input_schema", "required", 0), "limit"},
		"extra kw":   {get(r.Body, "tools", 0, "input_schema", "additionalProperties"), false},
		"prop":       {get(r.Body, "tools", 0, "input_schema", "properties", "limit", "type"), "integer"},
		"role":       {get(r.Body, "messages", 0, "role"), "user"},
		"text":       {get(r.Body, "messages", 0, "content", 0, "text"), "hi"},
	})
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
	body := f.Requests()[0].Body
	providertest.Check(t, map[string][2]any{
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
	})
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

func TestConverseReadsRetryAfterDateWithItsClock(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f := startFake(t,
		apiError(429, "rate_limit_error", "slow down", map[string]string{"retry-after": now.Add(7 * time.Second).Format(http.TimeFormat)}),
		sse(t, "text.sse"),
	)
	s := &providertest.Sleeper{}
	p, err := New(Options{APIKey: testKey, BaseURL: f.URL(), Sleep: s.Sleep, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Converse(context.Background(), userRequest("hi"), nil); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if want := []time.Duration{7 * time.Second}; !reflect.DeepEqual(s.Waits(), want) {
		t.Errorf("waits = %v, want %v", s.Waits(), want)
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
	if len(f.Requests()) != 1 || len(s.Waits()) != 0 {
		t.Errorf("%d attempts, %d waits; want 1 attempt and no wait", len(f.Requests()), len(s.Waits()))
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
	if got := get(f.Requests()[0].Body, "messages", 1, "content", 0, "input", "unparsed_input"); got != `["not", "an object"]` {
		t.Errorf("input = %#v, want the text under unparsed_input", got)
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

func TestErrorCases(t *testing.T) {
	providertest.RunErrorTests(t, providertest.Adapter{
		Fake: fakeOptions,
		New: func(t *testing.T, c providertest.Config) model.Provider {
			p, err := New(Options{APIKey: testKey, BaseURL: c.BaseURL, HTTPClient: c.HTTPClient, MaxRetries: c.MaxRetries, Sleep: c.Sleep})
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		Answer:             sse(t, "text.sse"),
		Streamed:           sse(t, "text.sse"),
		BrokenAfterText:    sse(t, "broken_after_text.sse"),
		BrokenBeforeText:   sse(t, "broken_before_text.sse"),
		ErrorAfterText:     sse(t, "error_after_text.sse"),
		ErrorAfterTextKind: model.ErrOverloaded,
		ErrorBeforeText:    sse(t, "error_before_text.sse"),
		MalformedTool:      sse(t, "malformed_tool.sse"),
		RateLimited:        apiError(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", map[string]string{"retry-after": "2"}),
		RateLimitedWait:    2 * time.Second,
		ServerError:        apiError(500, "api_error", "Internal server error", nil),
		Overloaded:         apiError(529, "overloaded_error", "Overloaded", nil),
		OverloadedStatus:   529,
		OverloadedCode:     "overloaded_error",
		RequestID:          requestID,
		HTTPErrors: []providertest.HTTPError{
			{Name: "rate limited", Reply: apiError(429, "rate_limit_error", "rate", nil), Want: model.ErrRateLimited, Status: 429},
			{Name: "overloaded 529", Reply: apiError(529, "overloaded_error", "Overloaded", nil), Want: model.ErrOverloaded, Status: 529},
			{Name: "unavailable 503", Reply: reply{Status: 503, Body: []byte("upstream connect error")}, Want: model.ErrOverloaded, Status: 503},
			{Name: "server error 500", Reply: apiError(500, "api_error", "Internal server error", nil), Want: model.ErrUnavailable, Status: 500},
			{Name: "bad gateway 502", Reply: reply{Status: 502, Body: []byte("<html>bad gateway</html>")}, Want: model.ErrUnavailable, Status: 502},
			{Name: "unauthorized", Reply: apiError(401, "authentication_error", "invalid x-api-key", nil), Want: model.ErrAuth, Status: 401},
			{Name: "forbidden", Reply: apiError(403, "permission_error", "no access to model", nil), Want: model.ErrAuth, Status: 403},
			{Name: "bad request", Reply: apiError(400, "invalid_request_error", "max_tokens: must be positive", nil), Want: model.ErrBadRequest, Status: 400},
			{Name: "not found", Reply: apiError(404, "not_found_error", "model: claude-nope", nil), Want: model.ErrBadRequest, Status: 404},
		},
		BadRequests: []providertest.Explained{
			{Name: "tool_use_id", Reply: apiError(400, "invalid_request_error", "messages.1.content.0: unexpected `tool_use_id` found in `tool_result` blocks", nil), Want: "unexpected `tool_use_id`"},
		},
		SecretReplies: []reply{
			apiError(401, "authentication_error", "invalid x-api-key "+testKey, nil),
			apiError(400, "invalid_request_error", "bad header "+testKey, nil),
		},
		Secrets: []string{testKey, "TESTKEY"},
	})
}
