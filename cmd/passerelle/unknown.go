package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/agnivade/levenshtein"
)

// commands are the command names, for suggestions.
var commands = []string{"run", "check-config", "check-store", "version"}

// unknownCommand says what to type instead of cmd, which is no command:
// the likely command for a typo ("chek-config"), and for a flag given
// first ("passerelle -c FILE", as with most daemons) that the command
// comes before it.
func unknownCommand(cmd string, stderr io.Writer) {
	switch {
	case isConfigFlag(cmd):
		fmt.Fprintf(stderr, "passerelle: %q is a flag: give a command first, e.g. \"passerelle run %s\"\n\n%s", cmd, cmd, usage)
	case strings.HasPrefix(cmd, "-"):
		// No command takes it: "passerelle run -x" would be refused too.
		fmt.Fprintf(stderr, "passerelle: unknown flag %q: give a command first, and its flags after it (\"passerelle COMMAND -h\" lists them)\n\n%s", cmd, usage)
	case nearCommand(cmd) != "":
		fmt.Fprintf(stderr, "passerelle: unknown command %q (did you mean %s?)\n\n%s", cmd, nearCommand(cmd), usage)
	default:
		fmt.Fprintf(stderr, "passerelle: unknown command %q\n\n%s", cmd, usage)
	}
}

// nearCommand returns the command cmd is likely a typo of (two edits
// away at most), else "".
func nearCommand(cmd string) string {
	best, bestD := "", 3
	for _, c := range commands {
		d := levenshtein.ComputeDistance(cmd, c)
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// isConfigFlag reports whether arg is the -c flag (-c, --c, -c=FILE),
// which the commands take after their name.
func isConfigFlag(arg string) bool {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return strings.HasPrefix(arg, "-") && name == "c"
}
