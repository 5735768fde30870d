package telegram

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.Pinner = (*Session)(nil)

// Pinned messages. A pin, by anyone, is the service message
// messageActionPinMessage, its reply_to naming the message pinned: a
// notice from whoever pinned, replying to that message, live and in
// history. An unpin has no service message: Telegram says only
// updatePinnedMessages (updatePinnedChannelMessages) with pinned false
// and the messages' IDs, and not who took the pin off.

// Pin pins a message for everyone in the chat, or unpins it
// (sdk.Pinner): messages.updatePinnedMessage. A pin notifies the chat's
// members, as Telegram's apps do unless told not to ("Notify all
// members", checked by default); the pin is never one-sided (pm_oneside)
// in a private chat: the contract's pin is for everyone. Telegram's
// answer holds the pin's service message (an unpin's
// updatePinnedMessages), which goes through the updates manager as the
// rest of Telegram's news: the manager drops the copy the update stream
// brings again (the same pts), so the notice comes once, from the user.
// Where the user may not pin (CHAT_ADMIN_REQUIRED; CHAT_WRITE_FORBIDDEN
// through cmdErr) is NOT_ALLOWED, a message Telegram does not know (MESSAGE_ID_INVALID)
// NOT_FOUND. A message of a forum's topic is pinned in the forum, as
// Telegram pins it. A bot login's pin is bot mode's (pinChatMessage).
func (s *Session) Pin(ctx context.Context, c sdk.Call, p *pb.Pin) error {
	if s.bot != nil {
		return s.bot.Pin(ctx, c, p)
	}
	id, err := msgID(p.TargetId)
	if err != nil {
		return err
	}
	api, mgr, peer, err := s.chatPeer(ctx, c.ChatID)
	if err != nil {
		return err
	}
	what := "pin the message"
	if p.Unpin {
		what = "unpin the message"
		// Telegram's unpin says not who: this one is the user's.
		s.unpins.add(baseChat(c.ChatID), id)
	}
	upd, err := api.MessagesUpdatePinnedMessage(ctx, &tg.MessagesUpdatePinnedMessageRequest{Peer: peer, ID: id, Unpin: p.Unpin})
	if err != nil {
		if p.Unpin {
			s.unpins.take(baseChat(c.ChatID), id)
		}
		switch {
		case tgerr.Is(err, "CHAT_ADMIN_REQUIRED"):
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: %s: only the chat's admins may pin messages here (CHAT_ADMIN_REQUIRED)", what)
		case tgerr.Is(err, "MESSAGE_ID_INVALID"):
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %s: Telegram does not know message %s in this chat (MESSAGE_ID_INVALID)", what, p.TargetId)
		}
		return cmdErr(what, err)
	}
	if p.Unpin && !unpinUpdate(upd, id) {
		// No update will say it (Telegram told none): the next unpin
		// of the message, by another, is not the user's.
		s.unpins.take(baseChat(c.ChatID), id)
	}
	if err := mgr.Handle(ctx, upd); err != nil {
		// Pinned; the chat hears of it with the next news.
		s.n.log().Warn("telegram: updates of a pin", "login", s.login.LoginID, "err", err)
	}
	return nil
}

// unpinUpdate reports whether Telegram's answer to an unpin tells the
// unpin of message id.
func unpinUpdate(upd tg.UpdatesClass, id int) bool {
	for _, u := range updateList(upd) {
		var ids []int
		switch u := u.(type) {
		case *tg.UpdatePinnedMessages:
			ids = u.Messages
		case *tg.UpdatePinnedChannelMessages:
			ids = u.Messages
		}
		if slices.Contains(ids, id) {
			return true
		}
	}
	return false
}

// pinNotice is a pin's service message as the notice of the chat: from
// whoever pinned, replying to the message pinned, by the service
// message's ID (live and in history alike, so a replay or a backfill is
// dropped as seen); nil for another service message.
func (s *Session) pinNotice(m *tg.MessageService, history bool) *pb.Event {
	if _, ok := m.Action.(*tg.MessageActionPinMessage); !ok {
		return nil
	}
	me := &pb.MessageEvent{Text: mediatext.PinText(false), ExpiresUnixMicro: expiresAt(m.Date, m.TTLPeriod)}
	pinned := 0
	if r, ok := m.ReplyTo.(*tg.MessageReplyHeader); ok {
		pinned = r.ReplyToMsgID
	}
	if pinned > 0 {
		me.ReplyToId = strconv.Itoa(pinned)
	}
	chat := s.messageChat(m, !history)
	if p, ok := m.PeerID.(*tg.PeerChannel); ok {
		if messageTopic(m) == 0 && pinned > 0 && s.isForum(p.ChannelID) {
			// The header names no topic: the pinned message's, if kept.
			chat = s.channelMessageChat(p.ChannelID, pinned, 0)
		}
	} else if !history {
		s.db().setMessageChat(m.ID, chat) // for its deletion, which names only the message
	}
	return &pb.Event{ChatId: chat, ChatType: s.peers.chatType(chat), Sender: s.serviceSender(m),
		TimestampUnixMicro: int64(m.Date) * 1e6, EventId: strconv.Itoa(m.ID),
		Payload: &pb.Event_Message{Message: me}}
}

// unpinByWhomText is the notice of an unpin in a private chat that the
// gateway did not ask for: a direct chat has no address but the
// contact's to show it from, and Telegram does not say whether the
// contact or the user (on another device) took the pin off.
const unpinByWhomText = "A message was unpinned (Telegram does not say by whom)"

// unpinEvents are the notices of messages unpinned in chat (a private
// chat, a basic group or a channel; channel its ID for a channel's, to
// find each message's topic), one per message, replying to it. Telegram
// does not say who unpinned (no service message, and the update has no
// sender): the user when the gateway asked it to (the unpins set) or in
// the user's own chat (Saved Messages), else no one. A room shows no one
// as the room's own words; a private chat would show it as the
// contact's, so there the words say Telegram does not tell who
// (unpinByWhomText). The event ID comes from the update's pts, so that
// the same update told again (a replay, the answer's and the stream's
// copies) is dropped, and a later unpin of the same message is not.
func (s *Session) unpinEvents(chat string, channel int64, pinned bool, ids []int, pts int) []*pb.Event {
	st := s.db()
	if pinned {
		// The service message of the pin says it; the message's next
		// unpin is news again.
		if err := st.setPinned(chat, ids); err != nil {
			s.n.log().Warn("telegram: a pin not noted (its next unpin may not show)", "login", s.login.LoginID, "err", err)
		}
		return nil
	}
	kind, _, err := parsePeer(chat)
	private := err == nil && kind == peerUser
	var evs []*pb.Event
	for _, id := range ids {
		mine := s.unpins.take(chat, id)
		if at, ok := st.unpinnedAt(chat, id); ok && at != pts {
			// Unpinned already, by another update: this unpin changed
			// nothing (an /unpin run again, the gateway's resend after
			// a restart; Telegram answers it with an update of its
			// own). The same update told again keeps its notice (and
			// ID), which the gateway drops as seen.
			continue
		}
		if err := st.setUnpinned(chat, id, pts); err != nil {
			s.n.log().Warn("telegram: an unpin not noted (a second may show again)", "login", s.login.LoginID, "err", err)
		}
		room := chat
		if channel != 0 && s.isForum(channel) {
			room = s.channelMessageChat(channel, id, 0)
		}
		me := &pb.MessageEvent{Text: mediatext.PinText(true), ReplyToId: strconv.Itoa(id)}
		ev := &pb.Event{ChatId: room, ChatType: s.peers.chatType(room),
			TimestampUnixMicro: time.Now().UnixMicro(), EventId: "unpin" + strconv.Itoa(pts) + "." + strconv.Itoa(id),
			Meta: s.readMeta(room), Payload: &pb.Event_Message{Message: me}}
		switch {
		case mine || chat == userID(s.self):
			ev.Sender = &pb.Sender{UserId: userID(s.self), IsFromMe: true}
		case private:
			me.Text = unpinByWhomText
		}
		evs = append(evs, ev)
	}
	return evs
}

// unpinSet holds the messages the gateway is unpinning, by chat, until
// Telegram's update says so.
type unpinSet struct {
	mu  sync.Mutex
	ids map[string]int // chat/message -> unpins asked
}

func (u *unpinSet) add(chat string, id int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ids == nil {
		u.ids = map[string]int{}
	}
	u.ids[chat+"/"+strconv.Itoa(id)]++
}

func (u *unpinSet) take(chat string, id int) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	k := chat + "/" + strconv.Itoa(id)
	if u.ids[k] == 0 {
		return false
	}
	if u.ids[k]--; u.ids[k] == 0 {
		delete(u.ids, k)
	}
	return true
}
