package signal_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/mediatext"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Pins through the gateway and a real Prosody: the user's "/pin" in
// reply to bob's message (XEP-0461) becomes signal-cli's sendPinMessage
// naming it (bob its author, its timestamp, forever), not a message to
// bob, and the user's notice of it replies to the message (a carbon:
// XEP-0356), once; "/unpin" is sendUnpinMessage. Bob's own pin (a
// pinMessage envelope) is his notice, replying to the message.
func TestGatewayPin(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	g, user, d := startLoggedIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := user.EnableCarbons(ctx); err != nil {
		t.Fatal(err)
	}
	bobJID := g.JID(bob)
	fromBob := func(s xmpptest.Stanza) bool { return s.Name == "message" && gatewaytest.Bare(s.From) == bobJID }

	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: at,
		DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text("meet at noon")}})
	msg := g.Next(user, "bob's message", func(s xmpptest.Stanza) bool { return fromBob(s) && s.Body == "meet at noon" })
	if msg.ID == "" {
		t.Fatalf("bob's message has no id: %s", msg.XML)
	}
	// isNotice matches the notice text replying to bob's message.
	isNotice := func(text string) func(xmpptest.Stanza) bool {
		return func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, text) &&
				strings.Contains(s.XML, `<reply xmlns="urn:xmpp:reply:0"`) && strings.Contains(s.XML, `id="`+msg.ID+`"`)
		}
	}
	reply := func(body string) {
		t.Helper()
		if err := user.SendRaw(ctx, `<message type='chat' id='`+user.NewID()+`' to='`+bobJID+`'><body>`+body+`</body>`+
			`<reply xmlns='urn:xmpp:reply:0' to='`+bobJID+`' id='`+msg.ID+`'/></message>`); err != nil {
			t.Fatal(err)
		}
	}

	reply("/pin")
	req := waitRequests(t, d, "sendPinMessage", 1)
	if r := anyStrings(req.Params["recipient"]); len(r) != 1 || r[0] != bob || req.Params["targetAuthor"] != bob ||
		req.Params["targetTimestamp"] != float64(at) || req.Params["pinDuration"] != float64(-1) {
		t.Fatalf("sendPinMessage %v, want to %s, author %s, timestamp %d, duration -1", req.Params, bob, bob, at)
	}
	mine := func(what, text string) {
		t.Helper()
		st := g.Next(user, what, isNotice(text))
		if !strings.Contains(st.XML, `<sent xmlns="urn:xmpp:carbons:2"`) {
			t.Fatalf("%s: %s, want a carbon of the user's message", what, st.XML)
		}
	}
	mine("the user's pin notice", mediatext.PinText(false))

	reply("/unpin")
	req = waitRequests(t, d, "sendUnpinMessage", 1)
	if r := anyStrings(req.Params["recipient"]); len(r) != 1 || r[0] != bob || req.Params["targetAuthor"] != bob || req.Params["targetTimestamp"] != float64(at) {
		t.Fatalf("sendUnpinMessage %v, want to %s, author %s, timestamp %d", req.Params, bob, bob, at)
	}
	mine("the user's unpin notice", mediatext.PinText(true))

	// Bob pins his message.
	pin := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: pin, DataMessage: &fakesignal.DataMessage{Timestamp: pin,
		PinMessage: &fakesignal.PinMessage{TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: at, PinDurationSeconds: -1}}})
	n := g.Next(user, "bob's pin notice", isNotice(mediatext.PinText(false)))
	if !fromBob(n) || !strings.HasSuffix(n.Body, "\n"+mediatext.PinText(false)) {
		t.Fatalf("bob's pin notice: %s, want from %s, %q after the reply's fallback", n.XML, bobJID, mediatext.PinText(false))
	}

	// Bob's next message comes after anything of the above would have:
	// one notice per pin, nothing sent to bob as a message.
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at,
		DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text("the last")}})
	g.Next(user, "bob's last message", func(s xmpptest.Stanza) bool { return fromBob(s) && s.Body == "the last" })
	for _, st := range user.Pending() {
		if isNotice("inned a message")(st) || st.Type == "error" {
			t.Errorf("after the pins: %s, want one notice each and no error", st.XML)
		}
	}
	if n := pinsMade(d); n != 2 {
		t.Errorf("%d pin requests, want 2", n)
	}
	for _, r := range d.Requests(alice) {
		if r.Method == "send" {
			t.Errorf("signal-cli got send %v: a pin went to bob as a message", r.Params)
		}
	}
}

// "/pins" in a room while signal-cli is down, through the gateway and a
// real Prosody: the gateway's ChatInfo asked with_pins is answered from
// what the plugin keeps, so the user sees bob's pin, in reply to his
// message, rather than "did not answer". (Before: the plugin waited 20 s
// for the daemon, then failed, and the gateway said to try again.)
func TestGatewayPinsDaemonDown(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	g, user, d := startLoggedIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Pinboard", Link: "https://signal.group/#pinboard",
		Members: []fakesignal.Member{{Number: alice, UUID: aliceACI}, {Number: bob, UUID: bobACI, Admin: true}}})
	room := g.JID(hexGroup(gid))
	if err := user.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	g.Next(user, "room subject", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "<subject")
	})
	inRoom := func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room
	}
	group := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: at,
		DataMessage: &fakesignal.DataMessage{Timestamp: at, GroupInfo: group, Message: fakesignal.Text("the plan")}})
	g.Next(user, "bob's message", func(s xmpptest.Stanza) bool { return inRoom(s) && s.Body == "the plan" })
	pin := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: pin, DataMessage: &fakesignal.DataMessage{Timestamp: pin,
		GroupInfo: group, PinMessage: &fakesignal.PinMessage{TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: at, PinDurationSeconds: -1}}})
	g.Next(user, "bob's pin notice", func(s xmpptest.Stanza) bool { return inRoom(s) && strings.Contains(s.Body, mediatext.PinText(false)) })

	d.Crash()
	if err := user.SendRaw(ctx, `<message type='groupchat' id='q1' to='`+room+`'><body>/pins</body></message>`); err != nil {
		t.Fatal(err)
	}
	a := g.Next(user, "the answer to /pins", func(s xmpptest.Stanza) bool {
		return inRoom(s) && (strings.Contains(s.Body, "Pinned (") || strings.Contains(s.Body, "did not answer") || strings.Contains(s.Body, "No pinned message seen"))
	})
	if !strings.Contains(a.Body, "Pinned (1 of 1)") || !strings.Contains(a.XML, `<reply xmlns="urn:xmpp:reply:0"`) {
		t.Fatalf("/pins with signal-cli down: %s, want bob's pin in reply to his message", a.XML)
	}
	// Signal lists no pins, and signal-cli was not asked now: the
	// summary says both (Chat.pins_seen_only, Chat.stale).
	g.Next(user, "the pins' summary", func(s xmpptest.Stanza) bool {
		return inRoom(s) && strings.Contains(s.Body, "1 message pinned in") && strings.Contains(s.Body, "Signal tells of pins only as they are made") &&
			strings.Contains(s.Body, "(As last known: Signal could not be asked now.)")
	})
	// The link as last read, said to be so: the admins may have reset it.
	if err := user.SendRaw(ctx, `<message type='groupchat' id='q2' to='`+room+`'><body>/link</body></message>`); err != nil {
		t.Fatal(err)
	}
	g.Next(user, "the answer to /link", func(s xmpptest.Stanza) bool {
		return inRoom(s) && strings.Contains(s.Body, "Invite link of Pinboard: https://signal.group/#pinboard (As last known: Signal could not be asked now.)")
	})
}
