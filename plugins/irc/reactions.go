package irc

import (
	"context"
	"slices"
	"strings"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Reactions (IRCv3 react client tag, a draft): a TAGMSG carrying
// "+draft/react=<emoji>" and "+draft/reply=<msgid>" adds the sender's
// reaction to that message, one emoji a TAGMSG; "+draft/unreact" takes
// one back (proposed beside it; the server relays it as any client
// tag). XEP-0444 carries a person's whole set instead,
// so the plugin keeps each set it told or heard (bounded: reactMax) and
// turns one form into the other. The server relays client tags only
// with message-tags: without it the user's reactions go as words (React).
// Before, reactions from IRCv3 clients were dropped and the user's were
// refused.

// The react and unreact tags.
const (
	reactTag   = "+draft/react"
	unreactTag = "+draft/unreact"
)

// reactMax bounds the reaction sets kept: past it, the oldest set is
// forgotten (at worst a reaction removed from XMPP stays on IRC, or a
// sender's set shown lacks their older reactions).
const reactMax = 2048

// reactLenMax bounds one reaction, in bytes (the longest emoji, a
// family's ZWJ sequence with skin tones, is 41), and reactSetMax one
// person's reactions to one message: a peer's tag may be 4 KB and
// TAGMSGs come without end, so past these a reaction is dropped (heard)
// or refused (the user's), else the sets kept and each event, which
// carries a whole set, grew without bound.
const (
	reactLenMax = 64
	reactSetMax = 32
)

// reactKey is one person's reactions to one message (a msgid).
type reactKey struct{ msgid, who string }

// reactSets are reaction sets, oldest first in order.
type reactSets struct {
	sets  map[reactKey][]string
	order []reactKey
}

// get is the set of k (nil: none known).
func (r *reactSets) get(k reactKey) []string { return r.sets[k] }

// set makes set the set of k (empty: none).
func (r *reactSets) set(k reactKey, set []string) {
	if r.sets == nil {
		r.sets = map[reactKey][]string{}
	}
	if _, known := r.sets[k]; known {
		r.order = slices.DeleteFunc(r.order, func(o reactKey) bool { return o == k })
	}
	if len(set) == 0 {
		delete(r.sets, k)
		return
	}
	for len(r.order) >= reactMax {
		delete(r.sets, r.order[0])
		r.order = r.order[1:]
	}
	r.sets[k] = set
	r.order = append(r.order, k)
}

var _ sdk.Reactor = (*Session)(nil)

// React sets the user's reactions to a message (sdk.Reactor): the
// emojis new to the set go as TAGMSGs with +draft/react, those gone
// from it with +draft/unreact, each naming the message by its msgid.
// A reaction taken back whose TAGMSG's msgid is known (its echo, or
// another client's of the user's) goes instead as a REDACT of that
// TAGMSG where the server deletes messages: the draft/message-redaction
// spec's way to take a reaction back, which servers and clients that
// know no +draft/unreact (most) honour. Before, +draft/unreact went
// always, and on those the reaction stayed.
// Where that cannot be (a server without message-tags, which relays no
// client tags; a message of the plugin's own ID, which no one on the
// server can name), the reactions added go as words instead, a /me
// ("reacted with 👍"), as plain IRC clients and other bridges show
// them: a line cannot be taken back, so a removal then sends nothing.
func (s *Session) React(ctx context.Context, c sdk.Call, r *pb.React) (sdk.Result, error) {
	conn, err := s.online()
	if err != nil {
		return sdk.Result{}, err
	}
	if c.ChatID == s.acc.serverChatID() {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the server's chat takes commands, no reactions")
	}
	if r.TargetId == "" {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a reaction names no message")
	}
	if !validMsgid(r.TargetId) {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%.40q names no IRC message", r.TargetId)
	}
	for _, e := range r.Emojis {
		if !validReaction(e) {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%.80q is no reaction (at most %d bytes of one line)", e, reactLenMax)
		}
	}
	s.mu.Lock()
	tags := s.caps["message-tags"]
	s.mu.Unlock()
	target, err := s.target(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	// Each once, in the order given (a client may repeat one: sent
	// twice, it was two reactions on IRC, and one unreact left one).
	var want []string
	for _, e := range r.Emojis {
		if !slices.Contains(want, e) {
			want = append(want, e)
		}
	}
	if len(want) > reactSetMax {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "%d reactions to one message; at most %d", len(want), reactSetMax)
	}
	k := reactKey{msgid: r.TargetId, who: s.loginID}
	s.mu.Lock()
	had := slices.Clone(s.reactions.get(k))
	var lines []reactLine
	for _, e := range had {
		if !slices.Contains(want, e) {
			l := reactLine{tags: map[string]string{replyTags[0]: r.TargetId, unreactTag: e}}
			if tags && s.canRedactLocked() {
				l.redact, l.ref = s.ownReactIDLocked(k, e, c.ChatID)
			}
			lines = append(lines, l)
		}
	}
	s.mu.Unlock()
	for _, e := range want {
		if !slices.Contains(had, e) {
			lines = append(lines, reactLine{tags: map[string]string{replyTags[0]: r.TargetId, reactTag: e}})
		}
	}
	if len(lines) == 0 {
		return sdk.Result{}, nil
	}
	if !tags || ownIDPattern.MatchString(r.TargetId) {
		return s.reactInWords(ctx, c, k, had, want)
	}
	if ok, room := s.lines.admit(len(lines), pasteTime); !ok {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE,
			"the reactions make %d IRC lines; at this login's pace at most %d more go now: wait, or change fewer", len(lines), room)
	}
	left := len(lines)
	defer func() { s.lines.sent(left) }()
	for _, l := range lines {
		err := s.lines.wait(ctx)
		left--
		s.lines.sent(1)
		t := l.tags
		if err == nil && l.redact != "" {
			err = s.redactOwnReaction(conn, target, l)
		} else if err == nil {
			// What it does is on disk before it goes (ownstore.go):
			// history tells its copy by that where no echo comes, and
			// until its echo (which keeps its msgid instead) where one
			// does. Before, with echo-message, a plugin killed between
			// the send and the echo, or a connection dropped there,
			// left the reaction to come back from history as the
			// user's from another client, taken back since or not.
			// And it is in the user's set before it goes, line by
			// line: its echo, and a REDACT of that (redact.go), may
			// be read before this goroutine runs again. Before, the
			// set was kept once the last line went (seconds later at
			// the login's pace): a REDACT of a line before found the
			// reaction in no set and came as a retraction, and the
			// set kept then had the reaction again.
			s.mu.Lock()
			s.noteUnechoedReactionLocked(echoKey(t))
			s.applyOwnReactionLocked(k, t, false)
			s.mu.Unlock()
			s.flushOwn()
			if err = s.sendTagmsg(conn, target, t); err != nil {
				s.forgetUnechoedReaction(echoKey(t))
				s.mu.Lock()
				s.applyOwnReactionLocked(k, t, true)
				s.mu.Unlock()
			}
		}
		if err != nil {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "reaction not sent to %s: %v", target, err)
		}
	}
	return sdk.Result{}, nil
}

// reactLine is a line of React: a TAGMSG with tags, or, where redact
// is set, a REDACT of the user's TAGMSG of that msgid (ref) doing what
// tags (an unreact) would.
type reactLine struct {
	tags   map[string]string
	redact string
	ref    reactRef
}

// ownReactIDLocked is the msgid of the TAGMSG that added the user's
// reaction emoji of set k in chat, and what it is; "" where none is
// known (sent without an echo, or forgotten past reactMax).
func (s *Session) ownReactIDLocked(k reactKey, emoji, chat string) (string, reactRef) {
	for _, id := range slices.Backward(s.reactIDOrder) {
		if ref, ok := s.reactIDs[id]; ok && ref.page == nil && ref.k == k && ref.emoji == emoji && ref.chat == chat && ref.sender.GetIsFromMe() {
			return id, ref
		}
	}
	return "", reactRef{}
}

// redactOwnReaction takes the user's reaction back with a REDACT of its
// TAGMSG (l.redact) to target. As a TAGMSG's, its change of the set is
// made before it goes (its echo may be read first), and undone if it
// cannot go; its echo, noted here, is then no retraction (onRedact).
func (s *Session) redactOwnReaction(conn *ircevent.Connection, target string, l reactLine) error {
	s.mu.Lock()
	s.applyOwnReactionLocked(l.ref.k, l.tags, false)
	delete(s.reactIDs, l.redact)
	if s.ownRedacts == nil {
		s.ownRedacts = map[string]reactRef{}
	}
	s.ownRedactOrder = keepNewest(s.ownRedacts, s.ownRedactOrder, l.redact, l.ref, reactMax)
	s.mu.Unlock()
	s.flushOwn()
	err := s.sendInWindow(conn, s.newWindow(""), ircmsg.MakeMessage(nil, "", "REDACT", target, l.redact))
	s.mu.Lock()
	if err != nil {
		delete(s.ownRedacts, l.redact)
		s.applyOwnReactionLocked(l.ref.k, l.tags, true)
		s.noteReactionIDLocked(l.redact, l.ref)
		s.keepOwnReactLocked(l.redact, l.ref)
	} else {
		// History's REDACT of it is told already.
		s.noteRedactedLocked(l.ref.chat, l.redact)
	}
	s.mu.Unlock()
	s.flushOwn()
	return err
}

// applyOwnReactionLocked changes the user's set k as the TAGMSG of
// tags t does (a reaction added, or taken back with +draft/unreact),
// or, undo, as it would have had it not gone. It changes the set as
// it is now, not as the React began with: a REDACT read meanwhile
// took a reaction out of it.
func (s *Session) applyOwnReactionLocked(k reactKey, t map[string]string, undo bool) {
	e, add := t[reactTag]
	if !add {
		e = t[unreactTag]
	}
	set := slices.DeleteFunc(slices.Clone(s.reactions.get(k)), func(x string) bool { return x == e })
	if add != undo {
		set = append(set, e)
	}
	s.reactions.set(k, set)
	s.ownSetChangedLocked(k)
}

// reactInWords sends the reactions of want that had lacks as a /me,
// and keeps want as the user's set k.
func (s *Session) reactInWords(ctx context.Context, c sdk.Call, k reactKey, had, want []string) (sdk.Result, error) {
	var added []string
	for _, e := range want {
		if !slices.Contains(had, e) {
			added = append(added, e)
		}
	}
	if len(added) > 0 {
		if _, err := s.SendMessage(ctx, c, &pb.SendMessage{Text: "/me reacted with " + strings.Join(added, " ")}); err != nil {
			return sdk.Result{}, err
		}
	}
	s.noteOwnReactions(k, want)
	return sdk.Result{}, nil
}

// validReaction reports whether e can be a reaction: some text of one
// line, at most reactLenMax bytes.
func validReaction(e string) bool {
	return e != "" && len(e) <= reactLenMax && !strings.ContainsAny(e, "\x00\r\n\x01")
}

// noteOwnReactions keeps the user's set of reactions k that went.
func (s *Session) noteOwnReactions(k reactKey, set []string) {
	s.mu.Lock()
	s.reactions.set(k, set)
	s.ownSetChangedLocked(k)
	s.mu.Unlock()
}

// reactionEvent is the event of a TAGMSG m reacting (or unreacting) to
// a message, with the sender's whole set as sets has it (s.reactions,
// or a backfill page's own); nil when m is no reaction or changes no
// set. chat and typ are the TAGMSG's chat.
func (s *Session) reactionEvent(m ircmsg.Message, sender *pb.Sender, chat string, typ pb.ChatType, sets *reactSets) *pb.Event {
	msgid := replyTo(m)
	add, emoji := m.GetTag(reactTag)
	if !add {
		var un bool
		if un, emoji = m.GetTag(unreactTag); !un {
			return nil
		}
	}
	if msgid == "" || !validReaction(emoji) {
		return nil
	}
	k := reactKey{msgid: msgid, who: sender.UserId}
	s.mu.Lock()
	defer s.mu.Unlock()
	had := sets.get(k)
	var set []string
	switch {
	case add && !slices.Contains(had, emoji) && len(had) < reactSetMax:
		set = append(slices.Clone(had), emoji)
	case !add && slices.Contains(had, emoji):
		set = slices.DeleteFunc(slices.Clone(had), func(x string) bool { return x == emoji })
	default:
		// The set told already (a duplicate, an unreact of one not
		// there), or full: nothing new to show.
		return nil
	}
	sets.set(k, set)
	if sets == &s.reactions {
		s.ownSetChangedLocked(k)
	}
	return &pb.Event{LoginId: s.loginID, EventId: s.eventID(m), TimestampUnixMicro: serverTime(m).UnixMicro(),
		Sender: sender, ChatId: chat, ChatType: typ,
		Payload: &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: msgid, Emojis: set}}}
}

// isReaction reports whether a TAGMSG carries a reaction or takes one
// back.
func isReaction(m ircmsg.Message) bool {
	react, _ := m.GetTag(reactTag)
	unreact, _ := m.GetTag(unreactTag)
	return react || unreact
}

// onReaction emits the reaction a TAGMSG m carries: from someone else,
// in a channel or to the user; or the user's own from another client of
// theirs, in a channel or to a nick. Its msgid is noted as heard live:
// history leaves it out (onBatch).
func (s *Session) onReaction(m ircmsg.Message) {
	sender := s.sender(m.Nick())
	if sender.UserId == "" {
		return
	}
	chat, typ, ok := s.chatOf(m.Params[0], sender)
	if !ok {
		return // to a channel's operators (@#chan), or not to us
	}
	s.mu.Lock()
	s.seenLiveLocked(m)
	s.mu.Unlock()
	s.noteReactionID(m, sender, chat, typ, false)
	ev := s.reactionEvent(m, sender, chat, typ, &s.reactions)
	s.flushOwn() // the user's own, kept or taken back (ownstore.go)
	if ev != nil {
		s.n.host.Emit(ev)
	}
}

// historyReaction is the reaction event of a TAGMSG m of a chathistory
// batch answering r (a reaction to a message of the history, by anyone,
// the user too); nil when it is none, or was heard live, or is one the
// plugin sent where the server echoes none (ownstore.go). A catch-up
// goes on from what was heard live (s.reactions); a Backfill is older
// than that, and its sets are its own (page, its pages' together,
// read oldest first: histreact.go): taken into the live sets, a
// reaction long taken back came back in the sender's next set, and in
// the user's own the next React goes on from.
func (s *Session) historyReaction(m ircmsg.Message, r *histReq, page *reactSets) *pb.Event {
	if len(m.Params) < 1 || !isReaction(m) || !strings.Contains(m.Source, "!") {
		return nil
	}
	ok, id := m.GetTag("msgid")
	if !ok || id == "" {
		return nil // without the server's ID it could not be told from its live copy
	}
	sender := s.sender(m.Nick())
	s.mu.Lock()
	// The user's echoed reactions, and (taken) one the plugin sent
	// without an echo, are kept on disk (ownstore.go): after a restart
	// too, history leaves them out.
	live := s.live[id] || s.redactedLocked(r.chatID, id) || s.ownMsgidLocked(id)
	sent := !live && sender.IsFromMe && s.takeUnechoedReactionLocked(echoKey(m.ClientOnlyTags()), id)
	if sent {
		s.noteSentReactionIDLocked(m, id, sender, r)
	}
	s.mu.Unlock()
	if live || sent || sender.UserId == "" {
		return nil
	}
	if r.backfill {
		// Known by its msgid, in its Backfill's sets: a REDACT of
		// it, later, takes it back. Before, it was known nowhere, and
		// a REDACT of it came as the retraction of a message the
		// gateway never had, the reaction staying. Known already (a
		// newer Backfill's, whose first page overlaps this one's
		// last; or a catch-up's), it stays as it was: that set is the
		// newer.
		s.mu.Lock()
		_, known := s.reactIDs[id]
		if _, back := s.backReactIDs[id]; back {
			known = true
		}
		if ok, emoji := m.GetTag(reactTag); ok && !known && replyTo(m) != "" && validReaction(emoji) {
			s.noteReactionIDLocked(id, reactRef{k: reactKey{msgid: replyTo(m), who: sender.UserId}, emoji: emoji,
				sender: sender, chat: r.chatID, typ: r.typ, page: page})
		}
		s.mu.Unlock()
		return s.reactionEvent(m, sender, r.chatID, r.typ, page)
	}
	// A catch-up's reaction goes into the live sets: a REDACT of its
	// TAGMSG, live or in a later batch, takes it back (redact.go).
	s.noteReactionID(m, sender, r.chatID, r.typ, false)
	return s.reactionEvent(m, sender, r.chatID, r.typ, &s.reactions)
}

// noteSentReactionIDLocked keeps the user's reaction that the plugin
// sent without an echo, now that history told its TAGMSG's msgid (m,
// id; r the request): where it is in the user's set still, as an
// echoed one is (a REDACT of it takes it back, and so does React, with
// a REDACT of it; on disk too, written with the batch), else as taken
// back already (a REDACT of it is no retraction). Before, its msgid was
// only left out of history: a REDACT of it (from the user's other
// client, an operator) came as the retraction of a message the gateway
// never had, and taking it back from XMPP sent +draft/unreact, which
// most servers and clients ignore.
func (s *Session) noteSentReactionIDLocked(m ircmsg.Message, id string, sender *pb.Sender, r *histReq) {
	ok, emoji := m.GetTag(reactTag)
	if !ok || replyTo(m) == "" || !validReaction(emoji) {
		return
	}
	ref := reactRef{k: reactKey{msgid: replyTo(m), who: sender.UserId}, emoji: emoji, sender: sender, chat: r.chatID, typ: r.typ}
	if !slices.Contains(s.reactions.get(ref.k), emoji) {
		s.noteWithdrawnLocked(id, r.chatID, true)
		return
	}
	s.noteReactionIDLocked(id, ref)
	s.keepOwnReactLocked(id, ref)
}

// noteReactionID keeps the reaction a TAGMSG m from sender in chat
// adds, by m's msgid, for a REDACT of it (redact.go): heard live, the
// echo of one of the user's (echo), or a catch-up's. An echo whose
// reaction the user's set lacks was taken back before it came
// (+draft/unreact went): it is kept as taken back, a REDACT of it no
// retraction. Before, it was kept as standing, on disk too, and after a
// restart the user's set had it again: adding it from XMPP sent nothing.
func (s *Session) noteReactionID(m ircmsg.Message, sender *pb.Sender, chat string, typ pb.ChatType, echo bool) {
	ok, emoji := m.GetTag(reactTag)
	_, id := m.GetTag("msgid")
	if !ok || id == "" || replyTo(m) == "" || !validReaction(emoji) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := reactRef{k: reactKey{msgid: replyTo(m), who: sender.UserId}, emoji: emoji, sender: sender, chat: chat, typ: typ}
	if echo && !slices.Contains(s.reactions.get(ref.k), emoji) {
		s.noteWithdrawnLocked(id, chat, true)
		return
	}
	s.noteReactionIDLocked(id, ref)
	if sender.IsFromMe {
		// On disk too, written by the caller (flushOwn): after a
		// restart a REDACT of it is still that reaction taken back,
		// not the retraction of a message the gateway never had.
		s.keepOwnReactLocked(id, ref)
	}
}
