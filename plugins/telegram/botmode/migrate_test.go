package botmode_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A basic group that became a supergroup ends its room as left, naming
// the supergroup's chat as the one that replaces it, as in user mode: its archive is kept (the supergroup's
// history starts afresh). It ended as deleted, and the gateway removed
// the archive with the room.
func TestGroupMigratedKeepsArchive(t *testing.T) {
	api := newFakeAPI(t)
	api.push(`{"message":{"message_id":70,"date":1700000200,"chat":{"id":-4001,"type":"group","title":"Old group"},
		"from":{"id":601,"is_bot":false,"first_name":"Carol"},"migrate_to_chat_id":-1004001}}`)
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ev := h.waitEvent(t, 0, "the old group's end", func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil })
	r := ev.GetChatRemoved()
	if ev.ChatId != "-4001" || r.Reason != pb.ChatRemovedEvent_REASON_LEFT || r.ReplacedBy != "-1004001" {
		t.Errorf("migration: %v, want the old group left, naming the supergroup", ev)
	}
}
