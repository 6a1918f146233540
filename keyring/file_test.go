package keyring_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/onbehalf/onbehalf/keyring"
)

func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestSaveLoadRoundTripWithMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	k := mustGenerate(t)
	oldSealed := mustSeal(t, k, []byte("old"), []byte("ad"))
	if _, err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	newSealed := mustSeal(t, k, []byte("new"), []byte("ad"))
	if err := k.Save(path); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if m := fileMode(t, path); m != 0o600 {
		t.Errorf("key file mode = %o, want 600", m)
	}

	loaded, err := keyring.Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if loaded.ActiveKeyID() != k.ActiveKeyID() {
		t.Errorf("loaded active = %q, want %q", loaded.ActiveKeyID(), k.ActiveKeyID())
	}
	if got, want := strings.Join(loaded.KeyIDs(), ","), strings.Join(k.KeyIDs(), ","); got != want {
		t.Errorf("loaded ids = %s, want %s", got, want)
	}
	for _, c := range []struct {
		sealed []byte
		want   string
	}{{oldSealed, "old"}, {newSealed, "new"}} {
		if got, err := loaded.Open(c.sealed, []byte("ad")); err != nil || string(got) != c.want {
			t.Errorf("loaded.Open = %q, %v; want %q", got, err, c.want)
		}
	}
}

func TestSaveReplacesFileAndLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	k := mustGenerate(t)
	if err := k.Save(path); err != nil {
		t.Fatal(err)
	}
	// A pre-existing wider mode must not survive: Save writes a new file.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	newID, _ := k.Rotate()
	if err := k.Save(path); err != nil {
		t.Fatal(err)
	}
	if m := fileMode(t, path); m != 0o600 {
		t.Errorf("mode after second Save = %o, want 600", m)
	}
	loaded, err := keyring.Load(path)
	if err != nil || loaded.ActiveKeyID() != newID {
		t.Fatalf("Load after second Save: active %q, err %v; want %q", loaded.ActiveKeyID(), err, newID)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only keys.json", names)
	}
}

func TestLoadOrCreateCreatesOnceThenLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "keys.json")
	first, err := keyring.LoadOrCreate(path)
	if err != nil {
		t.Fatalf("LoadOrCreate (create): %v", err)
	}
	if m := fileMode(t, path); m != 0o600 {
		t.Errorf("created file mode = %o, want 600", m)
	}
	second, err := keyring.LoadOrCreate(path)
	if err != nil {
		t.Fatalf("LoadOrCreate (load): %v", err)
	}
	if first.ActiveKeyID() == "" || second.ActiveKeyID() != first.ActiveKeyID() {
		t.Errorf("second call active = %q, want the created %q", second.ActiveKeyID(), first.ActiveKeyID())
	}
}

func TestLoadOrCreateRacersAllGetTheSameRing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	const n = 8
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, err := keyring.LoadOrCreate(path)
			errs[i] = err
			if err == nil {
				ids[i] = k.ActiveKeyID()
			}
		})
	}
	wg.Wait()
	onDisk, err := keyring.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil || ids[i] != onDisk.ActiveKeyID() {
			t.Errorf("racer %d: active %q, err %v; want the file's %q", i, ids[i], errs[i], onDisk.ActiveKeyID())
		}
	}
}

func TestLoadMissingFileMatchesErrNotExist(t *testing.T) {
	_, err := keyring.Load(filepath.Join(t.TempDir(), "none.json"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestLoadRejectsInvalidKeyFilesWithoutQuotingThem(t *testing.T) {
	const secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw==" // 32 bytes, base64
	const id = "00112233445566ff"
	good := func() map[string]any {
		return map[string]any{"version": 1, "active": id, "keys": []any{
			map[string]any{"id": id, "created": "2025-01-01T00:00:00Z", "key": secret},
		}}
	}
	cases := map[string]func(m map[string]any) string{
		"not JSON":        func(map[string]any) string { return `{"keys": [` + secret },
		"wrong structure": func(map[string]any) string { return `{"keys": "` + secret + `"}` },
		"version 2":       func(m map[string]any) string { m["version"] = 2; return "" },
		"no keys":         func(m map[string]any) string { m["keys"] = []any{}; return "" },
		"active missing":  func(m map[string]any) string { m["active"] = "ffffffffffffffff"; return "" },
		"short id": func(m map[string]any) string {
			m["keys"].([]any)[0].(map[string]any)["id"] = "0011"
			return ""
		},
		"short key": func(m map[string]any) string {
			m["keys"].([]any)[0].(map[string]any)["key"] = secret[:20] + "=="
			return ""
		},
		"duplicate id": func(m map[string]any) string {
			ks := m["keys"].([]any)
			m["keys"] = append(ks, ks[0])
			return ""
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			m := good()
			raw := mutate(m)
			if raw == "" {
				b, _ := json.Marshal(m)
				raw = string(b)
			}
			path := filepath.Join(t.TempDir(), "keys.json")
			if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := keyring.Load(path)
			if !errors.Is(err, keyring.ErrInvalidKeyFile) {
				t.Fatalf("err = %v, want ErrInvalidKeyFile", err)
			}
			if strings.Contains(err.Error(), secret[:8]) {
				t.Errorf("error %q quotes key material", err)
			}
		})
	}
}

func TestReloadAdoptsKeysRotatedByAnotherReplica(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	a, err := keyring.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := keyring.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	oldSealed := mustSeal(t, b, []byte("old"), nil)

	newID, _ := a.Rotate()
	if err := a.Save(path); err != nil {
		t.Fatal(err)
	}
	fromA := mustSeal(t, a, []byte("new"), nil)
	if _, err := b.Open(fromA, nil); !errors.Is(err, keyring.ErrUnknownKey) {
		t.Fatalf("before Reload: err = %v, want ErrUnknownKey", err)
	}
	if err := b.Reload(path); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if got, err := b.Open(fromA, nil); err != nil || string(got) != "new" {
		t.Errorf("after Reload: Open = %q, %v; want \"new\"", got, err)
	}
	if got, err := b.Open(oldSealed, nil); err != nil || string(got) != "old" {
		t.Errorf("after Reload: Open(old) = %q, %v; want \"old\"", got, err)
	}
	if b.ActiveKeyID() != newID {
		t.Errorf("after Reload: active = %q, want %q", b.ActiveKeyID(), newID)
	}
}

func TestReloadRefusesConflictingKeyAndKeepsRing(t *testing.T) {
	dir := t.TempDir()
	pathA, pathB := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	a := mustGenerate(t)
	if err := a.Save(pathA); err != nil {
		t.Fatal(err)
	}
	// Same id, other key material.
	var f map[string]any
	data, _ := os.ReadFile(pathA)
	json.Unmarshal(data, &f)
	f["keys"].([]any)[0].(map[string]any)["key"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	data, _ = json.Marshal(f)
	os.WriteFile(pathB, data, 0o600)

	sealed := mustSeal(t, a, []byte("t"), nil)
	if err := a.Reload(pathB); !errors.Is(err, keyring.ErrInvalidKeyFile) {
		t.Fatalf("Reload: err = %v, want ErrInvalidKeyFile", err)
	}
	if got, err := a.Open(sealed, nil); err != nil || string(got) != "t" {
		t.Errorf("after refused Reload: Open = %q, %v; want the ring unchanged", got, err)
	}
}
