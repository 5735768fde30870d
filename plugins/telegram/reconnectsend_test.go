package telegram

import (
	"strconv"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A message sent while the connection is down (gotd dialling again)
// goes once the connection is back: once, and named by its result; the
// login comes back connected. (A check of an error path: it held.)
func TestSendDuringReconnect(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	from := h.count()
	srv.Disconnect(alice.ID)
	h.wait(t, from, "transient state", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	})
	res, err := s.SendMessage(ctxT(t), sdk.Call{ChatID: "1002", TxnID: "during-the-drop"}, &pb.SendMessage{Text: "sent during the drop"})
	if err != nil {
		t.Fatalf("a send during the reconnection: %v", err)
	}
	n, id := 0, 0
	for _, m := range srv.Messages(bob.ID) {
		if m.Message == "sent during the drop" {
			n, id = n+1, srv.ID(srv.GID(bob.ID, m.ID), alice.ID)
		}
	}
	if n != 1 || res.MessageID != strconv.Itoa(id) {
		t.Errorf("bob has the message %d times; the result names %s, alice's copy is %d", n, res.MessageID, id)
	}
	h.wait(t, from, "connected again", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
}
