package main

import (
	"fmt"
	"io"

	"passerelle.im/passerelle/bridge/config"
)

// printPermissionWarnings adds check-config's permission warnings to its
// summary: they are advice, not errors, so the exit status stays 0.
func printPermissionWarnings(w io.Writer, cfg *config.Config) {
	for _, pw := range cfg.PermissionWarnings() {
		fmt.Fprintf(w, "warning:   %s\n", pw)
	}
}
