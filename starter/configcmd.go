package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/clickstream-platform/clickstream/config"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

func newConfigCmd() *cobra.Command {
	var keys, markdown bool
	flagKeys := map[string]string{}
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration, or the configuration keys",
		Long: `Print the effective configuration as YAML: defaults, then the config file,
then CLICKSTREAM_* environment variables, then the flags below. The output is a
valid config file.

With --keys, print every key with its environment variable, default and
meaning; --keys --markdown prints the table that README.md embeds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			switch {
			case markdown:
				_, err := io.WriteString(out, config.Markdown())
				return err
			case keys:
				return printKeys(out)
			}
			cfg, err := loadConfig(cmd, flagKeys)
			if err != nil {
				return err
			}
			enc := yaml.NewEncoder(out)
			enc.SetIndent(2)
			if err := enc.Encode(cfg); err != nil {
				return fmt.Errorf("printing config: %w", err)
			}
			return enc.Close()
		},
	}
	cmd.Flags().BoolVar(&keys, "keys", false, "print the configuration keys instead")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the keys as a Markdown table (implies --keys)")
	// One override flag per key, e.g. --transform-max-line-bytes, so that the
	// output shows the flag layer too.
	for _, k := range config.Keys() {
		name := strings.NewReplacer(".", "-", "_", "-").Replace(k.Name)
		cmd.Flags().String(name, "", fmt.Sprintf("override %s (default %s)", k.Name, k.Default))
		flagKeys[name] = k.Name
	}
	return cmd
}

// printKeys prints the key table for a terminal.
func printKeys(out io.Writer) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tENV\tDEFAULT\tMEANING")
	for _, k := range config.Keys() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Name, k.Env, k.Default, k.Doc)
	}
	return tw.Flush()
}
