package whatsapp_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/xmpptest"
)

// historyBlob is a history sync blob of the given type and progress
// (WhatsApp's percentage of the sync), with n one-message chats from
// the number 336550000<first>.
func historyBlob(typ waHistorySync.HistorySync_HistorySyncType, progress uint32, first, n int) *waHistorySync.HistorySync {
	h := &waHistorySync.HistorySync{SyncType: typ.Enum(), Progress: proto.Uint32(progress)}
	at := time.Now().Add(-2 * time.Hour)
	for i := first; i < first+n; i++ {
		c := types.NewJID(fmt.Sprintf("3365500%04d", i), types.DefaultUserServer)
		h.Conversations = append(h.Conversations, &waHistorySync.Conversation{ID: proto.String(c.String()),
			Messages: []*waHistorySync.HistorySyncMsg{{Message: pastMsg(c, c, fmt.Sprintf("HP%d", i), at, "old")}}})
	}
	return h
}

// The phone sends its history in several blobs (RECENT chunks, then
// FULL ones, each with WhatsApp's percentage of the sync), through the
// gateway and the plugin process: the progress runs on across the
// blobs and the gateway says "Done" once, when WhatsApp says the sync
// is complete (a FULL blob at 100%), with every chat counted. Before,
// each blob's chats were a run of their own: "Done: history: 11 of 11
// chats." after the first blob while the phone was still sending.
func TestEndToEndHistoryProgressAcrossBlobs(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	fromTransport := func(prefix string) func(xmpptest.Stanza) bool {
		return func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.From == g.Domain && strings.HasPrefix(s.Body, prefix)
		}
	}
	if err := srv.History(historyBlob(waHistorySync.HistorySync_RECENT, 40, 0, 11)); err != nil {
		t.Fatal(err)
	}
	started := g.Next(alice, "the start of the history's progress", fromTransport("Started: history"))
	if strings.Contains(started.Body, " of ") {
		t.Errorf("the start gives a total while WhatsApp is still sending: %q", started.Body)
	}
	if err := srv.History(historyBlob(waHistorySync.HistorySync_FULL, 100, 11, 2)); err != nil {
		t.Fatal(err)
	}
	if done := g.Next(alice, "the end of the history's progress", fromTransport("Done: ")); done.Body != "Done: history: 13 chats." {
		t.Errorf("the end: %q, want %q", done.Body, "Done: history: 13 chats.")
	}
}
