package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	snowemu "github.com/onbehalf/onbehalf/emulator/servicenow"
	"github.com/spf13/cobra"
)

func newServiceNowCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "servicenow",
		Short: "The ServiceNow instance emulator on its own",
	}
	cmd.AddCommand(newServiceNowServeCommand())
	return cmd
}

type snowServeOptions struct {
	listen, baseURL, dataDir, passwordFile, seedFile string
	inMemory, devSeed, aclBeforeLimit, invalidNoRows bool
	incidents, users                                 int
	oidc, rateLimits                                 []string
}

func newServiceNowServeCommand() *cobra.Command {
	o := snowServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a local ServiceNow instance (Table API, ACLs, OIDC inbound auth) for your own tests",
		Long: `Runs the ServiceNow emulator alone: the Table API under /api/now[/v1|/v2]/table,
encoded queries, ACLs (sysparm_limit applied before read ACLs, as on a real
instance), journals, sys_audit, rate limits, Basic auth and OIDC Bearer tokens.

The admin password is read from --admin-password-file, or generated into it
(mode 0600) when the file does not exist; it is never printed. Users with a
password in the --seed file can use Basic auth too.`,
		Example: `  onbehalf servicenow serve --incidents 100000 --users 200
  onbehalf servicenow serve --in-memory --seed my-seed.yaml \
    --oidc name=EntraID,metadata=http://127.0.0.1:8081/<tenant>/v2.0/.well-known/openid-configuration,client_id=<api client id>`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServiceNow(cmd.Context(), cmd.OutOrStdout(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8083", "address to listen on")
	f.StringVar(&o.baseURL, "base-url", "", "instance URL in links and Location headers (default http://<listen>)")
	f.StringVar(&o.dataDir, "data-dir", filepath.Join(filepath.Dir(defaultDataDir()), "servicenow"), "directory for servicenow.db and the admin password")
	f.BoolVar(&o.inMemory, "in-memory", false, "keep the instance in memory (nothing survives a restart)")
	f.StringVar(&o.passwordFile, "admin-password-file", "", "admin's password; generated when missing (default <data-dir>/admin-password)")
	f.BoolVar(&o.devSeed, "dev-seed", true, "seed the dev users and incidents (Jane, Bob, INC0012345, ...)")
	f.StringVar(&o.seedFile, "seed", "", "YAML or JSON seed file: roles, groups, users (with passwords), records")
	f.IntVar(&o.incidents, "incidents", 0, "bulk-generate incidents until this many generated ones exist")
	f.IntVar(&o.users, "users", 200, "generated users the --incidents are spread over (gen.user0001@example.com, ...)")
	f.StringArrayVar(&o.oidc, "oidc", nil, "an inbound OIDC provider: name=N,metadata=URL,client_id=AUD[,user_claim=C][,user_field=F][,clock_skew=D][,check_jti=true] (repeatable)")
	f.StringArrayVar(&o.rateLimits, "rate-limit", nil, "a Table API rate limit: [user=U|role=R,]per_hour=N (repeatable)")
	f.BoolVar(&o.aclBeforeLimit, "read-acl-before-limit", false, "apply read ACLs before sysparm_limit (full pages, visible counts) instead of a real instance's order")
	f.BoolVar(&o.invalidNoRows, "invalid-query-returns-no-rows", false, "glide.invalid_query.returns_no_rows: an invalid query term returns nothing instead of being dropped")
	return cmd
}

func runServiceNow(ctx context.Context, out io.Writer, o snowServeOptions) error {
	cfg := snowemu.Config{
		BaseURL:                   o.baseURL,
		SeedDev:                   o.devSeed,
		ReadACLBeforeLimit:        o.aclBeforeLimit,
		InvalidQueryReturnsNoRows: o.invalidNoRows,
		Logger:                    newLogger().With("component", "servicenow-emulator"),
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + o.listen
	}
	var errs []error
	for _, spec := range o.oidc {
		p, err := snowemu.ParseOIDCProvider(spec)
		errs = append(errs, err)
		cfg.OIDC = append(cfg.OIDC, p)
	}
	for _, spec := range o.rateLimits {
		r, err := snowemu.ParseRateLimit(spec)
		errs = append(errs, err)
		cfg.RateLimits = append(cfg.RateLimits, r)
	}
	if o.seedFile != "" {
		seed, err := snowemu.LoadSeedFile(o.seedFile)
		errs = append(errs, err)
		cfg.Seed = seed
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if !o.inMemory || o.passwordFile == "" {
		if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
			return err
		}
	}
	if !o.inMemory {
		cfg.DBPath = filepath.Join(o.dataDir, "servicenow.db")
	}
	if o.passwordFile == "" {
		o.passwordFile = filepath.Join(o.dataDir, "admin-password")
	}
	pw, err := adminPassword(o.passwordFile)
	if err != nil {
		return err
	}
	cfg.AdminPassword = pw

	srv, err := snowemu.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	if o.incidents > 0 {
		have, err := srv.Count(ctx, "incident", "descriptionENDSWITH(generated)")
		if err != nil {
			return err
		}
		if need := o.incidents - have; need > 0 {
			start := time.Now()
			if _, err := srv.GenerateIncidents(ctx, need, o.users); err != nil {
				return err
			}
			fmt.Fprintf(out, "generated %d incidents over %d users in %v\n", need, o.users, time.Since(start).Round(time.Millisecond))
		}
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	where := cfg.DBPath
	if where == "" {
		where = "memory"
	}
	fmt.Fprintf(out, "ServiceNow emulator on %s (database: %s)\n", cfg.BaseURL, where)
	fmt.Fprintf(out, "  admin (Basic): user admin, password in %s\n", o.passwordFile)
	for _, p := range cfg.OIDC {
		fmt.Fprintf(out, "  OIDC provider %s: tokens for audience %s\n", p.Name, p.ClientID)
	}
	fmt.Fprintf(out, "  try: curl -u \"admin:$(cat %s)\" '%s/api/now/table/incident?sysparm_limit=1&sysparm_display_value=true'\n", o.passwordFile, cfg.BaseURL)

	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// adminPassword reads the password file, or writes a new random password
// to it (0600) when it does not exist.
func adminPassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		pw := strings.TrimSpace(string(b))
		if pw == "" {
			return "", fmt.Errorf("%s is empty", path)
		}
		return pw, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	pw := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", err
	}
	return pw, nil
}
