package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// SecretsEnvPath is the secrets file beside the configuration at path,
// as examples/passerelle.service and the README's step 4 name it; in the
// working directory for a configuration read from a stream (baseDir).
func SecretsEnvPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil && isStream(abs) {
		return filepath.Join(baseDir(abs), "secrets.env")
	}
	return filepath.Join(filepath.Dir(path), "secrets.env")
}

// setEnv returns env when that variable is set and not empty, else "".
func setEnv(env string) string {
	if env != "" && os.Getenv(env) != "" {
		return env
	}
	return ""
}

// envIgnored says that the transport's secret variable is set but not
// used, and how to use it. The file's secret wins, as documented; but a
// secret put in the unit's secrets.env while examples/passerelle.toml
// still has its secret = "secret" would otherwise show only as a
// handshake refused for a wrong secret.
func (t Transport) envIgnored() string {
	key := strings.Fields(t.SecretSource)[0] // secret, secret_file or credential
	if key == "credential" {
		key = "secret_file"
	}
	return t.SecretEnvIgnored + " is set too but ignored: " + key + " in the file wins; remove " + key + " to use the variable"
}

// WarnIgnoredSecrets logs, for each transport, a secret variable set in
// the environment that the file's secret or secret_file overrides, and at
// debug level a secret trimmed of surrounding white space.
func (c *Config) WarnIgnoredSecrets(log *slog.Logger) {
	for _, t := range c.Transports {
		if t.SecretTrimmed {
			log.Debug("white space around the secret dropped", "transport", t.Name, "secret_from", t.SecretSource)
		}
		if t.SecretEnvIgnored != "" {
			log.Warn("secret variable ignored", "transport", t.Name, "why", t.envIgnored())
		}
	}
}
