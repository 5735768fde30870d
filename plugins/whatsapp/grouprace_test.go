package whatsapp

import (
	"context"
	"sync"
	"testing"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

// A group's info read by the host (ChatInfo, ChatList) while WhatsApp
// tells of its changes (members, name, picture): the cached group is
// changed under the session's lock only, and read so (run with -race).
func TestGroupReadWhileChanged(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{
			{JID: phone, PhoneNumber: phone, IsAdmin: true},
			{JID: alice, PhoneNumber: alice},
			{JID: bob, PhoneNumber: bob},
		},
	})
	const rounds = 200
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < rounds; i++ {
			if i%2 == 0 {
				s.ChatInfo(ctx, group.String())
			} else {
				s.ChatList(ctx)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < rounds; i++ {
			fake.Emit(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Join: []types.JID{carol}, Promote: []types.JID{bob},
				Name: &types.GroupName{Name: "Friends"}})
			fake.Emit(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Leave: []types.JID{carol}, Demote: []types.JID{bob}})
			fake.Emit(&events.Picture{JID: group, Author: alice, Timestamp: when, PictureID: "p1"})
		}
	}()
	wg.Wait()
}
