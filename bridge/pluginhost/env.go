package pluginhost

import (
	"slices"
	"strings"

	"passerelle.im/passerelle/internal/stagetrace"
)

// passedEnv are the gateway's environment variables a plugin gets; the
// rest (the transports' PASSERELLE_SECRET_*, whatever the service manager
// or a shell put there) stay in the gateway. go-plugin adds its own
// (the handshake cookie, ports, protocol versions).
var passedEnv = []string{
	"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR",
	// TLS roots, where an admin moved them.
	"SSL_CERT_FILE", "SSL_CERT_DIR",
	// The Go runtime's settings, so that the systemd unit's tuning
	// (docs: examples/passerelle.service) reaches the plugins too.
	"GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG", "GOTRACEBACK",
	// The load tool's stage trace (off unless set).
	stagetrace.Env,
}

// pluginEnv picks from environ (KEY=value entries) what a plugin may see:
// the variables of passedEnv and the locale's LC_*, then extra.
func pluginEnv(environ, extra []string) []string {
	var env []string
	for _, kv := range environ {
		k, _, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if strings.HasPrefix(k, "LC_") || slices.Contains(passedEnv, k) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}
