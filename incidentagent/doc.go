// Package incidentagent is onbehalf's built-in ServiceNow incident
// assistant, the Go twin of the article's main.py: a system prompt, the
// servicenow tools and a model, served as a runtime.Handler. The tools get
// their ServiceNow token (Token B) through the identity broker for the
// user of the current request; the agent never holds Token A or a service
// credential. Conversations continue across invocations of one session:
// the history is kept in the session's row of the store.
package incidentagent
