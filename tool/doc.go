// Package tool defines the one shape of an agent tool: a name, a description,
// the JSON schema of its input and a handler. A tool is defined once and served
// to every model provider (and later to MCP clients), so the type lives in a
// package of its own that both the agent loop and the tool authors (such as
// the servicenow connector) import without importing each other.
package tool
