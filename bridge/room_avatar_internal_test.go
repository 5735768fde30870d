package bridge

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// When a group's picture is fetched: a new avatar ID each time; a chat
// that does not say (WhatsApp names a group's picture only when it
// changes) once, not at every chat list; never for "no picture".
func TestTakePicture(t *testing.T) {
	r := &room{}
	steps := []struct {
		chat  *pb.Chat
		fetch bool
		id    string
	}{
		{&pb.Chat{}, true, ""},                // not said: learn it once
		{&pb.Chat{}, false, ""},               // not again
		{&pb.Chat{AvatarId: "a"}, true, "a"},  // an ID: new
		{&pb.Chat{AvatarId: "a"}, false, "a"}, // the same
		{&pb.Chat{}, false, "a"},              // not said: kept
		{&pb.Chat{AvatarId: "b"}, true, "b"},  // changed
		{&pb.Chat{NoAvatar: true}, false, ""}, // removed
		{&pb.Chat{}, false, ""},               // not said: still none
		{&pb.Chat{AvatarId: "b"}, true, "b"},  // back
	}
	for i, st := range steps {
		if got := r.takePicture(st.chat); got != st.fetch || r.avatarID != st.id {
			t.Fatalf("step %d (%v): fetch %v, ID %q; want %v, %q", i, st.chat, got, r.avatarID, st.fetch, st.id)
		}
	}
	if fresh := (&room{}); !fresh.takePicture(&pb.Chat{}) || fresh.takePicture(&pb.Chat{NoAvatar: true}) {
		t.Fatal("a fresh room's first word")
	}
	if none := (&room{}); none.takePicture(&pb.Chat{NoAvatar: true}) || none.takePicture(&pb.Chat{}) {
		t.Fatal("a group said to have no picture is fetched anyway")
	}
}
