package main

import (
	"fmt"

	"github.com/clickstream-platform/clickstream/config"
	"github.com/spf13/cobra"
)

// loadConfig loads the configuration for cmd: defaults, then the file named
// by the persistent --config flag (else ./clickstream.yaml if present), then
// the CLICKSTREAM_* environment, then the flags of flagKeys (flag name →
// config key, e.g. {"source": "source.uri"}) that the user set.
func loadConfig(cmd *cobra.Command, flagKeys map[string]string) (config.Config, error) {
	var file string
	if f := cmd.Flag("config"); f != nil {
		file = f.Value.String()
	}
	cfg, err := config.Load(config.LoadOptions{File: file, Flags: cmd.Flags(), FlagKeys: flagKeys})
	if err != nil {
		return config.Config{}, fmt.Errorf("loading config: %w", err)
	}
	return cfg, nil
}
