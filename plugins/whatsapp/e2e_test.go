package whatsapp_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// fakePlugin is the plugin on the remote fake, built once per test
// process (and removed by plugintest.Main).
func fakePlugin(t *testing.T) string {
	t.Helper()
	return plugintest.BuildBinary(t, "passerelle.im/passerelle/plugins/whatsapp/internal/fakeplugin")
}

// startRemote starts the remote fake WhatsApp the fake plugin dials, its
// socket in a short folder of its own (a unix socket path is short).
func startRemote(t *testing.T) *wafake.Server {
	t.Helper()
	sockDir, err := os.MkdirTemp("", "wa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	srv, err := wafake.NewServer(sockDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// processLoggedIn starts the plugin's process on a new remote fake, logs
// alice in by QR code (me scanning it) and waits until she is connected:
// the fake, the plugin, its events and the login.
func processLoggedIn(t *testing.T) (*wafake.Server, *plugintest.Plugin, *plugintest.EventStream, *pb.CompleteStep) {
	t.Helper()
	srv := startRemote(t)
	p := plugintest.Start(t, fakePlugin(t), t.TempDir(), []byte(fmt.Sprintf(`{"wafake_socket": %q}`, srv.Socket)))
	done := p.LoginSteps("qr", []plugintest.LoginStep{{Act: func(testing.TB, *pb.LoginStep) map[string]string {
		srv.Scan(me, "Alice")
		return nil
	}}})
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	return srv, p, evs, done
}

var (
	me    = types.NewJID("33600000000", types.DefaultUserServer)
	bob   = types.NewJID("33622222222", types.DefaultUserServer)
	group = types.NewJID("120363000000000001", types.GroupServer)
)

func incoming(from types.JID, id, text string) (types.MessageInfo, *waE2E.Message) {
	return types.MessageInfo{MessageSource: types.MessageSource{Chat: from, Sender: from}, ID: id, Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{Conversation: proto.String(text)}
}

// loginByQR logs alice in through the gateway's login command, by QR
// code, the test's phone (me) scanning it, and waits for the gateway to
// say she is logged in.
// aliceLoggedIn starts Prosody, the gateway (with XEP-0356 privileges)
// and the plugin process on the remote fake, and logs alice in by QR
// code.
func aliceLoggedIn(t *testing.T) (*gatewaytest.Gateway, *wafake.Server, *xmpptest.Client) {
	t.Helper()
	srv := startRemote(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: fakePlugin(t), Name: "whatsapp", Privileged: true,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	loginByQR(t, g, srv, alice)
	return g, srv, alice
}

func loginByQR(t *testing.T, g *gatewaytest.Gateway, srv *wafake.Server, alice *xmpptest.Client) {
	t.Helper()
	r, st := g.Command(alice, "login", "", "", nil)
	if st.Type != "result" || r.Command.SessionID == "" {
		t.Fatalf("login: %s", st.XML)
	}
	if _, st = g.Command(alice, "login", r.Command.SessionID, "next", map[string]string{"flow": "qr"}); st.Type != "result" {
		t.Fatalf("QR step: %s", st.XML)
	}
	srv.Scan(me, "Alice")
	g.Next(alice, "the logged-in message", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.Body, "You are logged in")
	})
}

// TestEndToEnd runs the plugin under the gateway and a real Prosody, with
// WhatsApp faked at the client seam: a QR login the test scans, a contact
// in the roster, messages both ways, one sent from the phone, a file each
// way, a group as a room, a LID contact moving to its phone number, the
// history sync, and a restart of the gateway
// while WhatsApp has a message for the user, which arrives after it.
func TestEndToEnd(t *testing.T) {
	bin := fakePlugin(t)
	srv := startRemote(t)

	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: bin, Name: "whatsapp", Privileged: true, HTTPUpload: true, Backfill: 50,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)

	// Login by QR code: the flow, then the code shown; the test scans it.
	r, st := g.Command(alice, "login", "", "", nil)
	if st.Type != "result" || r.Command.SessionID == "" {
		t.Fatalf("login: %s", st.XML)
	}
	if _, opts, ok := r.Field("flow"); !ok || len(opts) == 0 {
		t.Fatalf("no flow choice: %s", r.XML)
	}
	r, st = g.Command(alice, "login", r.Command.SessionID, "next", map[string]string{"flow": "qr"})
	if _, code, ok := r.Field("code"); st.Type != "result" || !ok || len(code) == 0 || code[0] != "2@fake-qr-1" {
		t.Fatalf("QR step: %s", st.XML)
	}
	srv.Group(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Builders"}, GroupTopic: types.GroupTopic{Topic: "we build"},
		Participants: []types.GroupParticipant{{JID: me, PhoneNumber: me, IsAdmin: true}, {JID: bob, PhoneNumber: bob}}})
	srv.Contact(bob, "Bob Builder")
	srv.Scan(me, "Alice")
	g.Next(alice, "the logged-in message", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.Body, "You are logged in")
	})

	// The contact in the roster.
	bobJID := g.JID("+33622222222")
	g.WaitRoster(alice, "got Bob", func(m map[string]gatewaytest.RosterItem) bool { return m[bobJID].Name == "Bob Builder" })

	// Messages both ways.
	info, msg := incoming(bob, "W1", "hello from WhatsApp")
	srv.Receive(info, msg)
	if got := g.NextMessage(alice, bobJID); got.Body != "hello from WhatsApp" {
		t.Fatalf("incoming: %s", got.XML)
	}
	g.SendChat(alice, bobJID, "hello from XMPP")
	if _, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == bob.String() && m.GetConversation() == "hello from XMPP"
	}); err != nil {
		t.Fatal(err)
	}
	// A location shared as Conversations shares one: WhatsApp's own.
	g.SendChat(alice, bobJID, "geo:48.8584,2.2945")
	if _, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == bob.String() && m.GetLocationMessage().GetDegreesLatitude() == 48.8584 && m.GetLocationMessage().GetDegreesLongitude() == 2.2945
	}); err != nil {
		t.Fatal(err)
	}

	// What the user sent from the phone reaches their clients as sent by
	// them (XEP-0356 message permission, then the server's carbons).
	ctx0, cancel0 := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel0()
	if err := alice.EnableCarbons(ctx0); err != nil {
		t.Fatal(err)
	}
	srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: me, IsFromMe: true}, ID: "W9", Timestamp: time.Now()},
		&waE2E.Message{Conversation: proto.String("sent from my phone")})
	own := g.Next(alice, "the own-device message", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "sent from my phone") })
	if !strings.Contains(own.XML, "urn:xmpp:carbons:2") || !strings.Contains(own.XML, `from="alice@localhost"`) || !strings.Contains(own.XML, `to="`+bobJID+`"`) {
		t.Errorf("want a carbon of a message from alice to Bob, got %s", own.XML)
	}

	// A file from WhatsApp, uploaded to the user's server.
	pic := []byte("\x89PNG\r\n\x1a\n fake picture")
	srv.Media("/v/pic", pic)
	srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "W2", Timestamp: time.Now()},
		&waE2E.Message{ImageMessage: &waE2E.ImageMessage{DirectPath: proto.String("/v/pic"), Mimetype: proto.String("image/png"),
			FileLength: proto.Uint64(uint64(len(pic))), Caption: proto.String("a picture")}})
	// The caption and the file (a link to the upload) may come apart.
	got := g.Next(alice, "the file", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == bobJID && strings.Contains(s.XML, "jabber:x:oob")
	})
	if !strings.Contains(got.XML, "http://") {
		t.Fatalf("file: %s", got.XML)
	}
	if !strings.Contains(got.Body, "a picture") {
		g.Next(alice, "the caption", func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == bobJID && strings.Contains(s.Body, "a picture")
		})
	}

	// A file to WhatsApp: uploaded to the user's server, linked, fetched
	// by the gateway, streamed to the plugin and uploaded to WhatsApp.
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	doc := []byte("%PDF-1.7 a document")
	slot, err := alice.Upload(ctx, "upload.localhost", "notes.pdf", "application/pdf", doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.SendRaw(ctx, `<message type='chat' to='`+bobJID+`' id='f1'><body>`+slot.GetURL+`</body><x xmlns='jabber:x:oob'><url>`+slot.GetURL+`</url></x></message>`); err != nil {
		t.Fatal(err)
	}
	sentDoc, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool { return m.GetDocumentMessage() != nil })
	if err != nil {
		t.Fatal(err)
	}
	if d := sentDoc.GetDocumentMessage(); d.GetFileName() != "notes.pdf" || string(srv.Uploaded(d.GetDirectPath())) != string(doc) {
		t.Fatalf("document sent: %v", sentDoc)
	}

	// The group as a room: joined, a message each way.
	room := g.JID(group.String())
	if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "the room's self-presence", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "110")
	})
	srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: "G1", Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{Conversation: proto.String("hello group")})
	g.Next(alice, "the group message", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room && s.Body == "hello group"
	})
	if err := alice.SendRaw(ctx, `<message type='groupchat' to='`+room+`' id='g2'><body>hello all</body></message>`); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == group.String() && m.GetConversation() == "hello all"
	}); err != nil {
		t.Fatal(err)
	}

	// Inviting into the room someone WhatsApp will not add for their
	// privacy settings: WhatsApp's invitation goes to them instead, the
	// room says so, and the user's clients get a copy of the invitation
	// in the chat with them, as sent by the user (a carbon).
	dave := types.NewJID("33644444444", types.DefaultUserServer)
	daveJID := g.JID("+33644444444")
	srv.RefuseAdd(dave, 403)
	// The fake applies the server's commands in order: once bob's
	// message is through, so is the refusal.
	info, msg = incoming(bob, "W4", "refusal set")
	srv.Receive(info, msg)
	if got := g.NextMessage(alice, bobJID); got.Body != "refusal set" {
		t.Fatalf("incoming: %s", got.XML)
	}
	if err := alice.SendRaw(ctx, `<message to='`+room+`' id='inv1'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='`+daveJID+`'/></x></message>`); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == dave.String() && m.GetGroupInviteMessage().GetGroupJID() == group.String()
	}); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "the room's word that dave was invited, not added", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room &&
			strings.Contains(s.Body, "+33644444444 was not added") && strings.Contains(s.Body, "sent one in a private message")
	})
	inviteCopy := g.Next(alice, "the copy of the invitation", func(s xmpptest.Stanza) bool {
		return strings.Contains(s.XML, "Invitation to the WhatsApp group «Builders»")
	})
	if !strings.Contains(inviteCopy.XML, "urn:xmpp:carbons:2") || !strings.Contains(inviteCopy.XML, `to="`+daveJID+`"`) {
		t.Errorf("want a carbon of the invitation from alice to dave, got %s", inviteCopy.XML)
	}
	for _, p := range alice.Pending() {
		if p.Type == "error" && strings.Contains(p.XML, "inv1") {
			t.Errorf("the invitation answered with an error: %s", p.XML)
		}
	}

	// A contact known only by LID, then by phone: the contact moves.
	lid := types.NewJID("444555666", types.HiddenUserServer)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	lidJID, carolJID := g.JID("lid-444555666"), g.JID("+33633333333")
	srv.Contact(lid, "Carol")
	g.WaitRoster(alice, "got Carol by LID", func(m map[string]gatewaytest.RosterItem) bool { return m[lidJID].Name == "Carol" })
	srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: lid, Sender: lid}, ID: "L1", Timestamp: time.Now(), PushName: "Carol"},
		&waE2E.Message{Conversation: proto.String("by lid")})
	if got := g.NextMessage(alice, lidJID); got.Body != "by lid" {
		t.Fatalf("LID message: %s", got.XML)
	}
	srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: lid, Sender: lid, SenderAlt: carol, AddressingMode: types.AddressingModeLID},
		ID: "L2", Timestamp: time.Now(), PushName: "Carol"}, &waE2E.Message{Conversation: proto.String("by phone")})
	if got := g.NextMessage(alice, carolJID); got.Body != "by phone" {
		t.Fatalf("after the move: %s", got.XML)
	}
	g.WaitRoster(alice, "moved Carol", func(m map[string]gatewaytest.RosterItem) bool {
		_, old := m[lidJID]
		return !old && m[carolJID].Name == "Carol"
	})

	// The phone's history sync: past messages, delivered late.
	past := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	if err := srv.History(&waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(bob.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: &waWeb.WebMessageInfo{Key: &waCommon.MessageKey{RemoteJID: proto.String(bob.String()), ID: proto.String("H1"), FromMe: proto.Bool(false)},
				MessageTimestamp: proto.Uint64(uint64(past.Unix())), Message: &waE2E.Message{Conversation: proto.String("from the past")}}},
		}}}}); err != nil {
		t.Fatal(err)
	}
	hist := g.Next(alice, "the history message", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "from the past") })
	if !strings.Contains(hist.XML, "urn:xmpp:delay") {
		t.Errorf("history without its time: %s", hist.XML)
	}

	// A restart, with a message waiting on WhatsApp's side meanwhile.
	g.Stop()
	info, msg = incoming(bob, "W3", "while you were away")
	srv.Receive(info, msg)
	g.Run()
	g.WaitReady(alice)
	if got := g.NextMessage(alice, bobJID); got.Body != "while you were away" {
		t.Fatalf("after the restart: %s", got.XML)
	}
	g.SendChat(alice, bobJID, "back")
	if _, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool { return m.GetConversation() == "back" }); err != nil {
		t.Fatal(err)
	}
	// Nothing came twice across the restart (the history included).
	for _, st := range alice.Pending() {
		for _, once := range []string{"hello from WhatsApp", "from the past", "by phone", "hello group", "while you were away"} {
			if st.Name == "message" && strings.Contains(st.Body, once) {
				t.Errorf("delivered again: %s", st.XML)
			}
		}
	}
}
