// Package anthropic is the model.Provider for Anthropic's Messages API
// (api.anthropic.com, or any server that speaks it), built on the official
// anthropic-sdk-go, whose types never leave this package.
//
// Every call streams (server-sent events: message_start,
// content_block_start/delta/stop with text_delta and input_json_delta,
// message_delta with the stop reason, message_stop, ping, error): one code
// path whether or not the caller wants text as it arrives, and no
// whole-answer timeout to guess. The SDK's own retries are off; the shared
// model.Retry policy retries 429, 529 and 5xx (honouring retry-after) and a
// stream that broke before any text reached the user. Failures are
// *model.Error values wrapping the model.Err… sentinels; they never carry
// the API key or a response body.
//
// Tool arguments that are not valid JSON (an answer cut off by max_tokens)
// fail the call with model.ErrBadToolInput, not retried; see that error for
// why they are not handed to the agent. Tool inputs sent back are always
// JSON objects: an empty input travels as {}, and one that is not an
// object as {"unparsed_input": "<text>"}.
//
// FromEnv builds a Provider from ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL and
// ONBEHALF_ANTHROPIC_MODEL.
package anthropic
