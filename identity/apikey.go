package identity

import (
	"context"
	"fmt"
	"slices"

	"github.com/onbehalf/onbehalf/store"
)

// GetResourceApiKeyInput is the AgentCore operation's input.
type GetResourceApiKeyInput struct {
	WorkloadIdentityToken          string `json:"workloadIdentityToken"`
	ResourceCredentialProviderName string `json:"resourceCredentialProviderName"`
}

// String never prints the workload access token.
func (in GetResourceApiKeyInput) String() string {
	return fmt.Sprintf("identity.GetResourceApiKeyInput{provider=%q}", in.ResourceCredentialProviderName)
}

// GetResourceApiKeyOutput is the AgentCore operation's output.
type GetResourceApiKeyOutput struct {
	APIKey string `json:"apiKey"`
}

// String never prints the key.
func (out GetResourceApiKeyOutput) String() string {
	return fmt.Sprintf("identity.GetResourceApiKeyOutput{apiKey=%d bytes}", len(out.APIKey))
}

// GetResourceApiKey returns an API key credential provider's key to a
// workload (any kind of workload access token). Errors:
// ValidationException, UnauthorizedException (bad WAT),
// ResourceNotFoundException (unknown provider), AccessDeniedException (the
// workload may not use the provider, or the Caller is bound to another
// workload).
func (b *Broker) GetResourceApiKey(ctx context.Context, in GetResourceApiKeyInput) (GetResourceApiKeyOutput, error) {
	ev := b.newEvent(ctx, "GetResourceApiKey")
	ev.Provider = in.ResourceCredentialProviderName
	key, err := b.resourceAPIKey(ctx, in, &ev)
	if err := b.finish(ctx, &ev, err); err != nil {
		b.log.InfoContext(ctx, "API key refused", "workload", ev.Workload, "provider", ev.Provider, "outcome", ev.Outcome, "error", err)
		return GetResourceApiKeyOutput{}, err
	}
	b.log.InfoContext(ctx, "API key issued", "workload", ev.Workload, "provider", ev.Provider, "key_sha256", shortHash(key))
	return GetResourceApiKeyOutput{APIKey: key}, nil
}

func (b *Broker) resourceAPIKey(ctx context.Context, in GetResourceApiKeyInput, ev *store.AuditEvent) (string, error) {
	var v validator
	if v.required("workloadIdentityToken", in.WorkloadIdentityToken) {
		v.length("workloadIdentityToken", in.WorkloadIdentityToken, 1, maxWATLen)
	}
	v.providerName("resourceCredentialProviderName", in.ResourceCredentialProviderName)
	if err := v.err(); err != nil {
		return "", err
	}
	wat, err := b.openWAT(in.WorkloadIdentityToken)
	if wat != nil {
		ev.Workload = wat.Workload
	}
	if err != nil {
		return "", err
	}
	if err := checkCallerWorkload(ctx, wat.Workload); err != nil {
		return "", err
	}
	w, err := b.workload(ctx, wat.Workload)
	if ErrorType(err) == ResourceNotFoundException {
		return "", newError(AccessDeniedException, nil, "workload identity %q no longer exists", wat.Workload)
	}
	if err != nil {
		return "", err
	}
	if len(w.allowedProviders) > 0 && !slices.Contains(w.allowedProviders, in.ResourceCredentialProviderName) {
		return "", newError(AccessDeniedException, nil, "workload identity %q may not use credential provider %q", w.name, in.ResourceCredentialProviderName)
	}
	key, err := b.apiKey(ctx, in.ResourceCredentialProviderName)
	if err == nil {
		ev.Detail = "api key"
	}
	return key, err
}
