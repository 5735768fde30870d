package telegram

import (
	"hash/fnv"
	"strconv"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Calls and the auto-delete timer. The gateway carries no call: the
// user learns of one and answers it, or calls back, in Telegram. Nothing
// here answers or discards a call.

// ringingEvent is an incoming private call ringing now (updatePhoneCall
// with phoneCallRequested, which Telegram sends to every session of the
// callee): a message from the caller, by the call's ID. How the call
// ended comes later as the service message messageActionPhoneCall
// (callNotice), with its reason and duration; that one is in the
// history too, so it is the call's record, and the ringing line stays
// as it was, a line of its own.
func (s *Session) ringingEvent(u *tg.UpdatePhoneCall) []*pb.Event {
	c, ok := u.PhoneCall.(*tg.PhoneCallRequested)
	if !ok || c.AdminID == s.self {
		return nil // accepted, discarded, or the user's own call
	}
	chat := userID(c.AdminID)
	return []*pb.Event{{ChatId: chat, ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		Sender:             &pb.Sender{UserId: chat, Name: s.peers.name(c.AdminID)},
		TimestampUnixMicro: int64(c.Date) * 1e6, EventId: "call-" + strconv.FormatInt(c.ID, 10), Meta: s.readMeta(chat),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.CallText(mediatext.Call{Video: c.Video}, inApp)}}}}
}

// noticeText is the text of a service message that is a call or a
// change of the auto-delete timer, or another shown as a line
// (servicenotes.go) (out: the user's own); ok false for any other.
func noticeText(a tg.MessageActionClass, out bool) (text string, ok bool) {
	switch a := a.(type) {
	case *tg.MessageActionPhoneCall:
		// Ended: it took place (a duration), or it did not (missed,
		// declined, busy, or cancelled by its caller).
		c := mediatext.Call{Video: a.Video, Outgoing: out, Duration: time.Duration(a.Duration) * time.Second}
		c.Missed = c.Duration <= 0
		return mediatext.CallText(c, inApp), true
	case *tg.MessageActionGroupCall:
		// Started, then edited with its duration once it ended.
		c := mediatext.Call{Group: true, Outgoing: out, Duration: time.Duration(a.Duration) * time.Second}
		if _, ended := a.GetDuration(); ended && c.Duration <= 0 {
			c.Missed = true
		}
		return mediatext.CallText(c, inApp), true
	case *tg.MessageActionConferenceCall:
		// A group call started from a private chat: ringing (active),
		// then edited once it ended, with its duration or missed.
		c := mediatext.Call{Group: true, Video: a.Video, Outgoing: out, Duration: time.Duration(a.Duration) * time.Second}
		c.Missed = a.Missed || !a.Active && c.Duration <= 0
		return mediatext.CallText(c, inApp), true
	case *tg.MessageActionSetMessagesTTL:
		return mediatext.TimerText(time.Duration(a.Period) * time.Second), true
	}
	return serviceNoticeText(a, out)
}

// serviceSender is who made a service message: in a private chat an
// incoming one names no sender, it is the chat's other user.
func (s *Session) serviceSender(m *tg.MessageService) *pb.Sender {
	if m.Out {
		return &pb.Sender{UserId: userID(s.self), IsFromMe: true}
	}
	from := m.FromID
	if from == nil {
		from = m.PeerID
	}
	snd := &pb.Sender{UserId: peerChatID(from)}
	if u, ok := from.(*tg.PeerUser); ok {
		snd.Name = s.peers.name(u.UserID)
	}
	return snd
}

// noticeEvent is a call's, a timer change's or another service
// message's line (servicenotes.go) as a message from whoever made it,
// by the message's ID (live and in history alike, so a replay or a
// backfill is dropped as seen); nil for a service message with no line.
func (s *Session) noticeEvent(m *tg.MessageService, history bool) *pb.Event {
	text, ok := s.noticeTextOf(m) // servicenotes.go
	if !ok {
		return nil
	}
	chat := s.messageChat(m, !history)
	if _, isCh := m.PeerID.(*tg.PeerChannel); !isCh && !history {
		s.db().setMessageChat(m.ID, chat) // for its deletion, which names only the message
	}
	return &pb.Event{ChatId: chat, ChatType: s.peers.chatType(chat), Sender: s.serviceSender(m),
		TimestampUnixMicro: int64(m.Date) * 1e6, EventId: strconv.Itoa(m.ID),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text, ExpiresUnixMicro: expiresAt(m.Date, m.TTLPeriod)}}}
}

// noticeEdit is a service message edited: a group call ended, its
// duration now known. A service message has no edit date: the event's
// ID comes from the text it now says, so that a second edit is not
// dropped by the host as the first again, and the same edit told again
// is.
func (s *Session) noticeEdit(m *tg.MessageService) []*pb.Event {
	text, ok := noticeText(m.Action, m.Out)
	if !ok {
		return nil
	}
	chat := s.messageChat(m, false)
	h := fnv.New32a()
	h.Write([]byte(text))
	id := strconv.Itoa(m.ID) + ".e" + strconv.FormatUint(uint64(h.Sum32()), 36)
	return []*pb.Event{s.editEvent(chat, s.serviceSender(m), m.ID, time.Now().Unix(), id, text, nil)}
}
