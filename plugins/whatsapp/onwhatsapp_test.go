package whatsapp

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Which sends ask WhatsApp whether a number is on it: a number once per
// run, not one whose LID is known (only accounts have one), nor a group;
// a number not on WhatsApp is refused each time (it may join later), and
// nothing goes; not connected, the send's own error says so.
func TestSendLooksNumbersUpOnce(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	send := func(chat, txn string) error {
		_, err := s.SendMessage(ctx, sdk.Call{ChatID: chat, TxnID: txn}, &pb.SendMessage{Text: "hi"})
		return err
	}
	for i, txn := range []string{"t1", "t2"} {
		if err := send("+33644444444", txn); err != nil {
			t.Fatal(err)
		}
		if n := fake.LookedUp(); n != 1 {
			t.Errorf("send %d to a new number: %d look-ups, want 1", i+1, n)
		}
	}
	withLID := types.NewJID("33655555555", types.DefaultUserServer)
	if err := s.d.dev.LIDs.PutLIDMapping(ctx, types.NewJID("123456789", types.HiddenUserServer), withLID); err != nil {
		t.Fatal(err)
	}
	if err := send("+"+withLID.User, "t3"); err != nil || fake.LookedUp() != 1 {
		t.Errorf("send to a number whose LID is known: %v, %d look-ups, want none more", err, fake.LookedUp())
	}
	if err := send(group.String(), "t4"); err != nil || fake.LookedUp() != 1 {
		t.Errorf("send to a group: %v, %d look-ups, want none more", err, fake.LookedUp())
	}
	nobody := types.NewJID("33699999999", types.DefaultUserServer)
	fake.NotOnWhatsApp(nobody)
	before := len(fake.Sent())
	for _, txn := range []string{"t5", "t6"} {
		if err := send("+"+nobody.User, txn); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
			t.Errorf("send to a number not on WhatsApp: %v, want NOT_FOUND", err)
		}
	}
	if n := fake.LookedUp(); n != 3 {
		t.Errorf("a number not on WhatsApp: %d look-ups in all, want 3 (asked each time)", n)
	}
	if len(fake.Sent()) != before {
		t.Errorf("sent to a number not on WhatsApp: %v", fake.Sent()[before:])
	}
	fake.Disconnect()
	if err := send("+33677777777", "t7"); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("send while not connected: %v, want UNAVAILABLE (not connected)", err)
	}
}
