package signal

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// callMessage is a call's signalling as signal-cli writes it
// (JsonCallMessage): the caller's offer, and its end. A linked device
// never takes part in the call; it learns of it so that it may ring,
// and stops ringing at the hangup.
type callMessage struct {
	Offer *struct {
		ID   json.Number `json:"id"`
		Type string      `json:"type"` // AUDIO_CALL or VIDEO_CALL
	} `json:"offerMessage"`
	Busy *struct {
		ID json.Number `json:"id"`
	} `json:"busyMessage"`
	Hangup *struct {
		ID json.Number `json:"id"`
		// NORMAL (the caller gave up), ACCEPTED (answered on another
		// device of the user), DECLINED, BUSY, NEED_PERMISSION.
		Type string `json:"type"`
	} `json:"hangupMessage"`
}

// ringing are the calls whose offer was shown and that have not ended,
// by call ID: a hangup corrects their notice to a missed call.
type ringing struct {
	mu    sync.Mutex
	calls map[string]ringingCall
}

type ringingCall struct {
	chat     string
	video    bool
	answered bool
	at       time.Time
}

// maxRinging bounds the calls kept: a call whose hangup never came
// rings no more after a while.
const maxRinging = 64

// callEventID is the event ID of a call's notice, from its call ID, so
// that a replay is dropped.
func callEventID(id string) string { return "call-" + id }

// callNotice turns a call message of sender into a notice in their direct
// chat (Signal's group calls do not come as call messages). The offer
// is shown ringing; an answer on another device corrects that notice to
// an answered call, a hangup before one to a missed call: one line per
// call, which never says it rings once it stopped. A hangup of a call whose offer
// this session did not see shows nothing, as it may have been
// answered.
func (s *Session) callNotice(ctx context.Context, sender *pb.Sender, chat string, ts int64, c *callMessage) {
	ev := &pb.Event{ChatId: chat, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: sender, TimestampUnixMicro: ts * 1000}
	s.calls.mu.Lock()
	if s.calls.calls == nil {
		s.calls.calls = map[string]ringingCall{}
	}
	switch {
	case c.Offer != nil && c.Offer.ID != "":
		id := c.Offer.ID.String()
		video := c.Offer.Type == "VIDEO_CALL"
		if _, seen := s.calls.calls[id]; seen {
			s.calls.mu.Unlock()
			return
		}
		s.forgetOldCalls()
		s.calls.calls[id] = ringingCall{chat: chat, video: video, at: time.Now()}
		s.calls.mu.Unlock()
		ev.EventId = callEventID(id)
		ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.CallText(mediatext.Call{Video: video}, onPhone)}}
	case c.Hangup != nil || c.Busy != nil:
		var id string
		if c.Hangup != nil {
			id = c.Hangup.ID.String()
		} else {
			id = c.Busy.ID.String()
		}
		rc, ok := s.calls.calls[id]
		if !ok || rc.answered || rc.chat != chat {
			s.calls.mu.Unlock()
			return
		}
		if c.Hangup != nil && c.Hangup.Type == "ACCEPTED" {
			// Answered on the phone: it rings no more, and its later
			// hangups end a call that took place.
			rc.answered = true
			s.calls.calls[id] = rc
			s.calls.mu.Unlock()
			ev.EventId = callEventID(id) + "-answered"
			ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: callEventID(id),
				Text: mediatext.CallText(mediatext.Call{Video: rc.video, Answered: true}, onPhone)}}
			break
		}
		delete(s.calls.calls, id)
		s.calls.mu.Unlock()
		ev.EventId = callEventID(id) + "-missed"
		ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: callEventID(id),
			Text: mediatext.CallText(mediatext.Call{Video: rc.video, Missed: true}, onPhone)}}
	default:
		s.calls.mu.Unlock()
		return // ICE candidates, and what else a linked device overhears
	}
	s.emit(ctx, ev, true)
}

// forgetOldCalls drops the oldest calls beyond maxRinging; s.calls.mu
// is held.
func (s *Session) forgetOldCalls() {
	for len(s.calls.calls) >= maxRinging {
		var oldest string
		var at time.Time
		for id, c := range s.calls.calls {
			if oldest == "" || c.at.Before(at) {
				oldest, at = id, c.at
			}
		}
		delete(s.calls.calls, oldest)
	}
}

// timerText is the notice of a change of a chat's disappearing messages
// (a data message flagged isExpirationUpdate, with no text of its own).
func timerText(dm *dataMessage) string {
	return timerNotice(dm.ExpiresInSeconds)
}

// timerNotice is the notice of a chat's timer set to secs (0: off). A
// recipient's timer starts when they read the message, so the notice
// says "after they are read" (the sender's own copy counts from the
// send, which the deadlines on the events tell).
func timerNotice(secs int) string {
	return mediatext.ReadTimerText(time.Duration(secs) * time.Second)
}

// groupTimer is a group's disappearing messages timer as last read, in
// seconds; ok false when the group is not known.
func (s *Session) groupTimer(chat string) (secs int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[chat]
	if g == nil {
		return 0, false
	}
	return g.timer, true
}
