// Package stack assembles onbehalf's parts from a config.Config and serves
// them: the store, the vault keys, the identity broker, one authorizer and
// agent per configured agent, and the runtime front door. It is what
// `onbehalf serve` runs, and what `onbehalf dev` runs after it has started
// the emulators and written the configuration. It imports no emulator.
package stack
