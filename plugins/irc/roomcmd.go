package irc

import (
	"strings"

	"passerelle.im/passerelle/plugins/sdk"
)

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

// privateCommand answers "/encoding" or "/mode" typed in the private
// chat with nick, which work in a channel's room only: a command's reply
// saying where, so that the command does not go to the nick as a
// message (own is the user's nick). ok is false for another text.
func (s *Session) privateCommand(nick, own, text string) (res sdk.Result, ok bool) {
	if _, ok := roomCommand(text, "/encoding"); ok {
		return sdk.Result{Command: true, Reply: "/encoding sets a channel's own encoding, typed in its room; the private chat with " + nick +
			" is read and written in the server's encoding, " + s.serverEncodingName() + ", set at login. Nothing was sent to " + nick + "."}, true
	}
	if _, ok := roomCommand(text, "/mode"); ok {
		return sdk.Result{Command: true, Reply: "/mode sets a channel's modes, typed in its room; your own modes go as \"MODE " + own +
			" +x\" typed in the server's chat, " + s.acc.serverChatID() + ". Nothing was sent to " + nick + "."}, true
	}
	return sdk.Result{}, false
}
