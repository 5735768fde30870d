package telegram

import (
	"fmt"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A catch-up Telegram answers with updates.differenceTooLong (private
// chats and basic groups: the gap's messages are not given) is told to
// the user as a warning notice from the gateway, well formed for it, with
// an event ID that names the occurrence: a second gap later is told
// again, under another ID. Before, only the plugin's log said so.
func TestDifferenceTooLongNotice(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	from := h.count()
	srv.Send(bob.ID, alicePeer, "before")
	h.wait(t, from, "the message before", isMessage("1002", "before"))
	srv.SetDifferenceTooLong(2)
	isNotice := func(ev *pb.Event) bool { return ev.GetNotice() != nil }

	var ids []string
	for gap := 1; gap <= 2; gap++ {
		if err := s.Disconnect(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 3; i++ {
			srv.Send(bob.ID, alicePeer, fmt.Sprintf("gap %d away %d", gap, i))
		}
		from = h.count()
		s = connect(t, n, h, info)
		ev := h.wait(t, from, fmt.Sprintf("the notice of gap %d", gap), isNotice)
		if err := sdk.CheckEvent(ev); err != nil {
			t.Fatalf("the notice is not well formed: %v", err)
		}
		if nt := ev.GetNotice(); nt.Text != tooLongText || nt.Level != pb.NoticeLevel_NOTICE_LEVEL_WARNING || ev.LoginId != info.LoginID || ev.ChatId != "" || ev.EventId == "" {
			t.Fatalf("notice of gap %d: %v", gap, ev)
		}
		ids = append(ids, ev.EventId)
		// The catch-up went on past the gap.
		srv.Send(bob.ID, alicePeer, fmt.Sprintf("after gap %d", gap))
		h.wait(t, from, "the message after the gap", isMessage("1002", fmt.Sprintf("after gap %d", gap)))
	}
	if ids[0] == ids[1] {
		t.Errorf("two gaps' notices share the event ID %q: the gateway drops the second", ids[0])
	}
}
