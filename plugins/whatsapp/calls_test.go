package whatsapp

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// Calls through whatsmeow's own parsing of WhatsApp's <call> stanzas
// (wafake.Call): an offer rings as a message from the caller, its end
// corrects that message, both under IDs from the call's.
func TestCallRingsThenMissed(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Unix()

	from := r.host.count()
	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "C1", From: alice.String(), At: now})
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.EventId != "call-C1" || ev.ChatId != "+33611111111" || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT ||
		ev.Sender.GetUserId() != "+33611111111" || ev.GetMessage().Text != "Incoming voice call: answer it on your phone" ||
		ev.TimestampUnixMicro != time.Unix(now, 0).UnixMicro() || len(ev.Meta) != 0 {
		t.Errorf("ringing: %v", ev)
	}
	// Its offer again (WhatsApp's offline delivery after a reconnection)
	// says nothing more; its end corrects it.
	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "C1", From: alice.String(), At: now})
	fake.Call(ctx, wafake.Call{Tag: "terminate", ID: "C1", From: alice.String(), Reason: "timeout", At: now + 30})
	ev, j := r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetMessage() != nil || ev.GetEdit() != nil })
	if ed := ev.GetEdit(); ed == nil || ed.TargetId != "call-C1" || ed.Text != "Missed voice call" || ev.EventId != "call-C1-end" ||
		ev.ChatId != "+33611111111" || ev.Sender.GetUserId() != "+33611111111" {
		t.Errorf("missed: %v", ev)
	}
	// A second end of it (its reject and its terminate) says nothing.
	fake.Call(ctx, wafake.Call{Tag: "terminate", ID: "C1", From: alice.String(), At: now + 31})
	fenceMessage(t, r, fake, j+1)
}

// A video call by a LID caller who gave their number, answered on the
// phone: its length once over. A call declined on another device is
// missed. The user's own call (from the phone) is none of theirs to see.
func TestCallAnsweredDeclinedOwn(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Unix()

	from := r.host.count()
	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "C2", From: aliceLID.String(), CreatorPN: alice.String(), Video: true, At: now})
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "+33611111111" || ev.Sender.GetUserId() != "+33611111111" || ev.GetMessage().Text != "Incoming video call: answer it on your phone" {
		t.Errorf("ringing: %v", ev)
	}
	fake.Call(ctx, wafake.Call{Tag: "accept", ID: "C2", From: phone.String(), Creator: aliceLID.String(), At: now + 5})
	fake.Call(ctx, wafake.Call{Tag: "terminate", ID: "C2", From: aliceLID.String(), At: now + 130})
	ev, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if ev.GetEdit().TargetId != "call-C2" || ev.GetEdit().Text != "Video call, 2 min 5 s" {
		t.Errorf("answered: %v", ev)
	}

	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "C3", From: bob.String(), At: now})
	_, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.EventId == "call-C3" })
	fake.Call(ctx, wafake.Call{Tag: "reject", ID: "C3", From: phone.String(), Creator: bob.String(), At: now + 3})
	ev, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if ev.GetEdit().TargetId != "call-C3" || ev.GetEdit().Text != "Missed voice call" || ev.ChatId != "+33622222222" {
		t.Errorf("declined: %v", ev)
	}

	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "C4", From: phone.String(), At: now})
	fenceMessage(t, r, fake, i+1)
}

// A group call's notice rings in the group's room; an offer WhatsApp
// delivers long after it was made (while the plugin was away) rings no
// more: its end is one message, under the call's ID.
func TestCallGroupAndLate(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Unix()

	from := r.host.count()
	fake.Call(ctx, wafake.Call{Tag: "offer_notice", ID: "G1", From: bob.String(), Group: group.String(), Video: true, At: now})
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != group.String() || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.Sender.GetUserId() != "+33622222222" ||
		ev.GetMessage().Text != "Group video call: join it on your phone" || ev.EventId != "call-G1" {
		t.Errorf("group call: %v", ev)
	}
	fake.Call(ctx, wafake.Call{Tag: "terminate", ID: "G1", From: bob.String(), Group: group.String(), At: now + 40})
	ev, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if ev.GetEdit().Text != "Missed group video call" || ev.ChatId != group.String() {
		t.Errorf("group call missed: %v", ev)
	}

	old := now - 3600
	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "L1", From: alice.String(), At: old})
	fake.Call(ctx, wafake.Call{Tag: "terminate", ID: "L1", From: alice.String(), Reason: "timeout", At: old + 45})
	ev, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetMessage() != nil || ev.GetEdit() != nil })
	if ev.EventId != "call-L1" || ev.GetMessage().GetText() != "Missed voice call" || ev.TimestampUnixMicro != time.Unix(old, 0).UnixMicro() ||
		ev.ChatId != "+33611111111" {
		t.Errorf("a late call: %v, want only its missed call", ev)
	}
	// Its ringing message may have been shown before a restart of the
	// plugin (the host then drops the message above as a duplicate): the
	// end corrects it too. The host drops a correction of a message it
	// never had.
	ev, _ = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetMessage() != nil || ev.GetEdit() != nil })
	if ev.EventId != "call-L1-end" || ev.GetEdit().GetTargetId() != "call-L1" || ev.GetEdit().GetText() != "Missed voice call" ||
		ev.ChatId != "+33611111111" {
		t.Errorf("a late call's correction: %v", ev)
	}
	fenceMessage(t, r, fake, r.host.count())
}

// fenceMessage receives a text and checks that it is the first message
// (or correction) after index from: nothing came before it.
func fenceMessage(t *testing.T, r *rig, fake *wafake.Client, from int) {
	t.Helper()
	fake.Receive(context.Background(), &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "FENCE", Timestamp: when},
		&waE2E.Message{Conversation: proto.String("fence")})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil || ev.GetEdit() != nil })
	if ev.EventId != "FENCE" {
		t.Errorf("before the fence: %v", ev)
	}
}

// Calls told as messages: the phone's call log, and a history's missed
// calls (stubs, no message).
func TestCallLogAndHistoryStubs(t *testing.T) {
	info := direct(alice, "CL1")
	for _, tc := range []struct {
		log  *waE2E.CallLogMessage
		want string
	}{
		{&waE2E.CallLogMessage{CallOutcome: waE2E.CallLogMessage_MISSED.Enum()}, "Missed voice call"},
		{&waE2E.CallLogMessage{IsVideo: proto.Bool(true), CallOutcome: waE2E.CallLogMessage_REJECTED.Enum()}, "Missed video call"},
		{&waE2E.CallLogMessage{CallOutcome: waE2E.CallLogMessage_CONNECTED.Enum(), DurationSecs: proto.Int64(185)}, "Voice call, 3 min 5 s"},
		{&waE2E.CallLogMessage{CallOutcome: waE2E.CallLogMessage_ONGOING.Enum()}, ""},
	} {
		ev := testConv.message(&events.Message{Info: info, Message: &waE2E.Message{CallLogMesssage: tc.log}})
		if got := ev.GetMessage().GetText(); got != tc.want || (tc.want != "" && ev.EventId != "CL1") {
			t.Errorf("%v: %v, want %q", tc.log, ev, tc.want)
		}
	}
	for stub, want := range map[waWeb.WebMessageInfo_StubType]string{
		waWeb.WebMessageInfo_CALL_MISSED_VOICE:       "Missed voice call",
		waWeb.WebMessageInfo_CALL_MISSED_VIDEO:       "Missed video call",
		waWeb.WebMessageInfo_CALL_MISSED_GROUP_VOICE: "Missed group voice call",
		waWeb.WebMessageInfo_CALL_MISSED_GROUP_VIDEO: "Missed group video call",
		waWeb.WebMessageInfo_E2E_ENCRYPTED:           "",
	} {
		web := &waWeb.WebMessageInfo{MessageStubType: stub.Enum()}
		ev := testConv.message(&events.Message{Info: direct(alice, "S1"), SourceWebMsg: web})
		if got := ev.GetMessage().GetText(); got != want || (want != "" && (ev.EventId != "call-S1" || ev.Sender.GetUserId() != "+33611111111")) {
			t.Errorf("%v: %v, want %q", stub, ev, want)
		}
	}
}
