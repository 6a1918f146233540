package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/providertest"
)

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
	r := f.Requests()[0]
	if r.Path != "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream" {
		t.Errorf("path = %q, want the ConverseStream path of the default model", r.Path)
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDONBEHALFTEST/") || !strings.Contains(auth, "/us-east-1/bedrock/aws4_request") {
		t.Errorf("Authorization = %q, want SigV4 for bedrock in us-east-1", auth)
	}
	if r.Header.Get("X-Amz-Security-Token") != testCreds.SessionToken {
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
	if path := f.Requests()[0].Path; path != "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse" {
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
	body := f.Requests()[0].Body
	providertest.Check(t, map[string][2]any{
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
	})
	// A large integer in a replayed input survives exactly.
	if !strings.Contains(string(f.Requests()[0].Raw), "12345678901234567") {
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

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	for _, s := range []string{fmt.Sprint(testCreds), fmt.Sprintf("%+v", *testCreds), fmt.Sprintf("%#v", testCreds), fmt.Sprintf("%v", Options{Credentials: testCreds})} {
		if strings.Contains(s, "SECRET") || strings.Contains(s, "SESSIONTOKEN") {
			t.Errorf("credentials print a secret: %s", s)
		}
	}
}

func TestConverseRejectsMalformedToolUseStopReason(t *testing.T) {
	f := startFake(t, reply{Header: map[string]string{"Content-Type": "application/json"}, Body: []byte(
		`{"output":{"message":{"role":"assistant","content":[{"text":"Listing."}]}},"stopReason":"malformed_tool_use","usage":{"inputTokens":10,"outputTokens":3,"totalTokens":13}}`)})
	p, _ := newTestProvider(t, f, 0)
	_, err := p.Converse(context.Background(), userRequest("list"), nil)
	if !errors.Is(err, model.ErrBadToolInput) {
		t.Fatalf("err = %v, want ErrBadToolInput", err)
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
		EnvModelID: "anthropic.claude-3-5-haiku-20241022-v1:0", EnvEndpoint: f.URL(),
	}), Options{MaxRetries: -1})
	if !ok || err != nil {
		t.Fatalf("FromEnv: ok=%v err=%v", ok, err)
	}
	if p.Name() != "bedrock:anthropic.claude-3-5-haiku-20241022-v1:0@"+f.URL() {
		t.Errorf("Name = %q", p.Name())
	}
	if _, err := p.Converse(context.Background(), userRequest("hi"), nil); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	auth := f.Requests()[0].Header.Get("Authorization")
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
	p, err := New(Options{Region: "us-east-1", BaseURL: f.URL()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Converse(context.Background(), userRequest("hi"), nil)
	if !errors.Is(err, model.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests sent without credentials", n)
	}
}

func TestErrorCases(t *testing.T) {
	providertest.RunErrorTests(t, providertest.Adapter{
		Fake: fakeOptions,
		New: func(t *testing.T, c providertest.Config) model.Provider {
			p, err := New(Options{Region: "us-east-1", BaseURL: c.BaseURL, Credentials: testCreds, HTTPClient: c.HTTPClient, MaxRetries: c.MaxRetries, Sleep: c.Sleep})
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		Answer:              jsonReply(t, "converse_text.json"),
		Streamed:            streamReply(t, "stream_text.jsonl"),
		BrokenAfterText:     streamReply(t, "stream_broken_after_text.jsonl"),
		BrokenBeforeText:    streamReply(t, "stream_broken_before_text.jsonl"),
		ErrorAfterText:      streamReply(t, "stream_exception_after_text.jsonl"),
		ErrorAfterTextKind:  model.ErrRateLimited,
		ErrorAfterTextQuote: "Too many tokens",
		ErrorBeforeText:     streamReply(t, "stream_exception_before_text.jsonl"),
		MalformedTool:       streamReply(t, "stream_malformed_tool.jsonl"),
		RateLimited:         apiError(429, "ThrottlingException", "Too many requests, please wait before trying again."),
		ServerError:         apiError(500, "InternalServerException", "An internal server error occurred."),
		Overloaded:          apiError(503, "ServiceUnavailableException", "Bedrock is unable to process your request."),
		OverloadedStatus:    503,
		OverloadedCode:      "ServiceUnavailableException",
		RequestID:           requestID,
		HTTPErrors: []providertest.HTTPError{
			{Name: "throttling", Reply: apiError(429, "ThrottlingException", "Too many requests"), Want: model.ErrRateLimited, Status: 429},
			{Name: "service unavailable", Reply: apiError(503, "ServiceUnavailableException", "unavailable"), Want: model.ErrOverloaded, Status: 503},
			{Name: "internal", Reply: apiError(500, "InternalServerException", "internal"), Want: model.ErrUnavailable, Status: 500},
			{Name: "model error", Reply: apiError(424, "ModelErrorException", "The model failed"), Want: model.ErrUnavailable, Status: 424},
			{Name: "model not ready", Reply: apiError(429, "ModelNotReadyException", "not ready"), Want: model.ErrUnavailable, Status: 429},
			{Name: "validation", Reply: apiError(400, "ValidationException", "The provided model identifier is invalid."), Want: model.ErrBadRequest, Status: 400},
			{Name: "not found", Reply: apiError(404, "ResourceNotFoundException", "Model not found"), Want: model.ErrBadRequest, Status: 404},
			{Name: "access denied", Reply: apiError(403, "AccessDeniedException", "You don't have access to the model with the specified model ID."), Want: model.ErrAuth, Status: 403},
			{Name: "bad key", Reply: apiError(403, "UnrecognizedClientException", "The security token included in the request is invalid."), Want: model.ErrAuth, Status: 403},
			{Name: "html 502", Reply: reply{Status: 502, Body: []byte("<html>bad gateway</html>")}, Want: model.ErrUnavailable, Status: 502},
		},
		BadRequests: []providertest.Explained{
			{Name: "validation", Reply: apiError(400, "ValidationException", "The provided model identifier is invalid."), Want: "model identifier is invalid"},
		},
		SecretReplies: []reply{apiError(400, "ValidationException", "bad input near "+testCreds.SecretAccessKey+" and "+testCreds.SessionToken)},
		Secrets:       []string{"SECRET", "SESSIONTOKEN"},
	})
}
