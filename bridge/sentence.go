package bridge

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// sentence ends text with a full stop unless it ends a sentence already:
// a plugin's or the network's error text often has its own, and
// text + "." read "..".
func sentence(text string) string {
	text = strings.TrimRightFunc(text, unicode.IsSpace)
	if text == "" {
		return ""
	}
	switch r, _ := utf8.DecodeLastRuneInString(text); r {
	case '.', '!', '?', '…':
		return text
	}
	return text + "."
}

// sentences joins texts as sentences (see sentence), leaving out empty
// ones.
func sentences(texts ...string) string {
	var b strings.Builder
	for _, s := range texts {
		if s = sentence(s); s == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}
