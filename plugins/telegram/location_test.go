package telegram

import (
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A message that is one geo: URI (an XMPP client sharing a location)
// reaches Telegram as a map pin, with its accuracy, as a reply where it
// is one; text around a geo: URI stays text.
func TestSendLocation(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	first, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "t1"}, &pb.SendMessage{Text: "see you"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "t2"}, &pb.SendMessage{Text: "geo:48.8584,2.2945;u=11.5", ReplyToId: first.MessageID})
	if err != nil {
		t.Fatal(err)
	}
	if res.MessageID == "" || res.MessageID == first.MessageID {
		t.Errorf("the location's result names message %q", res.MessageID)
	}
	box := srv.Messages(bob.ID)
	last := box[len(box)-1]
	geo, ok := last.Media.(*tg.MessageMediaGeo)
	if !ok || last.Message != "" {
		t.Fatalf("bob got %q with %T, want a map pin", last.Message, last.Media)
	}
	p, ok := geo.Geo.(*tg.GeoPoint)
	if !ok || p.Lat != 48.8584 || p.Long != 2.2945 {
		t.Fatalf("bob got the point %v, want 48.8584, 2.2945", geo.Geo)
	}
	if r, _ := p.GetAccuracyRadius(); r != 12 {
		t.Errorf("accuracy %d m, want 12 (11.5 rounded up)", r)
	}
	if r, ok := last.ReplyTo.(*tg.MessageReplyHeader); !ok || r.ReplyToMsgID != box[len(box)-2].ID {
		t.Errorf("the pin replies to %v, want bob's copy of the first message", last.ReplyTo)
	}
	// A location corrected: Telegram cannot change a sent one.
	edits := srv.Requests("messages.editMessage")
	if _, err := s.EditMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.EditMessage{TargetId: res.MessageID, Text: "geo:48.86,2.3"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Errorf("a location corrected: %v, want UNSUPPORTED", err)
	}
	if srv.Requests("messages.editMessage") != edits {
		t.Error("the refused correction reached Telegram")
	}

	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "t3"}, &pb.SendMessage{Text: "meet at geo:48.8584,2.2945"}); err != nil {
		t.Fatal(err)
	}
	box = srv.Messages(bob.ID)
	if last := box[len(box)-1]; last.Message != "meet at geo:48.8584,2.2945" || last.Media != nil {
		t.Errorf("bob got %q with %v, want the text as sent", last.Message, last.Media)
	}
}
