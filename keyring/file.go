package keyring

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// fileVersion is the key file format version.
const fileVersion = 1

// keyFile is the JSON key file:
//
//	{"version": 1, "active": "<id>", "keys": [{"id": "<16 hex>", "created": "<RFC 3339>", "key": "<base64, 32 bytes>"}]}
type keyFile struct {
	Version int           `json:"version"`
	Active  string        `json:"active"`
	Keys    []keyFileItem `json:"keys"`
}

type keyFileItem struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Key     string    `json:"key"`
}

// Load reads a key file written by Save or LoadOrCreate. A missing file
// yields an error that matches fs.ErrNotExist; a malformed one matches
// ErrInvalidKeyFile. Errors never quote the file's contents.
func Load(path string) (*Keyring, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	k, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadOrCreate loads the key file at path, or, if there is none, generates a
// ring with one key and writes it there (mode 0600, parent directories 0700).
// When several processes race to create the file, exactly one ring wins and
// every caller gets that ring.
func LoadOrCreate(path string) (*Keyring, error) {
	k, err := Load(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, err = Generate()
	if err != nil {
		return nil, err
	}
	data, err := k.encode()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	switch err := writeFile(path, data, false); {
	case errors.Is(err, fs.ErrExist):
		return Load(path) // another process created it first
	case err != nil:
		return nil, err
	}
	return k, nil
}

// Save writes the ring to path atomically (a temporary file in the same
// directory, synced, then renamed over path) with mode 0600.
func (k *Keyring) Save(path string) error {
	data, err := k.encode()
	if err != nil {
		return err
	}
	return writeFile(path, data, true)
}

// Reload reads the key file at path and merges it into the ring: keys the
// file adds join the ring, the file's active key becomes active, and keys
// already in the ring stay (values they sealed keep opening). A replica calls
// it when Open reports ErrUnknownKey after another replica rotated. On error
// the ring is unchanged.
func (k *Keyring) Reload(path string) error {
	fresh, err := Load(path)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, nk := range fresh.order {
		if old, ok := k.keys[nk.id]; ok && string(old.secret) != string(nk.secret) {
			return fmt.Errorf("%w: %s: key %s differs from the key with that id already loaded", ErrInvalidKeyFile, path, nk.id)
		}
	}
	for _, nk := range fresh.order {
		if _, ok := k.keys[nk.id]; !ok {
			k.insertLocked(nk)
		}
	}
	k.active = k.keys[fresh.active.id]
	return nil
}

func (k *Keyring) encode() ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.active == nil {
		return nil, ErrNoActiveKey
	}
	f := keyFile{Version: fileVersion, Active: k.active.id.String()}
	for _, kk := range k.order {
		f.Keys = append(f.Keys, keyFileItem{
			ID:      kk.id.String(),
			Created: kk.created,
			Key:     base64.StdEncoding.EncodeToString(kk.secret),
		})
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("keyring: encode: %w", err)
	}
	return append(data, '\n'), nil
}

func decode(data []byte) (*Keyring, error) {
	var f keyFile
	if err := json.Unmarshal(data, &f); err != nil {
		// Say where, never what: json errors can quote input characters.
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("%w: not valid JSON (offset %d)", ErrInvalidKeyFile, syn.Offset)
		}
		return nil, fmt.Errorf("%w: unexpected JSON structure", ErrInvalidKeyFile)
	}
	if f.Version != fileVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrInvalidKeyFile, f.Version, fileVersion)
	}
	if len(f.Keys) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrInvalidKeyFile)
	}
	k := &Keyring{}
	for i, item := range f.Keys {
		var id keyID
		if n, err := hex.Decode(id[:], []byte(item.ID)); err != nil || n != keyIDSize || len(item.ID) != 2*keyIDSize {
			return nil, fmt.Errorf("%w: keys[%d]: id must be %d hex digits", ErrInvalidKeyFile, i, 2*keyIDSize)
		}
		if _, dup := k.keys[id]; dup {
			return nil, fmt.Errorf("%w: keys[%d]: duplicate id %s", ErrInvalidKeyFile, i, id)
		}
		secret, err := base64.StdEncoding.DecodeString(item.Key)
		if err != nil || len(secret) != keySize {
			return nil, fmt.Errorf("%w: keys[%d] (id %s): key must be %d bytes, base64", ErrInvalidKeyFile, i, id, keySize)
		}
		nk, err := newKey(id, secret, item.Created)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidKeyFile, err)
		}
		k.insertLocked(nk)
		if id.String() == f.Active {
			k.active = nk
		}
	}
	if k.active == nil {
		return nil, fmt.Errorf("%w: active key %q is not among the keys", ErrInvalidKeyFile, f.Active)
	}
	return k, nil
}

// writeFile writes data to path through a synced temporary file in the same
// directory, with mode 0600. With replace it renames over any existing file;
// without, it fails with an error matching fs.ErrExist if path exists (a
// hard link is atomic create-if-absent), so concurrent creators cannot
// overwrite each other's keys.
func writeFile(path string, data []byte, replace bool) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if tmp != nil {
			tmp.Close()
		}
		os.Remove(tmpName) // after rename or link: a no-op or drops the extra name
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("keyring: write %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("keyring: sync %s: %w", tmpName, err)
	}
	closeErr := tmp.Close()
	tmp = nil
	if closeErr != nil {
		return fmt.Errorf("keyring: close %s: %w", tmpName, closeErr)
	}
	if replace {
		err = os.Rename(tmpName, path)
	} else {
		err = os.Link(tmpName, path)
	}
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable; best effort (not every platform can fsync
// a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
