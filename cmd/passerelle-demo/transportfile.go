package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"passerelle.im/passerelle/bridge/config"
)

// fileError is a problem of -config's file, not of the command line:
// said without the flags' usage, which would bury it.
type fileError struct{ error }

func (e fileError) Unwrap() error { return e.error }

// demoKeys are the [[transport]] keys the demo sets itself (the domain,
// the secret, the plugin's path, the plugin's folder in the work
// folder): their problems in the file do not matter here.
var demoKeys = []string{"domain", "secret", "secret_file", "plugin", "data_dir"}

// keyProblems are the problems passerelle's own configuration loader
// finds in the file's [[transport]] and top-level keys, each as
// "file:line: key: reason": a typo, a value of the wrong type, a
// [transport] for [[transport]]. The other tables ([xmpp], [store]...)
// and the keys the demo sets are its own, so their problems are left out.
func keyProblems(path string, data []byte) []string {
	_, err := config.Parse(path, data)
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else if err != nil {
		errs = []error{err}
	}
	var out []string
	for _, err := range errs {
		var ce *config.Error
		if !errors.As(err, &ce) {
			out = append(out, err.Error())
			continue
		}
		table, key, nested := strings.Cut(ce.Key, ".")
		switch {
		case ce.Key == "transport" && strings.Contains(ce.Err.Error(), "no enabled transport"):
			// The demo says what it needs instead: one transport, enabled.
			continue
		case strings.HasPrefix(table, "transport["):
			if slices.Contains(demoKeys, key) {
				continue
			}
		case nested:
			continue // [xmpp], [store]...: the demo's own
		}
		out = append(out, ce.Error())
	}
	return out
}

// noPlugin says that the plugin of the [[transport]] named name was
// found neither in bin nor in PATH: the transports there, the likely
// one first when name is a typo of it, and how to give one's own.
func noPlugin(path string, data []byte, name, plugin, bin string, given bool) error {
	if given {
		return fmt.Errorf("-config %s: plugin = %q: neither beside passerelle-demo (%s) nor in PATH: give its path, or build it with make build", path, plugin, bin)
	}
	var names []string
	entries, _ := os.ReadDir(bin)
	for _, e := range entries {
		n, ok := strings.CutPrefix(e.Name(), config.DefaultPluginPrefix)
		if !ok || e.IsDir() || n == "demo" || strings.HasPrefix(n, "bench") {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.Mode()&0o111 != 0 {
			names = append(names, n)
		}
	}
	msg := fmt.Sprintf("-config %s: name = %q: no plugin %s beside passerelle-demo (%s) nor in PATH", atKey(path, data, "name"), name, plugin, bin)
	msg += didYouMean(name, names)
	if len(names) > 0 {
		msg += "; the transports there: " + strings.Join(names, ", ")
	} else {
		msg += "; build the transports with make build"
	}
	return errors.New(msg + "; for a plugin of your own, plugin = PATH in the [[transport]] (or passerelle-demo -plugin PATH)")
}

// atKey is path:line of key in data's [[transport]], path alone when
// the line is not found.
func atKey(path string, data []byte, key string) string {
	if line := keyLine(data, "transport", key); line > 0 {
		return path + ":" + strconv.Itoa(line)
	}
	return path
}

// keyLine is the line of key in the first [[table]] of data, 0 when not
// found: a plain scan, enough for the file's own line of a key.
func keyLine(data []byte, table, key string) int {
	in := false
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		switch h := header(l); {
		case h != "":
			if in {
				return 0
			}
			in = h == "[["+table+"]]"
		case in:
			if k, _, ok := strings.Cut(l, "="); ok && strings.Trim(strings.TrimSpace(k), `"'`) == key {
				return i + 1
			}
		}
	}
	return 0
}

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
	data, err := os.ReadFile(path)
	if err != nil {
		return "", "", tf, fileError{fmt.Errorf("-config %s: %w", path, err)}
	}
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return "", "", tf, fileError{fmt.Errorf("-config %s: %w", path, err)}
	}
	if problems := keyProblems(path, data); len(problems) > 0 {
		return "", "", tf, fileError{fmt.Errorf("-config %s: refused (passerelle check-config would say the same):\n%s", path, strings.Join(problems, "\n"))}
	}
	blocks, _ := doc["transport"].([]map[string]any)
	if len(blocks) != 1 {
		// Never one here (one is right), so the count is plural.
		return "", "", tf, fileError{fmt.Errorf("-config %s: the demo runs one transport, and the file has %d [[transport]] blocks: give a file with one (examples/demo-irc.toml)", path, len(blocks))}
	}
	b := blocks[0]
	name, _ = b["name"].(string)
	if name == "" {
		return "", "", tf, fileError{fmt.Errorf("-config %s: the [[transport]] has no name", path)}
	}
	if on, ok := b["enabled"].(bool); ok && !on {
		return "", "", tf, fileError{fmt.Errorf("-config %s: the transport %q is disabled (enabled = false)", path, name)}
	}
	if c, ok := b["config"]; ok {
		if _, ok := c.(map[string]any); !ok {
			return "", "", tf, fileError{fmt.Errorf("-config %s: config of the transport %q is not a table ([transport.config])", path, name)}
		}
	}
	plugin, _ = b["plugin"].(string)
	if plugin == "" {
		plugin = "passerelle-" + name
	}
	switch {
	case strings.Contains(plugin, "/"):
		if !filepath.IsAbs(plugin) {
			// Relative to the file's folder, as the gateway reads it
			// (the working directory for -config /dev/stdin).
			dir, err := config.Dir(path)
			if err != nil {
				return "", "", tf, err
			}
			plugin = filepath.Join(dir, plugin)
		}
		// Said here, at the file's line: it was said as -plugin's,
		// a flag not given, the flags' usage after it.
		if err := executable(plugin); err != nil {
			return "", "", tf, fileError{fmt.Errorf("-config %s: plugin = %q: %w", atKey(path, data, "plugin"), b["plugin"], err)}
		}
	default:
		if _, err := os.Stat(filepath.Join(bin, plugin)); err == nil {
			plugin = filepath.Join(bin, plugin)
		} else if p, err := exec.LookPath(plugin); err == nil {
			plugin = p
		} else {
			return "", "", tf, fileError{noPlugin(path, data, name, plugin, bin, b["plugin"] != nil)}
		}
	}
	return name, plugin, transportFile{block: b}, nil
}

// toml is the [[transport]] block for the demo's generated config: the
// file's, with the demo's domain, secret and the plugin's path. Its
// data_dir is left out: the plugin's state goes to the demo's work
// folder, not to the folder of a real gateway the block was copied from.
func (tf transportFile) toml(domain, secret, plugin string) (string, error) {
	b := make(map[string]any, len(tf.block)+3)
	for k, v := range tf.block {
		b[k] = v
	}
	delete(b, "secret_file")
	delete(b, "data_dir")
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
		return fmt.Errorf("-config %s: the transport does not start with it (passerelle check-config on the demo's config %s):\n%s", file, cfgPath, atFileLines(strings.TrimSpace(stderr.String()), cfgPath, file))
	}
	if err != nil {
		return fmt.Errorf("run passerelle check-config (build it with make build): %w", err)
	}
	return nil
}

// atFileLines points check-config's problems at -config's file: a line
// "CFG:N: ..." of the demo's generated config at the [[transport]] or
// [transport.config] header becomes the file's line of that header, as
// the file is what the user edits.
func atFileLines(problems, cfgPath, file string) string {
	gen, err := os.ReadFile(cfgPath)
	if err != nil {
		return problems
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return problems
	}
	genLines := strings.Split(string(gen), "\n")
	lines := strings.Split(problems, "\n")
	for i, l := range lines {
		rest, ok := strings.CutPrefix(l, cfgPath+":")
		if !ok {
			continue
		}
		num, after, ok := strings.Cut(rest, ":")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 1 || n > len(genLines) {
			continue
		}
		if h := header(genLines[n-1]); h == "" {
			continue
		} else if at := headerLine(data, h); at > 0 {
			lines[i] = file + ":" + strconv.Itoa(at) + ":" + after
		}
	}
	return strings.Join(lines, "\n")
}

// headerLine is the line of the table header h, as header gives it
// ("[[transport]]", "[transport.config]"), in data; 0 when not there.
func headerLine(data []byte, h string) int {
	for i, l := range strings.Split(string(data), "\n") {
		if header(l) == h {
			return i + 1
		}
	}
	return 0
}

// header is the line l as a table header, its spaces and comment taken
// out ("[[transport]]  # IRC" is "[[transport]]"), "" when l is none.
func header(l string) string {
	l, _, _ = strings.Cut(l, "#")
	if l = strings.ReplaceAll(strings.TrimSpace(l), " ", ""); strings.HasPrefix(l, "[") {
		return l
	}
	return ""
}
