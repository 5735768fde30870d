package telegram

import (
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A group's ChatInfo gives the link others join it by when the user may
// share one ("/link" in its room), on the fake Telegram: an admin gets
// the group's invite link, of a basic group, a supergroup or a channel;
// a public group gives its t.me/name to anyone, even to an admin who
// could also see its private link; a plain member of a private group,
// and an admin of a group whose link expired, get none.
func TestChatInfoInviteLinkLive(t *testing.T) {
	srv := newFake(t)
	srv.AddGroup(tgfake.Group{ID: 81, Title: "Admins' Club", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, Admins: []int64{alice.ID}, InviteHash: "Club81xY"})
	srv.AddGroup(tgfake.Group{ID: 82, Title: "Members' Club", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, InviteHash: "Club82xY"})
	srv.AddChannel(tgfake.Channel{ID: 610, Title: "Owned", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID, InviteHash: "Own_610"})
	srv.AddChannel(tgfake.Channel{ID: 620, Title: "Announcements", Broadcast: true, Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, Admins: []int64{alice.ID}, InviteHash: "News-620"})
	srv.AddChannel(tgfake.Channel{ID: 630, Title: "Gophers", Username: "gophers", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 640, Title: "Public Owned", Username: "pubowned", Members: []int64{alice.ID}, Creator: alice.ID, InviteHash: "Priv640"})
	srv.AddChannel(tgfake.Channel{ID: 650, Title: "Private", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, InviteHash: "Priv650"})
	srv.AddChannel(tgfake.Channel{ID: 660, Title: "Revoked", Members: []int64{alice.ID}, Creator: alice.ID, InviteHash: "Gone660", InviteExpired: true})
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil { // the user's groups, as the gateway asks first
		t.Fatal(err)
	}
	for _, c := range []struct{ chat, want, why string }{
		{"-81", "https://t.me/+Club81xY", "a basic group's admin"},
		{"-82", "", "a basic group's plain member"},
		{"-77", "", "a basic group's creator, with no link"},
		{"-100610", "https://t.me/+Own_610", "a supergroup's creator"},
		{"-100620", "https://t.me/+News-620", "a channel's admin"},
		{"-100630", "https://t.me/gophers", "a public supergroup's plain member"},
		{"-100640", "https://t.me/pubowned", "a public supergroup's creator: its public name first"},
		{"-100650", "", "a private supergroup's plain member"},
		{"-100660", "", "the creator of a supergroup whose link expired"},
	} {
		info, err := s.ChatInfo(ctx, c.chat)
		if err != nil {
			t.Fatalf("%s (%s): %v", c.chat, c.why, err)
		}
		if info.InviteLink != c.want {
			t.Errorf("%s (%s): invite link %q, want %q", c.chat, c.why, info.InviteLink, c.want)
		}
	}
}

// A channel known only by its collectible usernames gives the first
// active one; a revoked exported link is none.
func TestInviteLinkNames(t *testing.T) {
	collectible := &tg.Channel{Usernames: []tg.Username{{Username: "old"}, {Username: "rare", Active: true}}}
	if got := inviteLink(channelUsername(collectible), nil); got != "https://t.me/rare" {
		t.Errorf("collectible: %q", got)
	}
	revoked := &tg.ChatInviteExported{Revoked: true, Link: "https://t.me/+Old"}
	if got := inviteLink(channelUsername(nil), revoked); got != "" {
		t.Errorf("revoked: %q", got)
	}
	if got := inviteLink("", &tg.ChatInvitePublicJoinRequests{}); got != "" {
		t.Errorf("public join requests: %q", got)
	}
}
