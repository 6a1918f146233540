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
