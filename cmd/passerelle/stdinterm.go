package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// stdinIsTerminal reports whether standard input is a terminal; a
// variable so that tests can say it is.
var stdinIsTerminal = func() bool { return isTerminal(os.Stdin) }

// noteStdinTerminal says, when the configuration is read from standard
// input and that is a terminal, that it is waited for: -c /dev/stdin
// typed without a redirect waited with no word.
func noteStdinTerminal(path string, stderr io.Writer) {
	if !readsStdin(path) || !stdinIsTerminal() {
		return
	}
	fmt.Fprintln(stderr, "reading the configuration from standard input (a terminal): type or paste it, then press Ctrl-D; or give a file with -c FILE")
}

// readsStdin reports whether path names standard input.
func readsStdin(path string) bool {
	switch filepath.Clean(path) {
	case "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0":
		return true
	}
	return false
}
