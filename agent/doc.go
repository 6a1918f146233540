// Package agent is onbehalf's model-agnostic tool-use loop, the twin of a
// Strands Agent: it sends the conversation and tool specs to a
// model.Provider, runs the tool calls the model asks for (concurrently when
// there are several), feeds the results back, and streams Events (text
// deltas, tool calls started and finished, the model used, the final answer)
// to the caller until the model ends its turn or a limit is reached.
//
// The loop never sees a user's IdP token: tools obtain downstream tokens
// themselves through the identity broker, from the request context.
package agent
