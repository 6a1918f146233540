// Package bedrock is the model.Provider for Amazon Bedrock's Converse and
// ConverseStream APIs, built on aws-sdk-go-v2's bedrockruntime client,
// whose types never leave this package. It is the model of the article
// onbehalf follows (Claude on Bedrock, behind AgentCore).
//
// With an onText callback a call uses ConverseStream (the AWS event-stream
// binary framing, application/vnd.amazon.eventstream: messageStart,
// contentBlockStart with toolUse, contentBlockDelta with text or toolUse
// input fragments, contentBlockStop, messageStop with the stop reason,
// metadata with usage, and exception frames); without one it uses
// Converse. Tool specs go in toolConfig, tool_use and tool_result map to
// toolUse and toolResult blocks (status error for is_error). Stop reasons:
// end_turn, tool_use, max_tokens (also model_context_window_exceeded);
// malformed_tool_use, and tool input fragments that do not join into valid
// JSON, fail with model.ErrBadToolInput.
//
// The SDK's retries are off (aws.NopRetryer); model.Retry retries
// ThrottlingException, ServiceUnavailableException, InternalServer,
// ModelNotReady and ModelTimeout errors and a stream that broke before any
// text reached the user. A stream that ends without messageStop is
// model.ErrStreamBroken (the SDK reads a truncated stream as a clean end).
// Errors are *model.Error values; they never carry credentials.
//
// Credentials are static keys (Options.Credentials) or, when nil, the
// standard AWS credential chain (environment, shared config and SSO,
// web identity, container and instance roles). FromEnv needs AWS_REGION
// (or AWS_DEFAULT_REGION) and reads ONBEHALF_BEDROCK_MODEL_ID.
package bedrock
