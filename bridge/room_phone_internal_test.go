package bridge

import (
	"context"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestRoomOwnPhoneMessageNotHeldBySend: while a send of the user's is
// under way in a room (a file the plugin uploads to the network, which
// may take minutes), the user's own message typed on the phone is shown
// at once. An earlier fix of this session held every own message while
// a send was under way (awaitReflection), for up to 15 s, and every
// later event of the room behind it (found by review); it is taken out:
// an early echo of a send is shown, and its reflection then goes out
// under the echo's stanza-id (TestRoomEchoBeforeReflection).
func TestRoomOwnPhoneMessageNotHeldBySend(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	login := s.LoginID()
	sendDone := s.sending.start(sendKey(login, r.chatID, "*"), sendKey(login, r.chatID, "upload-1"))
	defer sendDone()
	ev := groupEv(&pb.MessageEvent{})
	ev.EventId, ev.Sender = "phone-1", &pb.Sender{UserId: login, IsFromMe: true}
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: "typed on the phone"}}
	rendered := make(chan [][]byte, 1)
	began := time.Now()
	go func() { rendered <- tr.renderRoom(ctx, delivery{ev: ev, xid: "x-phone"}, s) }()
	select {
	case <-rendered:
	case <-time.After(2 * time.Second):
		t.Errorf("the user's own message from the phone is held behind an unrelated send in the room (still waiting after %v; up to %v)", time.Since(began).Round(time.Second), targetWait+reflectWait)
	}
}
