package telegram

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// awayCount is how many messages awayFromBig has bob send while
// alice is away: more than Telegram's difference gives.
const awayCount = 130

// awayFromBig connects alice to channel 600 ("Big", bob's, with alice
// and others in it), has bob's "before" come, disconnects her and has
// bob send "away 1." to "away <awayCount>." meanwhile; it returns
// what connect needs to bring her back.
func awayFromBig(t *testing.T, srv *tgfake.Server, others ...int64) (*testHost, sdk.LoginInfo, *Network) {
	t.Helper()
	srv.AddChannel(tgfake.Channel{ID: 600, Title: "Big", Members: append([]int64{alice.ID, bob.ID}, others...), Creator: bob.ID})
	s, h, info, n := connectAlice(t, srv)
	big := &tg.PeerChannel{ChannelID: 600}
	from := h.count()
	srv.Send(bob.ID, big, "before")
	h.wait(t, from, "a message before", isMessage("-100600", "before"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= awayCount; i++ {
		srv.Send(bob.ID, big, fmt.Sprintf("away %d.", i))
	}
	return h, info, n
}

// More messages in a supergroup while the gateway was away than
// Telegram's difference gives (a user's 100): the messages of the gap
// come all the same, from the chat's history, oldest first, none seen
// before again; and the next message after them.
func TestChannelGapTooLong(t *testing.T) {
	srv := newFake(t)
	h, info, n := awayFromBig(t, srv, carol.ID)
	big := &tg.PeerChannel{ChannelID: 600}
	from := h.count()
	connect(t, n, h, info)
	h.wait(t, from, "the gap's last message", isMessage("-100600", fmt.Sprintf("away %d.", awayCount)))
	h.wait(t, from, "the gap's first message", isMessage("-100600", "away 1."))
	srv.Send(carol.ID, big, "after")
	h.wait(t, from, "the message after the gap", isMessage("-100600", "after"))

	h.mu.Lock()
	defer h.mu.Unlock()
	var order []string
	seen := map[string]int{}
	for _, ev := range h.events[from:] {
		if m := ev.GetMessage(); m != nil && ev.ChatId == "-100600" {
			seen[m.Text]++
			order = append(order, m.Text)
		}
	}
	if seen["before"] != 0 {
		t.Errorf("the message before the gap came again (%d)", seen["before"])
	}
	for i := 1; i <= awayCount; i++ {
		if txt := fmt.Sprintf("away %d.", i); seen[txt] == 0 {
			t.Errorf("%q never came", txt)
		}
	}
	if len(order) > 1 && order[0] != "away 1." {
		t.Errorf("the gap came from %q, want its oldest first", order[0])
	}
}

// Removed from a private supergroup while the gateway was away (no
// update says so again: updateChannel has no pts), the room ends once
// Telegram refuses the group's difference (CHANNEL_PRIVATE); it stayed,
// though nothing of the group would come again.
func TestChannelRemovedWhileAway(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 600, Title: "Big", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, info, n := connectAlice(t, srv)
	from := h.count()
	srv.Send(bob.ID, &tg.PeerChannel{ChannelID: 600}, "before")
	h.wait(t, from, "a message before", isMessage("-100600", "before"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.RemoveMember(600, alice.ID)
	from = h.count()
	connect(t, n, h, info)
	ev := h.wait(t, from, "the room's end", func(ev *pb.Event) bool { return ev.ChatId == "-100600" && ev.GetChatRemoved() != nil })
	if r := ev.GetChatRemoved().Reason; r != pb.ChatRemovedEvent_REASON_LEFT && r != pb.ChatRemovedEvent_REASON_BANNED {
		t.Errorf("the room ended as %v", r)
	}
}

// A gap longer than the gateway reads from a channel's history
// (gapLimit) is said in the chat, from the chat itself, before the
// messages that came: its latest gapLimit, oldest first; the earlier
// ones did not come. Before, they were left out with no word to the user.
func TestChannelGapPastLimit(t *testing.T) {
	// Atomic: an earlier test's session may still read it.
	old := gapLimit.Swap(50)
	t.Cleanup(func() { gapLimit.Store(old) }) // after the session's end: registered before it
	srv := newFake(t)
	h, info, n := awayFromBig(t, srv)
	from := h.count()
	connect(t, n, h, info)
	// The notice and the messages that came are one batch, in order.
	h.wait(t, from, "the gap's last message", isMessage("-100600", fmt.Sprintf("away %d.", awayCount)))

	h.mu.Lock()
	defer h.mu.Unlock()
	var order []string
	var notice *pb.Event
	for _, ev := range h.events[from:] {
		m := ev.GetMessage()
		if m == nil || ev.ChatId != "-100600" {
			continue
		}
		order = append(order, m.Text)
		if strings.Contains(m.Text, "gateway was away") {
			notice = ev
		}
	}
	if notice == nil {
		t.Fatalf("no word that the gap's older messages did not come; the chat's messages: %q", order)
	}
	if snd := notice.GetSender(); snd.GetUserId() != "" || snd.GetIsFromMe() {
		t.Errorf("the notice is from %v, want the chat itself", snd)
	}
	if txt := notice.GetMessage().Text; !strings.Contains(txt, "latest 50") || !strings.Contains(txt, "Telegram's apps") {
		t.Errorf("notice %q: want it to say only the latest 50 came, the rest being in Telegram's apps", txt)
	}
	first := fmt.Sprintf("away %d.", awayCount-int(gapLimit.Load())+1)
	if i := slices.Index(order, first); i < 1 || order[i-1] != notice.GetMessage().Text {
		t.Errorf("the chat's messages %q: want the notice right before %q", order, first)
	}
	if slices.Contains(order, fmt.Sprintf("away %d.", awayCount-int(gapLimit.Load()))) {
		t.Errorf("a message older than the %d read came: %q", gapLimit.Load(), order)
	}
}

// A gap whose history Telegram refuses to give is said in the chat too:
// none of its messages came.
func TestChannelGapUnread(t *testing.T) {
	srv := newFake(t)
	h, info, n := awayFromBig(t, srv)
	srv.FailRequest("messages.getHistory", 0, "MSG_ID_INVALID")
	from := h.count()
	connect(t, n, h, info)
	ev := h.wait(t, from, "the gap said not caught up", isMessage("-100600", "could not be caught up"))
	if snd := ev.GetSender(); snd.GetUserId() != "" || snd.GetIsFromMe() {
		t.Errorf("the notice is from %v, want the chat itself", snd)
	}
	if txt := ev.GetMessage().Text; !strings.Contains(txt, "MSG_ID_INVALID") || !strings.Contains(txt, "Telegram's apps") {
		t.Errorf("notice %q: want it to say why and where the messages are", txt)
	}
}
