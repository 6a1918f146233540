package keyring_test

import (
	"errors"
	"testing"

	"github.com/onbehalf/onbehalf/keyring"
)

// FuzzOpen feeds arbitrary bytes to Open: it must never panic and must fail
// only with ErrDecrypt or ErrUnknownKey.
func FuzzOpen(f *testing.F) {
	k := mustGenerate(f)
	valid := mustSeal(f, k, []byte("token"), []byte("ad"))
	f.Add(valid, []byte("ad"))
	f.Add(valid[:len(valid)-1], []byte("ad"))
	f.Add(valid[:keyring.Overhead], []byte("ad"))
	f.Add(valid[:9], []byte(nil))
	f.Add([]byte{}, []byte(nil))
	f.Add([]byte{0x01}, []byte("ad"))
	f.Add([]byte{0x02, 0, 0, 0, 0, 0, 0, 0, 0}, []byte("ad"))
	f.Fuzz(func(t *testing.T, sealed, ad []byte) {
		pt, err := k.Open(sealed, ad)
		if err == nil {
			if string(pt) != "token" {
				t.Fatalf("Open accepted forged input and returned %d bytes", len(pt))
			}
			return
		}
		if !errors.Is(err, keyring.ErrDecrypt) && !errors.Is(err, keyring.ErrUnknownKey) {
			t.Fatalf("err = %v, want ErrDecrypt or ErrUnknownKey", err)
		}
	})
}
