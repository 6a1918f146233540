package keyring_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/onbehalf/onbehalf/keyring"
)

func mustGenerate(t testing.TB) *keyring.Keyring {
	t.Helper()
	k, err := keyring.Generate()
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return k
}

func mustSeal(t testing.TB, k *keyring.Keyring, pt, ad []byte) []byte {
	t.Helper()
	sealed, err := k.Seal(pt, ad)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return sealed
}

func TestSealOpenRoundTripsPlaintext(t *testing.T) {
	k := mustGenerate(t)
	ad := []byte("vault-row-key")
	for _, pt := range [][]byte{{}, []byte("x"), []byte("eyJhbGciOiJSUzI1NiJ9.token-b.sig"), bytes.Repeat([]byte{0, 0xff}, 4096)} {
		sealed := mustSeal(t, k, pt, ad)
		if got, want := len(sealed), keyring.Overhead+len(pt); got != want {
			t.Errorf("sealed length = %d, want %d", got, want)
		}
		got, err := k.Open(sealed, ad)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("Open returned %d bytes that differ from the %d sealed", len(got), len(pt))
		}
	}
}

func TestSealUsesFreshNonceEachTime(t *testing.T) {
	k := mustGenerate(t)
	a := mustSeal(t, k, []byte("same"), nil)
	b := mustSeal(t, k, []byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical; want distinct nonces")
	}
}

func TestSealedValueCarriesActiveKeyID(t *testing.T) {
	k := mustGenerate(t)
	sealed := mustSeal(t, k, []byte("t"), nil)
	id, err := keyring.SealedKeyID(sealed)
	if err != nil {
		t.Fatalf("SealedKeyID: %v", err)
	}
	if id != k.ActiveKeyID() || len(id) != 16 {
		t.Errorf("SealedKeyID = %q, want active key id %q (16 hex digits)", id, k.ActiveKeyID())
	}
	if sealed[0] != 0x01 {
		t.Errorf("version byte = %#x, want 0x01", sealed[0])
	}
}

func TestOpenRejectsOtherAssociatedData(t *testing.T) {
	k := mustGenerate(t)
	sealed := mustSeal(t, k, []byte("token for jane"), []byte("vault-key-jane"))
	for _, ad := range [][]byte{[]byte("vault-key-bob"), nil, []byte("vault-key-jane\x00")} {
		_, err := k.Open(sealed, ad)
		if !errors.Is(err, keyring.ErrDecrypt) {
			t.Errorf("Open with associated data %q: err = %v, want ErrDecrypt", ad, err)
		}
	}
}

func TestOpenRejectsEveryFlippedByte(t *testing.T) {
	k := mustGenerate(t)
	ad := []byte("row")
	sealed := mustSeal(t, k, []byte("a short token"), ad)
	for i := range sealed {
		tampered := bytes.Clone(sealed)
		tampered[i] ^= 0x01
		_, err := k.Open(tampered, ad)
		want := keyring.ErrDecrypt
		if i >= 1 && i < 9 { // key id bytes: the ring holds no such key
			want = keyring.ErrUnknownKey
		}
		if !errors.Is(err, want) {
			t.Errorf("byte %d flipped: err = %v, want %v", i, err, want)
		}
	}
}

func TestOpenRejectsRelabelledKeyID(t *testing.T) {
	// A value sealed by key A but relabelled with key B's id (both in the
	// ring) must not open: the header is authenticated.
	k := mustGenerate(t)
	oldID := k.ActiveKeyID()
	sealed := mustSeal(t, k, []byte("t"), nil)
	if _, err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	relabelled := bytes.Clone(sealed)
	newSealed := mustSeal(t, k, []byte("t"), nil)
	copy(relabelled[1:9], newSealed[1:9])
	if id, _ := keyring.SealedKeyID(relabelled); id == oldID {
		t.Fatal("relabelling failed")
	}
	if _, err := k.Open(relabelled, nil); !errors.Is(err, keyring.ErrDecrypt) {
		t.Errorf("err = %v, want ErrDecrypt", err)
	}
}

func TestOpenRejectsTruncatedInputWithoutPanic(t *testing.T) {
	k := mustGenerate(t)
	sealed := mustSeal(t, k, []byte("some token bytes"), nil)
	for n := 0; n < len(sealed); n++ {
		_, err := k.Open(sealed[:n], nil)
		if !errors.Is(err, keyring.ErrDecrypt) {
			t.Errorf("Open(first %d of %d bytes): err = %v, want ErrDecrypt", n, len(sealed), err)
		}
	}
	if _, err := keyring.SealedKeyID(sealed[:5]); !errors.Is(err, keyring.ErrDecrypt) {
		t.Errorf("SealedKeyID(truncated): err = %v, want ErrDecrypt", err)
	}
}

func TestOpenRejectsUnknownFormatVersion(t *testing.T) {
	k := mustGenerate(t)
	sealed := mustSeal(t, k, []byte("t"), nil)
	sealed[0] = 0x02
	if _, err := k.Open(sealed, nil); !errors.Is(err, keyring.ErrDecrypt) {
		t.Errorf("err = %v, want ErrDecrypt", err)
	}
}

func TestRotateKeepsOldCiphertextsOpening(t *testing.T) {
	k := mustGenerate(t)
	oldID := k.ActiveKeyID()
	oldSealed := mustSeal(t, k, []byte("old token"), []byte("ad"))

	newID, err := k.Rotate()
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if newID == oldID || k.ActiveKeyID() != newID {
		t.Fatalf("after Rotate: returned %q, active %q, old %q; want a new active id", newID, k.ActiveKeyID(), oldID)
	}
	if got, err := k.Open(oldSealed, []byte("ad")); err != nil || string(got) != "old token" {
		t.Errorf("Open(old ciphertext) = %q, %v; want \"old token\"", got, err)
	}
	newSealed := mustSeal(t, k, []byte("new token"), []byte("ad"))
	if id, _ := keyring.SealedKeyID(newSealed); id != newID {
		t.Errorf("new ciphertext carries key id %q, want %q", id, newID)
	}
	if got, err := k.Open(newSealed, []byte("ad")); err != nil || string(got) != "new token" {
		t.Errorf("Open(new ciphertext) = %q, %v", got, err)
	}
	if ids := k.KeyIDs(); len(ids) != 2 || ids[0] != oldID || ids[1] != newID {
		t.Errorf("KeyIDs = %v, want [%s %s]", ids, oldID, newID)
	}
}

func TestOpenReportsUnknownKeyForAnotherRing(t *testing.T) {
	a, b := mustGenerate(t), mustGenerate(t)
	sealed := mustSeal(t, a, []byte("t"), nil)
	_, err := b.Open(sealed, nil)
	if !errors.Is(err, keyring.ErrUnknownKey) {
		t.Fatalf("err = %v, want ErrUnknownKey", err)
	}
	if errors.Is(err, keyring.ErrDecrypt) {
		t.Errorf("err = %v also matches ErrDecrypt; want only ErrUnknownKey", err)
	}
}

func TestZeroKeyringRefusesToSeal(t *testing.T) {
	var k keyring.Keyring
	if _, err := k.Seal([]byte("t"), nil); !errors.Is(err, keyring.ErrNoActiveKey) {
		t.Errorf("Seal: err = %v, want ErrNoActiveKey", err)
	}
	if _, err := k.Rotate(); !errors.Is(err, keyring.ErrNoActiveKey) {
		t.Errorf("Rotate: err = %v, want ErrNoActiveKey", err)
	}
	sealed := mustSeal(t, mustGenerate(t), []byte("t"), nil)
	if _, err := k.Open(sealed, nil); !errors.Is(err, keyring.ErrUnknownKey) {
		t.Errorf("Open: err = %v, want ErrUnknownKey", err)
	}
}

func TestConcurrentSealOpenAndRotate(t *testing.T) {
	k := mustGenerate(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				sealed, err := k.Seal([]byte("token"), []byte("ad"))
				if err != nil {
					errs <- err
					return
				}
				if _, err := k.Open(sealed, []byte("ad")); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := 0; i < 20; i++ {
			if _, err := k.Rotate(); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(k.KeyIDs()); n != 21 {
		t.Errorf("ring holds %d keys after 20 rotations, want 21", n)
	}
}
