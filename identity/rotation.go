package identity

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/store"
)

// ReencryptResult counts what ReencryptAll did.
type ReencryptResult struct {
	Resealed int // values re-sealed with the active key
	Current  int // values already sealed with the active key
	// Failed values did not open (sealed by a key this ring lacks, moved,
	// corrupted) and were left as they are; a vault row among them is
	// replaced by a fresh exchange on its next use.
	Failed int
}

// reencryptPage is how many rows ReencryptAll reads at once.
const reencryptPage = 200

// ReencryptAll re-seals every vault row and every stored secret (client
// secrets, private keys, API keys, pending authorization sessions) that is
// not sealed with the keyring's active key, so that after
// keyring.Rotate the old keys can eventually be retired. Rotation itself
// needs no downtime and no re-encryption: values sealed with an old key
// keep opening as long as the ring holds it, and new writes use the new
// one. It is safe to run while the broker serves (each value is replaced
// only if it has not changed since it was read) and to run again.
//
// Vault rows are re-sealed by row id (their associated data), so rows
// other packages keep in the vault are covered when they follow the same
// convention.
func (b *Broker) ReencryptAll(ctx context.Context) (ReencryptResult, error) {
	ev := b.newEvent(ctx, "ReencryptAll")
	res, err := b.reencrypt(ctx)
	ev.Detail = fmt.Sprintf("active key %s: %d re-sealed, %d current, %d failed", b.cfg.Keyring.ActiveKeyID(), res.Resealed, res.Current, res.Failed)
	return res, b.finish(ctx, &ev, err)
}

func (b *Broker) reencrypt(ctx context.Context) (ReencryptResult, error) {
	var res ReencryptResult
	kr := b.cfg.Keyring
	active := kr.ActiveKeyID()
	// current reports whether sealed needs nothing, counting it.
	current := func(sealed []byte) bool {
		if id, err := keyring.SealedKeyID(sealed); err == nil && id == active {
			res.Current++
			return true
		}
		return false
	}

	after := ""
	for {
		page, err := b.cfg.Store.ListVault(ctx, after, reencryptPage)
		if err != nil {
			return res, storeError(err)
		}
		for _, e := range page {
			if current(e.Ciphertext) {
				continue
			}
			plain, err := kr.Open(e.Ciphertext, vaultAD(e.Key))
			if err != nil {
				res.Failed++
				continue
			}
			sealed, err := kr.Seal(plain, vaultAD(e.Key))
			if err != nil {
				return res, newError(InternalServerException, err, "cannot seal")
			}
			old := e.Ciphertext
			e.Ciphertext = sealed
			swapped, err := b.cfg.Store.SwapVault(ctx, e, old)
			if err != nil {
				return res, storeError(err)
			}
			if swapped {
				res.Resealed++
			} else {
				res.Current++ // rewritten meanwhile, with the active key
			}
		}
		if len(page) < reencryptPage {
			break
		}
		after = page[len(page)-1].Key
	}

	errChanged := errors.New("changed meanwhile")
	for _, kind := range ownedKinds {
		after := ""
		for {
			page, err := b.cfg.Store.ListResources(ctx, kind, after, reencryptPage)
			if err != nil {
				return res, storeError(err)
			}
			for _, r := range page {
				if len(r.Secret) == 0 || current(r.Secret) {
					continue
				}
				ad := resourceAD(r.Kind, r.Name)
				plain, err := kr.Open(r.Secret, ad)
				if err != nil {
					res.Failed++
					continue
				}
				sealed, err := kr.Seal(plain, ad)
				if err != nil {
					return res, newError(InternalServerException, err, "cannot seal")
				}
				old := r.Secret
				err = b.cfg.Store.UpdateResource(ctx, r.Kind, r.Name, func(cur store.Resource) (store.Resource, error) {
					if !bytes.Equal(cur.Secret, old) {
						return cur, errChanged
					}
					cur.Secret = sealed // UpdatedAt stays: the record did not change
					return cur, nil
				})
				switch {
				case err == nil:
					res.Resealed++
				case errors.Is(err, errChanged), errors.Is(err, store.ErrNotFound):
					res.Current++
				default:
					return res, storeError(err)
				}
			}
			if len(page) < reencryptPage {
				break
			}
			after = page[len(page)-1].Name
		}
	}
	return res, nil
}
