package telegram

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A read marker up to a notice that is no Telegram message (a call
// ringing, "call-ID"; an unpin, "unpinPTS.ID") marks the chat read up to
// the message before the notice, which its meta names: it answered
// NOT_FOUND ("is no Telegram message ID"), and the chat stayed unread.
// A message after the notice stays unread.
func TestMarkReadUpToNotice(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	bobChat := &tg.PeerUser{UserID: bob.ID}
	from := h.count()
	gid := srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "call me")
	h.wait(t, from, "bob's message", isMessage("1002", "call me"))
	before := srv.ID(gid, alice.ID)
	srv.RingCall(bob.ID, alice.ID, 4242, false)
	ring := h.wait(t, from, "the call ringing", func(ev *pb.Event) bool { return strings.HasPrefix(ev.EventId, "call-") })
	srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "after the call")
	h.wait(t, from, "bob's next message", isMessage("1002", "after the call"))
	if err := s.MarkRead(ctx, sdk.Call{ChatID: "1002"}, &pb.MarkRead{UpToId: ring.EventId, UpToMeta: ring.Meta}); err != nil {
		t.Fatalf("read up to the call: %v", err)
	}
	if got := srv.ReadUpTo(alice.ID, bobChat); got != before {
		t.Errorf("read up to %d, want %d (bob's message before the call)", got, before)
	}

	// An unpin in the group: its notice's meta names the newest message
	// before it.
	group := &tg.PeerChat{ChatID: 77}
	from = h.count()
	pinned := srv.Send(bob.ID, group, "pin me")
	h.wait(t, from, "the message to pin", isMessage("-77", "pin me"))
	srv.Pin(bob.ID, group, pinned, false)
	h.wait(t, from, "the pin", isMessage("-77", "Pinned"))
	last := srv.Send(carol.ID, group, "before the unpin")
	h.wait(t, from, "carol's message", isMessage("-77", "before the unpin"))
	srv.Pin(bob.ID, group, pinned, true)
	unpin := h.wait(t, from, "the unpin", func(ev *pb.Event) bool { return strings.HasPrefix(ev.EventId, "unpin") })
	if err := s.MarkRead(ctx, sdk.Call{ChatID: "-77"}, &pb.MarkRead{UpToId: unpin.EventId, UpToMeta: unpin.Meta}); err != nil {
		t.Fatalf("read up to the unpin: %v", err)
	}
	if got, want := srv.ReadUpTo(alice.ID, group), srv.ID(last, alice.ID); got != want {
		t.Errorf("group read up to %d, want %d (carol's message before the unpin; the unpin's %s)", got, want, strconv.Quote(unpin.EventId))
	}
	// Another ID that is no message is still refused.
	if err := s.MarkRead(ctx, sdk.Call{ChatID: "1002"}, &pb.MarkRead{UpToId: "nonsense"}); err == nil {
		t.Error("a read marker up to no message or notice: no error")
	}
}
