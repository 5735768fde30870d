package signal

import (
	"log/slog"
	"slices"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Signal gives a linked device no history, so contacts react to
// messages the gateway never had (sent before the link). The gateway
// drops a reaction naming a message it does not know, so such a
// reaction is shown as a message of its own ("Reacted 👍 to an earlier
// message"), as an edit of one is (receive.go, editOfUnknown). Signal's
// reaction carries nothing of the message (no text), so the notice can
// say only whose it was. A person has one reaction per message: their
// next one corrects the notice to the new emoji, and its removal takes
// the notice back. The notices are kept in the login's folder (a
// tsMap, tsmap.go), so that this holds after a restart.

// earlierReactionsFile is the map's file in the login's folder.
const earlierReactionsFile = "earlier-reactions.jsonl"

// Bounds of the map. Variables for the tests.
var (
	maxEarlierReactions = 2000
	earlierReactionsAge = 30 * 24 * time.Hour
)

// earlierReaction is one line of the file: Reactor's reaction Emoji on
// the message of timestamp TS by Author (user IDs), shown as the notice
// of timestamp Notice (its event ID is the reactor's message of that
// timestamp); no emoji is a removal.
type earlierReaction struct {
	TS      int64  `json:"t"`
	Reactor string `json:"r"`
	Author  string `json:"a,omitempty"`
	Notice  int64  `json:"n"`
	Emoji   string `json:"e,omitempty"`
	When    int64  `json:"w"`
	// Story: a reaction to a story (TS, by Author), whose notice is kept
	// here only to refuse what names it (stories.go), keyed by its
	// notice (earlierReactionKey).
	Story bool `json:"s,omitempty"`
}

// earlierReactions are the notices of reactions to messages the gateway
// never had, by message timestamp and reactor.
type earlierReactions struct{ m *tsMap[earlierReaction] }

// loadEarlierReactions reads the map of the login folder dir ("": memory
// only).
func loadEarlierReactions(dir string, log *slog.Logger) *earlierReactions {
	return &earlierReactions{loadTSMap(dir, log, tsKind[earlierReaction]{
		file: earlierReactionsFile, what: "map of reactions to earlier messages",
		lost: "after a restart, a reaction to an earlier message changed or removed shows as a new notice, or is dropped",
		max:  maxEarlierReactions, age: earlierReactionsAge,
		key:   earlierReactionKey,
		stamp: func(e earlierReaction) int64 { return e.When },
		valid: func(e earlierReaction) bool { return e.Reactor != "" && e.When > 0 },
		gone:  func(e earlierReaction) bool { return e.Emoji == "" },
	})}
}

// earlierReactionKey is an entry's key: the message reacted to and the
// reactor, who has one reaction per message; for a story, the notice and
// the reactor: each reaction to a story is one of its own, as the apps
// show them, the second not replacing the first's entry.
func earlierReactionKey(e earlierReaction) tsKey {
	if e.Story {
		return tsKey{e.Notice, e.Reactor}
	}
	return tsKey{e.TS, e.Reactor}
}

// reactedHead is how a notice of a reaction to an earlier message
// starts, before the emoji.
const reactedHead = "Reacted "

// earlierReaction shows the reaction r (sent at ts by author, in chat,
// under the chat's disappearing messages timer of secs, 0 none) to the
// message of timestamp target by the author of forms who, which the
// plugin never had, as a notice; ev is the reaction's event, its chat
// and sender set. It reports whether an event is to be emitted.
func (s *Session) earlierReaction(ev *pb.Event, chat, author string, ts int64, r *reaction, secs int, target int64, who []string) bool {
	reactor := s.who(author)
	prev, shown := s.earlier.m.get(target, reactor...)
	if shown && prev.Author != "" && len(who) > 0 && !slices.Contains(who, prev.Author) {
		shown = false // another's message of the same millisecond
	}
	targetAuthor := ""
	if len(who) > 0 {
		targetAuthor = who[0]
	}
	rec := earlierReaction{TS: target, Reactor: author, Author: targetAuthor, When: time.Now().UnixMilli()}
	if shown {
		rec.Reactor = prev.Reactor // under the form it was noted by
	}
	replay := shown && prev.Notice == ts && !r.IsRemove // its own notice's reaction, handled again
	switch {
	case r.IsRemove && !shown:
		// Its notice was never shown (set before the link too): there
		// is nothing to take back.
		return false
	case r.IsRemove:
		s.earlier.m.put(rec, func(earlierReaction, bool) bool { return false })
		ev.Payload = &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: s.idFor(prev.Notice, author)}}
	case shown && !replay:
		rec.Notice, rec.Emoji = prev.Notice, r.Emoji
		s.earlier.m.put(rec, func(old earlierReaction, known bool) bool { return known && old.Emoji == rec.Emoji })
		ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: s.idFor(prev.Notice, author), Text: s.earlierReactionText(chat, author, r.Emoji, who)}}
	default:
		// A new notice; or the same again (its envelope handled again,
		// the notice maybe not on the gateway's disk): same event ID,
		// which the gateway drops if it has it.
		rec.Notice, rec.Emoji = ts, r.Emoji
		s.earlier.m.put(rec, func(earlierReaction, bool) bool { return false })
		ev.EventId, ev.Meta = s.idFor(ts, author), metaOf(author, ts)
		m := &pb.MessageEvent{Text: s.earlierReactionText(chat, author, r.Emoji, who)}
		expireWith(m, ev.Sender, ts, secs) // it goes with the chat's messages, as the reaction with its message
		ev.Payload = &pb.Event_Message{Message: m}
	}
	return true
}

// earlierReactionText is the notice of author's reaction emoji to an
// earlier message (by the author of forms who) in chat: whose message
// it was, as far as the plugin can say it.
func (s *Session) earlierReactionText(chat, author, emoji string, who []string) string {
	text := reactedHead + emoji + " to "
	self := s.who(s.selfID())
	switch {
	case len(who) > 0 && slices.ContainsFunc(who, func(f string) bool { return slices.Contains(self, f) }):
		return text + "one of your earlier messages"
	case len(who) > 0 && slices.ContainsFunc(who, func(f string) bool { return slices.Contains(s.who(author), f) }),
		len(who) > 0 && groupIDOf(chat) == "" && slices.Contains(who, chat):
		return text + "one of their earlier messages"
	case len(who) > 0 && groupIDOf(chat) != "":
		if nick := s.names.nick(who[0]); nick != "" {
			return text + "an earlier message of " + nick
		}
	}
	return text + "an earlier message"
}

// unknownTarget reports whether the message of timestamp ts by who is
// one the plugin never had: not in the message-to-chat map, though the
// map would still hold it (tsMap.reaches). A message beyond the map's
// reach may be one the gateway has: it is taken as known.
func (m *msgChats) unknownTarget(ts int64, who ...string) bool {
	return ts > 0 && !m.known(ts, who...) && m.m.reaches(ts, time.Now())
}

// notice is the reaction whose notice is the message of timestamp ts by
// the author of forms who, if it is one: the notice is no message on
// Signal (its ID is the reaction's), so nothing can name it there.
func (e *earlierReactions) notice(ts int64, who ...string) (earlierReaction, bool) {
	var found earlierReaction
	ok := false
	if ts <= 0 || len(who) == 0 {
		return found, false
	}
	e.m.each(func(r earlierReaction) {
		if !ok && r.Notice == ts && r.Emoji != "" && slices.Contains(who, r.Reactor) {
			found, ok = r, true
		}
	})
	return found, ok
}

// refuseNotice is the error for doing what (say "reacted to") to the
// message of timestamp ts by author when it is the notice of a reaction
// to an earlier message: Signal would get a command naming a message it
// does not have, which every app drops, and the user would never know.
func (s *Session) refuseNotice(ts int64, author, what string) error {
	if author == "" {
		return nil
	}
	r, ok := s.earlier.notice(ts, s.who(author)...)
	if !ok {
		return nil
	}
	of := "a message from before the gateway was linked"
	if r.Story {
		of = "a story"
	}
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
		"this is a notice of a reaction to %s, not a message on Signal: it cannot be %s", of, what)
}

// earlierNotice is the reaction whose notice id (with its metadata)
// names, if it does.
func (s *Session) earlierNotice(id string, meta []byte) (earlierReaction, bool) {
	ts, a, err := s.msgRef(id, meta)
	if err != nil || a == "" {
		return earlierReaction{}, false
	}
	r, ok := s.earlier.notice(ts, s.who(a)...)
	return r, ok
}
