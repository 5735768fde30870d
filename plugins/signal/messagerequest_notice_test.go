package signal_test

import (
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A stranger's first message (a message request on Signal) is followed
// in their chat by a notice saying it is a request and how to answer
// it, once; a contact's message is not. Before, a request read as any
// contact's message.
func TestMessageRequestTold(t *testing.T) {
	d, _ := startFake(t)
	zoe, zoeACI := "+15550000026", fakesignal.NewUUID()
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob"},
		fakesignal.Contact{Number: zoe, UUID: zoeACI, Given: "Zoe", Stranger: true, Request: true})
	s := newSession(t, d)
	say := func(from, fromACI, name, text string) []*pb.Event {
		t.Helper()
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: from, SourceUUID: fromACI, SourceName: name, Timestamp: at,
			DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text(text)}})
		// A mark of the end: the next message's own event.
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: at + 1,
			DataMessage: &fakesignal.DataMessage{Timestamp: at + 1, Message: fakesignal.Text("mark " + text)}})
		var evs []*pb.Event
		s.next(func(ev *pb.Event) bool {
			if ev.GetMessage() != nil && ev.ChatId == from {
				evs = append(evs, ev)
			}
			return isText("mark " + text)(ev)
		})
		return evs
	}
	isRequest := func(ev *pb.Event) bool { return strings.HasPrefix(ev.GetMessage().GetText(), "💬 A message request") }

	evs := say(zoe, zoeACI, "Zoe", "hello, we met at the conference")
	if len(evs) != 2 || !isRequest(evs[1]) || evs[1].ChatId != zoe {
		t.Fatalf("zoe's first message: %v, want it followed by the request's notice (before: none)", evs)
	}
	for _, want := range []string{"Zoe (" + zoe + ")", "Answering here accepts it", "/accept", "/block yes refuses it"} {
		if !strings.Contains(evs[1].GetMessage().GetText(), want) {
			t.Errorf("the notice %q does not say %q", evs[1].GetMessage().GetText(), want)
		}
	}
	if evs[1].TimestampUnixMicro <= evs[0].TimestampUnixMicro {
		t.Errorf("the notice at %d is not after the message at %d", evs[1].TimestampUnixMicro, evs[0].TimestampUnixMicro)
	}
	if evs := say(zoe, zoeACI, "Zoe", "are you there?"); len(evs) != 1 || isRequest(evs[0]) {
		t.Errorf("zoe's second message: %v, want it alone (the notice once)", evs)
	}
	if evs := say(bob, bobACI, "Bob", "hi from a contact"); len(evs) == 0 || slices.ContainsFunc(evs, isRequest) {
		t.Errorf("a contact's message: %v, want no request's notice", evs)
	}
}

// twoRequests starts alice's session with bob a contact and two
// strangers whose message requests are open, zoe and yan, returned with
// their ACIs.
func twoRequests(t *testing.T) (d *fakesignal.Daemon, s *session, zoe, zoeACI, yan, yanACI string) {
	d, _ = startFake(t)
	zoe, zoeACI = "+15550000026", fakesignal.NewUUID()
	yan, yanACI = "+15550000027", fakesignal.NewUUID()
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob"},
		fakesignal.Contact{Number: zoe, UUID: zoeACI, Given: "Zoe", Stranger: true, Request: true},
		fakesignal.Contact{Number: yan, UUID: yanACI, Given: "Yan", Stranger: true, Request: true})
	return d, newSession(t, d), zoe, zoeACI, yan, yanACI
}

// "/accept" in a message request's chat accepts it without writing to
// them (signal-cli's sendMessageRequestResponse): nothing is sent, the
// answer is the user's, and a mark read then tells them. In a chat that
// is no request it says so; a signal-cli without the method is
// UNSUPPORTED, saying to accept on the phone. Before, "/accept" went to
// the stranger as a message.
func TestMessageRequestAccept(t *testing.T) {
	d, s, zoe, zoeACI, yan, yanACI := twoRequests(t)
	say := func(from, fromACI, text string) *pb.Event {
		t.Helper()
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: from, SourceUUID: fromACI, Timestamp: at,
			DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text(text)}})
		return s.next(isText(text))
	}
	count := func(method string) int {
		n := 0
		for _, r := range d.Requests(alice) {
			if r.Method == method {
				n++
			}
		}
		return n
	}

	m := say(zoe, zoeACI, "hello, we met at the conference")
	res := s.do(zoe, &pb.SendMessage{Text: "/accept"})
	if res.Error != nil || !res.HandledAsCommand || !strings.Contains(res.CommandReply, "accepted") || res.MessageId != "" {
		t.Fatalf("/accept: %v, want the request accepted as a command (before: a message to zoe)", res)
	}
	if count("send") != 0 || count("sendMessageRequestResponse") != 1 {
		t.Fatalf("/accept sent %d messages and %d request responses, want none and one", count("send"), count("sendMessageRequestResponse"))
	}
	if res := s.do(zoe, &pb.MarkRead{UpToId: m.EventId, UpToMeta: m.Meta}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if n := count("sendReceipt"); n != 1 {
		t.Fatalf("a mark read after /accept sent %d receipts, want 1", n)
	}
	if res := s.do(zoe, &pb.SendMessage{Text: "/accept"}); res.Error != nil || !strings.Contains(res.CommandReply, "no message request") {
		t.Fatalf("/accept again: %v, want it said there is nothing to accept", res)
	}
	if count("sendMessageRequestResponse") != 1 {
		t.Fatal("/accept of an accepted chat asked signal-cli again")
	}

	say(yan, yanACI, "hi, it is Yan")
	d.Forget("sendMessageRequestResponse")
	res = s.do(yan, &pb.SendMessage{Text: "/accept"})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(res.Error.GetText(), "accept it on your phone") {
		t.Fatalf("/accept with a signal-cli without the method: %v, want UNSUPPORTED saying to accept on the phone", res)
	}
}

// "/accept" when signal-cli cannot say whether the chat is a request
// (its listContacts fails) answers with the error, accepting nothing;
// once it can, "/accept" accepts it. A request's first message whose
// look failed so has its notice after the next one. Before, the
// failure read as no request: "there is nothing to accept", the
// request left as it was, and no notice for the session.
func TestMessageRequestAcceptWhenUnread(t *testing.T) {
	d, s, zoe, zoeACI, yan, yanACI := twoRequests(t)
	isRequest := func(ev *pb.Event) bool { return strings.HasPrefix(ev.GetMessage().GetText(), "💬 A message request") }
	// yan's messages, each followed by a contact's, and what came in
	// yan's chat before it.
	yanSays := func(text string) (notices int) {
		t.Helper()
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: yan, SourceUUID: yanACI, Timestamp: at,
			DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text(text)}})
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at + 1,
			DataMessage: &fakesignal.DataMessage{Timestamp: at + 1, Message: fakesignal.Text("mark " + text)}})
		s.next(func(ev *pb.Event) bool {
			if ev.ChatId == yan && isRequest(ev) {
				notices++
			}
			return isText("mark " + text)(ev)
		})
		return notices
	}
	d.FailNextFor("listContacts", yan, -3, "Failed to read the contacts")
	if n := yanSays("hi, it is Yan"); n != 0 {
		t.Fatalf("yan's first message, the contact unread: %d notices, want none", n)
	}
	if n := yanSays("hello?"); n != 1 {
		t.Fatalf("yan's second message: %d notices, want the request's (before: none, the first look's failure kept)", n)
	}

	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: zoe, SourceUUID: zoeACI, Timestamp: at,
		DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text("hello, we met at the conference")}})
	// The notice: the plugin's own look at the request is over.
	s.next(func(ev *pb.Event) bool { return strings.HasPrefix(ev.GetMessage().GetText(), "💬 A message request") })

	d.FailNextFor("listContacts", zoe, -3, "Failed to read the contacts")
	res := s.do(zoe, &pb.SendMessage{Text: "/accept"})
	if res.Error == nil || strings.Contains(res.CommandReply, "no message request") {
		t.Fatalf("/accept with the contact unread: %v, want an error (before: nothing to accept)", res)
	}
	if n := d.Calls("sendMessageRequestResponse"); n != 0 {
		t.Fatalf("/accept with the contact unread answered the request %d times, want none", n)
	}
	if res := s.do(zoe, &pb.SendMessage{Text: "/accept"}); res.Error != nil || !strings.Contains(res.CommandReply, "accepted") || d.Calls("sendMessageRequestResponse") != 1 {
		t.Fatalf("/accept again: %v, want the request accepted", res)
	}
}
