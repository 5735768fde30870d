package signal_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// pinNotice waits for the notice of the pin (or unpin) made at ts and
// checks it: in chat, from who (the user when fromMe), replying to the
// message target, the pin's timestamp its ID.
func (s *session) pinNotice(ts int64, chat, who string, fromMe bool, target int64, unpin bool) {
	s.t.Helper()
	ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.TimestampUnixMicro == ts*1000 })
	m := ev.GetMessage()
	if ev.ChatId != chat || ev.Sender.GetUserId() != who || ev.Sender.GetIsFromMe() != fromMe || ev.EventId != mid(ts, keyOf(who)) ||
		m.Text != mediatext.PinText(unpin) || stamp(m.ReplyToId) != itoa(target) || len(m.Attachments) != 0 {
		s.t.Fatalf("pin notice %v, want in %s from %s (mine: %v) %q replying to %d", ev, chat, who, fromMe, mediatext.PinText(unpin), target)
	}
}

// Pins made on Signal, by anyone, are notices of the chat from whoever
// pinned, replying to the message pinned: bob's pin and unpin in the
// direct chat (signal-cli's pinMessage and unpinMessage), carol's pin of
// the user's message in the group, and the user's own from the phone
// (a sync message's sent message) in the direct chat and the group. A
// pin naming an edit's timestamp replies to the message edited.
func TestPinsReceived(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	inGroup := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}

	msg := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: msg,
		DataMessage: &fakesignal.DataMessage{Timestamp: msg, Message: fakesignal.Text("pin me")}})
	s.next(isText("pin me"))

	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{Timestamp: at,
		PinMessage: &fakesignal.PinMessage{TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: msg, PinDurationSeconds: -1}}})
	s.pinNotice(at, bob, bob, false, msg, false)
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{Timestamp: at,
		UnpinMessage: &fakesignal.UnpinMessage{TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: msg}}})
	s.pinNotice(at, bob, bob, false, msg, true)

	// Carol pins the user's message in the group, for a day.
	mine := s.sendToGroup(group, "the plan")
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{Timestamp: at, GroupInfo: inGroup,
		PinMessage: &fakesignal.PinMessage{TargetAuthorNumber: alice, TargetAuthorUUID: aliceACI, TargetSentTimestamp: mine, PinDurationSeconds: 86400}}})
	s.pinNotice(at, group, carol, false, mine, false)

	// The user pins bob's message on the phone, then unpins carol's
	// pin in the group.
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI, DataMessage: fakesignal.DataMessage{Timestamp: at,
			PinMessage: &fakesignal.PinMessage{TargetAuthorUUID: bobACI, TargetSentTimestamp: msg, PinDurationSeconds: -1}}}}})
	s.pinNotice(at, bob, alice, true, msg, false)
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DataMessage: fakesignal.DataMessage{Timestamp: at, GroupInfo: inGroup,
			UnpinMessage: &fakesignal.UnpinMessage{TargetAuthorUUID: aliceACI, TargetSentTimestamp: mine}}}}})
	s.pinNotice(at, group, alice, true, mine, true)

	// Bob edits his message, then pins it by the edit's timestamp: the
	// notice replies to the message as the gateway knows it.
	edit := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: edit, EditMessage: &fakesignal.EditMessage{
		TargetSentTimestamp: msg, DataMessage: fakesignal.DataMessage{Timestamp: edit, Message: fakesignal.Text("pin me, please")}}})
	s.editEvent(edit)
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{Timestamp: at,
		PinMessage: &fakesignal.PinMessage{TargetAuthorUUID: bobACI, TargetSentTimestamp: edit, PinDurationSeconds: -1}}})
	s.pinNotice(at, bob, bob, false, msg, false)
}

// pinsMade counts the sendPinMessage and sendUnpinMessage requests of
// alice's account.
func pinsMade(d *fakesignal.Daemon) int {
	n := 0
	for _, r := range d.Requests(alice) {
		if r.Method == "sendPinMessage" || r.Method == "sendUnpinMessage" {
			n++
		}
	}
	return n
}

// The user pins from XMPP (Pin, the gateway's "/pin" in a reply):
// signal-cli's sendPinMessage to the chat (recipient or groupId), naming
// the message by its author and timestamp, pinned forever (pinDuration
// -1, which JSON-RPC needs said); "/unpin" is sendUnpinMessage, without
// a duration. Each is the user's notice once, replying to the message,
// by the send's timestamp (signal-cli echoes nothing). A message whose
// author is unknown is refused NOT_FOUND, and a signal-cli before 0.14.0
// (no sendPinMessage) UNSUPPORTED naming the version; neither sends
// anything nor makes a notice.
func TestPinFromXMPP(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)

	msg := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: msg,
		DataMessage: &fakesignal.DataMessage{Timestamp: msg, Message: fakesignal.Text("pin me")}})
	ev := s.next(isText("pin me"))

	if res := s.do(bob, &pb.Pin{TargetId: ev.EventId, TargetMeta: ev.Meta}); res.Error != nil {
		t.Fatalf("pin: %v", res.Error)
	}
	req, ok := lastRequest(d, "sendPinMessage")
	if r := anyStrings(req.Params["recipient"]); !ok || len(r) != 1 || r[0] != bob || req.Params["groupId"] != nil ||
		req.Params["targetAuthor"] != bob || req.Params["targetTimestamp"] != float64(msg) || req.Params["pinDuration"] != float64(-1) {
		t.Fatalf("sendPinMessage %v (%v), want to %s, author %s, timestamp %d, duration -1", req.Params, ok, bob, bob, msg)
	}
	s.pinNotice(req.Timestamp, bob, alice, true, msg, false)

	if res := s.do(bob, &pb.Pin{TargetId: ev.EventId, TargetMeta: ev.Meta, Unpin: true}); res.Error != nil {
		t.Fatalf("unpin: %v", res.Error)
	}
	req, ok = lastRequest(d, "sendUnpinMessage")
	if r := anyStrings(req.Params["recipient"]); !ok || len(r) != 1 || r[0] != bob || req.Params["targetAuthor"] != bob ||
		req.Params["targetTimestamp"] != float64(msg) || req.Params["pinDuration"] != nil {
		t.Fatalf("sendUnpinMessage %v (%v), want to %s, author %s, timestamp %d, no duration", req.Params, ok, bob, bob, msg)
	}
	s.pinNotice(req.Timestamp, bob, alice, true, msg, true)

	// The user's own message in the group.
	mine := s.sendToGroup(group, "the plan")
	if res := s.do(group, &pb.Pin{TargetId: itoa(mine), TargetMeta: []byte(`{"a":"` + alice + `","t":` + itoa(mine) + `}`)}); res.Error != nil {
		t.Fatalf("pin in the group: %v", res.Error)
	}
	req, _ = lastRequest(d, "sendPinMessage")
	if g := anyStrings(req.Params["groupId"]); len(g) != 1 || g[0] != gid || req.Params["recipient"] != nil ||
		req.Params["targetAuthor"] != alice || req.Params["targetTimestamp"] != float64(mine) {
		t.Fatalf("sendPinMessage %v, want to group %s, author %s, timestamp %d", req.Params, gid, alice, mine)
	}
	s.pinNotice(req.Timestamp, group, alice, true, mine, false)

	// Refused: no author known, an older signal-cli.
	before := pinsMade(d)
	if res := s.do(bob, &pb.Pin{TargetId: itoa(msg)}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Fatalf("pin of a message of no known author: %v, want NOT_FOUND", res.Error)
	}
	d.Forget("sendPinMessage")
	if res := s.do(bob, &pb.Pin{TargetId: ev.EventId, TargetMeta: ev.Meta}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED ||
		!strings.Contains(res.Error.GetText(), "0.14.0") {
		t.Fatalf("pin with an older signal-cli: %v, want UNSUPPORTED naming 0.14.0", res.Error)
	}
	if n := pinsMade(d); n != before {
		t.Errorf("%d pin requests for refused pins, want none", n-before)
	}

	// Bob's next message comes after anything of the above would have:
	// one notice per pin, none for the refused.
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at,
		DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text("the last")}})
	s.next(func(ev *pb.Event) bool {
		if text := ev.GetMessage().GetText(); text == mediatext.PinText(false) || text == mediatext.PinText(true) {
			s.t.Errorf("a pin notice more: %v", ev)
		}
		return ev.GetMessage().GetText() == "the last"
	})
}
