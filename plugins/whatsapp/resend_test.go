package whatsapp

import (
	"context"
	"regexp"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A command sent again under its txn (the gateway's resend to a plugin
// restarted after it died mid-send, which has no answer for it) goes
// under the same message IDs, which WhatsApp delivers once; another txn,
// or none, is another message.
func TestResendSameIDs(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	call := sdk.Call{ChatID: "+33611111111", TxnID: "origin-7"}
	files := func() []*pb.Attachment {
		return []*pb.Attachment{
			{Name: "a.txt", MimeType: "text/plain", Source: &pb.Attachment_Data{Data: []byte("a")}},
			{Name: "b.txt", MimeType: "text/plain", Source: &pb.Attachment_Data{Data: []byte("b")}},
		}
	}
	first, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "two files", Attachments: files()})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "two files", Attachments: files()})
	if err != nil {
		t.Fatal(err)
	}
	// The same messages (their times may differ: WhatsApp's answer to
	// each; so may the file kept for a caption's correction, each send's
	// own upload).
	m1, _ := decodeMeta(first.Meta)
	m2, _ := decodeMeta(again.Meta)
	m1.Time, m2.Time = time.Time{}, time.Time{}
	m1.File, m2.File = nil, nil
	if first.MessageID != again.MessageID || string(m1.encode()) != string(m2.encode()) {
		t.Errorf("the resend answered %s %q, the send %s %q", again.MessageID, again.Meta, first.MessageID, first.Meta)
	}
	if !regexp.MustCompile(`^3EB0[0-9A-F]{18}$`).MatchString(first.MessageID) {
		t.Errorf("message ID %q is not of WhatsApp Web's form", first.MessageID)
	}
	if sent := fake.Sent(); len(sent) != 2 || sent[0].ID == sent[1].ID {
		t.Fatalf("WhatsApp delivered %d messages for one message of two files, want 2 of their own IDs", len(sent))
	}

	other, err := s.SendMessage(ctx, sdk.Call{ChatID: call.ChatID, TxnID: "origin-8"}, &pb.SendMessage{Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	none, err := s.SendMessage(ctx, sdk.Call{ChatID: call.ChatID}, &pb.SendMessage{Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Sent()); n != 4 || other.MessageID == first.MessageID || none.MessageID == other.MessageID {
		t.Errorf("%d messages delivered after two more sends, want 4 (IDs %s, %s)", n, other.MessageID, none.MessageID)
	}
}
