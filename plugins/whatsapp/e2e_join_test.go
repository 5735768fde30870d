package whatsapp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestEndToEndJoinByLink joins a WhatsApp group by its invitation link
// through the gateway and a real Prosody: disco#info shows joinchat@ as a
// room (and an unknown number as no room), its join without a password
// asks for one, with the link it is answered gone naming the group's own
// room, announced; that room is joined and a message crosses each way. A
// link no group has is refused as item-not-found.
func TestEndToEndJoinByLink(t *testing.T) {
	bin := fakePlugin(t)
	srv := startRemote(t)

	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: bin, Name: "whatsapp",
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	hikers := types.NewJID("120363000000000777", types.GroupServer)
	srv.Link("HiKeRs0123456789AbC", &types.GroupInfo{JID: hikers, GroupName: types.GroupName{Name: "Hikers"},
		Participants: []types.GroupParticipant{{JID: bob, PhoneNumber: bob, IsAdmin: true, IsSuperAdmin: true}}})

	loginByQR(t, g, srv, alice)
	ctx, cancel := context.WithTimeout(context.Background(), 2*gatewaytest.Timeout)
	defer cancel()

	joinchat := g.JID("joinchat")
	disco := func(jid string) string {
		t.Helper()
		st, err := alice.IQ(ctx, `<iq type='get' to='`+jid+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		if err != nil {
			t.Fatalf("disco#info %s: %v", jid, err)
		}
		return st.XML
	}
	if x := disco(joinchat); !strings.Contains(x, `category="conference"`) || !strings.Contains(x, "http://jabber.org/protocol/muc") {
		t.Errorf("disco#info of %s: want a room to join, got %s", joinchat, x)
	}
	if x := disco(g.JID("+33699999999")); strings.Contains(x, `category="conference"`) {
		t.Errorf("disco#info of an unknown number answers as a room: %s", x)
	}

	// join sends a MUC join of room (with a password, when given) and
	// returns the answer: the self-presence or the error.
	join := func(room, password string) xmpptest.Stanza {
		t.Helper()
		x := `<x xmlns='http://jabber.org/protocol/muc'/>`
		if password != "" {
			x = `<x xmlns='http://jabber.org/protocol/muc'><password>` + gatewaytest.Escape(password) + `</password></x>`
		}
		if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'>`+x+`</presence>`); err != nil {
			t.Fatal(err)
		}
		return g.Next(alice, "the answer to the join of "+room, func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && gatewaytest.Bare(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, `code="110"`))
		})
	}

	if st := join(joinchat, ""); st.Err == nil || st.Err.Condition != "not-authorized" {
		t.Errorf("join of %s without a password: want not-authorized, got %s", joinchat, st.XML)
	}
	if st := join(joinchat, "https://chat.whatsapp.com/NoSuChLiNk0123456789"); st.Err == nil || st.Err.Condition != "item-not-found" {
		t.Errorf("join by a link no group has: want item-not-found, got %s", st.XML)
	}
	room := g.JID(hikers.String())
	st := join(joinchat, "https://chat.whatsapp.com/HiKeRs0123456789AbC")
	if st.Err == nil || st.Err.Condition != "gone" || !strings.Contains(st.XML, "xmpp:"+strings.ReplaceAll(room, `\`, "%5C")+"?join") {
		t.Fatalf("join by the link: want gone naming %s, got %s", room, st.XML)
	}
	g.WaitLog("room=" + room) // announced: a bookmark or an invitation
	if self := join(room, ""); self.Type == "error" {
		t.Fatalf("join %s: %s", room, self.XML)
	}
	srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: hikers, Sender: bob, IsGroup: true}, ID: "HK1", Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{Conversation: proto.String("welcome, hikers")})
	g.Next(alice, "bob's message in the joined group", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room && s.Body == "welcome, hikers"
	})
	if err := alice.SendRaw(ctx, `<message type='groupchat' to='`+room+`' id='hk2'><body>thanks</body></message>`); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == hikers.String() && m.GetConversation() == "thanks"
	}); err != nil {
		t.Fatal(err)
	}
}
