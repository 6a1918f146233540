// Package pick chooses the model provider an agent uses, from its
// configuration or, when the configuration says "auto", from the
// environment, so that `onbehalf dev` and the example agent use a real
// model whenever its credentials are present and say which one they use.
// It is a package of its own because both the stack and stand-alone agents
// (examples/servicenow-agent) need the same choice.
package pick
