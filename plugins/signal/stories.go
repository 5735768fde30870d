package signal

import (
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Stories are not shown (a linked device's story comes as a
// storyMessage, which makes no event), but what answers one comes in
// the chat as a message does: a reply to the user's story in the
// replier's direct chat, as Signal's apps show it, and a reaction to
// one. Without a word of the story, a reply read as a message out of
// nowhere, and a reaction named a message the gateway does not know and
// was dropped: both say what they answer now.

// storyContext names the story a message answers (JsonStoryContext).
type storyContext struct {
	AuthorNumber  string `json:"authorNumber"`
	AuthorUUID    string `json:"authorUuid"`
	SentTimestamp int64  `json:"sentTimestamp"`
}

// storyOf is how the story sc names reads in chat: the user's, the
// other one's in a direct chat, else someone's.
func (s *Session) storyOf(sc *storyContext, chat string) string {
	switch author := s.ids.lookup(sc.AuthorNumber, sc.AuthorUUID, s.account()); {
	case author == s.selfID() || (sc.AuthorNumber != "" && sc.AuthorNumber == s.account().Number) ||
		(s.account().ACI != "" && strings.EqualFold(sc.AuthorUUID, s.account().ACI)):
		return "your story"
	case groupIDOf(chat) == "" && author != "" && author == chat:
		return "their story"
	}
	return "a story"
}

// storyReply is a reply's text and spans with what it answers before
// them.
func (s *Session) storyReply(sc *storyContext, chat, text string, spans []*pb.Span) (string, []*pb.Span) {
	return headed("↩ Replied to "+s.storyOf(sc, chat)+":", text, spans)
}

// storyReaction is the text of a reaction to a story.
func (s *Session) storyReaction(sc *storyContext, chat, emoji string) string {
	return "Reacted " + emoji + " to " + s.storyOf(sc, chat)
}

// noteStoryReaction keeps author's reaction emoji (at ts) to the story
// sc among the notices of reactions (earlierreactions.go): its notice,
// like theirs, is no message on Signal, so that what names it from XMPP
// (a reaction, a correction, a deletion, a pin) is refused, and a reply
// to it goes without a quote, rather than naming a message no phone has.
func (s *Session) noteStoryReaction(sc *storyContext, author string, ts int64, emoji string) {
	story := s.ids.lookup(sc.AuthorNumber, sc.AuthorUUID, s.account())
	s.earlier.m.put(earlierReaction{TS: sc.SentTimestamp, Reactor: author, Author: story, Notice: ts, Emoji: emoji,
		When: time.Now().UnixMilli(), Story: true}, func(old earlierReaction, known bool) bool { return known && old.Notice == ts })
}
