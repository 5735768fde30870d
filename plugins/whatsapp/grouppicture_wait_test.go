package whatsapp

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A group's picture changed, the group not read yet, while WhatsApp
// does not answer: the handler, which whatsmeow runs for every event in
// turn, asks for the group no longer than groupReadWait, then the
// events after it go on (whatsmeow's own IQ waits 75 s; the fake's
// silence, as long as the context).
func TestGroupPictureWaitBounded(t *testing.T) {
	shortGroupReadWait(t)
	r := newRig(t, "")
	_, fake := r.connected(t)
	fake.SetGroup(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{{JID: phone, PhoneNumber: phone}}})
	fake.SetSilent(true)
	from := r.host.count()
	go func() {
		fake.Emit(&events.Picture{JID: group, Author: alice, Timestamp: when, PictureID: "g2"})
		fake.Receive(context.Background(), &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "AFTER", Timestamp: when},
			&waE2E.Message{Conversation: proto.String("after the picture")})
	}()
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "AFTER" })
	fake.SetSilent(false)
}

// A group of a community joined while WhatsApp does not answer: the
// community's name is asked no longer than groupReadWait, and the
// events after it go on.
func TestJoinedCommunityGroupWaitBounded(t *testing.T) {
	shortGroupReadWait(t)
	r := newRig(t, "")
	_, fake := r.connected(t)
	parent := types.NewJID("120363000000000099", types.GroupServer)
	fake.SetSilent(true)
	from := r.host.count()
	go func() {
		fake.Emit(&events.JoinedGroup{GroupInfo: types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Friends"},
			GroupLinkedParent: types.GroupLinkedParent{LinkedParentJID: parent},
			Participants:      []types.GroupParticipant{{JID: phone, PhoneNumber: phone}}}})
		fake.Receive(context.Background(), &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "AFTER", Timestamp: when},
			&waE2E.Message{Conversation: proto.String("after the join")})
	}()
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "AFTER" })
	fake.SetSilent(false)
}
