package botmode_test

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// privateMsgAt is privateMsg dated at (unix seconds).
func privateMsgAt(id int, text string, at string) string {
	return strings.Replace(privateMsg(id, text, ""), `"date":1700000000`, `"date":`+at, 1)
}

// A person's photo is looked up again at their first message a day
// after the last look-up (the Bot API tells no change of it): one they
// removed is told as the avatar ID "none", whose UserInfo has no
// picture, so that the gateway clears it; within the day nothing is
// asked again.
func TestAvatarRemoved(t *testing.T) {
	api := newFakeAPI(t)
	api.addFile("avatar-501", []byte("jpeg of alice"))
	api.push(privateMsg(1, "hi", ""))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	isContact := func(ev *pb.Event) bool { return ev.GetContact() != nil }
	if ev := h.waitEvent(t, 0, "the contact", isContact); ev.GetContact().Contact.AvatarId != "uavatar-501" {
		t.Fatalf("avatar_id %q, want uavatar-501", ev.GetContact().Contact.AvatarId)
	}

	from := len(h.events())
	api.push(privateMsgAt(2, "an hour later", "1700003600"))
	h.waitFor(t, from, "the message of an hour later", isText("an hour later"))
	if n := len(api.callsOf("getUserProfilePhotos")); n != 1 {
		t.Errorf("%d look-ups within the day, want 1", n)
	}

	api.mu.Lock()
	delete(api.files, "avatar-501")
	api.mu.Unlock()
	from = len(h.events())
	api.push(privateMsgAt(3, "next day", "1700090000"))
	ev := h.waitEvent(t, from, "the contact with the photo removed", isContact)
	if id := ev.GetContact().Contact.AvatarId; id != "none" {
		t.Errorf("avatar_id %q, want %q", id, "none")
	}
	c, err := s.UserInfo(context.Background(), "501")
	if err != nil || len(c.Avatar) != 0 {
		t.Errorf("UserInfo %v %v: want no picture", c, err)
	}
}
