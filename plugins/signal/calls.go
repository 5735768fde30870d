package signal

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
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
// by call ID: a hangup corrects their notice to a missed call. They are
// kept in the login's folder (ringingFile): a call that rang while the
// plugin restarted is told missed or answered all the same, not left
// ringing for good.
type ringing struct {
	path string // "" when kept in memory only
	log  *slog.Logger

	mu    sync.Mutex
	calls map[string]ringingCall
	// telling: the calls whose notice (its offer, or its correction) is
	// on its way to the host: the disk keeps them as before until it is
	// confirmed (callTold).
	telling onTheWay[ringingCall]
}

type ringingCall struct {
	Chat     string    `json:"chat"`
	Video    bool      `json:"video,omitempty"`
	Answered bool      `json:"answered,omitempty"`
	At       time.Time `json:"at"`
	// Offer is the offer's timestamp (Unix ms; 0 in entries from
	// before it was kept: At then). Missed: shown missed already, its
	// offer too old or its ring out with no hangup (ringOut).
	Offer  int64 `json:"offer,omitempty"`
	Missed bool  `json:"missed,omitempty"`
}

// ringLimit is how long after its offer a call may still ring: Signal's
// apps (and signal-cli's own calls) give up ringing after 60 s; the rest
// is for the offer's way here. An offer older than that is a call
// missed (fetched late: the gateway was down, the phone offline), and a
// call that rang that long with no hangup (the caller's phone lost its
// network) is one too, as the apps show it.
const ringLimit = 90 * time.Second

// offerTime is when the call's offer was sent.
func (c ringingCall) offerTime() time.Time {
	if c.Offer > 0 {
		return time.UnixMilli(c.Offer)
	}
	return c.At
}

// ringingFile holds the calls ringing, in the login's folder.
const ringingFile = "calls-ringing.json"

// loadRinging reads the calls ringing of the login folder dir ("":
// memory only). A file that cannot be read is logged: the calls in it
// are then told by no hangup.
func loadRinging(dir string, log *slog.Logger) *ringing {
	r := &ringing{log: log, calls: map[string]ringingCall{}}
	if dir == "" {
		return r
	}
	r.path = filepath.Join(dir, ringingFile)
	if calls, ok := sdk.LoadStateFile[map[string]ringingCall](r.path, "the hangups of the calls ringing correct nothing", log); ok {
		r.calls = calls
	}
	return r
}

// save writes the calls ringing, on disk before it returns; r.mu is
// held. A write that fails is logged: after a restart, the calls
// ringing then stay so.
func (r *ringing) save() {
	if r.path == "" {
		return
	}
	if err := sdk.SaveStateFile(r.path, r.telling.disk(r.calls)); err != nil {
		r.log.Warn("signal: the calls ringing cannot be written; after a restart, their hangups correct nothing", "file", r.path, "err", err)
	}
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
	switch {
	case c.Offer != nil && c.Offer.ID != "":
		id := c.Offer.ID.String()
		video := c.Offer.Type == "VIDEO_CALL"
		if _, seen := s.calls.calls[id]; seen {
			s.calls.mu.Unlock()
			return
		}
		s.forgetOldCalls()
		rc := ringingCall{Chat: chat, Video: video, At: time.Now(), Offer: ts}
		rc.Missed = time.Since(rc.offerTime()) >= ringLimit // it rings no more
		s.calls.telling.hold(id, s.calls.calls)
		s.calls.calls[id] = rc // written once told (callTold)
		s.calls.mu.Unlock()
		if !rc.Missed {
			s.ringOutAfter(id, rc)
		}
		ev.EventId = callEventID(id)
		ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.CallText(mediatext.Call{Video: video, Missed: rc.Missed}, onPhone)}}
		// Not confirmed, it is forgotten: its envelope, handled again
		// at the next start, must not take it for an offer seen, and
		// shows it then (the same event ID, dropped if it got there).
		// Left as it is when a hangup or an answer changed it meanwhile.
		s.callTold(id, s.emitConfirmed(ctx, ev), func() {
			if cur, ok := s.calls.calls[id]; ok && cur == rc {
				delete(s.calls.calls, id)
			}
		})
		return
	case c.Hangup != nil || c.Busy != nil:
		var id string
		if c.Hangup != nil {
			id = c.Hangup.ID.String()
		} else {
			id = c.Busy.ID.String()
		}
		rc, ok := s.calls.calls[id]
		if !ok || rc.Answered || rc.Chat != chat {
			s.calls.mu.Unlock()
			return
		}
		accepted := c.Hangup != nil && c.Hangup.Type == "ACCEPTED"
		if rc.Missed && !accepted {
			// Shown missed already: its end says nothing new.
			delete(s.calls.calls, id)
			s.calls.save()
			s.calls.mu.Unlock()
			return
		}
		if accepted {
			// Answered on the phone: it rings no more, and its later
			// hangups end a call that took place.
			was := rc
			s.calls.telling.hold(id, s.calls.calls)
			rc.Answered = true
			s.calls.calls[id] = rc
			s.calls.mu.Unlock()
			ev.EventId = callEventID(id) + "-answered"
			ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: callEventID(id),
				Text: mediatext.CallText(mediatext.Call{Video: rc.Video, Answered: true}, onPhone)}}
			s.callTold(id, s.emitConfirmed(ctx, ev), func() {
				if cur, ok := s.calls.calls[id]; ok && cur == rc {
					s.calls.calls[id] = was
				}
			})
			return
		}
		s.calls.telling.hold(id, s.calls.calls)
		delete(s.calls.calls, id)
		s.calls.mu.Unlock()
		ev.EventId = callEventID(id) + "-missed"
		ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: callEventID(id),
			Text: mediatext.CallText(mediatext.Call{Video: rc.Video, Missed: true}, onPhone)}}
		s.callTold(id, s.emitConfirmed(ctx, ev), func() {
			if _, ok := s.calls.calls[id]; !ok {
				s.calls.calls[id] = rc
			}
		})
	default:
		s.calls.mu.Unlock()
		// ICE candidates, and what else a linked device overhears
	}
}

// callTold closes a hold of call id (telling), whose notice went out
// with confirmed its host's answer: the calls are written, id as the
// notice left it; not confirmed, undo (under s.calls.mu) first puts it
// back as it was, for its envelope handled again at the next start, or
// the next connection's ringOutAll, to tell it. Before, each was written
// before the notice went out, and a plugin killed before the host had
// it told it never: the replay found it told.
func (s *Session) callTold(id string, confirmed bool, undo func()) {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	s.calls.telling.release(id)
	if !confirmed {
		undo()
	}
	s.calls.save()
}

// ringOutAfter has the call id shown missed once ringLimit after its
// offer passed with no hangup (ringOut).
func (s *Session) ringOutAfter(id string, rc ringingCall) {
	time.AfterFunc(time.Until(rc.offerTime().Add(ringLimit)), func() { s.ringOut(id) })
}

// ringOutAll schedules ringOut for each call ringing, at a connection:
// those that rang while the plugin was down or disconnected are told
// missed at once.
func (s *Session) ringOutAll() {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	for id, rc := range s.calls.calls {
		if !rc.Answered && !rc.Missed {
			s.ringOutAfter(id, rc)
		}
	}
}

// ringOut corrects the notice of call id, still ringing ringLimit after
// its offer with no hangup, to a missed call: a caller whose phone lost
// its network sends none, and the notice rang for good. A session
// disconnected leaves it to its next connection (ringOutAll).
func (s *Session) ringOut(id string) {
	if s.client() == nil {
		return
	}
	s.calls.mu.Lock()
	rc, ok := s.calls.calls[id]
	if !ok || rc.Answered || rc.Missed || time.Since(rc.offerTime()) < ringLimit {
		s.calls.mu.Unlock()
		return
	}
	s.calls.telling.hold(id, s.calls.calls)
	rc.Missed = true
	s.calls.calls[id] = rc
	s.calls.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	confirmed := s.emitConfirmed(ctx, &pb.Event{ChatId: rc.Chat, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: &pb.Sender{UserId: rc.Chat},
		TimestampUnixMicro: rc.offerTime().Add(ringLimit).UnixMicro(), EventId: callEventID(id) + "-missed",
		Payload: &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: callEventID(id),
			Text: mediatext.CallText(mediatext.Call{Video: rc.Video, Missed: true}, onPhone)}}})
	// Not confirmed: still ringing, for the next connection's
	// ringOutAll (the same event ID, dropped if it got there).
	s.callTold(id, confirmed, func() {
		if cur, ok := s.calls.calls[id]; ok && cur.Missed && !cur.Answered {
			cur.Missed = false
			s.calls.calls[id] = cur
		}
	})
}

// forgetOldCalls drops the oldest calls beyond maxRinging; s.calls.mu
// is held.
func (s *Session) forgetOldCalls() {
	for len(s.calls.calls) >= maxRinging {
		var oldest string
		var at time.Time
		for id, c := range s.calls.calls {
			if oldest == "" || c.At.Before(at) {
				oldest, at = id, c.At
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

// timerChanged reports whether a group's disappearing messages timer
// after an update differs from the one last told in its room, and notes
// it told. The timer is the one the update carries (carried: its data
// message's expiresInSeconds, which Signal's apps set to the group's
// timer as the update left it), else the group's as last read.
// Compared with what was told, not with the read before: a read (the
// groups read at a reconnection, a query's) may have seen the change
// before its update's envelope was handled, and the notice was lost.
// The carried timer names the change by its own update: two changes
// read at once (Bob sets it, Carol sets it back) are each told by their
// author. 0 carried says nothing (the timer off, or a sender that did
// not say), so the read is taken then, unless a later update of the
// group was read already (later): the read may be that later update's,
// which carries its own (revisions.go). A group not known before the
// update (knownBefore) tells none.
func (s *Session) timerChanged(chat string, carried int, knownBefore, later bool) (secs int, changed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[chat]
	if g == nil {
		return 0, false
	}
	now := g.timer
	if carried > 0 && knownBefore {
		now = carried
	}
	return now, s.told.timerNow(chat, now, carried == 0 && later)
}

// timerKnown reports whether a group's timer was told in its room (or
// taken as it was when the group was first known), in this session or
// before (groupstold.go).
func (s *Session) timerKnown(chat string) bool {
	return s.told.timerKnown(chat)
}
