package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Errors returned by Open and the loaders. Each is wrapped with context that
// never includes key material or plaintext; test with errors.Is.
var (
	// ErrUnknownKey: the sealed value names a key id this ring does not hold.
	ErrUnknownKey = errors.New("keyring: unknown key id")
	// ErrDecrypt: the sealed value is malformed, truncated, tampered with,
	// or was sealed with other associated data.
	ErrDecrypt = errors.New("keyring: cannot decrypt")
	// ErrNoActiveKey: Seal or Rotate on a Keyring that holds no key (the zero
	// value).
	ErrNoActiveKey = errors.New("keyring: no active key")
	// ErrInvalidKeyFile: a key file is malformed or inconsistent.
	ErrInvalidKeyFile = errors.New("keyring: invalid key file")
)

// Sealed-value layout: version | key id | nonce | ciphertext+tag.
const (
	formatVersion byte = 0x01
	keyIDSize          = 8
	keySize            = 32 // AES-256
	nonceSize          = 12 // standard GCM nonce
	tagSize            = 16
	headerSize         = 1 + keyIDSize
	// Overhead is how many bytes Seal adds to a plaintext.
	Overhead = headerSize + nonceSize + tagSize
)

type keyID [keyIDSize]byte

func (id keyID) String() string { return hex.EncodeToString(id[:]) }

// key is one AES-256-GCM key. secret is kept only so Save can write it.
type key struct {
	id      keyID
	secret  []byte
	created time.Time
	aead    cipher.AEAD
}

func newKey(id keyID, secret []byte, created time.Time) (*key, error) {
	if len(secret) != keySize {
		return nil, fmt.Errorf("keyring: key %s: want %d bytes, have %d", id, keySize, len(secret))
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, fmt.Errorf("keyring: key %s: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keyring: key %s: %w", id, err)
	}
	return &key{id: id, secret: secret, created: created, aead: aead}, nil
}

// Keyring holds AES-256-GCM keys by id, one of them active. Seal uses the
// active key; Open uses whichever key the sealed value names. The zero value
// holds no key (Seal returns ErrNoActiveKey); use Generate, Load or
// LoadOrCreate. A Keyring is safe for concurrent use.
type Keyring struct {
	mu     sync.RWMutex
	keys   map[keyID]*key
	order  []*key // creation order, oldest first; what Save writes
	active *key
}

// Generate returns a Keyring holding one fresh, active key.
func Generate() (*Keyring, error) {
	k := &Keyring{}
	if _, err := k.addFreshKey(); err != nil {
		return nil, err
	}
	return k, nil
}

// Rotate adds a fresh key and makes it active. Older keys stay in the ring,
// so everything they sealed still opens. Persist the ring with Save.
func (k *Keyring) Rotate() (keyID string, err error) {
	k.mu.RLock()
	empty := k.active == nil
	k.mu.RUnlock()
	if empty {
		return "", ErrNoActiveKey
	}
	return k.addFreshKey()
}

func (k *Keyring) addFreshKey() (string, error) {
	secret := make([]byte, keySize)
	rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
	k.mu.Lock()
	defer k.mu.Unlock()
	var id keyID
	for {
		rand.Read(id[:])
		if _, taken := k.keys[id]; !taken {
			break
		}
	}
	nk, err := newKey(id, secret, time.Now().UTC())
	if err != nil {
		return "", err
	}
	k.insertLocked(nk)
	k.active = nk
	return id.String(), nil
}

func (k *Keyring) insertLocked(nk *key) {
	if k.keys == nil {
		k.keys = make(map[keyID]*key)
	}
	k.keys[nk.id] = nk
	k.order = append(k.order, nk)
}

// ActiveKeyID returns the id (16 lowercase hex digits) of the key Seal uses,
// or "" if the ring is empty.
func (k *Keyring) ActiveKeyID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.active == nil {
		return ""
	}
	return k.active.id.String()
}

// KeyIDs returns the ids of every key in the ring, oldest first.
func (k *Keyring) KeyIDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	ids := make([]string, len(k.order))
	for i, kk := range k.order {
		ids[i] = kk.id.String()
	}
	return ids
}

// Seal encrypts plaintext with the active key. associatedData is
// authenticated but not stored: Open must be given the same bytes (for the
// vault, the row's key), which binds the ciphertext to its place.
func (k *Keyring) Seal(plaintext, associatedData []byte) ([]byte, error) {
	k.mu.RLock()
	act := k.active
	k.mu.RUnlock()
	if act == nil {
		return nil, ErrNoActiveKey
	}
	out := make([]byte, headerSize+nonceSize, Overhead+len(plaintext))
	out[0] = formatVersion
	copy(out[1:headerSize], act.id[:])
	nonce := out[headerSize : headerSize+nonceSize]
	rand.Read(nonce)
	return act.aead.Seal(out, nonce, plaintext, additionalData(out[:headerSize], associatedData)), nil
}

// Open decrypts a value produced by Seal (by this ring's active key or any
// older key it still holds). It returns ErrUnknownKey if the value names a key
// the ring does not hold, and ErrDecrypt if the value is malformed, truncated,
// tampered with, or associatedData differs from what was sealed.
func (k *Keyring) Open(sealed, associatedData []byte) ([]byte, error) {
	id, err := parseHeader(sealed)
	if err != nil {
		return nil, err
	}
	k.mu.RLock()
	kk := k.keys[id]
	k.mu.RUnlock()
	if kk == nil {
		return nil, fmt.Errorf("%w %s", ErrUnknownKey, id)
	}
	nonce := sealed[headerSize : headerSize+nonceSize]
	plaintext, err := kk.aead.Open(nil, nonce, sealed[headerSize+nonceSize:], additionalData(sealed[:headerSize], associatedData))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (key %s)", ErrDecrypt, id)
	}
	return plaintext, nil
}

// SealedKeyID reports which key sealed a value, without decrypting it; a
// re-encryption job uses it to find values still sealed by an old key. It
// returns ErrDecrypt for a value that is too short or of an unknown version.
func SealedKeyID(sealed []byte) (string, error) {
	id, err := parseHeader(sealed)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

func parseHeader(sealed []byte) (keyID, error) {
	var id keyID
	if len(sealed) < Overhead {
		return id, fmt.Errorf("%w: sealed value too short (%d bytes, need at least %d)", ErrDecrypt, len(sealed), Overhead)
	}
	if sealed[0] != formatVersion {
		return id, fmt.Errorf("%w: unknown format version %d", ErrDecrypt, sealed[0])
	}
	copy(id[:], sealed[1:headerSize])
	return id, nil
}

// additionalData authenticates the header (version and key id) together with
// the caller's data. The header has a fixed length, so the concatenation is
// unambiguous.
func additionalData(header, associatedData []byte) []byte {
	ad := make([]byte, 0, len(header)+len(associatedData))
	ad = append(ad, header...)
	return append(ad, associatedData...)
}
