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

// TestEndToEndPrivateInvitation: bob sends alice a WhatsApp private
// invitation (GroupInviteMessage); through the gateway and a real
// Prosody her client gets the group's room inviting her (a XEP-0045
// mediated invitation from the room, bob's puppet the inviter, the
// invitation as its <password>); the room answers disco#info as a room
// before she is in; her join of it with that password joins the group
// by JoinGroupWithInvite. Before, the invitation was only a text in
// bob's chat and the group's room could not be joined.
func TestEndToEndPrivateInvitation(t *testing.T) {
	bin := fakePlugin(t)
	srv := startRemote(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: bin, Name: "whatsapp",
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	loginByQR(t, g, srv, alice)
	ctx, cancel := context.WithTimeout(context.Background(), 2*gatewaytest.Timeout)
	defer cancel()

	crew := types.NewJID("120363000000000888", types.GroupServer)
	exp := time.Now().Add(48 * time.Hour)
	srv.AddInvitation(&types.GroupInfo{JID: crew, GroupName: types.GroupName{Name: "Crew"},
		Participants: []types.GroupParticipant{{JID: bob, PhoneNumber: bob, IsAdmin: true, IsSuperAdmin: true}}}, bob, "CrEw+0888", exp)
	srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "CR1", Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{GroupInviteMessage: &waE2E.GroupInviteMessage{GroupJID: proto.String(crew.String()), InviteCode: proto.String("CrEw+0888"),
			InviteExpiration: proto.Int64(exp.Unix()), GroupName: proto.String("Crew")}})

	room := g.JID(crew.String())
	st := g.Next(alice, "the invitation from the group's room", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type != "error" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "<invite")
	})
	if !strings.Contains(st.XML, `from="`+g.JID("+"+bob.User)+`"`) || !strings.Contains(st.XML, "<password>invite:"+crew.User+":") {
		t.Fatalf("the invitation: want bob's puppet as the inviter and the invitation as its password, got %s", st.XML)
	}
	password := st.XML[strings.Index(st.XML, "<password>")+len("<password>") : strings.Index(st.XML, "</password>")]
	password = strings.ReplaceAll(password, "&amp;", "&")

	info, err := alice.IQ(ctx, `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || !strings.Contains(info.XML, `category="conference"`) {
		t.Errorf("disco#info of the invited group's room: want a room, got %v %s", err, info.XML)
	}

	if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'><password>`+gatewaytest.Escape(password)+`</password></x></presence>`); err != nil {
		t.Fatal(err)
	}
	self := g.Next(alice, "the answer to the join", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, `code="110"`))
	})
	if self.Type == "error" {
		t.Fatalf("join of the invited group's room with its password: %s", self.XML)
	}
}

// A private invitation received, then the gateway and its plugin
// restarted: the group's room joins without the password (the join a
// client offers from the group's name alone), by the invitation the
// plugin kept in the login's folder. Before, it was kept in memory only
// and the join was refused after the restart (not in the group, no
// invitation held).
func TestEndToEndInvitationAfterRestart(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*gatewaytest.Timeout)
	defer cancel()

	crew := types.NewJID("120363000000000889", types.GroupServer)
	exp := time.Now().Add(48 * time.Hour)
	srv.AddInvitation(&types.GroupInfo{JID: crew, GroupName: types.GroupName{Name: "Crew"},
		Participants: []types.GroupParticipant{{JID: bob, PhoneNumber: bob, IsAdmin: true, IsSuperAdmin: true}}}, bob, "CrEw+0889", exp)
	srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "CR2", Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{GroupInviteMessage: &waE2E.GroupInviteMessage{GroupJID: proto.String(crew.String()), InviteCode: proto.String("CrEw+0889"),
			InviteExpiration: proto.Int64(exp.Unix()), GroupName: proto.String("Crew")}})
	room := g.JID(crew.String())
	g.Next(alice, "the invitation from the group's room", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type != "error" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "<invite")
	})

	g.Stop()
	g.Run()
	g.WaitReady(alice)
	if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	self := g.Next(alice, "the answer to the join", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, `code="110"`))
	})
	if self.Type == "error" {
		t.Fatalf("join of the invited group's room without the password after a restart: %s", self.XML)
	}
}
