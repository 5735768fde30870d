package sdk

import (
	"errors"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// An event the gateway could not deliver (no payload, no login, a chat's
// event with no chat) is refused at emit: EmitWait says why at once, the
// log names it, and it takes no seq. Before, it was numbered, journalled
// and sent, and the gateway dropped it with at most a debug line: the
// plugin's author never heard of the mistake. Events that need no login
// (a login step) or no chat (a contact, the login's state) still go.
func TestEmitRefusesUndeliverable(t *testing.T) {
	logs := &logBuffer{}
	f := newFakeTransport()
	c := startServer(t, f, t.TempDir())
	q := f.Host().(host).s.queue()
	q.mu.Lock()
	q.log = logs.logger()
	q.mu.Unlock()
	r := openEvents(t, c)
	ctx := testContext(t) // one for all: a wait before a fix fails the others at once
	text := &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}
	for _, bad := range []struct {
		ev   *pb.Event
		want string
	}{
		{&pb.Event{LoginId: "l", ChatId: "c", EventId: "nopayload"}, "no payload"},
		{&pb.Event{ChatId: "c", EventId: "nologin", Payload: text}, "a message event with no login_id"},
		{&pb.Event{LoginId: "l", EventId: "nochat", Payload: text}, "a message event with no chat_id"},
		{&pb.Event{LoginId: "l", Payload: &pb.Event_Typing{Typing: &pb.TypingEvent{}}}, "a typing event with no chat_id"},
		{&pb.Event{LoginId: "l", EventId: "inv", Payload: &pb.Event_Invited{Invited: &pb.InvitedEvent{ChatName: "g"}}}, "an invited event with no chat_id"},
		{&pb.Event{LoginId: "l", EventId: "ed", Payload: &pb.Event_Edit{Edit: &pb.EditEvent{}}}, "an edit event with no chat_id"},
	} {
		err := f.Host().EmitWait(ctx, bad.ev)
		if !errors.Is(err, errInvalidEvent) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("EmitWait(%v) = %v, want an error saying %q", bad.ev, err, bad.want)
		}
		if bad.ev.Seq != 0 {
			t.Errorf("%v took seq %d", bad.ev, bad.ev.Seq)
		}
	}
	if log := logs.String(); !strings.Contains(log, `"event_id":"nochat"`) || !strings.Contains(log, "no chat_id") || !strings.Contains(log, "event dropped") {
		t.Errorf("the log does not name the event dropped and why:\n%s", log)
	}

	// What needs no login or no chat goes, numbered from 1: nothing
	// before took a seq.
	f.Host().Emit(&pb.Event{Payload: &pb.Event_LoginStep{LoginStep: &pb.LoginStep{ProcessId: "p"}}})
	f.Host().Emit(&pb.Event{LoginId: "l", Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: &pb.Contact{UserId: "bob"}}}})
	f.Host().Emit(&pb.Event{LoginId: "l", ChatId: "c", EventId: "ok", Payload: text})
	for i, want := range []string{"login_step", "contact", "message"} {
		if ev := r.next(t); eventKind(ev) != want || ev.Seq != uint64(i+1) {
			t.Fatalf("event %d: %v, want a %s with seq %d", i+1, ev, want, i+1)
		}
	}
}
