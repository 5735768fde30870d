package irc

import (
	"slices"
	"strings"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The server's answers to the login's commands after connecting (an
// OPER refused, a command the server does not know, a MODE it has no
// letter for, a PRIVMSG to a nick no one has) are shown to the user as
// messages from the server, in a private chat with it, as biboumi shows
// them from the server's JID: else a mistyped command failed without a
// word. The commands go between two PINGs of their own (a window,
// refusals.go), so what the server says between their PONGs answers
// them: its numerics (serverAnswers) and its own NOTICEs. Services'
// answers (NickServ, QuakeNet's Q) are NOTICEs from a nick, shown in
// that nick's chat as any.

// serverAnswers are the numerics that answer commands typed after
// connecting: shown where they come in the commands' window. Those of a
// channel's state (NAMES, topic) are left to the channel's callbacks.
var serverAnswers = []string{
	ircevent.RPL_UMODEIS, "396", // RPL_VISIBLEHOST: a cloak set (MODE +x)
	ircevent.RPL_YOUREOPER, ircevent.ERR_NOOPERHOST, ircevent.ERR_PASSWDMISMATCH, ircevent.ERR_NOPRIVILEGES,
	ircevent.ERR_UMODEUNKNOWNFLAG, ircevent.ERR_USERSDONTMATCH, ircevent.ERR_UNKNOWNMODE,
	ircevent.ERR_UNKNOWNCOMMAND, ircevent.ERR_NEEDMOREPARAMS, ircevent.ERR_ALREADYREGISTRED, ircevent.ERR_NOTREGISTERED,
	ircevent.ERR_NOSUCHNICK, ircevent.ERR_NOSUCHSERVER, ircevent.ERR_NOSUCHCHANNEL, ircevent.ERR_CANNOTSENDTOCHAN,
	ircevent.ERR_NORECIPIENT, ircevent.ERR_NOTEXTTOSEND, ircevent.ERR_TOOMANYTARGETS,
	ircevent.ERR_NICKNAMEINUSE, ircevent.ERR_ERRONEUSNICKNAME, ircevent.ERR_UNAVAILRESOURCE,
	ircevent.ERR_NOTONCHANNEL, ircevent.ERR_CHANOPRIVSNEEDED, ircevent.ERR_RESTRICTED,
	"486", "477", // identified nicks only
	ircevent.RPL_LOGGEDIN, ircevent.RPL_LOGGEDOUT, // an account's login by a command
}

// serverChatID is the chat ID of the private chat with the server: its
// host as the login names it, lower case. A nick has no dot nor colon,
// so a host name with one is no one's nick; one without ("localhost")
// gets a final dot, which names the same host.
func (a Account) serverChatID() string {
	id := strings.ToLower(a.Server)
	if !strings.ContainsAny(id, ".:") {
		id += "."
	}
	return id
}

// handleServerAnswers shows the server's answers in the window of the
// commands after connecting.
func (s *Session) handleServerAnswers(c *ircevent.Connection) {
	for _, code := range serverAnswers {
		c.AddCallback(code, s.onServerAnswer)
	}
}

// onServerAnswer shows m, a numeric or a NOTICE of the server's, where
// it answers the commands after connecting.
func (s *Session) onServerAnswer(m ircmsg.Message) {
	s.mu.Lock()
	w := s.serverWin
	in := w != nil && w.active && slices.Contains(s.windows, w)
	s.mu.Unlock()
	if !in || len(m.Params) < 2 {
		return
	}
	// The first parameter is the user's nick; the rest are the answer:
	// "FOO :Unknown command" is "FOO: Unknown command".
	words := m.Params[1:]
	text := words[len(words)-1]
	if mid := words[:len(words)-1]; len(mid) > 0 && m.Command != "NOTICE" {
		text = strings.Join(mid, " ") + ": " + text
	}
	body, spans := formatted(decodeText(text))
	id := s.acc.serverChatID()
	name := decodeText(m.Source)
	if name == "" {
		name = s.acc.Server
	}
	s.n.host.Logger().Info("irc: the server answered a command after connecting", "login", s.loginID, "code", m.Command, "said", body)
	s.n.host.Emit(&pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: s.n.newID(),
		TimestampUnixMicro: serverTime(m).UnixMicro(), Sender: &pb.Sender{UserId: id, Name: name},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: body, Spans: spans}}})
}
