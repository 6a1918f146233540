package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/agent"
	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/tool"
)

var listSchema = json.RawMessage(`{"type":"object","properties":{"assigned_to_me":{"type":"boolean"},"limit":{"type":"integer","maximum":100}},"required":["limit"]}`)

func userRequest(text string) model.Request {
	return model.Request{
		System:    "You help with ServiceNow incidents.",
		MaxTokens: 1024,
		Tools:     []model.ToolSpec{{Name: "list_incidents", Description: "List incidents.", InputSchema: listSchema}},
		Messages:  []model.Message{{Role: model.RoleUser, Content: []model.Block{{Type: model.BlockText, Text: text}}}},
	}
}

// jsonEqual compares two JSON texts by value.
func jsonEqual(t *testing.T, got, want json.RawMessage) bool {
	t.Helper()
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

func TestConverseStreamStreamsTextAndEndsTurn(t *testing.T) {
	f := startFake(t, streamReply(t, "stream_text.jsonl"))
	p, _ := newTestProvider(t, f, 0)
	var deltas []string
	resp, err := p.Converse(context.Background(), userRequest("How many incidents do I have?"), func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if want := []string{"You have ", "5 open incidents."}; !reflect.DeepEqual(deltas, want) {
		t.Errorf("deltas = %q, want %q", deltas, want)
	}
	if resp.Message.Text() != "You have 5 open incidents." || resp.Message.Role != model.RoleAssistant || resp.StopReason != model.StopEndTurn {
		t.Errorf("response = %+v", resp)
	}
	if resp.Usage != (model.Usage{InputTokens: 472, OutputTokens: 12}) {
		t.Errorf("usage = %+v", resp.Usage)
	}
	r := f.requests()[0]
	if r.path != "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream" {
		t.Errorf("path = %q, want the ConverseStream path of the default model", r.path)
	}
	auth := r.header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDONBEHALFTEST/") || !strings.Contains(auth, "/us-east-1/bedrock/aws4_request") {
		t.Errorf("Authorization = %q, want SigV4 for bedrock in us-east-1", auth)
	}
	if r.header.Get("X-Amz-Security-Token") != testCreds.SessionToken {
		t.Errorf("the session token was not sent")
	}
}

func TestConverseWithoutOnTextUsesConverse(t *testing.T) {
	f := startFake(t, jsonReply(t, "converse_text.json"))
	p, _ := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("How many incidents do I have?"), nil)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if resp.Message.Text() != "You have 5 open incidents." || resp.StopReason != model.StopEndTurn || resp.Usage != (model.Usage{InputTokens: 472, OutputTokens: 12}) {
		t.Errorf("response = %+v", resp)
	}
	if path := f.requests()[0].path; path != "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse" {
		t.Errorf("path = %q, want the Converse path", path)
	}
}

func TestConverseSendsSystemToolConfigAndToolResults(t *testing.T) {
	f := startFake(t, jsonReply(t, "converse_text.json"))
	p, _ := newTestProvider(t, f, 0)
	req := userRequest("Show INC0010001 and my incidents")
	req.Messages = append(req.Messages,
		model.Message{Role: model.RoleAssistant, Content: []model.Block{
			{Type: model.BlockText, Text: "Let me look."},
			{Type: model.BlockToolUse, ToolUseID: "tooluse_1", ToolName: "get_incident", Input: json.RawMessage(`{"number":"INC0010001","limit":12345678901234567}`)},
			{Type: model.BlockToolUse, ToolUseID: "tooluse_2", ToolName: "list_incidents"},
		}},
		model.Message{Role: model.RoleUser, Content: []model.Block{
			{Type: model.BlockToolResult, ToolUseID: "tooluse_1", Text: "access denied", IsError: true},
			{Type: model.BlockToolResult, ToolUseID: "tooluse_2", Text: `[{"number":"INC0010002"}]`},
		}},
	)
	if _, err := p.Converse(context.Background(), req, nil); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	body := f.requests()[0].body
	checks := map[string][2]any{
		"system":         {get(body, "system", 0, "text"), "You help with ServiceNow incidents."},
		"max tokens":     {get(body, "inferenceConfig", "maxTokens"), 1024.0},
		"tool name":      {get(body, "toolConfig", "tools", 0, "toolSpec", "name"), "list_incidents"},
		"tool desc":      {get(body, "toolConfig", "tools", 0, "toolSpec", "description"), "List incidents."},
		"schema type":    {get(body, "toolConfig", "tools", 0, "toolSpec", "inputSchema", "json", "type"), "object"},
		"schema max":     {get(body, "toolConfig", "tools", 0, "toolSpec", "inputSchema", "json", "properties", "limit", "maximum"), 100.0},
		"schema req":     {get(body, "toolConfig", "tools", 0, "toolSpec", "inputSchema", "json", "required", 0), "limit"},
		"user role":      {get(body, "messages", 0, "role"), "user"},
		"user text":      {get(body, "messages", 0, "content", 0, "text"), "Show INC0010001 and my incidents"},
		"assistant role": {get(body, "messages", 1, "role"), "assistant"},
		"assistant text": {get(body, "messages", 1, "content", 0, "text"), "Let me look."},
		"use 1 id":       {get(body, "messages", 1, "content", 1, "toolUse", "toolUseId"), "tooluse_1"},
		"use 1 name":     {get(body, "messages", 1, "content", 1, "toolUse", "name"), "get_incident"},
		"use 1 input":    {get(body, "messages", 1, "content", 1, "toolUse", "input", "number"), "INC0010001"},
		"use 2 input":    {get(body, "messages", 1, "content", 2, "toolUse", "input"), map[string]any{}},
		"result 1 id":    {get(body, "messages", 2, "content", 0, "toolResult", "toolUseId"), "tooluse_1"},
		"result 1 text":  {get(body, "messages", 2, "content", 0, "toolResult", "content", 0, "text"), "access denied"},
		"result 1 state": {get(body, "messages", 2, "content", 0, "toolResult", "status"), "error"},
		"result 2 state": {get(body, "messages", 2, "content", 1, "toolResult", "status"), "success"},
	}
	for name, c := range checks {
		if !reflect.DeepEqual(c[0], c[1]) {
			t.Errorf("%s = %#v, want %#v", name, c[0], c[1])
		}
	}
	// A large integer in a replayed input survives exactly.
	if !strings.Contains(string(f.requests()[0].raw), "12345678901234567") {
		t.Errorf("a large integer in a tool input was not sent exactly")
	}
}

func TestConverseStreamReturnsTwoToolUsesFromOneTurn(t *testing.T) {
	f := startFake(t, streamReply(t, "stream_two_tools.jsonl"))
	p, _ := newTestProvider(t, f, 0)
	var shown strings.Builder
	resp, err := p.Converse(context.Background(), userRequest("Show INC0010001 and my incidents"), func(d string) { shown.WriteString(d) })
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	want := []model.Block{
		{Type: model.BlockText, Text: "Let me look both up."},
		{Type: model.BlockToolUse, ToolUseID: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", ToolName: "get_incident", Input: json.RawMessage(`{"number": "INC0010001"}`)},
		{Type: model.BlockToolUse, ToolUseID: "tooluse_Yb2YB9NRTSSH7r9O0pXgJA", ToolName: "list_incidents", Input: json.RawMessage(`{"assigned_to_me": true, "limit": 5}`)},
	}
	if !reflect.DeepEqual(resp.Message.Content, want) {
		t.Errorf("content =\n%+v\nwant\n%+v", resp.Message.Content, want)
	}
	if resp.StopReason != model.StopToolUse || shown.String() != "Let me look both up." {
		t.Errorf("stop %q, shown %q", resp.StopReason, shown.String())
	}
	if resp.Usage != (model.Usage{InputTokens: 612, OutputTokens: 89}) {
		t.Errorf("usage = %+v", resp.Usage)
	}
}

func TestConverseReturnsTwoToolUsesFromOneTurn(t *testing.T) {
	f := startFake(t, jsonReply(t, "converse_two_tools.json"))
	p, _ := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("Show INC0010001 and my incidents"), nil)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	c := resp.Message.Content
	if len(c) != 3 || c[0].Text != "Let me look both up." || resp.StopReason != model.StopToolUse {
		t.Fatalf("response = %+v", resp)
	}
	if c[1].Type != model.BlockToolUse || c[1].ToolUseID != "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q" || c[1].ToolName != "get_incident" || !jsonEqual(t, c[1].Input, json.RawMessage(`{"number":"INC0010001"}`)) {
		t.Errorf("first call = %+v (input %s)", c[1], c[1].Input)
	}
	if c[2].ToolName != "list_incidents" || !jsonEqual(t, c[2].Input, json.RawMessage(`{"assigned_to_me":true,"limit":5}`)) {
		t.Errorf("second call = %+v (input %s)", c[2], c[2].Input)
	}
}

func TestConverseStreamMapsMaxTokensStopReason(t *testing.T) {
	f := startFake(t, streamReply(t, "stream_max_tokens.jsonl"))
	p, _ := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("Write a long story"), func(string) {})
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if resp.StopReason != model.StopMaxTokens || resp.Message.Text() != "Here is a very long" {
		t.Errorf("stop %q text %q, want max_tokens with the partial text", resp.StopReason, resp.Message.Text())
	}
}

func TestConverseRetriesThrottlingThenSucceeds(t *testing.T) {
	f := startFake(t,
		apiError(429, "ThrottlingException", "Too many requests, please wait before trying again."),
		streamReply(t, "stream_text.jsonl"),
	)
	p, s := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("hi"), func(string) {})
	if err != nil || resp.Message.Text() != "You have 5 open incidents." {
		t.Fatalf("Converse = %v, %v", resp, err)
	}
	if len(f.requests()) != 2 || len(s.waits) != 1 {
		t.Errorf("%d attempts, %d waits; want 2 and 1", len(f.requests()), len(s.waits))
	}
}

func TestConverseGivesUpOnServiceUnavailableAfterMaxRetries(t *testing.T) {
	busy := apiError(503, "ServiceUnavailableException", "Bedrock is unable to process your request.")
	f := startFake(t, busy, busy, busy)
	p, s := newTestProvider(t, f, 2)
	_, err := p.Converse(context.Background(), userRequest("hi"), nil)
	var me *model.Error
	if !errors.Is(err, model.ErrOverloaded) || !errors.As(err, &me) {
		t.Fatalf("err = %v, want ErrOverloaded", err)
	}
	if me.Status != 503 || me.Code != "ServiceUnavailableException" || me.Attempts != 3 || me.RequestID != requestID {
		t.Errorf("error = %+v, want 503 ServiceUnavailableException, 3 attempts, the request id", me)
	}
	if len(f.requests()) != 3 || len(s.waits) != 2 {
		t.Errorf("%d attempts, %d waits; want 3 and 2", len(f.requests()), len(s.waits))
	}
}

func TestConverseRetriesInternalServerErrorThenSucceeds(t *testing.T) {
	f := startFake(t, apiError(500, "InternalServerException", "An internal server error occurred."), jsonReply(t, "converse_text.json"))
	p, _ := newTestProvider(t, f, 0)
	resp, err := p.Converse(context.Background(), userRequest("hi"), nil)
	if err != nil || resp.Message.Text() != "You have 5 open incidents." {
		t.Fatalf("Converse = %v, %v", resp, err)
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
		{"throttling", apiError(429, "ThrottlingException", "Too many requests"), model.ErrRateLimited, 429},
		{"service unavailable", apiError(503, "ServiceUnavailableException", "unavailable"), model.ErrOverloaded, 503},
		{"internal", apiError(500, "InternalServerException", "internal"), model.ErrUnavailable, 500},
		{"model error", apiError(424, "ModelErrorException", "The model failed"), model.ErrUnavailable, 424},
		{"model not ready", apiError(429, "ModelNotReadyException", "not ready"), model.ErrUnavailable, 429},
		{"validation", apiError(400, "ValidationException", "The provided model identifier is invalid."), model.ErrBadRequest, 400},
		{"not found", apiError(404, "ResourceNotFoundException", "Model not found"), model.ErrBadRequest, 404},
		{"access denied", apiError(403, "AccessDeniedException", "You don't have access to the model with the specified model ID."), model.ErrAuth, 403},
		{"bad key", apiError(403, "UnrecognizedClientException", "The security token included in the request is invalid."), model.ErrAuth, 403},
		{"html 502", reply{status: 502, body: []byte("<html>bad gateway</html>")}, model.ErrUnavailable, 502},
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
			if strings.Contains(err.Error(), "<html>") {
				t.Errorf("error %q quotes the body", err)
			}
		})
	}
}

func TestConverseExplainsAValidationError(t *testing.T) {
	f := startFake(t, apiError(400, "ValidationException", "The provided model identifier is invalid."))
	p, s := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("hi"), func(string) {})
	if !errors.Is(err, model.ErrBadRequest) || !strings.Contains(err.Error(), "model identifier is invalid") {
		t.Fatalf("err = %v, want ErrBadRequest with the explanation", err)
	}
	if len(f.requests()) != 1 || len(s.waits) != 0 {
		t.Errorf("%d attempts, want 1", len(f.requests()))
	}
}

func TestErrorsAndCredentialsNeverShowSecrets(t *testing.T) {
	f := startFake(t, apiError(400, "ValidationException", "bad input near "+testCreds.SecretAccessKey+" and "+testCreds.SessionToken))
	p, _ := newTestProvider(t, f, -1)
	_, err := p.Converse(context.Background(), userRequest("hi"), nil)
	if err == nil || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "SESSIONTOKEN") {
		t.Errorf("error %q shows a secret", err)
	}
	for _, s := range []string{fmt.Sprint(testCreds), fmt.Sprintf("%+v", *testCreds), fmt.Sprintf("%#v", testCreds), fmt.Sprintf("%v", Options{Credentials: testCreds})} {
		if strings.Contains(s, "SECRET") || strings.Contains(s, "SESSIONTOKEN") {
			t.Errorf("credentials print a secret: %s", s)
		}
	}
}

func TestConverseDoesNotRetryAStreamThatBrokeAfterText(t *testing.T) {
	broken := streamReply(t, "stream_broken_after_text.jsonl")
	broken.abort = true
	f := startFake(t, broken, streamReply(t, "stream_text.jsonl"))
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
	broken := streamReply(t, "stream_broken_before_text.jsonl")
	broken.abort = true
	f := startFake(t, broken, streamReply(t, "stream_text.jsonl"))
	p, _ := newTestProvider(t, f, 0)
	var shown strings.Builder
	resp, err := p.Converse(context.Background(), userRequest("hi"), func(d string) { shown.WriteString(d) })
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if shown.String() != "You have 5 open incidents." || resp.Message.Text() != shown.String() || len(f.requests()) != 2 {
		t.Errorf("shown %q, answer %q, %d attempts", shown.String(), resp.Message.Text(), len(f.requests()))
	}
}

func TestConverseTreatsAStreamWithoutMessageStopAsBroken(t *testing.T) {
	f := startFake(t, streamReply(t, "stream_broken_after_text.jsonl")) // ends cleanly, but early
	p, _ := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("hi"), func(string) {})
	if !errors.Is(err, model.ErrStreamBroken) || len(f.requests()) != 1 {
		t.Fatalf("err = %v after %d attempts, want ErrStreamBroken after 1", err, len(f.requests()))
	}
}

func TestConverseExceptionAfterTextIsABrokenStream(t *testing.T) {
	f := startFake(t, streamReply(t, "stream_exception_after_text.jsonl"), streamReply(t, "stream_text.jsonl"))
	p, _ := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("hi"), func(string) {})
	if !errors.Is(err, model.ErrStreamBroken) || !errors.Is(err, model.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrStreamBroken caused by ErrRateLimited", err)
	}
	if len(f.requests()) != 1 {
		t.Errorf("%d attempts, want 1", len(f.requests()))
	}
}

func TestConverseRetriesAnExceptionBeforeText(t *testing.T) {
	f := startFake(t, streamReply(t, "stream_exception_before_text.jsonl"), streamReply(t, "stream_text.jsonl"))
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
	f := startFake(t, streamReply(t, "stream_malformed_tool.jsonl"), streamReply(t, "stream_text.jsonl"))
	p, s := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("list"), func(string) {})
	var me *model.Error
	if !errors.Is(err, model.ErrBadToolInput) || !errors.As(err, &me) || !strings.Contains(me.Message, `"list_incidents"`) {
		t.Fatalf("err = %v, want ErrBadToolInput naming list_incidents", err)
	}
	if len(f.requests()) != 1 || len(s.waits) != 0 {
		t.Errorf("%d attempts, want 1", len(f.requests()))
	}
}

func TestConverseRejectsMalformedToolUseStopReason(t *testing.T) {
	f := startFake(t, reply{header: map[string]string{"Content-Type": "application/json"}, body: []byte(
		`{"output":{"message":{"role":"assistant","content":[{"text":"Listing."}]}},"stopReason":"malformed_tool_use","usage":{"inputTokens":10,"outputTokens":3,"totalTokens":13}}`)})
	p, _ := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("list"), nil)
	if !errors.Is(err, model.ErrBadToolInput) {
		t.Fatalf("err = %v, want ErrBadToolInput", err)
	}
}

func TestAgentRunWithMalformedToolArgumentsRunsNoToolAndKeepsConversationSavable(t *testing.T) {
	f := startFake(t, streamReply(t, "stream_malformed_tool.jsonl"))
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
	p, err := New(Options{Region: "us-east-1", BaseURL: url, Credentials: testCreds, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Converse(context.Background(), userRequest("hi"), func(string) {})
	if !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestNameSaysModelAndEndpoint(t *testing.T) {
	p, err := New(Options{Region: "us-east-1", Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "bedrock:us.anthropic.claude-sonnet-4-20250514-v1:0" {
		t.Errorf("Name = %q", p.Name())
	}
	p, err = New(Options{Region: "eu-west-1", ModelID: "eu.anthropic.claude-3-7-sonnet-20250219-v1:0", BaseURL: "https://vpce-1.bedrock-runtime.eu-west-1.vpce.amazonaws.com/", Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "bedrock:eu.anthropic.claude-3-7-sonnet-20250219-v1:0@https://vpce-1.bedrock-runtime.eu-west-1.vpce.amazonaws.com" {
		t.Errorf("Name = %q", p.Name())
	}
}

func TestNewRejectsIncompleteOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"no region":      {Credentials: testCreds},
		"bad base URL":   {Region: "us-east-1", Credentials: testCreds, BaseURL: "127.0.0.1:8080"},
		"half a keypair": {Region: "us-east-1", Credentials: &Credentials{AccessKeyID: "AKID"}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestFromEnvIsNotConfiguredWithoutRegion(t *testing.T) {
	_, ok, err := FromEnv(context.Background(), env(map[string]string{EnvAccessKeyID: "AKID", EnvSecretAccessKey: "s"}), Options{})
	if ok || err != nil {
		t.Errorf("ok=%v err=%v, want not configured", ok, err)
	}
}

func TestFromEnvWithRegionAndKeys(t *testing.T) {
	f := startFake(t, jsonReply(t, "converse_text.json"))
	p, ok, err := FromEnv(context.Background(), env(map[string]string{
		EnvDefaultRegion: "eu-central-1", EnvAccessKeyID: "AKIDFROMENV", EnvSecretAccessKey: "secret-from-env",
		EnvModelID: "anthropic.claude-3-5-haiku-20241022-v1:0", EnvEndpoint: f.srv.URL,
	}), Options{MaxRetries: -1})
	if !ok || err != nil {
		t.Fatalf("FromEnv: ok=%v err=%v", ok, err)
	}
	if p.Name() != "bedrock:anthropic.claude-3-5-haiku-20241022-v1:0@"+f.srv.URL {
		t.Errorf("Name = %q", p.Name())
	}
	if _, err := p.Converse(context.Background(), userRequest("hi"), nil); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	auth := f.requests()[0].header.Get("Authorization")
	if !strings.Contains(auth, "Credential=AKIDFROMENV/") || !strings.Contains(auth, "/eu-central-1/bedrock/") {
		t.Errorf("Authorization = %q, want the keys and region from the environment", auth)
	}
}

// noAWSCredentials makes the standard chain find nothing, without any
// network: no keys, no files, no container or web identity, no instance
// metadata.
func noAWSCredentials(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestFromEnvWithRegionButNoCredentialsIsAnAuthError(t *testing.T) {
	noAWSCredentials(t)
	_, ok, err := FromEnv(context.Background(), env(map[string]string{EnvRegion: "us-east-1"}), Options{})
	if ok || !errors.Is(err, model.ErrAuth) {
		t.Fatalf("ok=%v err=%v, want ErrAuth", ok, err)
	}
}

func TestConverseWithoutCredentialsIsAnAuthErrorAndSendsNothing(t *testing.T) {
	noAWSCredentials(t)
	f := startFake(t)
	p, err := New(Options{Region: "us-east-1", BaseURL: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Converse(context.Background(), userRequest("hi"), nil)
	if !errors.Is(err, model.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent without credentials", n)
	}
}
