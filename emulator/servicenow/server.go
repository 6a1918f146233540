package servicenow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	_ "modernc.org/sqlite" // driver "sqlite"
)

// Config configures an emulated instance.
type Config struct {
	// BaseURL is the instance URL ("http://127.0.0.1:8083") used in reference
	// links and Link headers. "" derives it from each request's Host.
	BaseURL string
	// DBPath is the SQLite file; "" is a private in-memory database.
	DBPath string
	// AdminPassword is the password of user "admin" (Basic auth), generated
	// by the caller; stored hashed. "" leaves admin without a password.
	AdminPassword string
	// SeedDev seeds the users, roles and incidents of dev-data.md.
	SeedDev bool
	// OIDC lists the inbound OIDC providers accepted for Bearer tokens.
	OIDC []OIDCProvider
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
}

// Server is an emulated ServiceNow instance; it is an http.Handler.
type Server struct {
	baseURL string
	db      *sql.DB
	dict    *dictionary
	acl     *aclSet
	oidc    []*oidcProvider
	now     func() time.Time
	log     *slog.Logger
	cancel  context.CancelFunc
}

// New opens (or creates) the instance database, brings its schema up to the
// dictionary, seeds admin (and the dev data when cfg.SeedDev) and returns the
// server. Every configuration problem is reported at once.
func New(ctx context.Context, cfg Config) (*Server, error) {
	dict, err := defaultDictionary()
	if err != nil {
		return nil, err
	}
	acl, err := newACLSet(dict, defaultACLs)
	if err != nil {
		return nil, err
	}
	if err := validate(&cfg, dict); err != nil {
		return nil, err
	}
	s := &Server{
		baseURL: strings.TrimRight(cfg.BaseURL, "/"),
		dict:    dict,
		acl:     acl,
		now:     cfg.Now,
		log:     cfg.Logger,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	for _, p := range cfg.OIDC {
		s.oidc = append(s.oidc, &oidcProvider{cfg: p, client: client, bg: bg, log: s.log})
	}

	s.db, err = openDB(cfg.DBPath)
	if err != nil {
		cancel()
		return nil, err
	}
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
	return nil
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
		if f := users.field(p.UserField); f == nil || f.hidden() {
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
	return errors.Join(errs...)
}

func openDB(path string) (*sql.DB, error) {
	dsn := "file::memory:"
	if path != "" {
		dsn = "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("servicenow: open database: %w", err)
	}
	// One connection: a private in-memory database exists per connection,
	// and a single writer needs no busy handling. Code never holds rows open
	// while running another statement.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	return db, nil
}

// Close stops key refreshes and closes the database.
func (s *Server) Close() error {
	s.cancel()
	return s.db.Close()
}

// env is the query environment for a caller.
func (s *Server) env(p *principal) queryEnv {
	return queryEnv{dict: s.dict, acl: s.acl, user: p}
}
