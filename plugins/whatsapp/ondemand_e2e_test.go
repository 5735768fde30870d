package whatsapp_test

import (
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
)

// pastMsg is a message of chat from sender at t, as history holds it.
func pastMsg(chat, sender types.JID, id string, t time.Time, text string) *waWeb.WebMessageInfo {
	key := &waCommon.MessageKey{RemoteJID: proto.String(chat.String()), ID: proto.String(id), FromMe: proto.Bool(false)}
	if chat.Server == types.GroupServer {
		key.Participant = proto.String(sender.String())
	}
	return &waWeb.WebMessageInfo{Key: key, MessageTimestamp: proto.Uint64(uint64(t.Unix())),
		Message: &waE2E.Message{Conversation: proto.String(text)}}
}

// TestEndToEndHistoryOnDemand: the phone pushes a little history of a
// chat and of a group; at the next start the gateway's backfill asks the
// plugin for more, the plugin asks the phone (wafake's) for what is
// older, and it reaches the user: as delayed messages in the chat, in
// the room's archive (MAM) for the group, older than what was pushed.
func TestEndToEndHistoryOnDemand(t *testing.T) {
	bin := fakePlugin(t)
	srv := startRemote(t)

	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: bin, Name: "whatsapp", Privileged: true, Backfill: 50,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)

	now := time.Now().Truncate(time.Second)
	srv.Group(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Builders"},
		Participants: []types.GroupParticipant{{JID: me, PhoneNumber: me, IsAdmin: true}, {JID: bob, PhoneNumber: bob}}})
	srv.Contact(bob, "Bob Builder")
	// What only the phone has: older than what it pushes.
	if err := srv.PhoneHistory(bob, pastMsg(bob, bob, "P1", now.Add(-10*time.Hour), "older one"), pastMsg(bob, bob, "P2", now.Add(-9*time.Hour), "older two")); err != nil {
		t.Fatal(err)
	}
	if err := srv.PhoneHistory(group, pastMsg(group, bob, "GP1", now.Add(-8*time.Hour), "group older")); err != nil {
		t.Fatal(err)
	}

	loginByQR(t, g, srv, alice)
	bobJID, room := g.JID("+33622222222"), g.JID(group.String())
	g.WaitRoster(alice, "got Bob", func(m map[string]gatewaytest.RosterItem) bool { return m[bobJID].Name == "Bob Builder" })

	// The phone pushes its recent history: one message each.
	if err := srv.History(&waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(bob.String()), Messages: []*waHistorySync.HistorySyncMsg{{Message: pastMsg(bob, bob, "H1", now.Add(-2*time.Hour), "pushed")}}},
			{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{{Message: pastMsg(group, bob, "GH1", now.Add(-2*time.Hour), "group pushed")}}},
		}}); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "the pushed message", func(s xmpptest.Stanza) bool { return s.Name == "message" && s.Body == "pushed" })

	// The next start asks for more: the phone's older messages arrive,
	// delayed, oldest first.
	g.Restart()
	g.WaitReady(alice)
	for _, body := range []string{"older one", "older two"} {
		got := g.Next(alice, "the message from the phone", func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == bobJID && s.Body != "" && s.Body != "pushed"
		})
		if got.Body != body || !strings.Contains(got.XML, "urn:xmpp:delay") {
			t.Fatalf("want %q, delayed, got %s", body, got.XML)
		}
	}

	// The group's older message is in the room's archive, before the
	// pushed one.
	deadline := time.Now().Add(gatewaytest.Timeout)
	for {
		bodies := roomArchive(t, alice, room)
		if strings.Join(bodies, "|") == "group older|group pushed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("room archive: %q", bodies)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// roomArchive is the bodies of a room's archive, by MAM, oldest first.
func roomArchive(t *testing.T, c *xmpptest.Client, room string) []string {
	t.Helper()
	results, ok := gatewaytest.RoomArchive(t, c, room)
	if !ok {
		return nil // the room not known yet after the restart
	}
	var out []string
	for _, st := range results {
		var m struct {
			Body string `xml:"result>forwarded>message>body"`
		}
		if err := st.Unmarshal(&m); err != nil {
			t.Fatalf("MAM result %s: %v", st.XML, err)
		}
		out = append(out, m.Body)
	}
	return out
}
