package main

import (
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "onbehalf",
		Short:         "AI agents that act as the signed-in user, never as a service account",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newDevCommand(), newServeCommand(), newTokenCommand(), newInvokeCommand())
	root.AddCommand(newServiceNowCommand())
	root.AddCommand(newIdentityCommand())
	root.AddCommand(newKeysCommand(), newAuditCommand())
	return root
}

// defaultDataDir is where `dev` keeps its state and where `token` and
// `invoke` look for it: $ONBEHALF_DATA_DIR, else $XDG_DATA_HOME/onbehalf/dev,
// else ~/.local/share/onbehalf/dev.
func defaultDataDir() string {
	if d := os.Getenv("ONBEHALF_DATA_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "onbehalf", "dev")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "onbehalf", "dev")
	}
	return ".onbehalf-dev"
}

func newLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
