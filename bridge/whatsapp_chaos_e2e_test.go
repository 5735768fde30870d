package bridge_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// waFar is WhatsApp as wafake plays it: its server outlives the plugin
// and the gateway, and keeps what it sends the user until a plugin takes
// it.
type waFar struct {
	srv                *wafake.Server
	me, contact, group types.JID
}

func (w waFar) receive(t *testing.T, group bool, body string) {
	t.Helper()
	info := types.MessageInfo{MessageSource: types.MessageSource{Chat: w.contact, Sender: w.contact}, ID: types.MessageID(strings.ReplaceAll(body, " ", "-")), Timestamp: time.Now(), PushName: "Bob"}
	if group {
		info.Chat, info.IsGroup = w.group, true
	}
	if err := w.srv.Receive(info, &waE2E.Message{Conversation: proto.String(body)}); err != nil {
		t.Fatal(err)
	}
}

func (w waFar) sent(group bool) []string {
	to := w.contact
	if group {
		to = w.group
	}
	var out []string
	for _, m := range w.srv.SentTo(to) {
		if b := m.GetConversation() + m.GetExtendedTextMessage().GetText(); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// TestWhatsAppRestartChaos: WhatsApp (wafake) through the real plugin
// process, the gateway as a process and Prosody; messages both ways, one
// to one and in a group, while the plugin is killed and then the
// gateway. Each arrives once, in order; what WhatsApp sent while they
// were down comes after.
func TestWhatsAppRestartChaos(t *testing.T) {
	bin := buildCmd(t, "passerelle.im/passerelle/plugins/whatsapp/internal/fakeplugin", "wa-fakeplugin")
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
	w := waFar{srv: srv, me: types.NewJID("33600000000", types.DefaultUserServer),
		contact: types.NewJID("33622222222", types.DefaultUserServer), group: types.NewJID("120363000000000001", types.GroupServer)}

	s := newStack(t, stackOptions{process: true, plugin: bin,
		extra: "\n[transport.config]\nwafake_socket = \"" + srv.Socket + "\"\n"})
	alice := s.user("alice")
	s.waitGateway(alice)

	// Login by QR code, the group and the contact on WhatsApp's side.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, st, err := alice.Command(ctx, domain, "login", "", "", nil)
	if err != nil || st.Type != "result" {
		t.Fatalf("login: %v %s", err, st.XML)
	}
	if _, st, err = alice.Command(ctx, domain, "login", r.Command.SessionID, "next", map[string]string{"flow": "qr"}); err != nil || st.Type != "result" {
		t.Fatalf("QR step: %v %s", err, st.XML)
	}
	srv.Group(&types.GroupInfo{JID: w.group, GroupName: types.GroupName{Name: "Builders"},
		Participants: []types.GroupParticipant{{JID: w.me, PhoneNumber: w.me, IsAdmin: true}, {JID: w.contact, PhoneNumber: w.contact}}})
	srv.Contact(w.contact, "Bob Builder")
	srv.Scan(w.me, "Alice")
	if _, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.Body, "You are logged in")
	}); err != nil {
		t.Fatalf("login: %v", err)
	}

	c := newRestartChaos(t, s, w, alice, jidOf(t, "+33622222222"), jidOf(t, w.group.String()))
	c.atMostOnce = true // wafake's Agent acks a message before applying it
	runRestartChaos(c)
}
