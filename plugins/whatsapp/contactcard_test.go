package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

const (
	bobCard = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Martin;Bob;;;\r\nFN:Bob Martin\r\nTEL;TYPE=CELL:+33 6 22 22 22 22\r\nEND:VCARD\r\n"
	// Folded (RFC 6350 §3.2), escaped, and with no FN: named from N.
	carolCard = "BEGIN:VCARD\nVERSION:4.0\nN:Dupont;Car\n ol;;;\nORG:Acme\\, Inc.\nTEL:+33633333333\nEND:VCARD\n"
)

// A contact card sent from XMPP (a vCard file: Android's contacts share
// one so, and XMPP clients send it as a file) goes as WhatsApp's own
// contact card, which the apps show with its name and buttons to
// message or save the contact, not as a document to open: one card as a
// contactMessage named by its FN, several as a contactsArrayMessage; the
// text sent with it follows as a message of its own (a card has no
// caption), deleted with it, and a correction of it corrects that text.
// A file that holds no vCard goes as a document, as before. Before,
// every vCard went as a document "contact.vcf".
func TestContactCardOut(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	send := func(txn, text string, a *pb.Attachment) sdk.Result {
		t.Helper()
		res, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111", TxnID: txn}, &pb.SendMessage{Text: text, Attachments: []*pb.Attachment{a}})
		if err != nil {
			t.Fatalf("%s: %v", txn, err)
		}
		return res
	}
	card := func(name, mime, data string) *pb.Attachment {
		return &pb.Attachment{Name: name, MimeType: mime, Source: &pb.Attachment_Data{Data: []byte(data)}}
	}

	send("txn-card1", "", card("Bob Martin.vcf", "text/x-vcard", bobCard))
	sent, err := fake.WaitSent(1, eventWait)
	if err != nil {
		t.Fatal(err)
	}
	if c := sent[0].Msg.GetContactMessage(); c.GetDisplayName() != "Bob Martin" || c.GetVcard() != bobCard {
		t.Errorf("one card: %v", sent[0].Msg)
	}

	// Two cards in one file, with text: an array, then the text.
	res := send("txn-card2", "two friends", card("contacts.vcf", "", bobCard+carolCard))
	sent, err = fake.WaitSent(3, eventWait)
	if err != nil {
		t.Fatal(err)
	}
	arr := sent[1].Msg.GetContactsArrayMessage()
	if len(arr.GetContacts()) != 2 || arr.GetDisplayName() != "Bob Martin and 1 other contact" ||
		arr.GetContacts()[0].GetDisplayName() != "Bob Martin" || arr.GetContacts()[1].GetDisplayName() != "Carol Dupont" ||
		arr.GetContacts()[1].GetVcard() != carolCard {
		t.Errorf("two cards: %v", sent[1].Msg)
	}
	if sent[2].Msg.GetConversation() != "two friends" && sent[2].Msg.GetExtendedTextMessage().GetText() != "two friends" {
		t.Errorf("the text after the cards: %v", sent[2].Msg)
	}
	// Its correction corrects the text; its deletion deletes both.
	if _, err := s.EditMessage(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: res.Meta, Text: "two old friends"}); err != nil {
		t.Fatal(err)
	}
	sent, _ = fake.WaitSent(4, eventWait)
	if pm := sent[3].Msg.GetEditedMessage().GetMessage().GetProtocolMessage(); pm.GetKey().GetID() != sent[2].ID || pm.GetEditedMessage().GetConversation() != "two old friends" && pm.GetEditedMessage().GetExtendedTextMessage().GetText() != "two old friends" {
		t.Errorf("the correction edits %v, want the text %s", pm.GetKey(), sent[2].ID)
	}
	if _, err := s.Retract(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.Retract{TargetId: res.MessageID, TargetMeta: res.Meta}); err != nil {
		t.Fatal(err)
	}
	sent, _ = fake.WaitSent(6, eventWait)
	if sent[4].Msg.GetProtocolMessage().GetKey().GetID() != sent[1].ID || sent[5].Msg.GetProtocolMessage().GetKey().GetID() != sent[2].ID {
		t.Errorf("the deletion: %v, %v", sent[4].Msg, sent[5].Msg)
	}

	// A card without text has nothing to correct.
	res = send("txn-card3", "", card("c.vcf", "text/vcard", carolCard))
	if _, err := s.EditMessage(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: res.Meta, Text: "x"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNSUPPORTED ||
		!strings.Contains(err.Error(), "contact card") {
		t.Errorf("a correction of a card without text: %v", err)
	}

	// Not a vCard after all: a document, as before.
	send("txn-card4", "", card("notes.vcf", "text/vcard", "just some notes"))
	sent, _ = fake.WaitSent(8, eventWait)
	if d := sent[7].Msg.GetDocumentMessage(); d.GetFileName() != "notes.vcf" {
		t.Errorf("a .vcf that is no card: %v", sent[7].Msg)
	}
}

// A contact card received whose numbers WhatsApp marks as on WhatsApp
// (the waid parameter its apps add, which gives them a button to message
// the contact) says, after the numbers, the address of the chat with
// each here, an xmpp: link the user's client opens as a chat, once per
// number. Before, only the numbers were shown: writing to the contact
// meant typing the gateway's address by hand.
func TestContactCardIn(t *testing.T) {
	r := newRig(t, "")
	r.n.domain = "whatsapp.example.org"
	_, fake := r.connected(t)
	ctx := context.Background()
	carol := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Carol\r\nitem1.TEL;waid=33633333333:+33 6 33 33 33 33\r\nitem1.X-ABLabel:Mobile\r\n" +
		"TEL;type=HOME;waid=33633333333:+33633333333\r\nTEL;TYPE=WORK:+33 1 44 44 44 44\r\nEND:VCARD\r\n"
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "CARD1", Timestamp: time.Now(), PushName: "Alice"},
		&waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Carol"), Vcard: proto.String(carol)}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "CARD1" })
	want := "Contact: Carol\nPhone: +33 6 33 33 33 33\nPhone: +33 1 44 44 44 44\nWhatsApp: xmpp:+33633333333@whatsapp.example.org"
	if got := ev.GetMessage().GetText(); got != want {
		t.Errorf("the card received:\n%s\nwant:\n%s", got, want)
	}
}
