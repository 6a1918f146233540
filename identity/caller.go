package identity

import "context"

// Caller is who is calling the broker, as the transport authenticated it.
// The HTTP face (identity/awsapi) puts one in every request's context with
// WithCaller; in-process callers (the runtime, tests) usually put none.
//
// The broker enforces it in its core, so that a transport cannot forget:
//
//   - Workload, when set, binds the call to one workload identity: the
//     workload access token calls (GetWorkloadAccessToken*) refuse another
//     workloadName, and the calls that present a workload access token
//     (GetResourceOauth2Token, GetResourceApiKey) refuse a token of another
//     workload, all with AccessDeniedException and before any vault read or
//     IdP request.
//   - A Caller bound to a workload may not use the control plane (every
//     Create/Get/List/Update/Delete and GetTokenVault is
//     AccessDeniedException): data-plane keys do not manage providers.
//   - AllowUserID permits the calls that name a user by a bare, unverified
//     id: GetWorkloadAccessTokenForUserId and CompleteResourceTokenAuth with
//     userIdentifier.userId. Without it (and with no Caller at all) they are
//     AccessDeniedException: trusting a bare user id is a separate
//     permission, as in AgentCore.
type Caller struct {
	Workload    string
	AllowUserID bool
}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the Caller in ctx, if any.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// checkCallerWorkload refuses a call about workload by a caller bound to
// another one.
func checkCallerWorkload(ctx context.Context, workload string) error {
	if c, ok := CallerFrom(ctx); ok && c.Workload != "" && c.Workload != workload {
		return newError(AccessDeniedException, nil, "the caller may act only for workload identity %q", c.Workload)
	}
	return nil
}

// userIDAllowed reports whether the caller may name users by bare id.
func userIDAllowed(ctx context.Context) bool {
	c, ok := CallerFrom(ctx)
	return ok && c.AllowUserID
}

// checkControlPlane refuses control-plane calls from a workload-bound
// caller.
func checkControlPlane(ctx context.Context) error {
	if c, ok := CallerFrom(ctx); ok && c.Workload != "" {
		return newError(AccessDeniedException, nil, "a workload identity's credentials may not use the control plane")
	}
	return nil
}
