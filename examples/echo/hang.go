package echo

import (
	"os"
	"time"

	"passerelle.im/passerelle/plugins/sdk"
)

// CommandTimeoutEnv is a test knob: a Go duration ("2s") that replaces the
// SDK's time limits of a command (sdk.WithCommandTimeouts), so that a test
// sees a "hang" given up on in seconds. The gateway does not pass it on
// from its own environment: a test starts the plugin through a wrapper
// that sets it. Unset, or not a positive duration: the SDK's defaults.
const CommandTimeoutEnv = "PASSERELLE_ECHO_COMMAND_TIMEOUT"

// ServeOptions are the sdk.Serve options of the echo plugin's binary:
// CommandTimeoutEnv's limit, when set.
func ServeOptions() []sdk.Option {
	d, err := time.ParseDuration(os.Getenv(CommandTimeoutEnv))
	if err != nil || d <= 0 {
		return nil
	}
	return []sdk.Option{sdk.WithCommandTimeouts(d, d)}
}

// hang is the "hang" command: a network call that never returns and
// ignores its context, as a read from a connection that black-holes
// without a deadline does. The SDK gives up on it (WithCommandTimeouts);
// the goroutine stays blocked for the process's life.
func hang() {
	select {}
}
