package store

import (
	"context"
	"path/filepath"
	"testing"
)

func openSQLiteFile(t testing.TB) *sqlStore {
	t.Helper()
	s, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "onbehalf.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s.(*sqlStore)
}

func TestSQLiteConnectionsUseWALBusyTimeoutAndForeignKeys(t *testing.T) {
	s := openSQLiteFile(t)
	ctx := context.Background()
	checks := []struct {
		pool, pragma, want string
	}{
		{"write", "journal_mode", "wal"},
		{"read", "journal_mode", "wal"},
		{"write", "busy_timeout", "10000"},
		{"read", "busy_timeout", "10000"},
		{"write", "foreign_keys", "1"},
		{"read", "foreign_keys", "1"},
		{"write", "synchronous", "1"}, // NORMAL
		{"read", "query_only", "1"},
		{"write", "query_only", "0"},
	}
	for _, c := range checks {
		db := s.write
		if c.pool == "read" {
			db = s.read
		}
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatalf("%s pool: PRAGMA %s: %v", c.pool, c.pragma, err)
		}
		if got != c.want {
			t.Errorf("%s pool: PRAGMA %s = %q, want %q", c.pool, c.pragma, got, c.want)
		}
	}
	if s.write.Stats().MaxOpenConnections != 1 {
		t.Errorf("writer pool allows %d connections, want 1", s.write.Stats().MaxOpenConnections)
	}
	if n := s.read.Stats().MaxOpenConnections; n < 4 {
		t.Errorf("reader pool allows %d connections, want at least 4", n)
	}
}

func TestSQLiteStoresCiphertextAsBlobByteForByte(t *testing.T) {
	s := openSQLiteFile(t)
	ctx := context.Background()
	want := []byte{0x00, 0xff, 'a', 0x00, 0x80, 0xc3}
	if err := s.PutVault(ctx, VaultEntry{Key: "k", Ciphertext: want}); err != nil {
		t.Fatal(err)
	}
	var typ string
	var raw []byte
	if err := s.read.QueryRowContext(ctx, `SELECT typeof(ciphertext), ciphertext FROM vault WHERE key = 'k'`).Scan(&typ, &raw); err != nil {
		t.Fatal(err)
	}
	if typ != "blob" || string(raw) != string(want) {
		t.Errorf("stored as %s %x, want blob %x", typ, raw, want)
	}
}
