package irc

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The server's answers to the commands the user typed (the login's
// commands after connecting, and a message to the server's chat, whose
// lines are IRC commands, as biboumi's raw commands to the server's
// JID): an OPER refused, a command the server does not know, a MODE it
// has no letter for, a PRIVMSG to a nick no one has. They are shown to
// the user as messages from the server, in a private chat with it, as
// biboumi shows them from the server's JID: else a mistyped command
// failed without a word. The commands go between two PINGs of their own
// (a window, refusals.go), so what the server says between their PONGs
// answers them: its numerics (serverAnswers) and its own NOTICEs.
// Services' answers (NickServ, QuakeNet's Q) are NOTICEs from a nick,
// shown in that nick's chat as any.

// serverAnswers are the numerics that answer commands the user typed:
// shown where they come in such commands' window. Those of a channel's
// state (NAMES, topic, modes) are left to the channel's callbacks, and
// LIST's to a search's.
var serverAnswers = []string{
	ircevent.RPL_UMODEIS, rplVisibleHost,
	ircevent.RPL_YOUREOPER, ircevent.ERR_NOOPERHOST, ircevent.ERR_PASSWDMISMATCH, ircevent.ERR_NOPRIVILEGES,
	ircevent.ERR_UMODEUNKNOWNFLAG, ircevent.ERR_USERSDONTMATCH, ircevent.ERR_UNKNOWNMODE,
	ircevent.ERR_UNKNOWNCOMMAND, ircevent.ERR_NEEDMOREPARAMS, ircevent.ERR_ALREADYREGISTRED, ircevent.ERR_NOTREGISTERED,
	ircevent.ERR_NOSUCHNICK, ircevent.ERR_NOSUCHSERVER, ircevent.ERR_NOSUCHCHANNEL, ircevent.ERR_CANNOTSENDTOCHAN,
	ircevent.ERR_NORECIPIENT, ircevent.ERR_NOTEXTTOSEND, ircevent.ERR_TOOMANYTARGETS, ircevent.ERR_WASNOSUCHNICK,
	ircevent.ERR_NICKNAMEINUSE, ircevent.ERR_ERRONEUSNICKNAME, ircevent.ERR_UNAVAILRESOURCE,
	ircevent.ERR_NOTONCHANNEL, ircevent.ERR_USERNOTINCHANNEL, ircevent.ERR_USERONCHANNEL,
	ircevent.ERR_CHANOPRIVSNEEDED, ircevent.ERR_RESTRICTED, ircevent.RPL_INVITING,
	"486", "477", // identified nicks only
	ircevent.RPL_LOGGEDIN, ircevent.RPL_LOGGEDOUT, // an account's login by a command
	// A JOIN's refusals.
	ircevent.ERR_TOOMANYCHANNELS, ircevent.ERR_LINKCHANNEL, ircevent.ERR_CHANNELISFULL, ircevent.ERR_INVITEONLYCHAN,
	ircevent.ERR_BANNEDFROMCHAN, ircevent.ERR_BADCHANNELKEY, ircevent.ERR_BADCHANMASK, errBadChanName, errSecureOnly, errOperOnly,
	// WHOIS, WHOWAS, MOTD, VERSION, TIME, ISON.
	ircevent.RPL_WHOISUSER, ircevent.RPL_WHOISSERVER, ircevent.RPL_WHOISOPERATOR, ircevent.RPL_WHOISIDLE,
	ircevent.RPL_ENDOFWHOIS, ircevent.RPL_WHOISCHANNELS, ircevent.RPL_WHOISACCOUNT, ircevent.RPL_WHOISBOT,
	ircevent.RPL_WHOISACTUALLY, ircevent.RPL_WHOISMODES, ircevent.RPL_WHOISSECURE, ircevent.RPL_WHOISCERTFP,
	ircevent.RPL_WHOWASUSER, ircevent.RPL_ENDOFWHOWAS,
	ircevent.RPL_MOTDSTART, ircevent.RPL_MOTD, ircevent.RPL_ENDOFMOTD, ircevent.ERR_NOMOTD,
	ircevent.RPL_VERSION, ircevent.RPL_TIME, ircevent.RPL_ISON,
	// WHO (and WHOX), LUSERS, LINKS, ADMIN, INFO. (LUSERS's come at
	// registration too, before any window.)
	ircevent.RPL_WHOREPLY, ircevent.RPL_WHOSPCRPL, ircevent.RPL_ENDOFWHO,
	ircevent.RPL_LUSERCLIENT, ircevent.RPL_LUSEROP, ircevent.RPL_LUSERUNKNOWN, ircevent.RPL_LUSERCHANNELS,
	ircevent.RPL_LUSERME, ircevent.RPL_LOCALUSERS, ircevent.RPL_GLOBALUSERS,
	ircevent.RPL_LINKS, ircevent.RPL_ENDOFLINKS,
	ircevent.RPL_ADMINME, ircevent.RPL_ADMINLOC1, ircevent.RPL_ADMINLOC2, ircevent.RPL_ADMINEMAIL,
	ircevent.RPL_INFO, ircevent.RPL_ENDOFINFO,
}

// rplVisibleHost (396) tells the user's host as others now see it: a
// cloak set by MODE +x, or by services once the user is identified
// (Libera's "user/kit"). It is shown where it answers a command, and
// wherever the host is new to the session, as biboumi shows it ("... is
// now your displayed host"): a user who relies on a cloak to hide their
// address learns it took. Before, one that answered no command
// (services' cloak at identification) was not shown. The same host said
// again (at each reconnection) is not shown again.
const rplVisibleHost = "396"

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

// handleServerAnswers shows the server's numerics that answer commands
// sent by sendCommands.
func (s *Session) handleServerAnswers(c *ircevent.Connection) {
	for _, code := range serverAnswers {
		s.on(c, code, s.onServerAnswer)
	}
}

// onServerAnswer shows m, a numeric or a NOTICE of the server's, where
// it answers commands sent by sendCommands (in a window of theirs).
func (s *Session) onServerAnswer(m ircmsg.Message) {
	notice := m.Command == "NOTICE"
	s.mu.Lock()
	in := slices.ContainsFunc(s.windows, func(w *window) bool { return w.shown && w.active && (w.notices || !notice) })
	if m.Command == rplVisibleHost && len(m.Params) >= 2 {
		in = in || m.Params[1] != s.visibleHost
		s.visibleHost = m.Params[1]
	}
	s.mu.Unlock()
	if !in || len(m.Params) < 2 {
		return
	}
	// The first parameter is the user's nick; the rest are the answer:
	// "FOO :Unknown command" is "FOO: Unknown command".
	words := m.Params[1:]
	text := words[len(words)-1]
	if mid := words[:len(words)-1]; len(mid) > 0 && !notice {
		text = strings.Join(mid, " ") + ": " + text
	}
	body, spans := formatted(decodeText(text))
	s.serverSays(m, body, spans)
}

// serverSays shows text, the server's answer m to a command the user
// typed, as its message in the server's chat.
func (s *Session) serverSays(m ircmsg.Message, body string, spans []*pb.Span) {
	id := s.acc.serverChatID()
	name := decodeText(m.Source)
	if name == "" {
		name = s.acc.Server
	}
	s.n.host.Logger().Info("irc: the server answered a command", "login", s.loginID, "code", m.Command, "said", body)
	s.n.host.Emit(&pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: s.n.newID(),
		TimestampUnixMicro: serverTime(m).UnixMicro(), Sender: &pb.Sender{UserId: id, Name: name},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: body, Spans: spans}}})
}

// sendCommands sends lines between two PINGs of their own, the server's
// answers between the PONGs shown as its messages (onServerAnswer): its
// numerics, and where typed (the lines are commands the user typed) its
// own NOTICEs too. A PRIVMSG among them (QuakeNet's
// "PRIVMSG Q@CServe.quakenet.org :AUTH name password") is echoed by a
// server with echo-message: the echo is expected, so that it is not
// shown, password and all, as a message the user sent. Where rooms (the
// user typed them in the server's chat just now), a PRIVMSG to a channel
// they are in is their line in its room, once (roomLine): its echo is
// shown as any line of theirs from elsewhere; without echo-message the
// plugin shows it as it goes. Before, it was in no room at all.
func (s *Session) sendCommands(conn *ircevent.Connection, lines []ircmsg.Message, typed, rooms bool) error {
	w := s.newWindow("")
	w.shown, w.notices = true, typed
	s.wireMu.Lock()
	echoing := s.echoing()
	var echoes []*echo
	var shown []ircmsg.Message
	for _, m := range lines {
		if !strings.EqualFold(m.Command, "PRIVMSG") || len(m.Params) != 2 {
			continue
		}
		if rooms && s.roomLine(m) {
			if !echoing {
				shown = append(shown, m)
			}
			continue
		}
		text, action := m.Params[1], false
		if cmd, arg, ok := parseCTCP(text); ok && cmd == "ACTION" {
			text, action = arg, true // echoed as a /me (onPrivmsg)
		}
		echoes = append(echoes, s.expectEcho(m.Params[0], action, text, nil))
	}
	err := s.sendInWindowLocked(conn, w, lines...)
	s.wireMu.Unlock()
	if err != nil {
		for _, e := range echoes {
			s.dropEcho(e)
		}
		return err
	}
	// Without wireMu: the lines kept are written to disk.
	s.showRoomLines(conn, shown)
	return nil
}

// roomLine reports whether m, a PRIVMSG the user typed in the server's
// chat, is a line of theirs to a room: to one channel they are in, a
// text or a /me (not another CTCP).
func (s *Session) roomLine(m ircmsg.Message) bool {
	target, text := m.Params[0], m.Params[1]
	if !isChannel(target) || strings.Contains(target, ",") {
		return false
	}
	if _, in := s.channelName(target); !in {
		return false
	}
	cmd, _, ctcp := parseCTCP(text)
	return !ctcp || cmd == "ACTION"
}

// showRoomLines shows lines, PRIVMSGs the user typed in the server's
// chat to rooms (roomLine) that went where the server echoes none, as
// the user's lines in their rooms, as SendMessage's would be: under IDs
// of the plugin's, kept for history (ownstore.go), which brings the
// server's copies later.
func (s *Session) showRoomLines(conn *ircevent.Connection, lines []ircmsg.Message) {
	if len(lines) == 0 {
		return
	}
	digests := make([]string, 0, len(lines))
	for _, m := range lines {
		action := false
		if _, arg, ok := parseCTCP(m.Params[1]); ok {
			m.Params, action = []string{m.Params[0], arg}, true
		}
		m.Source = conn.CurrentNick()
		if ev := s.messageEvent(m, action); ev != nil {
			s.n.host.Emit(ev)
		}
		digests = append(digests, s.lineDigest(m.Params[0], action, m.Params[1]))
	}
	s.noteUnechoedLines(digests, s.serverNow())
}

// sendRaw sends the lines of a message to the server's chat as IRC
// commands, as biboumi sends a message to the server's JID: "OPER name
// password", "MODE nick +x", "PRIVMSG Q@CServe.quakenet.org :AUTH name
// password" (a leading "/" as typed in IRC clients is left out, and so
// is "/quote" or "/raw" before the line). The
// server's answers come as its messages (sendCommands). A QUIT is
// refused: the connection would be made again at once. The result says
// they were commands (sdk.Result.Command): the gateway keeps no message
// of them.
func (s *Session) sendRaw(ctx context.Context, conn *ircevent.Connection, text string) (_ sdk.Result, err error) {
	var lines []ircmsg.Message
	text = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\x00", "").Replace(text)
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "/")
		if verb, rest, ok := strings.Cut(line, " "); ok && (strings.EqualFold(verb, "QUOTE") || strings.EqualFold(verb, "RAW")) {
			// IRC clients' "/quote" and "/raw", typed from habit: no
			// server has such a command.
			line = strings.TrimSpace(rest)
		}
		if line == "" {
			continue
		}
		m, err := ircmsg.ParseLine(line)
		if err != nil || len(line)+2 > 512 {
			verb, _, _ := strings.Cut(line, " ")
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST,
				"the lines of a message to the server are IRC commands of at most 512 bytes, such as MODE %s +x; not %s...", conn.CurrentNick(), verb)
		}
		if strings.EqualFold(m.Command, "QUIT") {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "QUIT would end the connection, made again at once: log out instead")
		}
		lines = append(lines, m)
	}
	if len(lines) == 0 {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "no IRC command in the message to the server")
	}
	for _, m := range lines {
		if err := s.rawCarries(m); err != nil {
			return sdk.Result{}, err
		}
	}
	// A LIST's replies are shown at its end (serverlist.go).
	switch lists := slices.IndexFunc(lines, isList); {
	case lists < 0:
	case slices.ContainsFunc(lines[lists+1:], isList):
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "one LIST at a time: the server lists its channels once for both")
	default:
		s.mu.Lock()
		busy := s.startRawListLocked()
		s.mu.Unlock()
		if busy != nil {
			return sdk.Result{}, busy
		}
		defer func() {
			if err != nil {
				s.mu.Lock()
				s.rawList, s.listStale = nil, time.Time{}
				s.mu.Unlock()
			}
		}()
	}
	// At the pace of the user's lines (pace.go).
	if ok, room := s.lines.admit(len(lines), pasteTime); !ok {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE,
			"the message makes %d IRC commands; at this login's pace (its throttle) at most %d go now: split it", len(lines), room)
	}
	defer s.lines.sent(len(lines))
	for range lines {
		if err := s.lines.wait(ctx); err != nil {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "not sent to the server: %v", err)
		}
	}
	if err := s.sendCommands(conn, lines, true, true); err != nil {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "not sent to the server: %v", err)
	}
	// Commands, not a message: nothing to keep as the user's.
	return sdk.Result{Command: true}, nil
}
