package config

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// errorLine is the line of the TOML decoder's error. The decoder counts
// a newline as the start of the next line, so an error found at one (a
// table header left open, "[xmpp" alone on its line) was reported at the
// line after, where an admin finds nothing wrong: the newline's own line
// is counted from the error's offset instead.
func errorLine(data []byte, pe toml.ParseError) int {
	// The decoder's offsets are past a byte order mark, which it skips.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	start := pe.Position.Start
	if start < 0 || start >= len(data) || data[start] != '\n' {
		return pe.Position.Line
	}
	return bytes.Count(data[:start], []byte("\n")) + 1
}

// valueStart says where the value the TOML decoder was reading began,
// when that is above the line it stopped at: an array or string left
// open on one line is reported at a later, correct one ("expected a
// comma or array terminator, but got 'a'" at the next key), where an
// admin finds nothing wrong. "" when the value began on the error's line
// or cannot be found.
func valueStart(data []byte, lastKey string, errLine int) string {
	if lastKey == "" || errLine < 2 {
		return ""
	}
	parts := strings.Split(lastKey, ".")
	name := parts[len(parts)-1]
	re, err := regexp.Compile(`^\s*("?)` + regexp.QuoteMeta(name) + `("?)\s*=`)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(data), "\n")
	for i := min(errLine, len(lines)) - 1; i >= 0; i-- {
		if re.MatchString(lines[i]) {
			if i+1 == errLine {
				return ""
			}
			return fmt.Sprintf(" (in the value of %s, which starts at line %d: is it closed there?)", lastKey, i+1)
		}
	}
	return ""
}

// colonHint says what to write when the decoder met a ':' where TOML
// wants '=': a key written as YAML or JSON writes it ("allow:
// [localhost]"), and "expected '.' or '=', but got ':'" alone does not
// say that this file's format is TOML.
func colonHint(pe toml.ParseError) string {
	if !strings.HasSuffix(pe.Message, "but got ':' instead") {
		return ""
	}
	return ` (TOML sets a key with "=", as in allow = ["example.org"]; the configuration is TOML, not YAML or JSON: see examples/passerelle.toml)`
}
