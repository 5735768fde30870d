package signal

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The marks kept to be made again are bounded: past maxPendingReceipts
// chats the oldest is dropped, saying so in the log, and what is kept
// is read back from the login's folder. A chat marked again moves to
// the newest, kept once.
func TestPendingReceiptsCapped(t *testing.T) {
	dir := t.TempDir()
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	p := loadPendingReceipts(dir, log)
	chat := func(i int) string { return "+1555" + strconv.Itoa(1000000+i) }
	p.put(chat(0), &pb.MarkRead{UpToId: "1"})
	p.put(chat(1), &pb.MarkRead{UpToId: "1"})
	p.put(chat(0), &pb.MarkRead{UpToId: "2"}) // chat 1 is now the oldest
	for i := 2; i <= maxPendingReceipts; i++ {
		p.put(chat(i), &pb.MarkRead{UpToId: "1"})
	}
	l := loadPendingReceipts(dir, slog.New(slog.DiscardHandler)).all()
	if len(l) != maxPendingReceipts {
		t.Fatalf("%d marks kept on disk, want %d", len(l), maxPendingReceipts)
	}
	for _, e := range l {
		if e.Chat == chat(1) {
			t.Fatalf("the oldest mark (chat %s) was kept", chat(1))
		}
		if e.Chat == chat(0) && e.UpToID != "2" {
			t.Fatalf("chat %s kept its first mark (%q), want the later", chat(0), e.UpToID)
		}
	}
	if !strings.Contains(logged.String(), "the oldest is dropped") || !strings.Contains(logged.String(), chat(1)) {
		t.Fatalf("the drop was not logged naming the chat:\n%s", logged.String())
	}
	p.remove(chat(0))
	if l := loadPendingReceipts(dir, slog.New(slog.DiscardHandler)).all(); len(l) != maxPendingReceipts-1 {
		t.Fatalf("a mark removed: %d kept on disk, want %d", len(l), maxPendingReceipts-1)
	}
}
