package whatsapp_test

import (
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"google.golang.org/protobuf/proto"
)

// A live location in the history sync, in the plugin process on the
// remote fake: the phone keeps where the sharing ended beside it
// (WebMessageInfo.finalLiveLocation, which WhatsApp's Android app fills
// in), and the message shows that point, saying the sharing ended. It
// showed where the sharing started, saying WhatsApp shows where it
// moves on the phone: a share long over read as going on, from a point
// its sender had left.
func TestHistoryLiveLocationEndedProcess(t *testing.T) {
	srv, p, _, _ := processLoggedIn(t)
	ctx, cancel := p.CallContext()
	defer cancel()
	h, err := p.Client().History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	live := &waWeb.WebMessageInfo{
		Key:              &waCommon.MessageKey{RemoteJID: proto.String(bob.String()), ID: proto.String("LIVE1"), FromMe: proto.Bool(false)},
		MessageTimestamp: proto.Uint64(uint64(at.Unix())),
		Message: &waE2E.Message{LiveLocationMessage: &waE2E.LiveLocationMessage{
			DegreesLatitude: proto.Float64(48.8584), DegreesLongitude: proto.Float64(2.2945), Caption: proto.String("on my way")}},
		FinalLiveLocation: &waE2E.LiveLocationMessage{DegreesLatitude: proto.Float64(48.8606), DegreesLongitude: proto.Float64(2.3376), SequenceNumber: proto.Int64(42)},
	}
	if err := srv.History(&waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(bob.String()), Messages: []*waHistorySync.HistorySyncMsg{{Message: live}}}}}); err != nil {
		t.Fatal(err)
	}
	b, err := h.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 1 || b.Events[0].EventId != "LIVE1" {
		t.Fatalf("history: %v", b)
	}
	text := b.Events[0].GetMessage().GetText()
	if !strings.Contains(text, "Live location: on my way") || !strings.Contains(text, "geo:48.8606,2.3376") ||
		strings.Contains(text, "48.8584") || !strings.Contains(text, "where the sharing ended") || strings.Contains(text, "where it moves") {
		t.Errorf("a live location ended, in history: %q, want where it ended, said so", text)
	}
}
