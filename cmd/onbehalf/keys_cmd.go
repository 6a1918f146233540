package main

import (
	"fmt"

	"github.com/onbehalf/onbehalf/keyring"
	"github.com/spf13/cobra"
)

func newKeysCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage the vault encryption keys"}
	var cf configFlags
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new active vault key; old keys stay so existing ciphertexts still open",
		Long: "rotate adds a new key to the key file and makes it active. Every replica reloads the\n" +
			"key file within a minute and then seals new tokens and secrets with the new key, while\n" +
			"ciphertexts sealed with older keys keep opening. Nothing is re-encrypted and nothing stops.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := cf.load()
			if err != nil {
				return err
			}
			k, err := keyring.Load(cfg.Keys.File)
			if err != nil {
				return fmt.Errorf("keys: %w", err)
			}
			old := k.ActiveKeyID()
			id, err := k.Rotate()
			if err != nil {
				return err
			}
			if err := k.Save(cfg.Keys.File); err != nil {
				return fmt.Errorf("keys: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "active key %s (was %s); %d keys in %s\n", id, old, len(k.KeyIDs()), cfg.Keys.File)
			return nil
		},
	}
	cf.add(rotate)
	cmd.AddCommand(rotate)
	return cmd
}
