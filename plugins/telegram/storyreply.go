package telegram

import (
	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A message answering a story (messageReplyStoryHeader: a contact's
// reply to the user's story, the user's own to a contact's) came as its
// text alone, out of the blue. Its first line says which story it
// answers, as Telegram's apps show the story above it; the story itself
// is not fetched (stories expire, and XMPP has nothing to show one as).

// storyReplyLine is that line; "" for a message answering no story.
func (s *Session) storyReplyLine(m *tg.Message) string {
	h, ok := m.ReplyTo.(*tg.MessageReplyStoryHeader)
	if !ok {
		return ""
	}
	// The user by ID: a contact may be named "you".
	if u, ok := h.Peer.(*tg.PeerUser); ok && u.UserID == s.self {
		return "Replying to your story (see it in Telegram):"
	}
	return "Replying to " + s.noticeName(h.Peer) + "'s story (see it in Telegram):"
}

// withStoryReply puts a story reply's line before its text, moving the
// text's formatting after it.
func (s *Session) withStoryReply(m *tg.Message, text string, spans []*pb.Span) (string, []*pb.Span) {
	return mediatext.WithHead(s.storyReplyLine(m), text, spans)
}
