package bridge

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/syncbuf"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestLoginFeaturesStoredAtStop: a CONNECTED with the login's own
// features whose delivery the gateway's stop cut short (its context
// ended, the store still open) stores them all the same, and logs no
// error: a normal stop is no failure (the demo's -once logged one), and
// a record without them had the next start offer the transport's
// features until the login said CONNECTED again.
func TestLoginFeaturesStoredAtStop(t *testing.T) {
	tr, s := aliceOnEcho(t)
	logs := &syncbuf.Buffer{}
	tr.log = slog.New(slog.NewTextHandler(logs, nil)) // info, as an operator reads it
	if err := tr.db.PutLogin(context.Background(), s.Login()); err != nil {
		t.Fatal(err)
	}
	stopping, stop := context.WithCancel(context.Background())
	stop()
	lite := &pb.Features{Edits: true, Reactions: true}
	tr.render(stopping, delivery{idx: -1, ev: &pb.Event{LoginId: "l",
		Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED, Features: lite}}}})

	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a CONNECTED delivered as the gateway stops logged an error:\n%s", logs)
	}
	l, err := tr.db.GetLogin("echo", "alice@localhost")
	if err != nil {
		t.Fatal(err)
	}
	if own, err := decodeLoginFeatures(l.Features); err != nil || !proto.Equal(own, lite) {
		t.Errorf("the record's features after the stop: %v, %v; want the login's %v", own, err, lite)
	}
}
