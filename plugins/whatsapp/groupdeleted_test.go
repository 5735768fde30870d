package whatsapp

import (
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A group deleted by its owner closes its room saying who deleted it, in
// words: the room was told WhatsApp's bare reason code, most often
// nothing (then the gateway's "the group was deleted", whoever did it).
func TestGroupDeletedSaysWho(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	cases := []struct {
		sender *types.JID
		reason string
		want   []string
	}{
		{&bob, "", []string{"+33622222222", "deleted the group"}},
		{&me, "", []string{"You deleted the group"}},
		{nil, "some_code", []string{"The group was deleted", "(WhatsApp's reason: some_code)"}},
	}
	for _, tc := range cases {
		from := r.host.count()
		fake.Emit(&events.GroupInfo{JID: group, Sender: tc.sender, Timestamp: when, Delete: &types.GroupDelete{Deleted: true, DeleteReason: tc.reason}})
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil })
		cr := ev.GetChatRemoved()
		if ev.ChatId != group.String() || cr.Reason != pb.ChatRemovedEvent_REASON_DELETED {
			t.Errorf("removed: %v", ev)
		}
		for _, w := range tc.want {
			if !strings.Contains(cr.Text, w) {
				t.Errorf("deleted by %v: text %q, want %q in it", tc.sender, cr.Text, w)
			}
		}
	}
}
