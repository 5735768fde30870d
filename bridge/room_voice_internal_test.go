package bridge

import (
	"context"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestRoomVoiceRequest: a request for voice (XEP-0045 §7.13, Gajim's in a
// moderated room: a channel's reader is a visitor) is answered
// feature-not-implemented, saying that only the channel's admins post
// and the gateway passes no request on; one from a user who may post
// says so. Before, both got not-acceptable "this is a group: join ... and
// send groupchat messages", which a joined client could make nothing of.
func TestRoomVoiceRequest(t *testing.T) {
	const request = `<message from='alice@localhost/phone' to='g1@echo.localhost' id='v1'><x xmlns='jabber:x:data' type='submit'>` +
		`<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>` +
		`<field var='muc#role' type='list-single'><value>participant</value></field></x></message>`
	for _, c := range []struct {
		name string
		role pb.Role
		text string
	}{
		{"a channel's reader", pb.Role_ROLE_PARTICIPANT, "only the admins of News post in it"},
		{"a channel's admin", pb.Role_ROLE_MODERATOR, "you may post in News already"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, s, r, sent := linkedRoom(t)
			tr.access = config.Access{Allow: []string{"localhost"}}
			tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log})
			ctx := context.Background()
			s.updateRoom(ctx, r, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_CHANNEL, Name: "News",
				Members: []*pb.Member{{UserId: "alice-echo", IsSelf: true, Role: c.role}}}, false)
			st, err := wire.Parse(request)
			if err != nil {
				t.Fatal(err)
			}
			if !tr.roomStanza(ctx, st, jid.MustParse(st.From()), jid.MustParse(st.To())) {
				t.Fatal("a voice request to a room was not the room's")
			}
			out := sent()
			if len(out) != 1 {
				t.Fatalf("want one answer, got %d", len(out))
			}
			cond, text := out[0].ErrorCondition()
			if cond != string(wire.FeatureNotImpl) || !strings.Contains(text, c.text) || out[0].ID() != "v1" {
				t.Errorf("answer: %s %q, want %s saying %q", cond, text, wire.FeatureNotImpl, c.text)
			}
		})
	}
}
