// Package openai is the model.Provider for the OpenAI chat completions API
// and every server that speaks it (OpenAI, Ollama, vLLM, LM Studio, LiteLLM,
// Azure-style gateways), built on the official openai-go, whose types never
// leave this package.
//
// Every call streams (`data: {chunk}` lines ending with `data: [DONE]`):
// delta.content goes to onText as it arrives; delta.tool_calls fragments
// are joined by their index (a fragment with a new id at an index already
// in use starts a new call, as some compatible servers send whole calls at
// index 0); finish_reason stop/tool_calls/length maps to end_turn, tool_use
// and max_tokens (stop with tool calls counts as tool_use, as some servers
// say stop); usage comes from the final chunk (stream_options.include_usage).
// A stream that ends without a finish_reason is model.ErrStreamBroken.
//
// The SDK's retries are off; model.Retry retries 429, 503/529 and 5xx
// (honouring retry-after-ms and retry-after) and a stream that broke before
// any text reached the user. A 429 of type insufficient_quota is ErrAuth,
// not retried: waiting does not add credit. Failures are *model.Error
// values; they never carry the API key or a response body. Tool arguments
// that are not valid JSON fail with model.ErrBadToolInput (see that error).
//
// The SDK's environment defaults are not used: only Options (or FromEnv)
// configure a Provider, so an OPENAI_API_KEY in the environment is never
// sent to a local server that was configured without a key.
//
// FromEnv builds a Provider from OPENAI_BASE_URL, OPENAI_API_KEY and
// ONBEHALF_OPENAI_MODEL.
package openai
