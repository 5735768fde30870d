package irc

import "passerelle.im/passerelle/plugins/sdk"

// privateCommand answers "/encoding" or "/mode" typed in the private
// chat with nick, which work in a channel's room only: a command's reply
// saying where, so that the command does not go to the nick as a
// message (own is the user's nick). ok is false for another text.
func (s *Session) privateCommand(nick, own, text string) (res sdk.Result, ok bool) {
	if _, ok := sdk.ChatCommand(text, "/encoding"); ok {
		return sdk.Result{Command: true, Reply: "/encoding sets a channel's own encoding, typed in its room; the private chat with " + nick +
			" is read and written in the server's encoding, " + s.serverEncodingName() + ", set at login. Nothing was sent to " + nick + "."}, true
	}
	if _, ok := sdk.ChatCommand(text, "/mode"); ok {
		return sdk.Result{Command: true, Reply: "/mode sets a channel's modes, typed in its room; your own modes go as \"MODE " + own +
			" +x\" typed in the server's chat, " + s.acc.serverChatID() + ". Nothing was sent to " + nick + "."}, true
	}
	return sdk.Result{}, false
}
