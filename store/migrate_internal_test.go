package store

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"
)

// Migration 00004 rebuilds SQLite's audit_events without AUTOINCREMENT:
// events written before it keep their ids, and new ids continue above them.
func TestSQLiteAuditRebuildKeepsEventsAndIDsKeepIncreasing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "onbehalf.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := fs.Sub(migrations, "migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 3); err != nil {
		t.Fatalf("migrate to 3: %v", err)
	}
	// Three events under the old AUTOINCREMENT table (ids 1..3).
	for _, d := range []string{"old1", "old2", "old3"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO audit_events (time, action, workload, user_id, provider, flow, outcome, detail, request_id, session_id)
			VALUES ('2026-01-01T00:00:00.000000000Z', 'a', 'w', 'u', '', '', 'ok', ?, '', '')`, d); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatalf("Open (migrates the rest): %v", err)
	}
	defer s.Close()
	id, err := s.AppendAudit(ctx, AuditEvent{Action: "a", Detail: "new"})
	if err != nil {
		t.Fatal(err)
	}
	if id != 4 {
		t.Errorf("first id after the rebuild = %d, want 4", id)
	}
	evs, err := s.ListAudit(ctx, AuditFilter{Action: "a", BeforeID: 4})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Detail)
	}
	if len(got) != 3 || got[0] != "old3" || got[1] != "old2" || got[2] != "old1" || evs[0].ID != 3 {
		t.Errorf("events before id 4 = %v, want old3 (id 3), old2, old1", got)
	}
}
