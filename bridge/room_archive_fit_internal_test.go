package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestRoomLargeNetworkMessageArchived: a member's text as long as
// intake lets it be (an eighth of the stanza limit), of quotes, which
// take six bytes each written ("&apos;"), is over the archive's 256 KB:
// archived cut, saying so, and its copies carry the stanza-id. Before,
// the archive refused it, and it went out without one, a hole in the
// room's history.
func TestRoomLargeNetworkMessageArchived(t *testing.T) {
	tr, s, _ := roomFixture(t)
	ctx := context.Background()
	before := archivedCount(t, tr, s)
	ev := &pb.Event{LoginId: "alice-echo", ChatId: "g1", ChatType: pb.ChatType_CHAT_TYPE_GROUP, EventId: "ev-big",
		TimestampUnixMicro: time.Now().UnixMicro(), Sender: &pb.Sender{UserId: "echo-1"},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: strings.Repeat("'", tr.stanzaLimit()/8)}}}
	tr.fitEvent(ev)
	out := tr.renderRoom(ctx, delivery{ev: ev, xid: "x-big"}, s)
	if len(out) != 2 || len(out[0]) <= store.MaxArchivePayload {
		t.Fatalf("%d copies, the first of %d bytes: want 2, over the archive's limit", len(out), len(out[0]))
	}
	for _, b := range out {
		if !strings.Contains(string(b), "stanza-id") {
			t.Errorf("a copy without the room's stanza-id: %.200s", b)
		}
	}
	if n := archivedCount(t, tr, s); n != before+1 {
		t.Fatalf("archived %d, want %d", n, before+1)
	}
	page, err := tr.db.QueryArchive(ctx, tr.roomKey(s.user, "g1"), store.ArchiveQuery{Latest: true, Max: 1})
	if err != nil || len(page.Messages) != 1 {
		t.Fatal(page, err)
	}
	if p := string(page.Messages[0].Payload); !strings.Contains(p, "&apos;&apos;") || !strings.Contains(p, "too large for the room&apos;s archive") {
		t.Errorf("archived as %.200s…%s", p, p[max(0, len(p)-200):])
	}
}
