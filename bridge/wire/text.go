package wire

import (
	"strings"
	"unicode/utf8"
)

// XMLSafe returns s with what XML 1.0 cannot carry dropped: invalid
// UTF-8, control characters other than tab, newline and carriage
// return, surrogates and U+FFFE/U+FFFF. For a name, a subject or a
// reason a dropped character reads better than the U+FFFD the Writer
// puts in its place (which keeps a body's reference offsets right).
func XMLSafe(s string) string {
	ok := true
	for _, r := range s {
		if !XMLChar(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(r rune) rune {
		if XMLChar(r) {
			return r
		}
		return -1
	}, s)
}

// XMLChar reports whether r is a Char of XML 1.0 (invalid UTF-8 decodes
// as RuneError, which is dropped too).
func XMLChar(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return false
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20:
		return false
	case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
		return false
	}
	return r <= utf8.MaxRune
}
