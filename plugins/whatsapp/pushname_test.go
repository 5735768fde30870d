package whatsapp

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A push name WhatsApp tells by LID with the phone number beside it is
// the contact's by phone number at once: no "lid-" contact shown first,
// then moved. (A saved contact's: someone not saved is no contact.)
func TestPushNameLIDWithPhone(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	if err := s.d.dev.Contacts.PutContactName(context.Background(), carol, "Carol", "Carol Carter"); err != nil {
		t.Fatal(err)
	}
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

// A receipt or typing from a contact WhatsApp names by LID with the
// phone number beside it is in the number's chat, as their messages
// are: not in a "lid-" chat of its own.
func TestReceiptLIDWithPhone(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	src := types.MessageSource{Chat: strangerL, Sender: strangerL, SenderAlt: carol, AddressingMode: types.AddressingModeLID}
	from := r.host.count()
	fake.Emit(&events.Receipt{MessageSource: src, MessageIDs: []string{"OUT1"}, Type: types.ReceiptTypeRead, Timestamp: when})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetReceipt() != nil })
	if ev.ChatId != "+33633333333" || ev.Sender.UserId != "+33633333333" {
		t.Errorf("receipt: %v", ev)
	}
	fake.Emit(&events.ChatPresence{MessageSource: src, State: types.ChatPresenceComposing})
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetTyping() != nil })
	if ev.ChatId != "+33633333333" || ev.Sender.UserId != "+33633333333" {
		t.Errorf("typing: %v", ev)
	}
}

// The user's read on the phone of a chat WhatsApp names by the contact's
// LID, with their number beside it as the recipient's, is the number's
// chat, as the contact's messages are, not a new lid- one.
func TestOwnReceiptLIDWithPhone(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	src := types.MessageSource{Chat: strangerL, Sender: s.d.dev.LID, IsFromMe: true, RecipientAlt: carol, AddressingMode: types.AddressingModeLID}
	from := r.host.count()
	fake.Emit(&events.Receipt{MessageSource: src, MessageIDs: []string{"IN1"}, Type: types.ReceiptTypeReadSelf, Timestamp: when})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetReceipt() != nil })
	if ev.ChatId != "+33633333333" || !ev.Sender.IsFromMe {
		t.Errorf("receipt: %v", ev)
	}
}

// The user's own push name (seen on a message of theirs in a group that
// names them by LID) or profile picture changing is no contact of
// theirs: the gateway would add the user to their own roster.
func TestOwnNameAndPictureNoContact(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ownLID := s.d.dev.LID
	if err := s.d.dev.Contacts.PutContactName(context.Background(), alice, "Alice", "Alice Liddell"); err != nil {
		t.Fatal(err)
	}
	from := r.host.count()
	fake.Emit(&events.PushName{JID: ownLID, JIDAlt: phone, NewPushName: "Me again"})
	fake.Emit(&events.Picture{JID: phone, Timestamp: when, PictureID: "p2"})
	fake.Emit(&events.Picture{JID: ownLID, Timestamp: when, PictureID: "p3"})
	// A contact's after them: all of the user's are handled by then.
	fake.Emit(&events.Picture{JID: alice, Timestamp: when, PictureID: "a1"})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetContact().GetContact().GetUserId() == "+33611111111" })
	for _, ev := range r.host.since(from) {
		if c := ev.GetContact().GetContact(); c != nil && c.UserId != "+33611111111" {
			t.Errorf("the user told as a contact: %v", ev)
		}
	}
}

// The user saved in their own address book, under their LID as
// WhatsApp may sync it, is not in their contact list.
func TestContactListWithoutOwnLID(t *testing.T) {
	r := newRig(t, "")
	s, _ := r.connected(t)
	ctx := context.Background()
	if err := s.d.dev.Contacts.PutContactName(ctx, s.d.dev.LID, "Me", "Me Myself"); err != nil {
		t.Fatal(err)
	}
	if err := s.d.dev.Contacts.PutContactName(ctx, alice, "Alice", "Alice Liddell"); err != nil {
		t.Fatal(err)
	}
	cs, err := s.ContactList(ctx)
	if err != nil || len(cs) != 1 || cs[0].UserId != "+33611111111" {
		t.Errorf("ContactList: %v, %v", cs, err)
	}
}
