package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A group admin's deletion of a member's message (signal-cli 0.14's
// adminDelete, which it drops from someone who is no admin) is the
// message's retraction by the admin; before, it was dropped and the
// message stayed on XMPP. From XMPP, the user's deletion of another's
// message in a group where they are an admin (a moderation) goes as
// sendAdminDelete; where they are not, or in a direct chat, it is
// refused before anything goes, and an older signal-cli refuses it
// naming the version it takes.
func TestAdminDelete(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	inGroup := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}
	fromBob := func(text string) *pb.Event {
		t.Helper()
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
			Timestamp: at, Message: fakesignal.Text(text), GroupInfo: inGroup}})
		return s.next(isText(text))
	}

	first := fromBob("spam")
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{GroupInfo: inGroup,
		AdminDelete: &fakesignal.AdminDelete{TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: atoi(t, stamp(first.EventId))}}})
	var retracted *pb.Event
	fromBobAfter(t, s, d, inGroup, "marker", func(ev *pb.Event) {
		if ev.GetRetraction() != nil {
			retracted = ev
		}
	})
	if retracted == nil || retracted.ChatId != group || retracted.GetRetraction().TargetId != first.EventId || retracted.Sender.GetUserId() != carol {
		t.Fatalf("carol's admin delete of bob's message: %v, want its retraction by carol in the group", retracted)
	}

	second := fromBob("more spam")
	if res := s.do(group, &pb.Retract{TargetId: second.EventId, TargetMeta: second.Meta}); res.Error != nil {
		t.Fatalf("the admin deletes bob's message: %v", res.Error)
	}
	req, ok := lastRequest(d, "sendAdminDelete")
	if g := anyStrings(req.Params["groupId"]); !ok || len(g) != 1 || g[0] != gid || req.Params["targetAuthor"] != bob ||
		req.Params["targetTimestamp"] != float64(atoi(t, stamp(second.EventId))) {
		t.Fatalf("sendAdminDelete %v (%v), want bob's message in the group", req.Params, ok)
	}

	// An older signal-cli: refused, naming the version.
	d.Forget("sendAdminDelete")
	if res := s.do(group, &pb.Retract{TargetId: second.EventId, TargetMeta: second.Meta}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED ||
		!strings.Contains(res.Error.GetText(), "0.14.0") {
		t.Fatalf("with an older signal-cli: %v, want UNSUPPORTED naming 0.14.0", res.Error)
	}
	sent := d.Calls("sendAdminDelete")

	// No admin any more, and a direct chat: refused, nothing sent.
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: groupName,
		Members: []fakesignal.Member{{Number: alice, UUID: aliceACI}, {Number: bob, UUID: bobACI, Admin: true}, {Number: carol, UUID: carolACI}}})
	third := fromBob("again")
	if res := s.do(group, &pb.Retract{TargetId: third.EventId, TargetMeta: third.Meta}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Fatalf("a member deletes bob's message: %v, want NOT_ALLOWED", res.Error)
	}
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text("direct")}})
	direct := s.next(isText("direct"))
	if res := s.do(bob, &pb.Retract{TargetId: direct.EventId, TargetMeta: direct.Meta}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Fatalf("bob's message deleted in his chat: %v, want NOT_ALLOWED", res.Error)
	}
	if n := d.Calls("sendAdminDelete"); n != sent {
		t.Fatalf("%d sendAdminDelete for refused deletions", n-sent)
	}
}

// fromBobAfter delivers a message of bob in the group and calls seen
// with each event before it.
func fromBobAfter(t *testing.T, s *session, d *fakesignal.Daemon, inGroup *fakesignal.GroupInfo, text string, seen func(*pb.Event)) *pb.Event {
	t.Helper()
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, Message: fakesignal.Text(text), GroupInfo: inGroup}})
	return s.next(func(ev *pb.Event) bool {
		if ev.GetMessage().GetText() == text {
			return true
		}
		seen(ev)
		return false
	})
}
