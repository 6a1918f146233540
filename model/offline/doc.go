// Package offline is a deterministic intent planner that stands in for a
// language model so that onbehalf runs with no network and no API key. It
// maps the requests people type about incidents ("show me 5 incidents
// assigned to me", "show me my open incidents", "show me INC0012345", "set
// INC0012345 to resolved", "set INC0012345 to priority 2") to calls of the
// ServiceNow tools, and formats the tools' results as a table. It never
// pretends to be an LLM: its Name is "offline planner" and every answer says
// so. When it does not understand a request it says what it can do instead
// of guessing.
package offline
