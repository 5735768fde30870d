package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// transportFile is the one [[transport]] of a file in passerelle.toml's
// format (-config): the demo runs it as the real gateway would, its
// [transport.config] handed to the plugin as written, in the demo's own
// Prosody. Only the domain (NAME.localhost) and the secret are the
// demo's: its Prosody has the component for them.
type transportFile struct {
	block map[string]any
}

// readTransportFile reads path's [[transport]]. bin is the folder of the
// demo's binaries, where a plugin named without a '/' is looked for
// first, then in PATH, as the gateway looks beside itself.
func readTransportFile(path, bin string) (name, plugin string, tf transportFile, err error) {
	var doc map[string]any
	if _, err := toml.DecodeFile(path, &doc); err != nil {
		return "", "", tf, fmt.Errorf("-config %s: %w", path, err)
	}
	blocks, _ := doc["transport"].([]map[string]any)
	if len(blocks) != 1 {
		// Never one here (one is right), so the count is plural.
		return "", "", tf, fmt.Errorf("-config %s: the demo runs one transport, and the file has %d [[transport]] blocks: give a file with one (examples/demo-irc.toml)", path, len(blocks))
	}
	b := blocks[0]
	name, _ = b["name"].(string)
	if name == "" {
		return "", "", tf, fmt.Errorf("-config %s: the [[transport]] has no name", path)
	}
	if on, ok := b["enabled"].(bool); ok && !on {
		return "", "", tf, fmt.Errorf("-config %s: the transport %q is disabled (enabled = false)", path, name)
	}
	if c, ok := b["config"]; ok {
		if _, ok := c.(map[string]any); !ok {
			return "", "", tf, fmt.Errorf("-config %s: config of the transport %q is not a table ([transport.config])", path, name)
		}
	}
	plugin, _ = b["plugin"].(string)
	if plugin == "" {
		plugin = "passerelle-" + name
	}
	switch {
	case filepath.IsAbs(plugin):
	case strings.Contains(plugin, "/"):
		// Relative to the file's folder, as the gateway reads it.
		abs, err := filepath.Abs(path)
		if err != nil {
			return "", "", tf, err
		}
		plugin = filepath.Join(filepath.Dir(abs), plugin)
	default:
		if _, err := os.Stat(filepath.Join(bin, plugin)); err == nil {
			plugin = filepath.Join(bin, plugin)
		} else if p, err := exec.LookPath(plugin); err == nil {
			plugin = p
		} else {
			return "", "", tf, fmt.Errorf("-config %s: the plugin %s is neither beside passerelle-demo (%s) nor in PATH: build it with make build", path, plugin, bin)
		}
	}
	return name, plugin, transportFile{block: b}, nil
}

// toml is the [[transport]] block for the demo's generated config: the
// file's, with the demo's domain, secret and the plugin's path.
func (tf transportFile) toml(domain, secret, plugin string) (string, error) {
	b := make(map[string]any, len(tf.block)+3)
	for k, v := range tf.block {
		b[k] = v
	}
	delete(b, "secret_file")
	b["domain"], b["secret"], b["plugin"] = domain, secret, plugin
	var out strings.Builder
	if err := toml.NewEncoder(&out).Encode(map[string]any{"transport": []map[string]any{b}}); err != nil {
		return "", fmt.Errorf("write the transport's config: %w", err)
	}
	return out.String(), nil
}

// checkConfig runs passerelle check-config on the demo's generated
// config, which starts the plugin once with its [transport.config]:
// what it refuses is told as a problem of the file -config named.
func checkConfig(passerelle, cfgPath, file string) error {
	cmd := exec.Command(passerelle, "check-config", "-c", cfgPath)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("-config %s: the transport does not start with it (passerelle check-config on the demo's config %s):\n%s", file, cfgPath, strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		return fmt.Errorf("run passerelle check-config (build it with make build): %w", err)
	}
	return nil
}
