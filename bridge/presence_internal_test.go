package bridge

import (
	"testing"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A presence that is only a show value is replaced by an equal shared
// one; any other (or none) is kept as it is.
func TestSharedPresence(t *testing.T) {
	a := &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}
	b := &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}
	sa, sb := sharedPresence(a), sharedPresence(b)
	if sa != sb || sa == a || !proto.Equal(sa, a) {
		t.Errorf("bare presences: %p %p (%v), want one shared equal presence", sa, sb, sa)
	}
	if s := sharedPresence(&pb.Presence{}); s.GetShow() != pb.PresenceShow_PRESENCE_SHOW_UNKNOWN {
		t.Errorf("empty presence shared as %v", s)
	}
	if sharedPresence(nil) != nil {
		t.Error("no presence became one")
	}
	for _, p := range []*pb.Presence{
		{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY, Status: "out"},
		{Show: pb.PresenceShow_PRESENCE_SHOW_XA, LastSeenUnix: 1},
		{Show: pb.PresenceShow(99)},
	} {
		if sharedPresence(p) != p {
			t.Errorf("%v replaced", p)
		}
	}
}
