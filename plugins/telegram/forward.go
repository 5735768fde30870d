package telegram

import (
	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// forwardedFrom is the line a forwarded message starts with, naming
// whom it was forwarded from as Telegram's apps do ("Forwarded from
// Carol", a channel's post with its author's signature); "" for a
// message that is not forwarded. XMPP has no forward header that
// clients show: without this line a forward reads as the forwarder's
// own words.
func (s *Session) forwardedFrom(m *tg.Message) string {
	f, ok := m.GetFwdFrom()
	if !ok || autoForward(m, f) {
		return ""
	}
	name := ""
	switch p := f.FromID.(type) {
	case *tg.PeerUser:
		name = s.peers.name(p.UserID)
	case *tg.PeerChannel:
		if c, ok := s.peers.channel(p.ChannelID); ok {
			name = c.Title
		}
		if name != "" && f.PostAuthor != "" {
			name += " (" + f.PostAuthor + ")"
		}
	}
	if name == "" {
		// A sender who hides their account (Privacy, Forwarded
		// messages) is named only by from_name.
		name = f.FromName
	}
	if name == "" {
		return "Forwarded message:"
	}
	return "Forwarded from " + name + ":"
}

// withForward puts a forwarded message's line before its text, moving
// the text's formatting after it.
func (s *Session) withForward(m *tg.Message, text string, spans []*pb.Span) (string, []*pb.Span) {
	return mediatext.WithHead(s.forwardedFrom(m), text, spans)
}

// autoForward reports whether m is a channel's post as Telegram copies
// it into the channel's discussion group (from the channel, forwarded
// from its own post, saved_from_peer naming it): Telegram's apps show
// it as the channel's post there, not as a forward; its sender already
// names the channel.
func autoForward(m *tg.Message, f tg.MessageFwdHeader) bool {
	from, ok := m.FromID.(*tg.PeerChannel)
	if !ok {
		return false
	}
	orig, ok := f.FromID.(*tg.PeerChannel)
	saved, sok := f.SavedFromPeer.(*tg.PeerChannel)
	return ok && sok && orig.ChannelID == from.ChannelID && saved.ChannelID == from.ChannelID
}
