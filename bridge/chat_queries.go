package bridge

import (
	"context"
	"fmt"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Chat queries: "/timer" alone and "/pins", sent in a chat or a room,
// ask the network about the chat (a ChatInfo answer's timer and
// pinned_ids), on the chat's worker as a chat command is: the answer
// tells the chat as it was when asked, before what the user sent after.
// The answer goes to the resource that asked, from the chat itself (the
// contact, or the room), and is neither sent to the network nor kept in
// an archive: it is the gateway's answer, not the chat's.

// isChatQuery reports whether body is a chat query: "/timer" alone or
// "/pins".
func isChatQuery(body string) bool {
	for _, q := range []string{"/timer", "/pins"} {
		if arg, ok := slashCommand(body, q); ok && arg == "" {
			return true
		}
	}
	return false
}

// maxPinsShown bounds the pins "/pins" shows, the newest kept: a
// channel may have hundreds.
const maxPinsShown = 20

// chatAnswer starts the gateway's answer to st, a query sent in a chat
// or a room: from the chat to the resource that asked. A chat's answer
// comes from the address written to, so that it shows where the user
// asked: a private message to a room's occupant (room/nick) is answered
// from there, not from the room itself.
func (t *transport) chatAnswer(st *wire.Stanza) *wire.Writer {
	var w wire.Writer
	typ, from := "chat", st.To()
	if st.Type() == "groupchat" {
		typ, from = "groupchat", bareOf(from)
	}
	w.Start("message", "").Attr("from", from).Attr("to", st.From()).Attr("type", typ).Attr("id", t.newID())
	return &w
}

// finishAnswer ends an answer with its body and hints, and sends it.
func (t *transport) finishAnswer(ctx context.Context, w *wire.Writer, body string) {
	w.Leaf("body", "", body)
	w.Leaf("no-store", nsHints, "")
	t.send(ctx, w.Bytes())
}

// queryChat asks the network about the chat a query was sent in (with
// its pins, withPins); when it cannot say, the user is answered
// (false): a refusal for good (no such chat, a one-to-one chat the
// network describes no more than that) as an error reply with its
// reason, anything else (the plugin down, slow, failing) as a
// suggestion to try again.
func (s *session) queryChat(ctx context.Context, st *wire.Stanza, chatID string, withPins bool) (*pb.Chat, bool) {
	t := s.t
	tryAgain := func() { t.finishAnswer(ctx, t.chatAnswer(st), t.displayName()+" did not answer; try again later.") }
	client, err := t.client(ctx)
	if err != nil {
		tryAgain()
		return nil, false
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	c, err := client.ChatInfo(cctx, &pb.ChatRef{LoginId: s.LoginID(), ChatId: chatID, WithPins: withPins})
	if err == nil {
		return c, true
	}
	t.log.Debug("chat info failed", "user", s.user, "chat", chatID, "err", err)
	e := sdk.FromGRPC(err)
	switch e.Code {
	case pb.ErrorCode_ERROR_CODE_BAD_REQUEST, pb.ErrorCode_ERROR_CODE_NOT_FOUND, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
		pb.ErrorCode_ERROR_CODE_UNSUPPORTED, pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED:
		if cctx.Err() == nil {
			t.send(ctx, wire.ErrorReply(st, conditionOf(e.Code), e.Text))
			return nil, false
		}
	}
	tryAgain()
	return nil, false
}

// chatName is how a query's answer names the chat.
func (s *session) chatName(chatID string) string {
	if r := s.rooms.get(chatID); r != nil {
		return r.displayName()
	}
	return "this chat"
}

// showChatTimer answers "/timer" alone: the chat's disappearing-messages
// timer, as the network says it is. A login that may not set it (a
// Telegram bot) may still see it: the transport's feature decides.
func (s *session) showChatTimer(ctx context.Context, st *wire.Stanza, chatID string) {
	t := s.t
	if !t.host.Caps().GetFeatures().GetChatTimer() {
		t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, t.displayName()+" does not let the gateway see or set disappearing messages"))
		return
	}
	name := s.chatName(chatID)
	c, ok := s.queryChat(ctx, st, chatID, false)
	if !ok {
		return
	}
	var text string
	switch {
	case c.GetTimer() == nil:
		text = t.displayName() + " does not say whether messages in " + name + " disappear. " + timerUsage
	case c.GetTimer().GetSeconds() <= 0:
		text = "Disappearing messages are off in " + name + ". " + timerUsage
	default:
		ttl := time.Duration(min(c.GetTimer().GetSeconds(), int64(maxTimer/time.Second))) * time.Second
		text = "Disappearing messages in " + name + ": " + mediatext.Span(ttl) + ". " + timerUsage
	}
	t.finishAnswer(ctx, t.chatAnswer(st), text+s.staleNote(c))
}

// showPins answers "/pins": the chat's pinned messages, each as an
// answer in reply (XEP-0461) to the message, so that the client shows
// it; those the gateway never saw are counted.
func (s *session) showPins(ctx context.Context, st *wire.Stanza, chatID string) {
	t := s.t
	if !s.features().GetPin() {
		t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, t.displayName()+" does not let the gateway see pinned messages"))
		return
	}
	group := s.rooms.get(chatID) != nil
	name := s.chatName(chatID)
	c, ok := s.queryChat(ctx, st, chatID, true)
	if !ok {
		return
	}
	ids := c.GetPinnedIds()
	// A network that lists no pins: those from before the plugin saw
	// the chat are missing, and the user is told.
	seenOnly := ""
	if c.GetPinsSeenOnly() {
		seenOnly = " " + t.displayName() + " tells of pins only as they are made: one made before the gateway saw the chat is not known."
	}
	stale := s.staleNote(c)
	if len(ids) == 0 {
		if seenOnly != "" {
			t.finishAnswer(ctx, t.chatAnswer(st), "No pinned message seen in "+name+"."+seenOnly+stale)
			return
		}
		t.finishAnswer(ctx, t.chatAnswer(st), "No message is pinned in "+name+"."+stale)
		return
	}
	older := max(0, len(ids)-maxPinsShown)
	ids = ids[older:]
	// The replies' references, as delivered messages have them: a
	// contact's by its own JID (not a room's, for a private message
	// to an occupant).
	out := chatOut{t: t, ev: &pb.Event{LoginId: s.LoginID(), ChatId: chatID}, user: s.user, group: group}
	if pj, err := t.puppetJID(chatID); err == nil && !group {
		out.puppet = pj.String()
	}
	var unknown int
	for i, id := range ids {
		if _, ok := out.ref(id); !ok {
			unknown++
			continue
		}
		w := t.chatAnswer(st)
		body := out.reply(w, id, fmt.Sprintf("Pinned (%d of %d)", older+i+1, older+len(ids)))
		t.finishAnswer(ctx, w, body)
	}
	if older > 0 || unknown > 0 || seenOnly != "" || stale != "" {
		text := fmt.Sprintf("%d messages pinned in %s", older+len(ids), name)
		if older+len(ids) == 1 {
			text = "1 message pinned in " + name
		}
		if older > 0 {
			text += fmt.Sprintf("; the %d oldest not shown", older)
		}
		if unknown > 0 {
			text += fmt.Sprintf("; %d from before the gateway saw the chat", unknown)
		}
		t.finishAnswer(ctx, t.chatAnswer(st), text+"."+seenOnly+stale)
	}
}

// staleNote is what an answer from c adds when c is the chat as the
// plugin last knew it (Chat.stale): "" when the network answered.
func (s *session) staleNote(c *pb.Chat) string {
	if !c.GetStale() {
		return ""
	}
	return " (As last known: " + s.t.displayName() + " could not be asked now.)"
}
