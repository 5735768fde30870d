package irc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The server's message of the day (MOTD: its rules, announcements),
// which it sends at each connection, is shown in the server's chat, as
// biboumi sends it from the server's JID and IRC clients show it: at the
// login's first connection, and again only once it changed (its digest
// is in the saved state), not at every reconnection. A MOTD the user
// asks for (MOTD typed in the server's chat) is shown as the command's
// answer (server.go).

// motdMaxLines and motdMaxBytes bound the MOTD shown: some servers' run
// to hundreds of lines of ASCII art. The rest is said to be there.
const (
	motdMaxLines = 200
	motdMaxBytes = 16 << 10
)

// motdEmitWait bounds the wait for the MOTD's message to be journalled
// (an fsync; the host's acknowledgement for a plugin without a data
// folder) before it is marked seen.
const motdEmitWait = 10 * time.Second

// handleMOTD gathers the MOTD sent outside the user's commands (at
// registration) and shows it when it is new to the login.
func (s *Session) handleMOTD(c *ircevent.Connection) {
	s.on(c, ircevent.RPL_MOTDSTART, func(ircmsg.Message) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.motd, s.motdOpen = nil, !s.inWindowLocked()
	})
	s.on(c, ircevent.RPL_MOTD, func(m ircmsg.Message) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.motdOpen && len(m.Params) >= 2 {
			s.motd = append(s.motd, m.Params[len(m.Params)-1])
		}
	})
	s.on(c, ircevent.RPL_ENDOFMOTD, s.motdEnded)
}

// motdEnded shows the MOTD gathered, where the login has not seen it.
// It is marked seen in the saved state only once its message is
// journalled: a crash in between shows it again at the next connection,
// rather than never.
func (s *Session) motdEnded(m ircmsg.Message) {
	s.mu.Lock()
	lines, open := s.motd, s.motdOpen
	s.motd, s.motdOpen = nil, false
	if !open || len(lines) == 0 {
		s.mu.Unlock()
		return
	}
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	digest := hex.EncodeToString(sum[:8])
	if digest == s.acc.MOTDSeen {
		s.mu.Unlock()
		return
	}
	id, server := s.acc.serverChatID(), s.acc.Server
	s.mu.Unlock()
	body, spans := motdText(lines)
	name := decodeText(m.Source)
	if name == "" {
		name = server
	}
	ctx, cancel := context.WithTimeout(context.Background(), motdEmitWait)
	defer cancel()
	err := s.n.host.EmitDurable(ctx, &pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: s.n.newID(),
		TimestampUnixMicro: serverTime(m).UnixMicro(), Sender: &pb.Sender{UserId: id, Name: name},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: body, Spans: spans}}})
	if err != nil {
		s.n.host.Logger().Warn("irc: the MOTD not stored; it is shown again at the next connection", "login", s.loginID, "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acc.MOTDSeen = digest
	if err := s.saveLocked(); err != nil {
		s.n.host.Logger().Error("irc: the login's state not saved", "login", s.loginID, "err", err)
	}
}

// motdText is the MOTD's lines as one text, each without the "- " IRC
// servers put before it and with its formatting as spans, cut to
// motdMaxLines and motdMaxBytes.
func motdText(lines []string) (string, []*pb.Span) {
	var b strings.Builder
	var spans []*pb.Span
	b.WriteString("Message of the day:")
	for i, l := range lines {
		text, sp := formatted(decodeText(strings.TrimPrefix(strings.TrimPrefix(l, "-"), " ")))
		if i == motdMaxLines || b.Len()+len(text) > motdMaxBytes {
			fmt.Fprintf(&b, "\n(%d lines more: type MOTD in this chat for the whole)", len(lines)-i)
			break
		}
		b.WriteString("\n")
		at := uint32(b.Len())
		for _, x := range sp {
			x.Start, x.End = x.Start+at, x.End+at
		}
		spans = append(spans, sp...)
		b.WriteString(text)
	}
	return b.String(), spans
}
