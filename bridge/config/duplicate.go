package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// dupKey is the TOML decoder's message for a key or table defined twice.
var dupKey = regexp.MustCompile(`^Key '(.+)' has already been defined\.$`)

// indexes are the array positions in a key as Error.Key names it.
var indexes = regexp.MustCompile(`\[\d+\]`)

// duplicateError rewrites the decoder's "Key 'metrics' has already been
// defined" as a problem in the form of the others, with the line of the
// first definition and what to do, or returns nil for another error. The
// common case is a table opened twice: examples/passerelle.toml already
// has every table, and a snippet from the README appended to it opens
// [metrics] or [media] a second time.
func duplicateError(path string, data []byte, pe toml.ParseError) *Error {
	m := dupKey.FindStringSubmatch(pe.Message)
	lines := strings.Split(string(data), "\n")
	line := pe.Position.Line
	if m == nil || line < 1 || line > len(lines) {
		return nil
	}
	// The first definition is in the lines before, which parse; of an
	// array of tables, it is in the latest block.
	key, first := "", 0
	for k, n := range keyLines(strings.Join(lines[:line-1], "\n")) {
		if indexes.ReplaceAllString(k, "") == m[1] && n > first {
			key, first = k, n
		}
	}
	if key == "" {
		return nil
	}
	err := fmt.Errorf("set twice (first at line %d): keep one", first)
	if header := strings.TrimSpace(lines[line-1]); strings.HasPrefix(header, "[") && !strings.HasPrefix(header, "[[") {
		if i := strings.IndexByte(header, ']'); i > 0 {
			header = header[:i+1]
		}
		err = fmt.Errorf("%s opened twice (first at line %d): a table is opened once, so put these keys under the first %s", header, first, header)
	}
	return &Error{File: path, Line: line, Key: key, Err: err}
}
