package sdk

import (
	"fmt"
	"io"
	"path/filepath"
)

// byHand answers a plugin binary run by hand, that is without the
// gateway's handshake cookie in its environment: go-plugin would print
// its generic "This binary is a plugin..." and exit 1. It says what the
// binary is, or its version, and returns the exit status; ok is false
// when the gateway started the process, which then serves.
func byHand(args []string, getenv func(string) string, stdout, stderr io.Writer) (code int, ok bool) {
	if getenv(Handshake.MagicCookieKey) == Handshake.MagicCookieValue {
		return 0, false
	}
	name := "this plugin"
	if len(args) > 0 {
		name = filepath.Base(args[0])
	}
	text := fmt.Sprintf(`%s is a passerelle plugin: the passerelle gateway starts it, for a
transport whose plugin it is in the gateway's configuration:

  [[transport]]
  plugin = "%s"    # beside the passerelle binary, then PATH; or a path

It is not run by hand. "%s version" prints its version.
`, name, name, name)
	if len(args) < 2 {
		fmt.Fprint(stderr, text)
		return 2, true
	}
	switch args[1] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, text)
		return 0, true
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "%s %s (plugin contract %d)\n", name, BuildVersion(""), APIVersion)
		return 0, true
	}
	fmt.Fprintf(stderr, "%s: unknown argument %q\n\n%s", name, args[1], text)
	return 2, true
}
