package identity

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/onbehalf/onbehalf/store"
)

// vaultKey is what a cached token is for. Two requests share a token only
// when every field is equal.
type vaultKey struct {
	Workload, Provider string
	// ProviderTag is the provider's instance and endpoint fingerprint.
	ProviderTag     string
	Flow            string
	Issuer, Subject string // empty for M2M
	Scopes          []string
	Audiences       []string
	Resources       []string
	Custom          map[string]string
}

// vaultKeyVersion starts the canonical encoding.
const vaultKeyVersion = "onbehalf/vault/v2"

// canonical is an unambiguous byte encoding of k: every string is
// length-prefixed, every list is counted and sorted (and de-duplicated),
// custom parameters are sorted by name. Different keys never encode alike,
// whatever bytes the caller's strings hold.
func (k vaultKey) canonical() []byte {
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	list := func(l []string) {
		l = slices.Compact(slices.Sorted(slices.Values(l)))
		b = binary.AppendUvarint(b, uint64(len(l)))
		for _, s := range l {
			str(s)
		}
	}
	str(vaultKeyVersion)
	str(k.Workload)
	str(k.Provider)
	str(k.ProviderTag)
	str(k.Flow)
	str(k.Issuer)
	str(k.Subject)
	list(k.Scopes)
	list(k.Audiences)
	list(k.Resources)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range k.Custom {
			if !yield(n) {
				return
			}
		}
	})
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, n := range names {
		str(n)
		str(k.Custom[n])
	}
	return b
}

// rowID is the store's primary key for a canonical key.
func rowID(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// cachedToken is the plaintext of a vault row.
type cachedToken struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresAt    int64  `json:"expires_at"` // unix seconds
	Scope        string `json:"scope,omitempty"`
}

func (c *cachedToken) expiresAt() time.Time { return time.Unix(c.ExpiresAt, 0) }

// vaultAD is the associated data of a vault row: its id, the SHA-256 of
// the canonical key, so a ciphertext moved to another row fails to open.
// (Any row can thus be re-sealed knowing only its id: ReencryptAll.)
func vaultAD(id string) []byte { return []byte(id) }

// readVault returns the row's token, or nil when there is none or it cannot
// be opened (moved to another key, sealed by a key this ring lacks,
// corrupted); such a row is then replaced by a fresh exchange.
func (b *Broker) readVault(ctx context.Context, id string) (*cachedToken, error) {
	now := b.now()
	if c, ok := b.vaultCache.get(id, now, b.cfg.VaultCacheTTL); ok && b.fresh(c, now) {
		return c, nil
	}
	e, err := b.cfg.Store.GetVault(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	plain, err := b.cfg.Keyring.Open(e.Ciphertext, vaultAD(id))
	if err != nil {
		b.log.WarnContext(ctx, "vault row does not open; exchanging afresh", "vault_row", id[:12], "error", err)
		return nil, nil
	}
	var c cachedToken
	if err := json.Unmarshal(plain, &c); err != nil || c.AccessToken == "" {
		b.log.WarnContext(ctx, "vault row is malformed; exchanging afresh", "vault_row", id[:12])
		return nil, nil
	}
	if b.fresh(&c, now) {
		b.vaultCache.put(id, &c, now, b.cfg.VaultCacheTTL)
	}
	return &c, nil
}

// writeVault seals c and stores it as row id.
func (b *Broker) writeVault(ctx context.Context, id string, c *cachedToken) error {
	plain, err := json.Marshal(c)
	if err != nil {
		return err
	}
	sealed, err := b.cfg.Keyring.Seal(plain, vaultAD(id))
	if err != nil {
		return err
	}
	if err := b.cfg.Store.PutVault(ctx, store.VaultEntry{Key: id, Ciphertext: sealed, ExpiresAt: c.expiresAt(), UpdatedAt: b.now()}); err != nil {
		b.vaultCache.drop(id)
		return err
	}
	b.vaultCache.put(id, c, b.now(), b.cfg.VaultCacheTTL)
	return nil
}

// deleteVault removes a row (a refused refresh token's).
func (b *Broker) deleteVault(ctx context.Context, id string) error {
	b.vaultCache.drop(id)
	return b.cfg.Store.DeleteVault(ctx, id)
}

// fresh reports whether c may still be served at now.
func (b *Broker) fresh(c *cachedToken, now time.Time) bool {
	return c != nil && now.Add(b.cfg.RefreshBefore).Before(c.expiresAt())
}
