package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/pluginhost"
)

// checkPluginsTimeout bounds check-config's start of each plugin.
const checkPluginsTimeout = time.Minute

// checkPlugins starts each enabled transport's plugin with its
// [transport.config], as a run would, and stops it again: a key the
// plugin refuses, a plugin that does not start or is of another contract
// version is found here, not by the first run. It reports whether every
// plugin took its config; what each said goes to stdout, problems to
// stderr (the config file's path and line first, as the other problems).
func checkPlugins(cfg *config.Config, stdout, stderr io.Writer) bool {
	ok := true
	for _, t := range cfg.Transports {
		if !t.Enabled {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), checkPluginsTimeout)
		caps, err := pluginhost.CheckInit(ctx, t.Plugin, t.PluginConfig, t.Domain)
		cancel()
		if err != nil {
			// At the line of the config the plugin was given, else of
			// its block, as the configuration's own problems.
			fmt.Fprintf(stderr, "%s: transport %s: plugin %s: %v\n", cfg.PluginConfigAt(t), t.Name, t.Plugin, err)
			ok = false
			continue
		}
		fmt.Fprintf(stdout, "transport %s: plugin started and took its config (%s %s)\n", t.Name, caps.GetDisplayName(), caps.GetVersion())
	}
	return ok
}
