package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

const day = 24 * hour

// timerChat drives SetChatTimer in one chat and checks what follows.
type timerChat struct {
	t    *testing.T
	s    *session
	d    *fakesignal.Daemon
	chat string
	gid  string // the group's base64 ID; "" in a direct chat
}

// set sets the chat's timer to secs and checks the notice the session
// emitted for it: the user's, in the chat, in the words of a timer that
// starts when read.
func (c timerChat) set(secs int64) *pb.Event {
	c.t.Helper()
	if res := c.s.do(c.chat, &pb.SetChatTimer{Seconds: secs}); res.Error != nil {
		c.t.Fatalf("SetChatTimer %d s in %s: %v", secs, c.chat, res.Error)
	}
	want := "Disappearing messages turned off"
	if secs == day {
		want = "Disappearing messages turned on: messages disappear 1 day after they are read"
	}
	ev := c.s.nextNotice()
	if ev.ChatId != c.chat || ev.GetMessage().GetText() != want || !ev.Sender.GetIsFromMe() {
		c.t.Fatalf("after SetChatTimer %d s: %v, want the user's notice %q in %s", secs, ev, want, c.chat)
	}
	return ev
}

// sent sends a message in the chat and checks that it carried a secs
// timer and that its result's deadline is secs after it was sent.
func (c timerChat) sent(text string, secs int) {
	c.t.Helper()
	res := c.s.do(c.chat, &pb.SendMessage{Text: text})
	req, ok := lastRequest(c.d, "send")
	if res.Error != nil || !ok || req.Params["message"] != text {
		c.t.Fatalf("send %q: %v", text, res)
	}
	if req.ExpiresInSeconds != secs {
		c.t.Fatalf("send %q carried a %d s timer, want %d", text, req.ExpiresInSeconds, secs)
	}
	want := int64(0)
	if secs > 0 {
		want = (req.Timestamp + int64(secs)*1000) * 1000
	}
	if res.ExpiresUnixMicro != want {
		c.t.Fatalf("send %q: expires at %d, want %d (a %d s timer)", text, res.ExpiresUnixMicro, want, secs)
	}
}

// once checks that nothing came after the notice: bob's next message in
// the chat, under the timer of secs his client now has, is the next
// notice.
func (c timerChat) once(marker string, secs int) {
	c.t.Helper()
	dm := &fakesignal.DataMessage{Message: fakesignal.Text(marker), ExpiresInSeconds: secs}
	if c.gid != "" {
		dm.GroupInfo = &fakesignal.GroupInfo{GroupID: c.gid, Type: "DELIVER"}
	}
	c.d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: dm})
	if ev := c.s.nextNotice(); ev.GetMessage().GetText() != marker {
		c.t.Fatalf("after the timer's notice: %v, want %q (the notice once)", ev, marker)
	}
}

// The user sets a direct chat's timer from XMPP (/timer): signal-cli's
// updateContact with expiration in seconds (it keeps the contact's timer
// and sends bob the change), a notice of the user's once, and the next
// send from XMPP carries the timer and disappears a day after it was
// sent; 0 turns it off, and the sends after stay.
func TestSetTimerDirect(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	c := timerChat{t: t, s: s, d: d, chat: bob}

	ev := c.set(day)
	req, ok := lastRequest(d, "updateContact")
	if !ok || req.Params["recipient"] != bob || req.Params["expiration"] != float64(day) {
		t.Fatalf("updateContact: %v (%v), want recipient %s, expiration %d", req.Params, ok, bob, day)
	}
	if ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT {
		t.Errorf("the notice: %v, want a direct chat's", ev)
	}
	c.once("noted", day)
	c.sent("gone tomorrow", day)

	c.set(0)
	if req, _ := lastRequest(d, "updateContact"); req.Params["expiration"] != float64(0) {
		t.Fatalf("updateContact: %v, want expiration 0", req.Params)
	}
	c.once("noted again", 0)
	c.sent("stays", 0)
}

// The user sets a group's timer from XMPP: updateGroup with expiration,
// a notice of the user's once (named by the group update's timestamp, as
// one from the phone), and the next send carries the group's timer with
// a deadline a day after it; 0 turns it off. A member who is no admin
// may set it where every member may edit the group's details (it is one
// of them on Signal).
func TestSetTimerGroup(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	c := timerChat{t: t, s: s, d: d, chat: hexGroup(gid), gid: gid}

	ev := c.set(day)
	req, ok := lastRequest(d, "updateGroup")
	if !ok || req.Params["groupId"] != gid || req.Params["expiration"] != float64(day) {
		t.Fatalf("updateGroup: %v (%v), want groupId %s, expiration %d", req.Params, ok, gid, day)
	}
	if g, _ := d.GetGroup(alice, gid); g.Timer != day {
		t.Fatalf("the group's timer on Signal: %d, want %d", g.Timer, day)
	}
	if ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.EventId == "" || ev.EventId != mid(ev.TimestampUnixMicro/1000, alice) {
		t.Errorf("the notice: %v, want a group's, named by its timestamp", ev)
	}
	c.once("noted", day)
	c.sent("gone tomorrow", day)

	c.set(0)
	if g, _ := d.GetGroup(alice, gid); g.Timer != 0 {
		t.Fatalf("the group's timer on Signal: %d, want off", g.Timer)
	}
	c.once("noted again", 0)
	c.sent("stays", 0)

	open := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: open, Name: "Open",
		Members: []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}, {Number: alice, UUID: aliceACI}}})
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if chat, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: hexGroup(open)}); err != nil || !chat.Features.GetChatTimer() {
		t.Fatalf("ChatInfo of a group where all edit: %v %v, want chat_timer", chat, err)
	}
	m := timerChat{t: t, s: s, d: d, chat: hexGroup(open), gid: open}
	m.set(day)
	m.sent("a member's timer", day)
}

// Where only admins edit a group's details, a member may not set its
// timer: refused before signal-cli (NOT_ALLOWED, the group's limits say
// so); and when the group turned so since it was read, Signal's refusal
// (a 403 signal-cli reports as AuthorizationFailedException) is
// NOT_ALLOWED too, not Signal out of reach. Neither makes a notice.
func TestSetTimerNotAllowed(t *testing.T) {
	d, _ := startFake(t)
	strict, later := fakesignal.NewGroupID(), fakesignal.NewGroupID()
	members := []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}, {Number: alice, UUID: aliceACI}}
	d.SetGroup(alice, fakesignal.Group{ID: strict, Name: "Strict", OnlyAdminsEdit: true, Members: members})
	d.SetGroup(alice, fakesignal.Group{ID: later, Name: "Later", Members: members})
	s := newSession(t, d)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	for _, gid := range []string{strict, later} {
		if _, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: hexGroup(gid)}); err != nil {
			t.Fatal(err)
		}
	}

	if res := s.do(hexGroup(strict), &pb.SetChatTimer{Seconds: day}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Fatalf("a member sets the timer where only admins edit: %v, want NOT_ALLOWED", res)
	}
	if n := d.Calls("updateGroup"); n != 0 {
		t.Fatalf("a refused timer reached signal-cli (%d updateGroup)", n)
	}

	g, _ := d.GetGroup(alice, later)
	g.OnlyAdminsEdit = true
	d.SetGroup(alice, g) // the session is not told
	res := s.do(hexGroup(later), &pb.SetChatTimer{Seconds: day})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Fatalf("Signal refuses the timer: %v, want NOT_ALLOWED", res)
	}
	if n := d.Calls("updateGroup"); n != 1 {
		t.Fatalf("%d updateGroup, want the timer's", n)
	}
	if g, _ := d.GetGroup(alice, later); g.Timer != 0 {
		t.Fatalf("the group's timer: %d, want it as it was", g.Timer)
	}
	timerChat{t: t, s: s, d: d, chat: bob}.once("no notice before", 0)
}
