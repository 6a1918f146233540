// Package provider is the scaffolding model/anthropic, model/openai and
// model/bedrock share: checking and showing a base URL, running one call
// under model.Retry, draining an SDK event stream into an accumulator,
// classifying HTTP statuses, and building the *model.Error values every
// provider returns (a broken stream, a rejected request, tool arguments
// that are not JSON, a transport cause without the SDK's wrapper, a
// message cut short and without secrets).
//
// It is a package of its own so that one piece of code serves all three
// providers instead of three copies kept in step by hand. It knows no
// vendor SDK: each provider converts its SDK's types before calling in.
package provider
