package bridge

import (
	"context"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestLoginFeaturesRecord: a CONNECTED with features stores them with
// the login, and a session made from the record (as at a start) has
// them; features with nothing set stay features, not none; a CONNECTED
// without features clears them, and other states leave them.
func TestLoginFeaturesRecord(t *testing.T) {
	ctx := context.Background()
	tr := newTestTransport(t)
	const user = "u@localhost"
	l := store.Login{Transport: "echo", UserJID: user, LoginID: "bot"}
	if err := tr.db.PutLogin(ctx, l); err != nil {
		t.Fatal(err)
	}
	s := tr.setLogin(l)
	restarted := func() *session { // the session a start makes of the record
		t.Helper()
		ls, err := tr.db.ListLogins("echo")
		if err != nil || len(ls) != 1 {
			t.Fatalf("logins %v, %v", ls, err)
		}
		return newSession(tr, ls[0])
	}
	connected := func(f *pb.Features) {
		s.noteLoginFeatures(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED, Features: f})
	}

	bot := &pb.Features{Edits: true, Reactions: true}
	connected(bot)
	if own := restarted().feats.own; !proto.Equal(own, bot) {
		t.Errorf("after CONNECTED with features, a new session has %v, want %v", own, bot)
	}
	s.noteLoginFeatures(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT})
	if own := restarted().feats.own; !proto.Equal(own, bot) {
		t.Errorf("after another state, a new session has %v, want %v", own, bot)
	}
	connected(&pb.Features{})
	if own := restarted().feats.own; own == nil || !proto.Equal(own, &pb.Features{}) {
		t.Errorf("after CONNECTED with no feature set, a new session has %v, want none set", own)
	}
	connected(nil)
	if own := restarted().feats.own; own != nil {
		t.Errorf("after CONNECTED without features, a new session has %v, want the transport's (nil)", own)
	}
	if got, err := tr.db.GetLogin("echo", user); err != nil || got.Features != nil {
		t.Errorf("record after CONNECTED without features: %+v, %v", got, err)
	}
}
