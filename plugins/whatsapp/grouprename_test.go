package whatsapp

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A group renamed before the plugin read its info (a rename told while
// the gateway was away comes at the connection, before the room sync):
// its ChatEvent, which the gateway takes as the chat's whole
// description, still has its subject, members and who may post, read
// from WhatsApp, not the new name alone, which cleared the room's
// subject and made an announcement group writable.
func TestGroupRenamedNotCached(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "New name"}, GroupTopic: types.GroupTopic{Topic: "weekend plans"},
		GroupAnnounce: types.GroupAnnounce{IsAnnounce: true},
		Participants: []types.GroupParticipant{
			{JID: phone, PhoneNumber: phone},
			{JID: alice, PhoneNumber: alice, IsSuperAdmin: true},
		},
	})
	from := r.host.count()
	fake.Emit(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Name: &types.GroupName{Name: "New name"}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetChat() != nil })
	c := ev.GetChat().GetChat()
	if c.Name != "New name" || c.Topic != "weekend plans" || len(c.Members) != 2 || !c.ReadOnly {
		t.Errorf("renamed group: %v", c)
	}
}

// A group turned into an announcement group (only admins post) before
// the plugin read it: its room becomes read-only all the same, the
// group read from WhatsApp.
func TestGroupAnnounceNotCached(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "News"}, GroupTopic: types.GroupTopic{Topic: "daily"},
		GroupAnnounce: types.GroupAnnounce{IsAnnounce: true},
		Participants: []types.GroupParticipant{
			{JID: phone, PhoneNumber: phone},
			{JID: alice, PhoneNumber: alice, IsSuperAdmin: true},
		},
	})
	from := r.host.count()
	fake.Emit(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Announce: &types.GroupAnnounce{IsAnnounce: true}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetChat() != nil })
	if c := ev.GetChat().GetChat(); !c.ReadOnly || c.Name != "News" || c.Topic != "daily" {
		t.Errorf("announcement group: %v", c)
	}
}

// A notification that renames a group and makes it an announcement
// group at once gives the room both: one ChatEvent, read-only.
func TestGroupRenamedAndAnnounce(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{
			{JID: phone, PhoneNumber: phone},
			{JID: alice, PhoneNumber: alice, IsSuperAdmin: true},
		},
	})
	if _, err := s.ChatList(context.Background()); err != nil {
		t.Fatal(err)
	}
	from := r.host.count()
	fake.Emit(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Name: &types.GroupName{Name: "News"}, Announce: &types.GroupAnnounce{IsAnnounce: true}})
	fake.Emit(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Topic: &types.GroupTopic{Topic: "fence"}})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetTopic() != nil })
	var chats []*pb.Chat
	for _, ev := range r.host.since(from) {
		if c := ev.GetChat().GetChat(); c != nil {
			chats = append(chats, c)
		}
	}
	if len(chats) == 0 || chats[len(chats)-1].Name != "News" || !chats[len(chats)-1].ReadOnly {
		t.Errorf("renamed and made an announcement group: %v", chats)
	}
}
