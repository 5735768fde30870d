package telegram

import (
	"context"
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// onlyMessage is the text of the one message event of evs, with the
// event; the test fails otherwise.
func onlyMessage(t *testing.T, what string, evs []*pb.Event) (*pb.Event, string) {
	t.Helper()
	if len(evs) != 1 || evs[0].GetMessage() == nil {
		t.Fatalf("%s: %v, want one message", what, evs)
	}
	return evs[0], evs[0].GetMessage().Text
}

// A private call rings as a message from the caller (updatePhoneCall),
// by the call's ID; its end is the service message messageActionPhoneCall,
// live and in history alike: missed, declined or busy as a missed call,
// one that took place with its duration, each from whoever called. The
// other states of a call, and the user's own call, show nothing.
func TestCallNotices(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, nil)
	ctx := context.Background()

	ev, text := onlyMessage(t, "ringing", s.convert(ctx, &tg.UpdatePhoneCall{PhoneCall: &tg.PhoneCallRequested{
		ID: 4242, Video: true, Date: 1700000000, AdminID: 1002, ParticipantID: 1001}}))
	if text != "Incoming video call: answer it in Telegram" || ev.ChatId != "1002" || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT ||
		ev.Sender.UserId != "1002" || ev.Sender.Name != "Bob" || ev.EventId != "call-4242" || ev.TimestampUnixMicro != 1700000000e6 {
		t.Errorf("ringing: %v", ev)
	}
	for _, pc := range []tg.PhoneCallClass{
		&tg.PhoneCallDiscarded{ID: 4242, Reason: &tg.PhoneCallDiscardReasonMissed{}},
		&tg.PhoneCallWaiting{ID: 4243, AdminID: 1001, ParticipantID: 1002},
		&tg.PhoneCallRequested{ID: 4244, AdminID: 1001, ParticipantID: 1002},
	} {
		if evs := s.convert(ctx, &tg.UpdatePhoneCall{PhoneCall: pc}); len(evs) != 0 {
			t.Errorf("%T: %v, want nothing", pc, evs)
		}
	}

	call := func(id int, out bool, a *tg.MessageActionPhoneCall) *tg.MessageService {
		return &tg.MessageService{ID: id, Out: out, PeerID: &tg.PeerUser{UserID: 1002}, Date: 1700000100, Action: a}
	}
	for _, c := range []struct {
		m    *tg.MessageService
		want string
		from string
	}{
		{call(10, false, &tg.MessageActionPhoneCall{CallID: 4242, Video: true, Reason: &tg.PhoneCallDiscardReasonMissed{}}), "Missed video call", "1002"},
		{call(11, false, &tg.MessageActionPhoneCall{CallID: 4245, Reason: &tg.PhoneCallDiscardReasonBusy{}}), "Missed voice call", "1002"},
		{call(12, false, &tg.MessageActionPhoneCall{CallID: 4246, Reason: &tg.PhoneCallDiscardReasonHangup{}}), "Missed voice call", "1002"},
		{call(13, true, &tg.MessageActionPhoneCall{CallID: 4247, Reason: &tg.PhoneCallDiscardReasonHangup{}, Duration: 185}), "Voice call, 3 min 5 s", "1001"},
		{call(14, false, &tg.MessageActionPhoneCall{CallID: 4248, Video: true, Reason: &tg.PhoneCallDiscardReasonDisconnect{}, Duration: 3600}), "Video call, 1 hour", "1002"},
		// The user's own call nobody took: not one the user missed.
		{call(15, true, &tg.MessageActionPhoneCall{CallID: 4249, Reason: &tg.PhoneCallDiscardReasonBusy{}}), "Unanswered voice call", "1001"},
	} {
		c.m.Action.(*tg.MessageActionPhoneCall).SetFlags()
		for _, history := range []bool{false, true} {
			ev, text := onlyMessage(t, c.want, s.messageEvents(ctx, c.m, history))
			if text != c.want || ev.ChatId != "1002" || ev.Sender.UserId != c.from || ev.Sender.IsFromMe != c.m.Out ||
				ev.EventId != strconv.Itoa(c.m.ID) || ev.TimestampUnixMicro != 1700000100e6 {
				t.Errorf("call %d (history %v): %v, want %q from %s", c.m.ID, history, ev, c.want, c.from)
			}
		}
	}
	// Its deletion, which names the message alone, finds its chat.
	if evs := s.convert(ctx, &tg.UpdateDeleteMessages{Messages: []int{10}}); len(evs) != 1 || evs[0].ChatId != "1002" {
		t.Errorf("the call's record deleted: %v", evs)
	}

	// A group call started from a private chat (Telegram's conference
	// call, messageActionConferenceCall): ringing, missed, unanswered,
	// or with its duration, as a group call's line; it was dropped, the
	// user never told of a call missed.
	conf := func(missed, active, video bool, secs int) *tg.MessageActionConferenceCall {
		a := &tg.MessageActionConferenceCall{Missed: missed, Active: active, Video: video, CallID: 77}
		if secs > 0 {
			a.SetDuration(secs)
		}
		a.SetFlags()
		return a
	}
	for _, c := range []struct {
		id   int
		out  bool
		a    *tg.MessageActionConferenceCall
		want string
		from string
	}{
		{30, false, conf(false, true, false, 0), "Group voice call: join it in Telegram", "1002"},
		{31, false, conf(true, false, true, 0), "Missed group video call", "1002"},
		{32, true, conf(true, false, false, 0), "Unanswered group voice call", "1001"},
		{33, true, conf(false, false, false, 185), "Group voice call, 3 min 5 s", "1001"},
		{34, false, conf(false, false, false, 0), "Missed group voice call", "1002"},
	} {
		m := &tg.MessageService{ID: c.id, Out: c.out, PeerID: &tg.PeerUser{UserID: 1002}, Date: 1700000100, Action: c.a}
		for _, history := range []bool{false, true} {
			ev, text := onlyMessage(t, c.want, s.messageEvents(ctx, m, history))
			if text != c.want || ev.ChatId != "1002" || ev.Sender.UserId != c.from || ev.Sender.IsFromMe != c.out || ev.EventId != strconv.Itoa(c.id) {
				t.Errorf("conference call %d (history %v): %v, want %q from %s", c.id, history, ev, c.want, c.from)
			}
		}
	}
	// Ringing, then edited once it ended: a correction with its duration.
	ended := &tg.MessageService{ID: 30, PeerID: &tg.PeerUser{UserID: 1002}, Date: 1700000100, Action: conf(false, false, false, 60)}
	evs := s.convert(ctx, &tg.UpdateEditMessage{Message: ended})
	if len(evs) != 1 || evs[0].GetEdit().GetTargetId() != "30" || evs[0].GetEdit().GetText() != "Group voice call, 1 min" {
		t.Errorf("conference call ended: %v", evs)
	}
}

// A change of the auto-delete timer (messageActionSetMessagesTTL) is a
// message from whoever changed it, in the private chat or the group; a
// group call is one too, corrected with its duration once it ended.
func TestTimerAndGroupCallNotices(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}, &tg.User{ID: 1003, FirstName: "Carol"}},
		[]tg.ChatClass{&tg.Chat{ID: 77, Title: "W", Photo: &tg.ChatPhotoEmpty{}}})
	ctx := context.Background()

	ev, text := onlyMessage(t, "timer on", s.messageEvents(ctx, &tg.MessageService{ID: 20, PeerID: &tg.PeerUser{UserID: 1002},
		Date: 1700000000, Action: &tg.MessageActionSetMessagesTTL{Period: 86400}}, false))
	if text != "Disappearing messages turned on: messages disappear 1 day after they are sent" || ev.ChatId != "1002" ||
		ev.Sender.UserId != "1002" || ev.Sender.Name != "Bob" || ev.EventId != "20" {
		t.Errorf("timer on: %v", ev)
	}
	ev, text = onlyMessage(t, "timer off", s.messageEvents(ctx, &tg.MessageService{ID: 21, PeerID: &tg.PeerChat{ChatID: 77},
		FromID: &tg.PeerUser{UserID: 1003}, Date: 1700000000, Action: &tg.MessageActionSetMessagesTTL{}}, true))
	if text != "Disappearing messages turned off" || ev.ChatId != "-77" || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.Sender.UserId != "1003" {
		t.Errorf("timer off in the group: %v", ev)
	}
	ev, text = onlyMessage(t, "timer from the user", s.messageEvents(ctx, &tg.MessageService{ID: 22, Out: true, PeerID: &tg.PeerChat{ChatID: 77},
		FromID: &tg.PeerUser{UserID: 1001}, Date: 1700000000, Action: &tg.MessageActionSetMessagesTTL{Period: 7 * 86400}}, false))
	if text != "Disappearing messages turned on: messages disappear 1 week after they are sent" || !ev.Sender.IsFromMe {
		t.Errorf("timer from the user: %v", ev)
	}

	gc := &tg.MessageService{ID: 23, PeerID: &tg.PeerChat{ChatID: 77}, FromID: &tg.PeerUser{UserID: 1003}, Date: 1700000000,
		Action: &tg.MessageActionGroupCall{Call: &tg.InputGroupCall{ID: 1, AccessHash: 2}}}
	ev, text = onlyMessage(t, "group call", s.messageEvents(ctx, gc, false))
	if text != "Group voice call: join it in Telegram" || ev.ChatId != "-77" || ev.Sender.UserId != "1003" || ev.EventId != "23" {
		t.Errorf("group call: %v", ev)
	}
	ended := *gc
	a := &tg.MessageActionGroupCall{Call: &tg.InputGroupCall{ID: 1, AccessHash: 2}}
	a.SetDuration(300)
	ended.Action = a
	evs := s.convert(ctx, &tg.UpdateEditMessage{Message: &ended})
	if len(evs) != 1 || evs[0].GetEdit().GetTargetId() != "23" || evs[0].GetEdit().GetText() != "Group voice call, 5 min" ||
		evs[0].ChatId != "-77" || evs[0].Sender.UserId != "1003" || evs[0].EventId == "" {
		t.Errorf("group call ended: %v", evs)
	}
	// Edited again (its length corrected): another event, which the
	// gateway does not drop as the first again; the same edit again is
	// the same event.
	again := ended
	a2 := &tg.MessageActionGroupCall{Call: &tg.InputGroupCall{ID: 1, AccessHash: 2}}
	a2.SetDuration(420)
	again.Action = a2
	evs2 := s.convert(ctx, &tg.UpdateEditMessage{Message: &again})
	if len(evs2) != 1 || evs2[0].GetEdit().GetText() != "Group voice call, 7 min" || evs2[0].EventId == evs[0].EventId {
		t.Errorf("group call edited again: %v, first edit %v", evs2, evs)
	}
	if evs3 := s.convert(ctx, &tg.UpdateEditMessage{Message: &again}); len(evs3) != 1 || evs3[0].EventId != evs2[0].EventId {
		t.Errorf("the same edit again: %v, want the ID %q", evs3, evs2[0].EventId)
	}
}
