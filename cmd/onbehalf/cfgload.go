package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/onbehalf/onbehalf/config"
	"github.com/spf13/cobra"
)

// configFlags locate the configuration an operator command works on:
// --config (production: ${VARS} from the environment) or, by default, the
// dev stack's data dir (onbehalf.yaml with ${VARS} from its dev.env).
type configFlags struct {
	path, dataDir string
}

func (f *configFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.path, "config", "", "configuration file (default: the dev stack's, in --data-dir)")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", defaultDataDir(), "the dev stack's data dir")
}

func (f *configFlags) load() (*config.Config, error) {
	if f.path != "" {
		return config.Load(f.path, nil)
	}
	path := filepath.Join(f.dataDir, "onbehalf.yaml")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no configuration: pass --config, or start `onbehalf dev` (looked for %s)", path)
	}
	env, err := readDevEnv(filepath.Join(f.dataDir, "dev.env"))
	if err != nil {
		return nil, fmt.Errorf("dev.env: %w", err)
	}
	return config.Load(path, env.lookup)
}
