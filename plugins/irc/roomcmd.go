package irc

import "strings"

// roomCommand reads a message to a room that is the command word
// ("/mode", "/encoding"; any case) typed there, as biboumi takes it: its
// arguments ("" for the bare word), and ok. Another word that starts the
// same ("/moderate") is none, nor is a message of several lines.
func roomCommand(text, word string) (args string, ok bool) {
	text = strings.TrimSpace(text)
	if strings.ContainsAny(text, "\r\n") || len(text) < len(word) || !strings.EqualFold(text[:len(word)], word) {
		return "", false
	}
	rest := text[len(word):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", false
	}
	return strings.TrimSpace(rest), true
}
