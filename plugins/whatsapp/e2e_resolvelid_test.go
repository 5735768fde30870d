package whatsapp_test

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Looking up someone whose name WhatsApp keeps under their LID (as it
// now names people in groups), in the plugin process on the remote
// fake: by their number, once the LID's number is known, and by their
// lid- address, the contact found carries that name. It carried none:
// the roster entry the gateway makes of it (a contact added from XMPP)
// showed the bare number or lid- address.
func TestResolveNameKeptUnderLIDProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	dave := types.NewJID("33644444444", types.DefaultUserServer)
	daveLID := types.NewJID("777888999", types.HiddenUserServer)
	erinLID := types.NewJID("777888555", types.HiddenUserServer)
	// Dave writes in a group by LID, his number beside it.
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: daveLID, SenderAlt: dave, IsGroup: true, AddressingMode: types.AddressingModeLID},
		ID: "G1", Timestamp: time.Now(), PushName: "Dave"}, &waE2E.Message{Conversation: proto.String("hi all")}); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.EventId == "G1" })
	srv.Contact(daveLID, "Dave Davies")
	srv.Contact(erinLID, "Erin")
	// Received after the names: the fake has them by then.
	info, msg := incoming(bob, "AFTER", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.EventId == "AFTER" })

	ctx, cancel := p.CallContext()
	defer cancel()
	for _, c := range []struct{ identifier, id, name string }{
		{"+33644444444", "+33644444444", "Dave Davies"},
		{"lid-777888555", "lid-777888555", "Erin"},
	} {
		got, err := p.Client().ResolveIdentifier(ctx, &pb.ResolveIdentifierRequest{LoginId: done.LoginId, Identifier: c.identifier})
		if err != nil || got.GetUserId() != c.id || got.GetName() != c.name {
			t.Errorf("resolve %s: %v, %v; want %s named %q", c.identifier, got, err, c.id, c.name)
		}
	}
}
