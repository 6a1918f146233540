package awsapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/onbehalf/onbehalf/sigv4"
)

// credentials adapts a KeyStore to sigv4.CredentialStore.
type credentials struct{ keys *KeyStore }

func (c credentials) Lookup(ctx context.Context, id string) (sigv4.Credential, error) {
	k, err := c.keys.Lookup(ctx, id)
	if errors.Is(err, ErrUnknownAccessKey) {
		return sigv4.Credential{}, fmt.Errorf("%w: %s", sigv4.ErrUnknownAccessKey, id)
	}
	if err != nil {
		return sigv4.Credential{}, err
	}
	principal := "admin"
	if !k.Grant.Admin {
		principal = "workload:" + k.Grant.Workload
	}
	return sigv4.Credential{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, Principal: principal}, nil
}

// caller is the verified signer of a request.
type caller struct{ key AccessKey }

// denied is the AccessDeniedException AWS words as "User … is not
// authorized to perform …".
func (c *caller) denied(op, why string) *apiError {
	return newAPIError(typeAccessDenied, "access key %s is not authorized to perform bedrock-agentcore:%s: %s", c.key.AccessKeyID, op, why)
}

// forWorkload allows an admin key, or a workload key naming its own
// workload.
func (c *caller) forWorkload(op, workload string) *apiError {
	if c.key.Grant.Admin || c.key.Grant.Workload == workload {
		return nil
	}
	return c.denied(op, fmt.Sprintf("the key belongs to workload identity %q, not %q", c.key.Grant.Workload, workload))
}
