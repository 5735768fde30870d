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

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestHistoryUnreadableToldAfterRestart: a history sync holds messages
// whatsmeow cannot read (a group's naming no sender); the plugin process
// stops before the sync ends. The restarted plugin tells them, once the
// spool the last process left is stored, under the notice ID the sync's
// end would have had; told again after a further restart, it is the
// same notice (shown once). Before, the sync's count was in memory only
// and they were only logged.
func TestHistoryUnreadableToldAfterRestart(t *testing.T) {
	srv, p, _, done := processLoggedIn(t)
	now := time.Now().Truncate(time.Second)
	noSender := func(id string, at time.Time) *waHistorySync.HistorySyncMsg {
		return &waHistorySync.HistorySyncMsg{Message: &waWeb.WebMessageInfo{
			Key:              &waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String(id), FromMe: proto.Bool(false)},
			MessageTimestamp: proto.Uint64(uint64(at.Unix())), Message: &waE2E.Message{Conversation: proto.String("whose?")}}}
	}
	history := func() pb.Transport_HistoryClient {
		t.Helper()
		ctx, cancel := p.CallContext()
		t.Cleanup(cancel)
		h, err := p.Client().History(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	next := func(h pb.Transport_HistoryClient) *pb.HistoryBatch {
		t.Helper()
		b, err := h.Recv()
		if err != nil {
			t.Fatalf("History: %v", err)
		}
		if len(b.Events) != 1 || b.Events[0].EventId != "G1" {
			t.Fatalf("batch %v: want G1", b)
		}
		return b
	}
	isUnread := func(ev *pb.Event) bool {
		return ev.GetNotice() != nil && strings.HasPrefix(ev.EventId, "history-unreadable-")
	}

	// A RECENT blob at 40%: the sync goes on, its end not yet told. The
	// blob read (its batch sent), the plugin stops.
	h := history()
	if err := srv.History(&waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(), Progress: proto.Uint32(40),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: pastMsg(group, bob, "G1", now.Add(-time.Hour), "fine")}, noSender("U1", now.Add(-2*time.Hour)), noSender("U2", now.Add(-3*time.Hour)),
		}}}}); err != nil {
		t.Fatal(err)
	}
	next(h)
	p.Restart()
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	h = history()
	if err := h.Send(&pb.HistoryAck{UpToSeq: next(h).Seq}); err != nil {
		t.Fatal(err)
	}
	told := evs.Await("the notice of the sync's 2 messages not read, after the restart", isUnread)
	if text := told.GetNotice().GetText(); !strings.HasPrefix(text, "2 messages of your WhatsApp history could not be read") {
		t.Errorf("notice %q: want 2 messages", text)
	}
	evs.Ack(told.Seq)

	// Once more: nothing, or the same notice (a stop before the count
	// was cleared), before a message sent after.
	p.Restart()
	evs = p.Events()
	p.Connect(done.LoginId, done.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	if err := srv.Receive(incoming(bob, "FENCE1", "fence")); err != nil {
		t.Fatal(err)
	}
	evs.Await("the fence, with no other notice before it", func(ev *pb.Event) bool {
		if isUnread(ev) && ev.EventId != told.EventId {
			t.Errorf("after a second restart, notice %s %q: want none, or %s again", ev.EventId, ev.GetNotice().GetText(), told.EventId)
		}
		return ev.EventId == "FENCE1"
	})
}
