package store

import (
	"context"
	"path/filepath"
	"strconv"
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
		{"write", "temp_store", "2"},  // MEMORY
		{"write", "wal_autocheckpoint", "16384"},
		{"write", "journal_size_limit", "67108864"},
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

func TestSQLiteCommitsLeaveCheckpointsToTheBackgroundCheckpointer(t *testing.T) {
	s := openSQLiteFile(t)
	ctx := context.Background()
	// Park the background goroutine, so only this test checkpoints.
	s.ckpt.cancel()
	s.ckpt.wg.Wait()
	// 800 commits (two frames each or more: the row and the time index)
	// write well over SQLite's default autocheckpoint of 1000 frames; with
	// the writer's bound raised, none of them checkpoints. (insertAudits is
	// a commit of its own; AppendAudits would go through the spool.)
	for i := range 800 {
		if err := s.insertAudits(ctx, []AuditEvent{{Action: "a", Workload: "w", Detail: strconv.Itoa(i)}}, nil); err != nil {
			t.Fatalf("AppendAudits: %v", err)
		}
	}
	frames, copied, err := s.ckpt.checkpoint(ctx)
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	if frames <= 1000 {
		t.Errorf("WAL holds %d frames after 800 commits, want > 1000 (a commit checkpointed)", frames)
	}
	if copied != frames {
		t.Errorf("PASSIVE checkpoint copied %d of %d frames, want all", copied, frames)
	}
	// Fully copied, so the next commit starts the WAL over.
	if err := s.insertAudits(ctx, []AuditEvent{{Action: "a", Workload: "w"}}, nil); err != nil {
		t.Fatalf("AppendAudits: %v", err)
	}
	frames, _, err = s.ckpt.checkpoint(ctx)
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	if frames > 50 {
		t.Errorf("WAL holds %d frames after a full checkpoint and one commit, want it restarted (< 50)", frames)
	}
	evs, err := s.ListAudit(ctx, AuditFilter{Limit: 1000})
	if err != nil || len(evs) != 801 {
		t.Fatalf("ListAudit: %d events, %v; want 801", len(evs), err)
	}
}
