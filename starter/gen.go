package main

import "github.com/spf13/cobra"

// PLACEHOLDER: replaced by its owner.
func newGenCmd() *cobra.Command { return &cobra.Command{Use: "gen"} }
