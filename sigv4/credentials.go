package sigv4

import (
	"context"
	"errors"
	"fmt"
)

// Credential is one access key the broker accepts.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, when set, marks a temporary credential: requests must
	// carry it, signed, in X-Amz-Security-Token. When empty, a request that
	// carries X-Amz-Security-Token is refused. The token is opaque here.
	SessionToken string
	// Principal is who the key belongs to, e.g. "admin" or
	// "workload:servicenow-agent-workload". Verify returns it in Result.
	Principal string
}

// CredentialStore finds the credential for an access key id. Lookup returns
// an error wrapping ErrUnknownAccessKey when the key is unknown (or
// disabled); any other error is treated as an internal failure.
type CredentialStore interface {
	Lookup(ctx context.Context, accessKeyID string) (Credential, error)
}

// StaticStore is a fixed, in-memory CredentialStore. It is safe for
// concurrent use; build it with NewStaticStore.
type StaticStore struct {
	byID map[string]Credential
}

// NewStaticStore returns a store holding creds. Every credential needs an
// access key id, a secret and a principal; ids must be unique.
func NewStaticStore(creds ...Credential) (*StaticStore, error) {
	s := &StaticStore{byID: make(map[string]Credential, len(creds))}
	var errs []error
	for i, c := range creds {
		switch {
		case c.AccessKeyID == "":
			errs = append(errs, fmt.Errorf("sigv4: credential %d: empty AccessKeyID", i))
			continue
		case c.SecretAccessKey == "":
			errs = append(errs, fmt.Errorf("sigv4: credential %q: empty SecretAccessKey", c.AccessKeyID))
		case c.Principal == "":
			errs = append(errs, fmt.Errorf("sigv4: credential %q: empty Principal", c.AccessKeyID))
		}
		if _, dup := s.byID[c.AccessKeyID]; dup {
			errs = append(errs, fmt.Errorf("sigv4: credential %q: duplicate AccessKeyID", c.AccessKeyID))
		}
		s.byID[c.AccessKeyID] = c
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// Lookup implements CredentialStore.
func (s *StaticStore) Lookup(_ context.Context, accessKeyID string) (Credential, error) {
	c, ok := s.byID[accessKeyID]
	if !ok {
		return Credential{}, ErrUnknownAccessKey
	}
	return c, nil
}
