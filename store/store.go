package store

import (
	"context"
	"errors"
	"time"
)

// Errors returned by every Store implementation.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrAlreadyExists = errors.New("store: already exists")
)

// VaultEntry is one sealed token in the vault. Key is an opaque, fixed-length
// identifier derived by the broker from the vault key (a hash); the store
// treats it as a primary key only.
type VaultEntry struct {
	Key        string
	Ciphertext []byte    // sealed by keyring; includes the key id
	ExpiresAt  time.Time // when the sealed access token expires
	UpdatedAt  time.Time
}

// AuditEvent is one security-relevant event. It never holds a token, secret
// or assertion.
type AuditEvent struct {
	ID        int64 // assigned by the store
	Time      time.Time
	Action    string // e.g. "GetWorkloadAccessTokenForJWT", "GetResourceOauth2Token"
	Workload  string
	User      string // "iss|sub" of the user, or "" for M2M
	Provider  string
	Flow      string
	Outcome   string // "ok" or an error code such as "invalid_grant"
	Detail    string // short, non-secret (e.g. "vault hit", "idp call 42ms")
	RequestID string
	SessionID string
}

// AuditSpooler is implemented by a Store whose AppendAudits may return
// after one local write to an audit spool (SQLite files, auditspool.go)
// rather than after a database commit.
type AuditSpooler interface {
	SpoolsAudits() bool
}

// AuditSpoolStats reports, for a store that spools audit events, the
// events waiting to be loaded into the database and the loads that failed
// since it opened (for monitoring: a growing queue means the database is
// not keeping up). ok is false for other stores.
func AuditSpoolStats(s Store) (queued int, failedLoads uint64, ok bool) {
	st, ok := s.(interface {
		AuditSpoolStats() (int, uint64)
	})
	if !ok || !SpoolsAudits(s) {
		return 0, 0, false
	}
	queued, failedLoads = st.AuditSpoolStats()
	return queued, failedLoads, true
}

// SpoolsAudits reports whether s's appends are spooled: cheap, and batched
// behind the scenes, so callers gain nothing by batching events
// themselves. A Store that wraps another reports false unless it says so.
func SpoolsAudits(s Store) bool {
	sp, ok := s.(AuditSpooler)
	return ok && sp.SpoolsAudits()
}

// AuditFilter selects audit events; zero fields match everything. String
// fields match exactly.
type AuditFilter struct {
	Action   string
	Workload string
	User     string
	Provider string
	Flow     string
	Outcome  string
	Since    time.Time // events at or after Since
	Until    time.Time // events strictly before Until
	// BeforeID pages backwards: only events with an ID below it (pass the
	// last ID of the previous page). 0 means no bound.
	BeforeID int64
	Limit    int // 0 means 100
}

// Resource is one control-plane record of the identity broker: a credential
// provider, a workload identity, a pending OAuth2 authorization session. The
// store keys it by (Kind, Name) and does not interpret Data or Secret.
type Resource struct {
	Kind string // e.g. "oauth2credentialprovider"
	Name string
	// Data is the caller's non-secret document (JSON).
	Data []byte
	// Secret is sealed by the keyring (client secret, API key, code
	// verifier); empty when there is none.
	Secret    []byte
	CreatedAt time.Time
	UpdatedAt time.Time
	// ExpiresAt is when the record stops mattering (a pending authorization
	// session); zero means never. The store returns expired records like any
	// other; DeleteExpiredResources removes them.
	ExpiresAt time.Time
}

// Session binds a runtime session id to the user who opened it.
type Session struct {
	ID         string
	Issuer     string
	Subject    string
	Agent      string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// Messages is the serialized conversation (JSON), owned by the runtime.
	Messages []byte
}

// Store is onbehalf's persistence. Every method takes ctx first.
type Store interface {
	// GetVault returns the entry for key or ErrNotFound.
	GetVault(ctx context.Context, key string) (VaultEntry, error)
	// PutVault inserts or replaces the entry for e.Key.
	PutVault(ctx context.Context, e VaultEntry) error
	// DeleteVault removes the entry; deleting a missing key is not an error.
	DeleteVault(ctx context.Context, key string) error
	// ListVault returns up to limit entries whose Key sorts after after
	// (byte order), in Key order; for walking the whole vault (key rotation).
	ListVault(ctx context.Context, after string, limit int) ([]VaultEntry, error)
	// SwapVault replaces the entry for e.Key only if its ciphertext is still
	// old, reporting whether it did; a missing entry is not replaced.
	SwapVault(ctx context.Context, e VaultEntry, old []byte) (bool, error)

	// CreateResource stores r; ErrAlreadyExists if (r.Kind, r.Name) is
	// taken. Zero CreatedAt and UpdatedAt are filled with the current time.
	CreateResource(ctx context.Context, r Resource) error
	// GetResource returns the record or ErrNotFound.
	GetResource(ctx context.Context, kind, name string) (Resource, error)
	// ListResources returns up to limit records of kind whose Name sorts
	// after after (byte order), in Name order. limit <= 0 means 100.
	ListResources(ctx context.Context, kind, after string, limit int) ([]Resource, error)
	// UpdateResource applies fn to the current record atomically
	// (compare-and-swap, retried; fn must be free of side effects);
	// ErrNotFound if missing. fn must not change Kind or Name.
	UpdateResource(ctx context.Context, kind, name string, fn func(Resource) (Resource, error)) error
	// DeleteResource removes the record; ErrNotFound if it is missing.
	DeleteResource(ctx context.Context, kind, name string) error
	// DeleteExpiredResources removes the records of kind whose non-zero
	// ExpiresAt is before before, returning how many.
	DeleteExpiredResources(ctx context.Context, kind string, before time.Time) (int64, error)

	// Lock takes the named lock, waiting until it is free or ctx ends, and
	// returns the function that releases it (safe to call more than once).
	// Every Store on the same database shares the lock: on PostgreSQL it
	// is a session advisory lock, so replicas on one database exclude each
	// other; on SQLite an in-process lock shared by every Store of the same
	// file (one process owns a SQLite file). A lock is released when its
	// holder's connection ends, so a crashed replica never keeps it.
	Lock(ctx context.Context, name string) (unlock func(), err error)

	// AppendAudit stores ev and returns its ID.
	AppendAudit(ctx context.Context, ev AuditEvent) (int64, error)
	// AppendAudits stores evs in one transaction, in order: all or none.
	// (The broker batches concurrent events into one commit.)
	AppendAudits(ctx context.Context, evs []AuditEvent) error
	// ListAudit returns events matching f, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)

	// CreateSession stores s; ErrAlreadyExists if s.ID is taken.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session or ErrNotFound.
	GetSession(ctx context.Context, id string) (Session, error)
	// UpdateSession applies fn to the current session atomically
	// (compare-and-swap); ErrNotFound if missing.
	UpdateSession(ctx context.Context, id string, fn func(Session) (Session, error)) error
	// DeleteExpiredSessions removes agent's sessions last seen before
	// lastSeenBefore or created before createdBefore, with their
	// conversations, and returns how many it removed. Other agents'
	// sessions (whose expiry settings may differ) are left alone.
	DeleteExpiredSessions(ctx context.Context, agent string, lastSeenBefore, createdBefore time.Time) (int64, error)

	Close() error
}
