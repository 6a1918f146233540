package awsapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/store"
)

// Grant is what an access key may do.
type Grant struct {
	// Admin keys may call every operation, control plane included.
	Admin bool `json:"admin,omitempty"`
	// Workload names the workload identity a workload key acts for: data
	// plane only, only for that workload.
	Workload string `json:"workload,omitempty"`
	// AllowUserID lets a workload key call GetWorkloadAccessTokenForUserId,
	// whose user id the broker cannot verify (AWS guards it with a separate
	// permission too).
	AllowUserID bool `json:"allowUserId,omitempty"`
}

var workloadNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)

// Validate reports a grant that is neither admin nor one workload's.
func (g Grant) Validate() error {
	switch {
	case g.Admin && g.Workload != "":
		return errors.New("awsapi: a key is either admin or a workload's, not both")
	case !g.Admin && g.Workload == "":
		return errors.New("awsapi: a key needs Admin or a Workload")
	case g.Workload != "" && !workloadNameRE.MatchString(g.Workload):
		return fmt.Errorf("awsapi: workload name %q is not 3-255 of [A-Za-z0-9_.-]", g.Workload)
	}
	return nil
}

// AccessKey is a SigV4 credential the broker knows.
type AccessKey struct {
	AccessKeyID     string    `json:"id"`
	SecretAccessKey string    `json:"secret"`
	Grant           Grant     `json:"grant"`
	CreatedAt       time.Time `json:"created"`
}

// String never prints the secret.
func (k AccessKey) String() string {
	who := "admin"
	if !k.Grant.Admin {
		who = "workload " + k.Grant.Workload
	}
	return fmt.Sprintf("awsapi.AccessKey{%s, %s}", k.AccessKeyID, who)
}

// ErrUnknownAccessKey is returned for an access key id the store does not
// hold (or whose row no longer opens).
var ErrUnknownAccessKey = errors.New("awsapi: unknown access key id")

// KeyStoreOptions tunes a KeyStore; nil means defaults.
type KeyStoreOptions struct {
	// CacheTTL is how long an opened key is served from memory; a key
	// revoked on another replica stops working within it. Default 30s.
	CacheTTL time.Duration
	Now      func() time.Time
}

// KeyStore keeps access keys in the store's vault table, each sealed with
// the keyring under associated data bound to its row: the store never sees
// a secret, and a row copied under another key id fails to open.
type KeyStore struct {
	st  store.Store
	kr  *keyring.Keyring
	ttl time.Duration
	now func() time.Time

	mu    sync.RWMutex
	cache map[string]cachedKey
}

type cachedKey struct {
	key     AccessKey
	expires time.Time
}

// NewKeyStore returns a KeyStore over st sealing with kr.
func NewKeyStore(st store.Store, kr *keyring.Keyring, opts *KeyStoreOptions) *KeyStore {
	s := &KeyStore{st: st, kr: kr, ttl: 30 * time.Second, now: time.Now, cache: map[string]cachedKey{}}
	if opts != nil {
		if opts.CacheTTL > 0 {
			s.ttl = opts.CacheTTL
		}
		if opts.Now != nil {
			s.now = opts.Now
		}
	}
	return s
}

const keyDomain = "onbehalf/awsapi/accesskey/v1\x00"

// neverExpires is the vault ExpiresAt of an access key row.
var neverExpires = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// keyRow is the vault row of access key id: a hash of the id under this
// package's domain, so it never meets a broker row. The row is sealed with
// the row key as associated data, as every vault row is, so that key
// rotation (identity's re-encryption) re-seals it too.
func keyRow(id string) (row string, ad []byte) {
	sum := sha256.Sum256([]byte(keyDomain + id))
	row = hex.EncodeToString(sum[:])
	return row, []byte(row)
}

var accessKeyIDRE = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)

// GenerateAccessKey returns fresh key material for g, shaped like AWS's
// (a 20-character id starting "AKOB", a 40-character secret), without
// storing it: Put stores it.
func GenerateAccessKey(g Grant) (AccessKey, error) {
	if err := g.Validate(); err != nil {
		return AccessKey{}, err
	}
	id := make([]byte, 10)
	secret := make([]byte, 30)
	if _, err := rand.Read(id); err != nil {
		return AccessKey{}, err
	}
	if _, err := rand.Read(secret); err != nil {
		return AccessKey{}, err
	}
	return AccessKey{
		AccessKeyID:     "AKOB" + base32.StdEncoding.EncodeToString(id),
		SecretAccessKey: base64.StdEncoding.EncodeToString(secret),
		Grant:           g,
	}, nil
}

// Create issues a fresh key for g and stores it. The secret is returned
// only here.
func (s *KeyStore) Create(ctx context.Context, g Grant) (AccessKey, error) {
	k, err := GenerateAccessKey(g)
	if err != nil {
		return AccessKey{}, err
	}
	k.CreatedAt = s.now().UTC().Truncate(time.Second)
	err = s.Put(ctx, k)
	s.audit(ctx, ActionCreateAccessKey, k.AccessKeyID, g, err)
	return k, err
}

// Audit actions of the access-key lifecycle. The access key id is an
// identifier, not a secret (AWS's own trail records it too).
const (
	ActionCreateAccessKey = "CreateAccessKey"
	ActionRevokeAccessKey = "RevokeAccessKey"
)

// audit records a key's creation or revocation; a key change that cannot
// be audited is still reported by the caller's error, so the event write
// is best effort (the change itself already happened).
func (s *KeyStore) audit(ctx context.Context, action, id string, g Grant, err error) {
	who := "admin key"
	if !g.Admin {
		who = "workload key"
		if g.AllowUserID {
			who += " (GetWorkloadAccessTokenForUserId allowed)"
		}
	}
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	_, _ = s.st.AppendAudit(context.WithoutCancel(ctx), store.AuditEvent{
		Action: action, Workload: g.Workload, Outcome: outcome, Detail: who + " " + id,
	})
}

// Put stores k as given (the dev stack keeps the keys of its dev.env
// across restarts this way), replacing a key with the same id.
func (s *KeyStore) Put(ctx context.Context, k AccessKey) error {
	if err := k.Grant.Validate(); err != nil {
		return err
	}
	if !accessKeyIDRE.MatchString(k.AccessKeyID) {
		return errors.New("awsapi: access key id must be 16-128 of [A-Z0-9]")
	}
	if len(k.SecretAccessKey) < 20 {
		return errors.New("awsapi: secret access key is too short")
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now().UTC().Truncate(time.Second)
	}
	plain, err := json.Marshal(k)
	if err != nil {
		return err
	}
	row, ad := keyRow(k.AccessKeyID)
	sealed, err := s.kr.Seal(plain, ad)
	if err != nil {
		return fmt.Errorf("awsapi: seal access key: %w", err)
	}
	if err := s.st.PutVault(ctx, store.VaultEntry{Key: row, Ciphertext: sealed, ExpiresAt: neverExpires, UpdatedAt: s.now()}); err != nil {
		return fmt.Errorf("awsapi: store access key: %w", err)
	}
	s.mu.Lock()
	delete(s.cache, k.AccessKeyID)
	s.mu.Unlock()
	return nil
}

// Lookup returns the key with id, or ErrUnknownAccessKey.
func (s *KeyStore) Lookup(ctx context.Context, id string) (AccessKey, error) {
	now := s.now()
	s.mu.RLock()
	c, ok := s.cache[id]
	s.mu.RUnlock()
	if ok && now.Before(c.expires) {
		return c.key, nil
	}
	if !accessKeyIDRE.MatchString(id) {
		return AccessKey{}, ErrUnknownAccessKey
	}
	row, ad := keyRow(id)
	e, err := s.st.GetVault(ctx, row)
	if errors.Is(err, store.ErrNotFound) {
		return AccessKey{}, ErrUnknownAccessKey
	}
	if err != nil {
		return AccessKey{}, fmt.Errorf("awsapi: read access key: %w", err)
	}
	plain, err := s.kr.Open(e.Ciphertext, ad)
	if err != nil {
		return AccessKey{}, fmt.Errorf("%w (row does not open: %w)", ErrUnknownAccessKey, err)
	}
	var k AccessKey
	if err := json.Unmarshal(plain, &k); err != nil || k.AccessKeyID != id || k.Grant.Validate() != nil {
		return AccessKey{}, fmt.Errorf("%w (row is malformed)", ErrUnknownAccessKey)
	}
	s.mu.Lock()
	if len(s.cache) > 10_000 {
		clear(s.cache) // bounded: callers present few distinct keys
	}
	s.cache[id] = cachedKey{key: k, expires: now.Add(s.ttl)}
	s.mu.Unlock()
	return k, nil
}

// KeyInfo describes a stored access key without its secret.
type KeyInfo struct {
	AccessKeyID string    `json:"accessKeyId"`
	Grant       Grant     `json:"grant"`
	CreatedAt   time.Time `json:"createdAt"`
}

// List returns every stored access key, without secrets, oldest first.
// Key rows are the vault rows that never expire (token rows always do), so
// no user's token is opened to find them; a row that does not open as the
// key its id names is skipped.
func (s *KeyStore) List(ctx context.Context) ([]KeyInfo, error) {
	var out []KeyInfo
	after := ""
	for {
		rows, err := s.st.ListVault(ctx, after, 500)
		if err != nil {
			return nil, fmt.Errorf("awsapi: list access keys: %w", err)
		}
		for _, e := range rows {
			if !e.ExpiresAt.Equal(neverExpires) {
				continue
			}
			plain, err := s.kr.Open(e.Ciphertext, []byte(e.Key))
			if err != nil {
				continue
			}
			var k AccessKey
			if json.Unmarshal(plain, &k) != nil || k.Grant.Validate() != nil {
				continue
			}
			if row, _ := keyRow(k.AccessKeyID); row != e.Key {
				continue
			}
			out = append(out, KeyInfo{AccessKeyID: k.AccessKeyID, Grant: k.Grant, CreatedAt: k.CreatedAt})
		}
		if len(rows) < 500 {
			break
		}
		after = rows[len(rows)-1].Key
	}
	slices.SortFunc(out, func(a, b KeyInfo) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.AccessKeyID, b.AccessKeyID)
	})
	return out, nil
}

// Revoke deletes the key; this replica refuses it at once, others within
// CacheTTL.
func (s *KeyStore) Revoke(ctx context.Context, id string) error {
	row, _ := keyRow(id)
	if _, err := s.st.GetVault(ctx, row); errors.Is(err, store.ErrNotFound) {
		return ErrUnknownAccessKey
	}
	// The grant, for the audit event; a row that no longer opens is
	// deleted all the same.
	k, _ := s.Lookup(ctx, id)
	err := s.st.DeleteVault(ctx, row)
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
	s.audit(ctx, ActionRevokeAccessKey, id, k.Grant, err)
	if err != nil {
		return fmt.Errorf("awsapi: delete access key: %w", err)
	}
	return nil
}
