package whatsapp

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A message that is one geo: URI (an XMPP client sharing a location)
// reaches WhatsApp as a location message, with its accuracy, as a reply
// where it is one; text around a geo: URI stays text.
func TestSendLocation(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	call := sdk.Call{ChatID: "+33611111111"}
	res, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "geo:48.8584,2.2945;u=11.5", ReplyToId: "IN1", ReplyToMeta: msgMeta{Sender: alice}.encode()})
	if err != nil || res.MessageID == "" {
		t.Fatalf("send: %v, %v", res, err)
	}
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "meet at geo:48.8584,2.2945"}); err != nil {
		t.Fatal(err)
	}
	sent, err := fake.WaitSent(2, eventWait)
	if err != nil {
		t.Fatal(err)
	}
	loc := sent[0].Msg.GetLocationMessage()
	if sent[0].To != alice || loc.GetDegreesLatitude() != 48.8584 || loc.GetDegreesLongitude() != 2.2945 || loc.GetAccuracyInMeters() != 12 ||
		loc.GetContextInfo().GetStanzaID() != "IN1" || sent[0].ID != res.MessageID {
		t.Errorf("sent %v to %v, want a location at 48.8584, 2.2945 (12 m) replying to IN1", sent[0].Msg, sent[0].To)
	}
	if got := sent[1].Msg.GetConversation(); got != "meet at geo:48.8584,2.2945" {
		t.Errorf("text around a geo: URI sent as %v", sent[1].Msg)
	}
	// A location corrected (XEP-0308): WhatsApp edits text only.
	_, err = s.EditMessage(ctx, call, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: msgMeta{Sender: phone, FromMe: true}.encode(), Text: "geo:48.86,2.3"})
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(err.Error(), "share the new one") {
		t.Errorf("a location corrected: %v, want UNSUPPORTED", err)
	}
	if n := len(fake.Sent()); n != 2 {
		t.Errorf("%d messages sent, want the 2 before the refused correction", n)
	}
}
