package servicenow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // driver "sqlite"
)

// Config configures an emulated instance. The zero value (plus an admin
// password) is an instance that behaves like a real one; every departure is
// a named field.
type Config struct {
	// BaseURL is the instance URL ("http://127.0.0.1:8083") used in reference
	// links, Link and Location headers. "" derives it from each request's
	// Host.
	BaseURL string
	// DBPath is the SQLite file; "" is a private in-memory database.
	DBPath string
	// AdminPassword is the password of user "admin" (Basic auth), generated
	// by the caller; stored hashed. "" leaves admin without a password.
	AdminPassword string
	// SeedDev seeds the users, roles and incidents of dev-data.md.
	SeedDev bool
	// Seed is more data to load at start (see LoadSeedFile), after the dev
	// seed. Loading is idempotent: records keep fixed sys_ids.
	Seed *Seed
	// OIDC lists the inbound OIDC providers accepted for Bearer tokens.
	OIDC []OIDCProvider
	// ACLs replaces DefaultACLs() when non-nil.
	ACLs []ACLRule
	// ReadACLBeforeLimit applies read ACLs before sysparm_limit, so every
	// page is full and X-Total-Count counts only the rows the caller may
	// read. The default (false) is what a real instance does: the page is
	// cut first and ACLs then remove rows from it, so pages can come back
	// short or empty while visible rows exist further on, and X-Total-Count
	// counts every row matching the query.
	ReadACLBeforeLimit bool
	// InvalidQueryReturnsNoRows is the instance property
	// glide.invalid_query.returns_no_rows: when true, a query with an
	// invalid term (unknown field, no operator) returns no rows; when false
	// (the default, as on a real instance) the invalid term is dropped and
	// the rest of the query runs.
	InvalidQueryReturnsNoRows bool
	// RateLimits are the Table API rate-limit rules (sys_rate_limit_rules).
	RateLimits []RateLimit
	// HTTPClient fetches OIDC metadata and JWKS; default http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives operational logs, never credentials; default
	// slog.Default().
	Logger *slog.Logger
}

// OIDCProvider is an inbound OIDC integration ("OIDC provider
// configuration" on a real instance, article Step 1c).
type OIDCProvider struct {
	Name        string
	MetadataURL string        // .../.well-known/openid-configuration
	ClientID    string        // must equal the token's aud
	UserClaim   string        // default "preferred_username"
	UserField   string        // sys_user field matched, default "email"
	ClockSkew   time.Duration // default 300s
	// CheckJTI refuses a token without a "jti" claim, and a token whose jti
	// was already accepted (until it expires): every call needs a fresh
	// token.
	CheckJTI bool
}

// Server is an emulated ServiceNow instance; it is an http.Handler.
type Server struct {
	baseURL string
	db      *sql.DB    // the writer (one connection)
	rdb     *sql.DB    // readers; db itself for an in-memory database
	reads   *stmtCache // prepared statements on rdb
	dict    *dictionary
	acl     *aclSet
	oidc    []*oidcProvider
	limits  *rateLimiter
	txlog   *txLog
	auth    *authCache
	newID   func() string // sys_ids of records created through the API

	closeOnce sync.Once
	closeErr  error
	now       func() time.Time
	log       *slog.Logger
	cancel    context.CancelFunc

	readACLBeforeLimit        bool
	invalidQueryReturnsNoRows bool
}

// New opens (or creates) the instance database, brings its schema up to the
// dictionary, seeds admin (and the dev data when cfg.SeedDev, then
// cfg.Seed) and returns the server. Every configuration problem is reported
// at once.
func New(ctx context.Context, cfg Config) (*Server, error) {
	dict, err := defaultDictionary()
	if err != nil {
		return nil, err
	}
	rules := cfg.ACLs
	if rules == nil {
		rules = DefaultACLs()
	}
	var errs []error
	acl, err := newACLSet(dict, rules)
	if err != nil {
		errs = append(errs, err)
	}
	if err := validate(&cfg, dict); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Server{
		baseURL:                   strings.TrimRight(cfg.BaseURL, "/"),
		dict:                      dict,
		acl:                       acl,
		now:                       cfg.Now,
		log:                       cfg.Logger,
		auth:                      newAuthCache(),
		newID:                     newSysID,
		readACLBeforeLimit:        cfg.ReadACLBeforeLimit,
		invalidQueryReturnsNoRows: cfg.InvalidQueryReturnsNoRows,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.limits = newRateLimiter(cfg.RateLimits, s.now)
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	for _, p := range cfg.OIDC {
		s.oidc = append(s.oidc, newOIDCProvider(p, client, bg, s.log))
	}

	s.db, s.rdb, err = openDB(cfg.DBPath)
	if err != nil {
		cancel()
		return nil, err
	}
	s.reads = newStmtCache(s.rdb)
	s.txlog = newTxLog(s)
	if err := s.init(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) init(ctx context.Context, cfg Config) error {
	if err := migrate(ctx, s.db, s.dict); err != nil {
		return err
	}
	if err := s.seedAdmin(ctx, cfg.AdminPassword); err != nil {
		return err
	}
	if cfg.SeedDev {
		if err := s.seedDev(ctx); err != nil {
			return err
		}
	}
	// Counters move past seeded numbers before a seed file takes new ones,
	// and again after it (its records may carry higher numbers).
	if err := s.syncNumberCounters(ctx, s.db); err != nil {
		return err
	}
	if cfg.Seed != nil {
		if err := s.applySeed(ctx, cfg.Seed); err != nil {
			return err
		}
	}
	return s.syncNumberCounters(ctx, s.db)
}

// validate applies defaults to cfg and reports every problem at once.
func validate(cfg *Config, dict *dictionary) error {
	var errs []error
	names := map[string]bool{}
	users := dict.table("sys_user")
	for i := range cfg.OIDC {
		p := &cfg.OIDC[i]
		if p.UserClaim == "" {
			p.UserClaim = "preferred_username"
		}
		if p.UserField == "" {
			p.UserField = "email"
		}
		if p.ClockSkew == 0 {
			p.ClockSkew = 300 * time.Second
		}
		where := fmt.Sprintf("OIDC[%d]", i)
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("servicenow: %s.Name is required", where))
		} else if names[p.Name] {
			errs = append(errs, fmt.Errorf("servicenow: %s.Name %q is used twice", where, p.Name))
		}
		names[p.Name] = true
		if u, err := urlOK(p.MetadataURL); !u {
			errs = append(errs, fmt.Errorf("servicenow: %s.MetadataURL: %w", where, err))
		}
		if p.ClientID == "" {
			errs = append(errs, fmt.Errorf("servicenow: %s.ClientID is required", where))
		}
		if f := users.field(p.UserField); f == nil || f.hidden() || !f.stored() {
			errs = append(errs, fmt.Errorf("servicenow: %s.UserField %q is not a sys_user field", where, p.UserField))
		}
		if p.ClockSkew < 0 {
			errs = append(errs, fmt.Errorf("servicenow: %s.ClockSkew must not be negative", where))
		}
	}
	if cfg.BaseURL != "" {
		if ok, err := urlOK(cfg.BaseURL); !ok {
			errs = append(errs, fmt.Errorf("servicenow: BaseURL: %w", err))
		}
	}
	for i, rl := range cfg.RateLimits {
		if rl.RequestsPerHour <= 0 {
			errs = append(errs, fmt.Errorf("servicenow: RateLimits[%d].RequestsPerHour must be positive", i))
		}
		if rl.User != "" && rl.Role != "" {
			errs = append(errs, fmt.Errorf("servicenow: RateLimits[%d] names both a User and a Role", i))
		}
	}
	return errors.Join(errs...)
}

// openDB opens the writer and the readers. A private in-memory database
// exists per connection, so it has one connection for both. A file gets
// one writer (SQLite has one anyway; no busy handling needed) and a pool of
// readers that run beside it in WAL mode.
func openDB(path string) (writer, readers *sql.DB, err error) {
	if path == "" {
		db, err := sql.Open("sqlite", "file::memory:?_pragma=cache_size(-1048576)")
		if err != nil {
			return nil, nil, fmt.Errorf("servicenow: open database: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
		return db, db, nil
	}
	const pragmas = "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=cache_size(-65536)&_pragma=mmap_size(1073741824)"
	writer, err = sql.Open("sqlite", "file:"+path+pragmas)
	if err != nil {
		return nil, nil, fmt.Errorf("servicenow: open database: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxIdleTime(0)
	writer.SetConnMaxLifetime(0)
	readers, err = sql.Open("sqlite", "file:"+path+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, nil, fmt.Errorf("servicenow: open database: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	readers.SetMaxOpenConns(n)
	readers.SetMaxIdleConns(n)
	readers.SetConnMaxIdleTime(0)
	readers.SetConnMaxLifetime(0)
	return writer, readers, nil
}

// Close stops key refreshes, writes the queued transaction log and closes
// the database. Calls after the first return the first one's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.txlog.close()
		s.reads.close()
		var err error
		if s.rdb != s.db {
			err = s.rdb.Close()
		}
		s.closeErr = errors.Join(err, s.db.Close())
	})
	return s.closeErr
}

// env is the query environment for a caller.
func (s *Server) env(p *principal) queryEnv {
	return queryEnv{dict: s.dict, acl: s.acl, user: p, invalidReturnsNoRows: s.invalidQueryReturnsNoRows}
}
