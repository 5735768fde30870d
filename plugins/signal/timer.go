package signal

import (
	"context"
	"errors"
	"math"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.ChatTimerSetter = (*Session)(nil)

// SetChatTimer sets a chat's disappearing messages timer (0: off):
// signal-cli's updateContact with expiration for a direct chat, which
// keeps the contact's timer and sends the contact the timer's change
// itself; updateGroup with expiration for a group, a change of the v2
// group its members' clients read. Signal takes any whole number of
// seconds (signal-cli an int). The sends after it carry the new timer,
// as signal-cli adds the chat's to each, and their deadlines follow it
// (send.go reads the timer after each send). signal-cli echoes neither
// change to this device, so the notice is the session's own, once.
func (s *Session) SetChatTimer(ctx context.Context, c sdk.Call, ttl time.Duration) error {
	const what = "could not set the disappearing messages"
	secs := int64(ttl / time.Second)
	if secs > math.MaxInt32 {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%s: Signal's timer is at most %d seconds", what, math.MaxInt32)
	}
	if _, err := target(c.ChatID); err != nil {
		return err
	}
	me := &pb.Sender{UserId: s.selfID(), IsFromMe: true}
	ev := &pb.Event{ChatId: c.ChatID, ChatType: chatType(c.ChatID), Sender: me,
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: timerNotice(int(secs))}}}
	if groupIDOf(c.ChatID) != "" {
		// Journalled as a timer's change until its notice is confirmed
		// (groupschanging.go): a crash before tells it at the next
		// connection. The timer is noted told on disk then only.
		told := false
		s.changing.begin(c.ChatID, changeTimer)
		defer func() { s.changing.end(c.ChatID, told) }()
		ts, err := s.updateGroupAt(ctx, what, c.ChatID, map[string]any{"expiration": secs})
		if err != nil {
			told = errors.As(err, new(foreseenRefusal)) // nothing to tell
			return err
		}
		if ts > 0 {
			// The group update's timestamp names the change, as one
			// from the phone is named (receive.go).
			s.noteChat(ts, c.ChatID, s.selfID())
			ev.TimestampUnixMicro, ev.EventId = ts*1000, s.idFor(ts, s.selfID())
			// Journalled with it: told again at the next connection
			// (the host may have it, its confirmation lost), it comes
			// under this ID, which the host drops.
			s.changing.timerTold(c.ChatID, int(secs), ts)
		}
		s.told.begin(c.ChatID)
		s.told.timerNow(c.ChatID, int(secs), false)
		told = s.emitConfirmed(ctx, ev)
		s.told.end(c.ChatID, told)
		s.told.save()
		return nil
	}
	// updateContact answers nothing of the expiration update it sent,
	// so the notice has no ID. It also adds the person to the contacts
	// when they were not (signal-cli's ContactHelper).
	err := s.call(ctx, what, "updateContact", map[string]any{"recipient": c.ChatID, "expiration": secs}, nil)
	s.timers.forget(c.ChatID) // read again (directtimers.go), even after a failure
	if err != nil {
		return err
	}
	s.emit(ctx, ev, true)
	return nil
}
