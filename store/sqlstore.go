package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sqlStore implements Store over database/sql with one SQL dialect for
// SQLite and PostgreSQL ($n placeholders, ON CONFLICT, RETURNING).
type sqlStore struct {
	read  *sql.DB // queries; for SQLite files a pool of read-only connections
	write *sql.DB // statements that change rows; for SQLite one connection
	// locks serves Lock: advisory locks on PostgreSQL, an in-process
	// registry on SQLite.
	locks locker
	// Now fills times the caller left zero.
	now func() time.Time
	// audit holds the audit INSERT statements.
	audit *auditInserter
	// ckpt, on SQLite files, runs WAL checkpoints in the background;
	// Close stops it first.
	ckpt *checkpointer
	// spool, on SQLite files, takes AppendAudits' events (auditspool.go).
	spool *auditSpool
}

var _ Store = (*sqlStore)(nil)

// updateAttempts bounds UpdateSession's compare-and-swap loop. Every failed
// attempt means another updater succeeded, so n concurrent updaters that
// each write once need at most n attempts.
const updateAttempts = 32

func (s *sqlStore) Close() error {
	var errs []error
	if s.spool != nil {
		errs = append(errs, s.spool.close())
	}
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.stop())
	}
	errs = append(errs, s.audit.close())
	if s.locks != nil {
		errs = append(errs, s.locks.close())
	}
	if s.read != s.write {
		errs = append(errs, s.read.Close())
	}
	errs = append(errs, s.write.Close())
	return errors.Join(errs...)
}

func (s *sqlStore) Lock(ctx context.Context, name string) (func(), error) {
	if s.locks == nil {
		return nil, errors.New("store: lock: not supported by this store")
	}
	return s.locks.lock(ctx, name)
}

// nonNil keeps NOT NULL byte columns non-NULL: drivers send a nil slice as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func (s *sqlStore) GetVault(ctx context.Context, key string) (VaultEntry, error) {
	e := VaultEntry{Key: key}
	err := s.read.QueryRowContext(ctx,
		`SELECT ciphertext, expires_at, updated_at FROM vault WHERE key = $1`, key,
	).Scan(&e.Ciphertext, timeDest{&e.ExpiresAt}, timeDest{&e.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return VaultEntry{}, ErrNotFound
	}
	if err != nil {
		return VaultEntry{}, fmt.Errorf("store: get vault: %w", err)
	}
	return e, nil
}

func (s *sqlStore) PutVault(ctx context.Context, e VaultEntry) error {
	if e.Key == "" {
		return errors.New("store: put vault: empty key")
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = s.now()
	}
	_, err := s.write.ExecContext(ctx, `
		INSERT INTO vault (key, ciphertext, expires_at, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET
			ciphertext = excluded.ciphertext,
			expires_at = excluded.expires_at,
			updated_at = excluded.updated_at`,
		e.Key, nonNil(e.Ciphertext), dbTime(e.ExpiresAt), dbTime(e.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: put vault: %w", err)
	}
	return nil
}

func (s *sqlStore) DeleteVault(ctx context.Context, key string) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM vault WHERE key = $1`, key); err != nil {
		return fmt.Errorf("store: delete vault: %w", err)
	}
	return nil
}

func (s *sqlStore) ListVault(ctx context.Context, after string, limit int) ([]VaultEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, `
		SELECT key, ciphertext, expires_at, updated_at FROM vault
		WHERE key > $1 ORDER BY key LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list vault: %w", err)
	}
	defer rows.Close()
	var out []VaultEntry
	for rows.Next() {
		var e VaultEntry
		if err := rows.Scan(&e.Key, &e.Ciphertext, timeDest{&e.ExpiresAt}, timeDest{&e.UpdatedAt}); err != nil {
			return nil, fmt.Errorf("store: list vault: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list vault: %w", err)
	}
	return out, nil
}

func (s *sqlStore) SwapVault(ctx context.Context, e VaultEntry, old []byte) (bool, error) {
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = s.now()
	}
	res, err := s.write.ExecContext(ctx, `
		UPDATE vault SET ciphertext = $1, expires_at = $2, updated_at = $3
		WHERE key = $4 AND ciphertext = $5`,
		nonNil(e.Ciphertext), dbTime(e.ExpiresAt), dbTime(e.UpdatedAt), e.Key, nonNil(old))
	if err != nil {
		return false, fmt.Errorf("store: swap vault: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: swap vault: %w", err)
	}
	return n == 1, nil
}

const auditColumns = `id, time, action, workload, user_id, provider, flow, outcome, detail, request_id, session_id`

func (s *sqlStore) AppendAudit(ctx context.Context, ev AuditEvent) (int64, error) {
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	var id int64
	err := s.write.QueryRowContext(ctx, `
		INSERT INTO audit_events (time, action, workload, user_id, provider, flow, outcome, detail, request_id, session_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		RETURNING id`,
		dbTime(ev.Time), ev.Action, ev.Workload, ev.User, ev.Provider, ev.Flow, ev.Outcome, ev.Detail, ev.RequestID, ev.SessionID,
	).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: append audit: %w", err)
	}
	return id, nil
}

func (s *sqlStore) AppendAudits(ctx context.Context, evs []AuditEvent) error {
	if len(evs) == 0 {
		return nil
	}
	if s.spool != nil {
		now := s.now()
		evs = slices.Clone(evs)
		for i := range evs {
			if evs[i].Time.IsZero() {
				evs[i].Time = now
			}
		}
		return s.spool.append(ctx, evs)
	}
	if err := s.insertAudits(ctx, evs, nil); err != nil {
		return fmt.Errorf("store: append audits: %w", err)
	}
	return nil
}

// insertAudits inserts evs in one transaction, in order, and runs also (if
// not nil) in the same transaction.
func (s *sqlStore) insertAudits(ctx context.Context, evs []AuditEvent, also func(*sql.Tx) error) error {
	chunks := plan(len(evs))
	if err := s.audit.ready(ctx, s.write, chunks); err != nil {
		return err
	}
	now := dbTime(s.now())
	args := make([]any, 0, auditColumnsPerRow*chunks[0])
	// rowArgs sets args to the bound values of the next rows events.
	rowArgs := func(rows int) {
		args = args[:0]
		for _, ev := range evs[:rows] {
			t := now
			if !ev.Time.IsZero() {
				t = dbTime(ev.Time)
			}
			args = append(args, t, ev.Action, ev.Workload, ev.User, ev.Provider, ev.Flow,
				ev.Outcome, ev.Detail, ev.RequestID, ev.SessionID)
		}
		evs = evs[rows:]
	}
	if len(chunks) == 1 && also == nil {
		// One INSERT is all or none by itself.
		rowArgs(chunks[0])
		return s.audit.execAlone(ctx, s.write, chunks[0], args)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, rows := range chunks {
		rowArgs(rows)
		// Rows are inserted in VALUES order and chunks in batch order, so
		// ids follow the batch order.
		if err := s.audit.exec(ctx, tx, rows, args); err != nil {
			return err
		}
	}
	if also != nil {
		if err := also(tx); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (s *sqlStore) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	if s.spool != nil {
		if err := s.spool.flush(ctx); err != nil {
			return nil, fmt.Errorf("store: list audit: %w", err)
		}
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Workload != "" {
		add("workload = ?", f.Workload)
	}
	if f.User != "" {
		add("user_id = ?", f.User)
	}
	if f.Provider != "" {
		add("provider = ?", f.Provider)
	}
	if f.Flow != "" {
		add("flow = ?", f.Flow)
	}
	if f.Outcome != "" {
		add("outcome = ?", f.Outcome)
	}
	if !f.Since.IsZero() {
		add("time >= ?", dbTime(f.Since))
	}
	if !f.Until.IsZero() {
		add("time < ?", dbTime(f.Until))
	}
	if f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, limit)
	q += ` ORDER BY time DESC, id DESC LIMIT $` + strconv.Itoa(len(args))

	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var ev AuditEvent
		if err := rows.Scan(&ev.ID, timeDest{&ev.Time}, &ev.Action, &ev.Workload, &ev.User, &ev.Provider,
			&ev.Flow, &ev.Outcome, &ev.Detail, &ev.RequestID, &ev.SessionID); err != nil {
			return nil, fmt.Errorf("store: list audit: %w", err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	return out, nil
}

func (s *sqlStore) CreateSession(ctx context.Context, sess Session) error {
	if sess.ID == "" {
		return errors.New("store: create session: empty id")
	}
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = s.now()
	}
	if sess.LastSeenAt.IsZero() {
		sess.LastSeenAt = sess.CreatedAt
	}
	res, err := s.write.ExecContext(ctx, `
		INSERT INTO sessions (id, issuer, subject, agent, created_at, last_seen_at, messages, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 1)
		ON CONFLICT (id) DO NOTHING`,
		sess.ID, sess.Issuer, sess.Subject, sess.Agent, dbTime(sess.CreatedAt), dbTime(sess.LastSeenAt), nonNil(sess.Messages))
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	if n == 0 {
		return ErrAlreadyExists
	}
	return nil
}

func (s *sqlStore) DeleteExpiredSessions(ctx context.Context, agent string, lastSeenBefore, createdBefore time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE agent = $1 AND (last_seen_at < $2 OR created_at < $3)`,
		agent, dbTime(lastSeenBefore), dbTime(createdBefore))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	return n, nil
}

func (s *sqlStore) GetSession(ctx context.Context, id string) (Session, error) {
	sess, _, err := s.getSession(ctx, id)
	return sess, err
}

func (s *sqlStore) getSession(ctx context.Context, id string) (Session, int64, error) {
	sess := Session{ID: id}
	var version int64
	err := s.read.QueryRowContext(ctx, `
		SELECT issuer, subject, agent, created_at, last_seen_at, messages, version
		FROM sessions WHERE id = $1`, id,
	).Scan(&sess.Issuer, &sess.Subject, &sess.Agent, timeDest{&sess.CreatedAt}, timeDest{&sess.LastSeenAt}, &sess.Messages, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, 0, ErrNotFound
	}
	if err != nil {
		return Session{}, 0, fmt.Errorf("store: get session: %w", err)
	}
	return sess, version, nil
}

// UpdateSession reads the session and its version, calls fn outside any
// transaction or lock, then writes fn's result only if the version is
// unchanged; on a lost race it re-reads and calls fn again (so fn must be
// free of side effects), up to updateAttempts times, then ErrConflict.
// fn's error is returned as is. fn may change every field except ID.
func (s *sqlStore) UpdateSession(ctx context.Context, id string, fn func(Session) (Session, error)) error {
	for attempt := range updateAttempts {
		cur, version, err := s.getSession(ctx, id)
		if err != nil {
			return err
		}
		next, err := fn(cur)
		if err != nil {
			return err
		}
		if next.ID != id {
			return fmt.Errorf("store: update session: fn changed the session id")
		}
		res, err := s.write.ExecContext(ctx, `
			UPDATE sessions SET issuer = $1, subject = $2, agent = $3, created_at = $4,
				last_seen_at = $5, messages = $6, version = version + 1
			WHERE id = $7 AND version = $8`,
			next.Issuer, next.Subject, next.Agent, dbTime(next.CreatedAt), dbTime(next.LastSeenAt),
			nonNil(next.Messages), id, version)
		if err != nil {
			return fmt.Errorf("store: update session: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: update session: %w", err)
		}
		if n == 1 {
			return nil
		}
		// Someone else wrote (or deleted) the row since we read it.
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
	return ErrConflict
}

// backoff sleeps a short, growing, jittered time so losers of a CAS race
// don't retry in lockstep.
func backoff(ctx context.Context, attempt int) error {
	ceiling := time.Duration(min(attempt+1, 10)) * time.Millisecond
	t := time.NewTimer(rand.N(ceiling) + time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
