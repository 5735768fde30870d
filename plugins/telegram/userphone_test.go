package telegram

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A contact's new phone number (updateUserPhone) describes them again
// with it, as a new name does; it stayed the old one until the next
// contact list.
func TestUserPhoneUpdate(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	if _, err := s.ContactList(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	from := h.count()
	srv.SetPhone(bob.ID, "33699999999")
	ev := h.wait(t, from, "bob with his new number", func(ev *pb.Event) bool { return ev.GetContact() != nil })
	if c := ev.GetContact().GetContact(); c.GetUserId() != "1002" || c.GetPhone() != "+33699999999" || c.GetName() != "Bob" {
		t.Errorf("contact %v: want bob, +33699999999", c)
	}
}
