package signal_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// loginByQR logs user in by linking: the login command's QR code,
// scanned as alice's phone. It returns the command's last answer.
func loginByQR(t *testing.T, g *gatewaytest.Gateway, user *xmpptest.Client, d *fakesignal.Daemon) gatewaytest.CommandResponse {
	t.Helper()
	r, st := g.Command(user, "login", "", "", nil)
	if st.Type != "result" || r.Command.SessionID == "" {
		t.Fatalf("login: %s", st.XML)
	}
	sid := r.Command.SessionID
	if _, _, ok := r.Field("flow"); ok {
		r, st = g.Command(user, "login", sid, "next", map[string]string{"flow": "link"})
	}
	_, code, ok := r.Field("code")
	if st.Type != "result" || !ok || len(code) != 1 || !fakesignal.IsLinkURI(code[0]) {
		t.Fatalf("no QR code step: %s", st.XML)
	}
	if err := d.Scan(code[0], alice, aliceACI); err != nil {
		t.Fatal(err)
	}
	if r, st = g.Command(user, "login", sid, "next", nil); r.Command.Status != "completed" {
		t.Fatalf("login not completed: %s", st.XML)
	}
	return r
}

// TestGatewayJoinByLink joins Signal groups through the real gateway and
// Prosody: the room joinchat@ answers disco#info as a room, while an
// unknown number or any other name answers as a person's
// (join_chat_prefixes); its join with a group link as the password is
// answered with gone, naming the group's own room, which is announced
// and then joined, messages crossing it both ways. A link whose group's
// admins approve newcomers is refused with not-allowed saying the request
// is sent; a join without a password gets not-authorized, which makes a
// client ask for one.
func TestGatewayJoinByLink(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	bin, err := gatewaytest.Build(t.TempDir(), pluginPkg)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := startFake(t)
	hike := hikers()
	link := d.AddGroupLink(fakesignal.GroupLink{Group: hike})
	vetted := d.AddGroupLink(fakesignal.GroupLink{Group: hikers(), Approval: true})
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: bin, Name: "signal", PluginConfig: `socket = "` + d.Path() + `"`, Privileged: true})
	user := g.User("alice")
	g.WaitReady(user)
	loginByQR(t, g, user, d)
	g.WaitRoster(user, "bob on the roster", func(m map[string]gatewaytest.RosterItem) bool { return m[g.JID(bob)].Name == "Bob" })
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()

	isRoom := func(addr string) bool {
		t.Helper()
		st, err := user.IQ(ctx, `<iq type='get' to='`+addr+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		if st.Type != "result" {
			t.Fatalf("disco#info of %s: %s", addr, st.XML)
		}
		return strings.Contains(st.XML, `category="conference"`) || strings.Contains(st.XML, `category='conference'`)
	}
	joinchat := g.JID("joinchat")
	if !isRoom(joinchat) {
		t.Error("joinchat@ does not answer disco#info as a room: a client would not join it")
	}
	for _, who := range []string{"+15550000077", "hikers"} {
		if isRoom(g.JID(who)) {
			t.Errorf("%s@ answers disco#info as a room", who)
		}
	}

	join := func(room, password string) xmpptest.Stanza {
		t.Helper()
		x := `<x xmlns='http://jabber.org/protocol/muc'/>`
		if password != "" {
			x = `<x xmlns='http://jabber.org/protocol/muc'><password>` + gatewaytest.Escape(password) + `</password></x>`
		}
		if err := user.SendRaw(ctx, `<presence to='`+room+`/alice'>`+x+`</presence>`); err != nil {
			t.Fatal(err)
		}
		return g.Next(user, "the answer to the join of "+room, func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && gatewaytest.Bare(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, `code="110"`))
		})
	}

	room := g.JID(hexGroup(hike.ID))
	if st := join(joinchat, link); st.Err == nil || st.Err.Condition != "gone" || !strings.Contains(st.XML, "xmpp:"+strings.ReplaceAll(room, `\`, "%5C")+"?join") {
		t.Fatalf("join by link: want gone naming %s, got %s", room, st.XML)
	}
	g.WaitLog("room=" + room)
	if st := join(room, ""); st.Type == "error" {
		t.Fatalf("join %s: %s", room, st.XML)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("welcome, alice"), GroupInfo: &fakesignal.GroupInfo{GroupID: hike.ID, Type: "DELIVER"}}})
	g.Next(user, "bob's message in the joined group", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room && s.Body == "welcome, alice"
	})
	if err := user.SendRaw(ctx, `<message type='groupchat' to='`+room+`' id='j1'><body>thanks, bob</body><origin-id xmlns='urn:xmpp:sid:0' id='j1'/></message>`); err != nil {
		t.Fatal(err)
	}
	waitGroupSent(t, d, hike.ID, "thanks, bob")

	if st := join(joinchat, vetted); st.Err == nil || st.Err.Condition != "not-allowed" || !strings.Contains(st.XML, "request to join") {
		t.Errorf("join by a link needing approval: want not-allowed saying the request is sent, got %s", st.XML)
	}
	if st := join(joinchat, ""); st.Err == nil || st.Err.Condition != "not-authorized" || !strings.Contains(st.XML, "group link") {
		t.Errorf("join without a link: want not-authorized asking for it, got %s", st.XML)
	}
}
