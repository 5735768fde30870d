package whatsapp

import (
	"testing"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A push name WhatsApp tells by LID with the phone number beside it is
// the contact's by phone number at once: no "lid-" contact shown first,
// then moved.
func TestPushNameLIDWithPhone(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	from := r.host.count()
	fake.Emit(&events.PushName{JID: strangerL, JIDAlt: carol, NewPushName: "Carol"})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetContact() != nil })
	if ev.GetContact().GetContact().GetUserId() != "+33633333333" {
		t.Errorf("contact: %v", ev)
	}
	for _, ev := range r.host.since(from) {
		if ev.GetIdentity() != nil {
			t.Errorf("a LID shown then moved: %v", ev)
		}
	}
}
