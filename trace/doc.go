// Package trace carries the hops of one invocation (token accepted,
// workload token issued, token exchange, each downstream call) from the
// parts that perform them to the runtime, which streams them to the user
// as trace events for the UI's trace panel. A hop never holds a token,
// secret or record content: only names, statuses, counts and durations.
//
// It is a package of its own so that identity, servicenow and runtime can
// report hops without importing each other.
package trace
