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

// connectFailedText is the chat notice of a login the gateway could not
// connect (Connect failed): the plugin's reason, then what to do. A
// reason in parentheses with its own full stop read "(... unreadable.).".
func connectFailedText(network string, err error, next string) string {
	return sentences("The gateway could not connect your "+network+" login: "+errText(err), next)
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
