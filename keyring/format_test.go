package keyring_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrintingAKeyringNeverShowsKeyMaterial(t *testing.T) {
	k := mustGenerate(t)
	k.Rotate()
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := k.Save(path); err != nil {
		t.Fatal(err)
	}
	var f struct {
		Keys []struct{ Key string }
	}
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &f); err != nil || len(f.Keys) != 2 {
		t.Fatalf("reading saved file: %v", err)
	}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("loaded", "keyring", k)
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", k),
		"%+v":  fmt.Sprintf("%+v", k),
		"%#v":  fmt.Sprintf("%#v", k),
		"%s":   fmt.Sprintf("%s", k),
		"%x":   fmt.Sprintf("%x", k),
		"slog": logged.String(),
	}
	for name, out := range outputs {
		if !strings.Contains(out, k.ActiveKeyID()) {
			t.Errorf("%s output %q lacks the active key id", name, out)
		}
		for _, fk := range f.Keys {
			raw, _ := base64.StdEncoding.DecodeString(fk.Key)
			for _, enc := range []string{fk.Key, hex.EncodeToString(raw), fmt.Sprint(raw)} {
				if strings.Contains(out, enc) {
					t.Errorf("%s output contains key material", name)
				}
			}
		}
	}
}
