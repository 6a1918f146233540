// Package keyring owns the symmetric keys that seal onbehalf's token vault
// rows and stored client secrets: AES-256-GCM keys, each with an id, one of
// them active. It is a package of its own so that key material lives in one
// place, away from the store (which only ever sees ciphertext) and from the
// broker's token logic.
//
// Every sealed value carries the id of the key that sealed it:
//
//	version (1 byte, 0x01) | key id (8 bytes) | nonce (12 bytes) | ciphertext+tag
//
// The version byte and key id are authenticated together with the caller's
// associated data, so a value moved to another vault row (another associated
// data) or relabelled with another key id fails to open with [ErrDecrypt].
//
// Rotation without downtime: [Keyring.Rotate] adds a fresh key and makes it
// active; older keys stay in the ring and keep opening what they sealed. A
// replica that meets a key id it does not know gets [ErrUnknownKey] and may
// [Keyring.Reload] the shared key file, then retry.
//
// Quick start:
//
//	kr, err := keyring.LoadOrCreate("/etc/onbehalf/keys.json")
//	sealed, err := kr.Seal(tokenB, []byte(vaultKey))
//	tokenB, err = kr.Open(sealed, []byte(vaultKey))
//
// Key material is never logged: a Keyring formats itself (fmt, log/slog) as
// its key ids only, and errors never quote the key file's contents.
package keyring
