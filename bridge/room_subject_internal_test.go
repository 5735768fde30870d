package bridge

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestRoomOwnTopicFromChatInfo: a topic the user set, as the network's
// description of the chat names its setter (the login's ID, or the
// member marked is_self), is the user's subject: from the user's nick,
// with the user's occupant-id, as the network's topic event shows it.
// Before, the setter was looked up among the other members, where the
// user is not, and the subject came from the room itself: clients said
// nobody set it, or the room did (found by review).
func TestRoomOwnTopicFromChatInfo(t *testing.T) {
	for _, c := range []struct {
		name    string
		setter  string
		members []*pb.Member
	}{
		{"by the login's ID", "alice-echo", nil},
		{"by the member marked is_self", "u-alice", []*pb.Member{{UserId: "u-alice", IsSelf: true}, {UserId: "echo-1", Nick: "One"}, {UserId: "echo-2", Nick: "Two"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, s, r := roomFixture(t)
			out := s.updateRoom(context.Background(), r, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
				Topic: "Bridges", TopicSetterId: c.setter, Members: c.members}, true)
			r.mu.Lock()
			oid := s.selfOccupantID(r)
			r.mu.Unlock()
			allHave(t, "subject", out, 2, `from="g1@echo.localhost/Alice"`, "<subject>Bridges</subject>", `id="`+oid+`"`)
		})
	}
}
