// Package providertest holds what the tests of model/anthropic,
// model/openai and model/bedrock share: a local fake API that plays
// scripted replies and records the requests (Start), recorded transcripts
// from a package's testdata (Testdata), a Sleeper that records retry waits,
// a JSON walker (Get), and the error-case suite every provider must pass
// (RunErrorTests), driven by a small per-provider Adapter.
//
// It is imported only by _test.go files. It knows no vendor SDK: each
// provider builds its replies in its vendor's wire shape (an SSE file, an
// event-stream encoding, an API error body) and hands them in as Reply
// values.
package providertest
