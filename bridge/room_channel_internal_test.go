package bridge

import (
	"context"
	"testing"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestChannelAdminMayPost: a channel's admin (Telegram: its creator, an
// admin who may post; the plugin says read_only false and makes the
// user a moderator) may post in its room, as the self-presence offers;
// before, every post in a channel was refused as forbidden. A reader of
// the channel, and anyone in a chat the network marks read-only, is
// still refused (found by review).
func TestChannelAdminMayPost(t *testing.T) {
	for _, c := range []struct {
		name     string
		readOnly bool
		role     pb.Role
		refused  bool
	}{
		{"the channel's owner", false, pb.Role_ROLE_MODERATOR, false},
		{"a reader", false, pb.Role_ROLE_PARTICIPANT, true},
		{"a moderator where the network says read-only", true, pb.Role_ROLE_MODERATOR, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, s, r, sent := linkedRoom(t)
			tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log}) // no plugin: a post waits, then service-unavailable
			ctx := context.Background()
			s.updateRoom(ctx, r, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_CHANNEL, Name: "News", ReadOnly: c.readOnly,
				Members: []*pb.Member{{UserId: "alice-echo", IsSelf: true, Affiliation: pb.Affiliation_AFFILIATION_OWNER, Role: c.role}}}, false)
			r.mu.Lock()
			role := s.selfOccupantLocked(r).Role
			r.mu.Unlock()
			if want := muc.RoleVisitor; !c.refused && role == want || c.refused && c.role != pb.Role_ROLE_MODERATOR && role != want {
				t.Errorf("shown as %s", role)
			}
			st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='p1' type='groupchat'><body>news of the day</body></message>`)
			if err != nil {
				t.Fatal(err)
			}
			s.roomMessage(ctx, st, r, jid.MustParse("alice@localhost/phone"))
			forbidden := false
			for _, got := range sent() {
				if cond, _ := got.ErrorCondition(); cond == string(wire.Forbidden) {
					forbidden = true
				}
			}
			if forbidden != c.refused {
				t.Errorf("post refused as forbidden: %v, want %v", forbidden, c.refused)
			}
		})
	}
}
