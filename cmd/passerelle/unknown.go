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
	case flagName(cmd) == "config":
		// --config FILE, as other daemons take it, given first.
		fmt.Fprintf(stderr, "passerelle: %q: the configuration file is given with -c FILE, after a command: e.g. \"passerelle run -c FILE\"\n\n%s", cmd, usage)
	case commandOfFlag(cmd) != "":
		fmt.Fprintf(stderr, "passerelle: %q is a flag: give a command first, e.g. \"passerelle %s %s\"\n\n%s", cmd, commandOfFlag(cmd), cmd, usage)
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

// flagCommands are the commands' flags (but -h), each with the command
// to suggest for it.
var flagCommands = map[string]string{"c": "run", "no-plugins": "check-config", "store": "check-store"}

// commandOfFlag returns the command that takes the flag arg (-c, --c,
// -c=FILE), "" when arg is no flag of a command.
func commandOfFlag(arg string) string {
	return flagCommands[flagName(arg)]
}

// flagName is the name of the flag arg (c of -c, --c and -c=FILE), ""
// when arg is no flag.
func flagName(arg string) string {
	if !strings.HasPrefix(arg, "-") {
		return ""
	}
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return name
}
