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

// AuditFilter selects audit events; zero fields match everything.
type AuditFilter struct {
	Action   string
	Workload string
	User     string
	Outcome  string
	Since    time.Time
	Limit    int // 0 means 100
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

	// AppendAudit stores ev and returns its ID.
	AppendAudit(ctx context.Context, ev AuditEvent) (int64, error)
	// ListAudit returns events matching f, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)

	// CreateSession stores s; ErrAlreadyExists if s.ID is taken.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session or ErrNotFound.
	GetSession(ctx context.Context, id string) (Session, error)
	// UpdateSession applies fn to the current session atomically
	// (compare-and-swap); ErrNotFound if missing.
	UpdateSession(ctx context.Context, id string, fn func(Session) (Session, error)) error

	Close() error
}
