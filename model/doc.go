// Package model defines the provider-neutral conversation types and the
// Provider interface that every model backend (model/offline,
// model/bedrock, model/anthropic, model/openai) implements. The agent loop
// only speaks these types; vendor SDK types stay inside each provider
// package.
package model
