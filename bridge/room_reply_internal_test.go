package bridge

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestRoomReplyTargetSources: a reply's author is found for a recent
// member's message (remembered as it was rendered), for an older one
// (the archive's nick), and for the user's own (the user's nick); a
// message the room's archive lacks names no author.
func TestRoomReplyTargetSources(t *testing.T) {
	tr, s, r := roomFixture(t)
	c := chatOut{t: tr, ev: &pb.Event{LoginId: "alice-echo", ChatId: "g1"}, user: s.user, puppet: r.jid + "/Two", group: true}
	r.mu.Lock()
	r.authors.put("recent", "One")
	self := r.ownNickLocked(s)
	r.mu.Unlock()
	if _, dup := tr.archive(context.Background(), s.user, r, store.ArchivedMessage{RemoteID: "older", Nick: "Two",
		Payload: []byte(`<message to="alice@localhost"><body>old</body></message>`)}); dup {
		t.Fatal("a duplicate")
	}
	for _, tc := range []struct {
		ref  store.MessageRef
		want string
	}{
		{store.MessageRef{RemoteID: "recent"}, r.jid + "/One"},
		{store.MessageRef{RemoteID: "older"}, r.jid + "/Two"},
		{store.MessageRef{RemoteID: "mine", FromMe: true}, r.jid + "/" + self},
		{store.MessageRef{RemoteID: "unknown"}, ""},
	} {
		if to, _ := c.roomReplyTarget(tc.ref); to != tc.want {
			t.Errorf("%s: to %q, want %q", tc.ref.RemoteID, to, tc.want)
		}
	}
}
