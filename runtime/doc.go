// Package runtime hosts agents, the twin of AgentCore Runtime and
// BedrockAgentCoreApp. It has two halves:
//
//   - App serves the container contract that every agent speaks:
//     POST /invocations (JSON payload in, a Server-Sent Events stream of
//     agent.Event out) and GET /ping. The same App runs behind onbehalf's
//     front door and, unchanged, on AWS AgentCore Runtime. It reads the
//     workload access token from the WorkloadAccessToken (or
//     X-Amz-Bedrock-AgentCore-Identity-WAT) header and puts it in the
//     request context for identity.TokenSource.
//   - FrontDoor is what users reach: it authenticates the caller's bearer
//     token (Token A) before any agent code runs, binds the session id to
//     the user who opened it, asks the identity broker for a workload
//     access token, and hands the agent that token, never Token A. A 401
//     names, in its challenge's resource_metadata, the agent's OAuth
//     Protected Resource Metadata (RFC 9728: which issuer, which scopes),
//     served under /.well-known/oauth-protected-resource.
//   - Router puts several agents behind one listener at AgentCore
//     Runtime's POST /runtimes/{agent name or runtime ARN}/invocations,
//     each with its own authorizer, workload identity and sessions; the
//     first agent also answers the container contract's /invocations and
//     the UI.
package runtime
