package config

import (
	"fmt"
	"regexp"
	"strings"
)

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
