package sdk

import "strings"

// ChatCommand reads a message typed in a chat as the command word
// ("/trust", "/mode"; any case), as a plugin takes some of its own
// commands from the text the user sends: its arguments ("" for the bare
// word), and ok. Another word that starts the same ("/moderate") is
// none, nor is a message of several lines.
func ChatCommand(text, word string) (args string, ok bool) {
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
