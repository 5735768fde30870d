package irc

import (
	"bytes"
	"cmp"
	"strings"

	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A channel's own encoding (Account.ChannelEncodings), as biboumi's
// per-channel in_encoding/out_encoding: on a server whose channels write
// in different charsets (a Russian one in KOI8-R, a French one in
// Latin-1), the user sets it in the channel's room by typing
// "/encoding koi8-r" (a command, not a message). The channel's messages,
// notices, topic, part and kick reasons are then read in it where they
// are not UTF-8, and the user's go out in it; the line's command and the
// channel's name stay in the login's server encoding. It is applied on
// the connection, as the server encoding is (codecConn), picked by the
// line's channel (lineTarget).

// serverEncodingName is how the login's server encoding is named to the
// user.
func (s *Session) serverEncodingName() string { return encodingName(s.codec.name) }

// roomEncoding runs "/encoding arg" typed in the room of the channel
// chatID: a bare one says the channel's encoding; "default" (or "none",
// "server") drops the channel's, which then reads and writes in the
// login's server encoding; another name sets it ("utf-8" too, on a login
// with another), kept with the login.
func (s *Session) roomEncoding(chatID, arg string) (sdk.Result, error) {
	id := s.chanID(chatID)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch low := strings.ToLower(arg); {
	case arg == "":
		if name, ok := s.acc.ChannelEncodings[id]; ok {
			return sdk.Result{Command: true, Reply: chatID + " is read and written in " + encodingName(name) + " (the server's: " + s.serverEncodingName() + "); \"/encoding default\" goes back to the server's"}, nil
		}
		return sdk.Result{Command: true, Reply: chatID + " is read and written in the server's encoding, " + s.serverEncodingName() + "; \"/encoding latin1\" (or koi8-r, cp1251, shift_jis...) sets its own"}, nil
	case low == "default" || low == "none" || low == "server":
		delete(s.acc.ChannelEncodings, id)
	default:
		c, err := lookupEncoding(arg)
		if err != nil {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the encoding: %v", err)
		}
		if s.acc.ChannelEncodings == nil {
			s.acc.ChannelEncodings = map[string]string{}
		}
		s.acc.ChannelEncodings[id] = c.name
	}
	s.storeChanCodecsLocked()
	if err := s.saveLocked(); err != nil {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSPECIFIED, "the encoding of %s is set, but not saved: %v", chatID, err)
	}
	name, ok := s.acc.ChannelEncodings[id]
	if !ok {
		return sdk.Result{Command: true, Reply: chatID + " is now read and written in the server's encoding, " + s.serverEncodingName()}, nil
	}
	return sdk.Result{Command: true, Reply: chatID + " is now read and written in " + encodingName(name) + ": its lines that are not UTF-8 are read in it, yours are sent in it"}, nil
}

// encodingName is an encoding's name as kept ("" is UTF-8) for the user.
func encodingName(name string) string {
	if name == "" {
		return "UTF-8"
	}
	return name
}

// storeChanCodecsLocked makes the channels' codecs of the account's
// ChannelEncodings, read by the connection without mu.
func (s *Session) storeChanCodecsLocked() {
	m := make(map[string]codec, len(s.acc.ChannelEncodings))
	for id, name := range s.acc.ChannelEncodings {
		c, err := lookupEncoding(name)
		if err != nil {
			s.n.host.Logger().Warn("irc: a channel's saved encoding is unknown: the server's is used", "login", s.loginID, "channel", id, "err", err)
			continue
		}
		m[id] = c
	}
	s.chanCodecs.Store(&m)
}

// chanCodec is the codec of the channel named name (as the plugin reads
// it, in UTF-8 or its raw bytes), and false where it has none of its own.
// A message to some of a channel's members ("@#chan", STATUSMSG) is the
// channel's: the usual STATUSMSG prefixes are tried off in turn (the
// server's STATUSMSG is not known yet when its first lines are read),
// and no other character: "##go" is a channel of its own, not "#go".
func (s *Session) chanCodec(name string) (codec, bool) {
	m := s.chanCodecs.Load()
	if m == nil || len(*m) == 0 {
		return codec{}, false
	}
	for {
		if isChannel(name) {
			if c, ok := (*m)[s.chanID(name)]; ok {
				return c, true
			}
		}
		if name == "" || !strings.ContainsRune(statusPrefixes, rune(name[0])) {
			return codec{}, false
		}
		name = name[1:]
	}
}

// statusPrefixes are the prefixes that servers' STATUSMSG offers
// (founder, admin, operator, half-operator, voiced).
const statusPrefixes = "~&@%+"

// codecOf is the codec of chat chatID's text: its channel's own, or the
// server's.
func (s *Session) codecOf(chatID string) codec {
	if c, ok := s.chanCodec(chatID); ok {
		return c
	}
	return s.codec
}

// carriesIn refuses text (what it is) for chat chatID holding a
// character the chat's encoding cannot carry, as carries does.
func (s *Session) carriesIn(chatID, what, text string) error {
	c := s.codecOf(chatID)
	if r, bad := c.unencodable(text); bad {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST,
			"%s has %q, which the encoding of %s (%s) cannot carry: it was not sent", what, string(r), chatID, c.name)
	}
	return nil
}

// lineTarget cuts an IRC line (tags, source, command, parameters) where
// a channel's text starts: head is up to and with the parameter that
// names the channel (PRIVMSG, NOTICE, TOPIC, PART, KICK, TAGMSG's first,
// RPL_TOPIC's second), and a KICK's nick after it, target that channel,
// rest what follows. Nicks are in head: they are the login's encoding's
// in every line, in all channels. ok is false for another line.
func lineTarget(line []byte) (head, target, rest []byte, ok bool) {
	i := 0
	skip := func() { // a word, then its spaces
		for i < len(line) && line[i] != ' ' {
			i++
		}
		for i < len(line) && line[i] == ' ' {
			i++
		}
	}
	if i < len(line) && line[i] == '@' {
		skip()
	}
	if i < len(line) && line[i] == ':' {
		skip()
	}
	start := i
	skip()
	cmd := string(bytes.ToUpper(bytes.TrimRight(line[start:i], " ")))
	switch cmd {
	case "PRIVMSG", "NOTICE", "TOPIC", "PART", "KICK", "TAGMSG":
	case "332":
		skip() // the user's nick
	default:
		return nil, nil, nil, false
	}
	if i >= len(line) || line[i] == ':' {
		return nil, nil, nil, false
	}
	start = i
	for i < len(line) && line[i] != ' ' {
		i++
	}
	target = line[start:i]
	if cmd == "KICK" {
		// The nick kicked is the login's encoding's, as everywhere.
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if i < len(line) && line[i] != ':' {
			for i < len(line) && line[i] != ' ' {
				i++
			}
		}
	}
	return line[:i], target, line[i:], true
}

// headParams is how many of a command's parameters lineTarget puts in
// its head: the channel, and a KICK's nick.
func headParams(cmd string) int {
	if strings.EqualFold(cmd, "KICK") {
		return 2
	}
	return 1
}

// rawCarries refuses a raw command the user typed holding a character
// its encoding cannot carry: a channel's text (lineTarget's lines) in
// the channel's own encoding, the rest in the server's.
func (s *Session) rawCarries(m ircmsg.Message) error {
	line := strings.Join(append([]string{m.Command}, m.Params...), " ")
	if _, target, _, ok := lineTarget([]byte(line)); ok && len(m.Params) > headParams(m.Command) {
		target, n := string(target), headParams(m.Command)
		return cmp.Or(s.carries("the command", strings.Join(append([]string{m.Command}, m.Params[:n]...), " ")),
			s.carriesIn(target, "the command's text", strings.Join(m.Params[n:], " ")))
	}
	return s.carries("the command", line)
}
