package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/onbehalf/onbehalf/config"
	"github.com/onbehalf/onbehalf/identity/awsapi"
	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/store"
	"github.com/spf13/cobra"
)

func newIdentityCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "identity",
		Short: "Administer the identity broker (access keys of its AgentCore Identity API)",
	}
	keys := &cobra.Command{
		Use:   "keys",
		Short: "SigV4 access keys the identity API accepts: admin keys, and per-workload data-plane keys",
	}
	keys.AddCommand(newKeysCreateCommand(), newKeysListCommand(), newKeysRevokeCommand())
	cmd.AddCommand(keys)
	return cmd
}

// keyStoreFlags locate the broker's store and keyring: a config file, or
// the dev stack's data dir.
type keyStoreFlags struct{ config, dataDir string }

func (f *keyStoreFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.config, "config", "", "onbehalf.yaml of the broker (secrets from ${ENV}); default: the dev stack's in --data-dir")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", defaultDataDir(), "the dev stack's data dir, used when --config is not given")
}

// open returns the broker's KeyStore and a function releasing it.
func (f *keyStoreFlags) open(ctx context.Context) (*awsapi.KeyStore, func(), error) {
	path, lookup := f.config, os.LookupEnv
	if path == "" {
		path = filepath.Join(f.dataDir, "onbehalf.yaml")
		env, err := readDevEnv(filepath.Join(f.dataDir, "dev.env"))
		if err != nil {
			return nil, nil, fmt.Errorf("no --config and no dev stack in %s (start `onbehalf dev` first, or pass --config): %w", f.dataDir, err)
		}
		lookup = func(k string) (string, bool) {
			if v, ok := env[k]; ok {
				return v, true
			}
			return os.LookupEnv(k)
		}
	}
	cfg, err := config.Load(path, lookup)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return nil, nil, fmt.Errorf("store: %w", err)
	}
	kr, err := keyring.LoadOrCreate(cfg.Keys.File)
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("keys: %w", err)
	}
	return awsapi.NewKeyStore(st, kr, nil), func() { st.Close() }, nil
}

func newKeysCreateCommand() *cobra.Command {
	var f keyStoreFlags
	var g awsapi.Grant
	cmd := &cobra.Command{
		Use:   "create (--admin | --workload NAME)",
		Short: "Create an access key and print its id and secret (once; the broker keeps it sealed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.Admin == (g.Workload != "") {
				return errors.New("pass exactly one of --admin and --workload NAME")
			}
			if g.AllowUserID && g.Admin {
				return errors.New("--allow-user-id is for workload keys (admin keys may do everything)")
			}
			ks, done, err := f.open(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			k, err := ks.Create(cmd.Context(), g)
			if err != nil {
				return err
			}
			who := "admin (control plane and every workload)"
			if !g.Admin {
				who = "workload " + g.Workload + " (data plane, this workload only)"
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Created an identity API key for %s. The secret is shown only now.\n", who)
			fmt.Fprintf(cmd.OutOrStdout(), "export AWS_ACCESS_KEY_ID='%s'\nexport AWS_SECRET_ACCESS_KEY='%s'\n", k.AccessKeyID, k.SecretAccessKey)
			return nil
		},
	}
	cmd.Flags().BoolVar(&g.Admin, "admin", false, "an admin key: control plane and every data-plane call")
	cmd.Flags().StringVar(&g.Workload, "workload", "", "a workload key: data plane only, for this workload identity only")
	cmd.Flags().BoolVar(&g.AllowUserID, "allow-user-id", false, "let the workload key call GetWorkloadAccessTokenForUserId (an unverified user id)")
	f.add(cmd)
	return cmd
}

func newKeysListCommand() *cobra.Command {
	var f keyStoreFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List access keys: id, what each may do, when it was created (never a secret)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ks, done, err := f.open(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			keys, err := ks.List(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				for _, k := range keys {
					if err := enc.Encode(k); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCESS KEY ID\tGRANT\tCREATED")
			for _, k := range keys {
				grant := "admin"
				if !k.Grant.Admin {
					grant = "workload " + k.Grant.Workload
					if k.Grant.AllowUserID {
						grant += " (+user id)"
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", k.AccessKeyID, grant, k.CreatedAt.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	f.add(cmd)
	return cmd
}

func newKeysRevokeCommand() *cobra.Command {
	var f keyStoreFlags
	cmd := &cobra.Command{
		Use:   "revoke ACCESS_KEY_ID...",
		Short: "Delete access keys (a running broker refuses them within 30 seconds)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			ks, done, err := f.open(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			for _, id := range ids {
				if err := ks.Revoke(cmd.Context(), id); err != nil {
					return fmt.Errorf("%s: %w", id, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", id)
			}
			return nil
		},
	}
	f.add(cmd)
	return cmd
}
