package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/store"
)

// base is a fixed instant with sub-microsecond digits, in a non-UTC zone,
// so tests see both truncation and UTC conversion.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+2", 2*60*60))

// norm is what a store returns for t: UTC, microsecond precision.
func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func checkTime(t *testing.T, field string, got, want time.Time) {
	t.Helper()
	if !got.Equal(norm(want)) || got.Location() != time.UTC {
		t.Errorf("%s = %v (%v), want %v (UTC)", field, got, got.Location(), norm(want))
	}
}

func getVault(t *testing.T, s store.Store, key string) store.VaultEntry {
	t.Helper()
	e, err := s.GetVault(context.Background(), key)
	if err != nil {
		t.Fatalf("GetVault(%q): %v", key, err)
	}
	return e
}

func putVault(t *testing.T, s store.Store, e store.VaultEntry) {
	t.Helper()
	if err := s.PutVault(context.Background(), e); err != nil {
		t.Fatalf("PutVault(%q): %v", e.Key, err)
	}
}

func testGetVaultMissing(t *testing.T, s store.Store) {
	_, err := s.GetVault(context.Background(), "missing")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetVault(missing): err = %v, want ErrNotFound", err)
	}
}

func testPutGetVault(t *testing.T, s store.Store) {
	in := store.VaultEntry{Key: "k1", Ciphertext: []byte("sealed-1"), ExpiresAt: base.Add(time.Hour), UpdatedAt: base}
	putVault(t, s, in)
	got := getVault(t, s, "k1")
	if got.Key != "k1" || string(got.Ciphertext) != "sealed-1" {
		t.Errorf("GetVault = {Key %q, Ciphertext %q}, want {k1, sealed-1}", got.Key, got.Ciphertext)
	}
	checkTime(t, "ExpiresAt", got.ExpiresAt, in.ExpiresAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, in.UpdatedAt)
}

func testPutVaultReplaces(t *testing.T, s store.Store) {
	putVault(t, s, store.VaultEntry{Key: "k", Ciphertext: []byte("old"), ExpiresAt: base, UpdatedAt: base})
	putVault(t, s, store.VaultEntry{Key: "other", Ciphertext: []byte("other"), ExpiresAt: base, UpdatedAt: base})
	later := base.Add(time.Minute)
	putVault(t, s, store.VaultEntry{Key: "k", Ciphertext: []byte("new"), ExpiresAt: later.Add(time.Hour), UpdatedAt: later})

	got := getVault(t, s, "k")
	if string(got.Ciphertext) != "new" {
		t.Errorf("after replace Ciphertext = %q, want %q", got.Ciphertext, "new")
	}
	checkTime(t, "ExpiresAt", got.ExpiresAt, later.Add(time.Hour))
	checkTime(t, "UpdatedAt", got.UpdatedAt, later)
	if o := getVault(t, s, "other"); string(o.Ciphertext) != "other" {
		t.Errorf("replacing k changed other: Ciphertext = %q", o.Ciphertext)
	}
}

func testVaultBytesExact(t *testing.T, s store.Store) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	random := make([]byte, 64<<10)
	rand.Read(random)
	cases := map[string][]byte{
		"every-byte-value": all,
		"nul-bytes":        {0, 0, 0, 0},
		"invalid-utf8":     {0xff, 0xfe, 0xc3, 0x28, 0x80},
		"looks-like-text":  []byte(`\x00'; DROP TABLE vault; --`),
		"random-64KiB":     random,
		"single-byte":      {0x01},
	}
	for key, want := range cases {
		putVault(t, s, store.VaultEntry{Key: key, Ciphertext: want, ExpiresAt: base, UpdatedAt: base})
	}
	for key, want := range cases {
		got := getVault(t, s, key).Ciphertext
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %d bytes, want the %d stored bytes exactly", key, len(got), len(want))
		}
	}
}

func testPutVaultFillsUpdatedAt(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Second)
	putVault(t, s, store.VaultEntry{Key: "k", Ciphertext: []byte("c"), ExpiresAt: base})
	after := time.Now().Add(time.Second)
	got := getVault(t, s, "k").UpdatedAt
	if got.Before(before) || got.After(after) {
		t.Errorf("UpdatedAt = %v, want the store's now (between %v and %v)", got, before, after)
	}
}

func testDeleteVaultIdempotent(t *testing.T, s store.Store) {
	ctx := context.Background()
	putVault(t, s, store.VaultEntry{Key: "k", Ciphertext: []byte("c"), ExpiresAt: base, UpdatedAt: base})
	putVault(t, s, store.VaultEntry{Key: "keep", Ciphertext: []byte("c"), ExpiresAt: base, UpdatedAt: base})
	for i := range 2 {
		if err := s.DeleteVault(ctx, "k"); err != nil {
			t.Fatalf("DeleteVault #%d: err = %v, want nil", i+1, err)
		}
	}
	if err := s.DeleteVault(ctx, "never-stored"); err != nil {
		t.Errorf("DeleteVault(never stored): err = %v, want nil", err)
	}
	if _, err := s.GetVault(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetVault after delete: err = %v, want ErrNotFound", err)
	}
	if _, err := s.GetVault(ctx, "keep"); err != nil {
		t.Errorf("GetVault(keep) after deleting k: %v", err)
	}
}

func testTimesUTC(t *testing.T, s store.Store) {
	ny := time.FixedZone("UTC-5", -5*60*60)
	in := time.Date(2030, 12, 31, 23, 59, 59, 999_999_999, ny) // next day in UTC
	putVault(t, s, store.VaultEntry{Key: "k", Ciphertext: []byte("c"), ExpiresAt: in, UpdatedAt: in.Add(-time.Microsecond)})
	got := getVault(t, s, "k")
	checkTime(t, "ExpiresAt", got.ExpiresAt, in)
	checkTime(t, "UpdatedAt", got.UpdatedAt, in.Add(-time.Microsecond))
	if got.ExpiresAt.Nanosecond() != 999_999_000 {
		t.Errorf("ExpiresAt nanoseconds = %d, want 999999000 (microsecond precision)", got.ExpiresAt.Nanosecond())
	}
}

func testListVaultPages(t *testing.T, s store.Store) {
	keys := []string{"c3", "a1", "b2", "e5", "d4"}
	for _, k := range keys {
		putVault(t, s, store.VaultEntry{Key: k, Ciphertext: []byte("sealed-" + k), ExpiresAt: base, UpdatedAt: base})
	}
	var got []string
	after := ""
	for range 10 {
		page, err := s.ListVault(context.Background(), after, 2)
		if err != nil {
			t.Fatalf("ListVault: %v", err)
		}
		for _, e := range page {
			got = append(got, e.Key)
			if string(e.Ciphertext) != "sealed-"+e.Key {
				t.Errorf("%s: ciphertext %q", e.Key, e.Ciphertext)
			}
			checkTime(t, "ExpiresAt", e.ExpiresAt, base)
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].Key
	}
	want := []string{"a1", "b2", "c3", "d4", "e5"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("keys = %v, want %v", got, want)
	}
}

func testSwapVault(t *testing.T, s store.Store) {
	ctx := context.Background()
	putVault(t, s, store.VaultEntry{Key: "k", Ciphertext: []byte("v1"), ExpiresAt: base, UpdatedAt: base})
	later := base.Add(time.Hour)
	ok, err := s.SwapVault(ctx, store.VaultEntry{Key: "k", Ciphertext: []byte("v2"), ExpiresAt: later, UpdatedAt: later}, []byte("v1"))
	if err != nil || !ok {
		t.Fatalf("SwapVault(v1→v2) = %t, %v; want true", ok, err)
	}
	got := getVault(t, s, "k")
	if string(got.Ciphertext) != "v2" {
		t.Errorf("after swap ciphertext = %q, want v2", got.Ciphertext)
	}
	checkTime(t, "ExpiresAt", got.ExpiresAt, later)
	// A stale swap (someone wrote v2 since we read v1) changes nothing.
	ok, err = s.SwapVault(ctx, store.VaultEntry{Key: "k", Ciphertext: []byte("v3"), ExpiresAt: later, UpdatedAt: later}, []byte("v1"))
	if err != nil || ok {
		t.Fatalf("stale SwapVault = %t, %v; want false", ok, err)
	}
	if got := getVault(t, s, "k"); string(got.Ciphertext) != "v2" {
		t.Errorf("stale swap wrote %q", got.Ciphertext)
	}
	// A missing row is not created.
	ok, err = s.SwapVault(ctx, store.VaultEntry{Key: "missing", Ciphertext: []byte("x"), ExpiresAt: later}, []byte("x"))
	if err != nil || ok {
		t.Fatalf("SwapVault(missing) = %t, %v; want false", ok, err)
	}
	if _, err := s.GetVault(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SwapVault created a row: err = %v", err)
	}
}
