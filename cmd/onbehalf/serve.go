package main

import (
	"fmt"

	"github.com/onbehalf/onbehalf/config"
	"github.com/onbehalf/onbehalf/stack"
	"github.com/spf13/cobra"
)

func newServeCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "serve --config onbehalf.yaml",
		Short: "Run onbehalf from a configuration file (secrets come from ${ENV} references)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(path, nil)
			if err != nil {
				return err
			}
			s, err := stack.Start(cmd.Context(), cfg, stack.Options{Logger: newLogger()})
			if err != nil {
				return err
			}
			defer s.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "runtime  %s\nidentity %s\n", s.RuntimeURL, s.IdentityURL)
			<-cmd.Context().Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "config", "onbehalf.yaml", "configuration file")
	return cmd
}
