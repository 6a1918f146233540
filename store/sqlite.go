package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers driver "sqlite"
)

// sqliteBusyTimeout bounds how long a connection waits for another process's
// lock before SQLITE_BUSY. Within one process writes never wait on it: they
// queue for the single writer connection.
const sqliteBusyTimeout = 10 * time.Second

// openSQLite opens "sqlite:<path>" (rest is what follows "sqlite:").
func openSQLite(ctx context.Context, rest string) (Store, error) {
	if rest == ":memory:" {
		return openSQLiteMemory(ctx)
	}
	path := strings.TrimPrefix(rest, "//") // sqlite:///abs/path
	if path == "" {
		return nil, fmt.Errorf("%w: sqlite: empty path", ErrInvalidDSN)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%w: sqlite: %v", ErrInvalidDSN, err)
	}
	// A file: URI with an escaped path, so '?', '#' or '%' in a file name
	// cannot be mistaken for parameters.
	uri := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	common := url.Values{}
	common.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	common.Add("_pragma", "foreign_keys(1)")
	common.Add("_pragma", "synchronous(NORMAL)") // durable in WAL mode except on power loss

	// The writer: one connection, every transaction BEGIN IMMEDIATE (takes
	// the write lock up front, so a read-then-write never fails on upgrade).
	wq := cloneValues(common)
	wq.Add("_pragma", "journal_mode(WAL)")
	// Statement journals (a multi-row INSERT in a transaction keeps one,
	// to undo just that statement) stay in memory instead of spilling to
	// a temporary file: the audit batch insert wrote one per commit.
	wq.Add("_pragma", "temp_store(MEMORY)")
	// Checkpoints run in the background (checkpoint.go); the writer's own
	// autocheckpoint is only a safety bound on the WAL.
	wq.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walSafetyPages))
	wq.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
	wq.Set("_txlock", "immediate")
	writer, err := sql.Open("sqlite", uri+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: sqlite %s: %w", abs, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: sqlite %s: %w", abs, err)
	}
	if err := checkJournalMode(ctx, writer, "wal"); err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: sqlite %s: %w", abs, err)
	}
	if err := migrate(ctx, writer, goose.DialectSQLite3, "sqlite", nil); err != nil {
		writer.Close()
		return nil, err
	}

	// Readers: several read-only connections; WAL lets them run alongside
	// the writer.
	rq := cloneValues(common)
	rq.Add("_pragma", "query_only(1)")
	reader, err := sql.Open("sqlite", uri+"?"+rq.Encode())
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: sqlite %s: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	reader.SetConnMaxIdleTime(5 * time.Minute)

	// The checkpointer: one connection of its own, so a checkpoint never
	// holds the writer (PASSIVE takes only the checkpoint lock).
	cp, err := sql.Open("sqlite", uri+"?"+common.Encode())
	if err != nil {
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("store: sqlite %s: %w", abs, err)
	}
	cp.SetMaxOpenConns(1)
	cp.SetMaxIdleConns(1)
	cp.SetConnMaxLifetime(0)
	cp.SetConnMaxIdleTime(0)
	s := &sqlStore{read: reader, write: writer, locks: sqliteLocker{scope: abs}, now: time.Now,
		audit: newAuditInserter(true, true)}
	if s.spool, err = openAuditSpool(ctx, s, abs); err != nil {
		s.Close()
		cp.Close()
		return nil, err
	}
	s.ckpt = startCheckpointer(cp, checkpointInterval)
	return s, nil
}

// openSQLiteMemory opens a private in-memory database. Every connection to
// ":memory:" is a database of its own, so the pool holds exactly one
// connection, never recycled; reads and writes share it.
func openSQLiteMemory(ctx context.Context) (Store, error) {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", ":memory:?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: sqlite memory: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := migrate(ctx, db, goose.DialectSQLite3, "sqlite", nil); err != nil {
		db.Close()
		return nil, err
	}
	// Every memory store is a database of its own: a unique lock scope.
	return &sqlStore{read: db, write: db, locks: sqliteLocker{scope: fmt.Sprintf("memory:%p", db)}, now: time.Now, audit: newAuditInserter(true, true)}, nil
}

func checkJournalMode(ctx context.Context, db *sql.DB, want string) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, want) {
		return errors.New("journal_mode is " + mode + ", want " + want)
	}
	return nil
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}
