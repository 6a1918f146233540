package runtime

// Header names of the AgentCore Runtime container contract.
const (
	HeaderWorkloadAccessToken        = "WorkloadAccessToken"
	HeaderWorkloadAccessTokenNewer   = "X-Amz-Bedrock-AgentCore-Identity-WAT"
	HeaderSessionID                  = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
	HeaderUserID                     = "X-Amzn-Bedrock-AgentCore-Runtime-User-Id"
	HeaderRequestID                  = "X-Amzn-Request-Id"
	minSessionIDLen, maxSessionIDLen = 33, 256
)
