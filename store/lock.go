package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"time"
)

// locker serves Store.Lock.
type locker interface {
	lock(ctx context.Context, name string) (func(), error)
	close() error
}

// ---- SQLite: an in-process registry ----

// processLocks is shared by every SQLite Store in the process, keyed by
// database file, so two Stores opened on one file exclude each other. One
// process owns a SQLite file (the busy timeout, not these locks, covers a
// second process), so nothing wider is needed.
var processLocks = &keyedMutex{m: map[string]*lockEntry{}}

type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*lockEntry
}

type lockEntry struct {
	ch   chan struct{} // holds one token while the lock is taken
	refs int           // holders and waiters; the entry is dropped at 0
}

func (k *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	e := k.m[key]
	if e == nil {
		e = &lockEntry{ch: make(chan struct{}, 1)}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()

	select {
	case e.ch <- struct{}{}:
	case <-ctx.Done():
		k.release(key, e)
		return nil, fmt.Errorf("store: lock: %w", ctx.Err())
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-e.ch
			k.release(key, e)
		})
	}, nil
}

func (k *keyedMutex) release(key string, e *lockEntry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(k.m, key)
	}
}

// sqliteLocker scopes processLocks to one database.
type sqliteLocker struct {
	scope string // the absolute file path, or a unique id for :memory:
}

func (l sqliteLocker) lock(ctx context.Context, name string) (func(), error) {
	return processLocks.lock(ctx, l.scope+"\x00"+name)
}

func (sqliteLocker) close() error { return nil }

// ---- PostgreSQL: session advisory locks ----

// pgLocker takes pg_advisory_lock on a connection of its own pool. The pool
// is separate from the store's so that waiters, who hold a connection while
// the server blocks them, can never starve a lock holder of the connection
// it needs to finish its work and unlock.
type pgLocker struct {
	db *sql.DB
}

// pgLockPoolSize bounds the connections held by holders and waiters of
// distinct locks; more concurrent lockers wait for a connection.
const pgLockPoolSize = 16

// unlockTimeout bounds the unlock statement, which runs even when the
// holder's context has ended.
const unlockTimeout = 5 * time.Second

// The lock id is a 64-bit hash of the schema and the name, so stores in
// different schemas of one database (as the tests use) do not contend.
const pgAdvisoryKey = "hashtextextended(coalesce(current_schema(), '') || ':' || $1, 0)"

func newPGLocker(dsn string) (*pgLocker, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres locks: %w", err)
	}
	db.SetMaxOpenConns(pgLockPoolSize)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &pgLocker{db: db}, nil
}

func (l *pgLocker) lock(ctx context.Context, name string) (func(), error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock("+pgAdvisoryKey+")", name); err != nil {
		// The server may have granted the lock just as ctx ended: end the
		// session so that it cannot stay held.
		discard(conn)
		return nil, fmt.Errorf("store: lock: %w", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			uctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
			defer cancel()
			var released bool
			err := conn.QueryRowContext(uctx, "SELECT pg_advisory_unlock("+pgAdvisoryKey+")", name).Scan(&released)
			if err != nil || !released {
				discard(conn) // closing the session releases the lock
				return
			}
			conn.Close()
		})
	}, nil
}

// discard closes conn's underlying connection instead of returning it to
// the pool.
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}

func (l *pgLocker) close() error { return l.db.Close() }
