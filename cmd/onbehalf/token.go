package main

import (
	"fmt"
	"path/filepath"

	"github.com/onbehalf/onbehalf/oauth"
	"github.com/spf13/cobra"
)

func newTokenCommand() *cobra.Command {
	var user, dataDir string
	cmd := &cobra.Command{
		Use:   "token --user EMAIL",
		Short: "Print a Token A for a dev user, from the running dev stack's Entra ID emulator",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := readDevEnv(filepath.Join(dataDir, "dev.env"))
			if err != nil {
				return fmt.Errorf("no dev stack settings in %s (start `onbehalf dev` first, or pass --data-dir): %w", dataDir, err)
			}
			oc := &oauth.Client{}
			tok, err := oc.Password(cmd.Context(), env[envEntraToken],
				oauth.ClientAuth{ClientID: env[envAgentClientID], ClientSecret: env[envAgentSecret], Method: oauth.AuthSecretPost},
				user, env[envUserPassword], []string{"api://" + env[envAgentClientID] + "/access_as_user"})
			if err != nil {
				return fmt.Errorf("token for %s: %w", user, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok.AccessToken)
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "dev user, e.g. jane.smith@company.com")
	cmd.Flags().StringVar(&dataDir, "data-dir", defaultDataDir(), "the dev stack's data dir")
	_ = cmd.MarkFlagRequired("user")
	return cmd
}
