package whatsapp

import (
	"context"
	"slices"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// An audio file or voice note sent with text (WhatsApp's audio has no
// caption) goes with the text as a message after it, not without the
// text; retracting the XMPP message deletes both.
func TestAudioWithText(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "note.ogg", MimeType: "audio/ogg; codecs=opus"}, strings.NewReader("OGG"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111", TxnID: "txn-audio"}, &pb.SendMessage{Text: "listen to this",
		Attachments: []*pb.Attachment{{Name: "note.ogg", MimeType: "audio/ogg; codecs=opus", VoiceNote: true, Source: &pb.Attachment_UploadId{UploadId: id}}}})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := fake.WaitSent(2, eventWait)
	if err != nil {
		t.Fatalf("sent %v: %v", fake.Sent(), err)
	}
	if !sent[0].Msg.GetAudioMessage().GetPTT() || sent[1].Msg.GetConversation() != "listen to this" || sent[0].ID == sent[1].ID {
		t.Errorf("sent: %v", sent)
	}
	m, err := decodeMeta(res.Meta)
	if err != nil || res.MessageID != sent[0].ID || !slices.Equal(m.Parts, []types.MessageID{sent[1].ID}) {
		t.Fatalf("result %v (meta %v, %v)", res, m, err)
	}
	if _, err := s.Retract(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.Retract{TargetId: res.MessageID, TargetMeta: res.Meta}); err != nil {
		t.Fatal(err)
	}
	sent, _ = fake.WaitSent(4, eventWait)
	var revoked []types.MessageID
	for _, x := range sent[2:] {
		if pm := x.Msg.GetProtocolMessage(); pm.GetType() == waE2E.ProtocolMessage_REVOKE {
			revoked = append(revoked, pm.GetKey().GetID())
		}
	}
	if !slices.Equal(revoked, []types.MessageID{sent[0].ID, sent[1].ID}) {
		t.Errorf("revoked %v", revoked)
	}
}
