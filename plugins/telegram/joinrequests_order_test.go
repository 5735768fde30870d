package telegram

import (
	"slices"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A read of the requests to join (a ChatInfo's, in the background)
// whose answer comes after a newer read's, or after the update saying
// none is left, on the fake Telegram: it changes nothing. Applied last,
// it dropped Gina's request, asked meanwhile, from those told (a kick
// then did not refuse it; TestJoinRequests's "hal refused and banned"),
// and told again Dave's, refused meanwhile (its "told again" failures).
func TestJoinRequestsReadOutOfDate(t *testing.T) {
	gina := tgfake.User{ID: 1007, FirstName: "Gina", Phone: "33600000007"}
	srv := newFake(t)
	srv.AddUser(dave)
	srv.AddUser(gina)
	srv.AddChannel(tgfake.Channel{ID: 680, Title: "Vetted", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID, InviteHash: "Vet", InviteRequest: true})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	const chat = "-100680"

	start := h.count()
	srv.AskToJoin(680, dave.ID)
	h.wait(t, start, "dave's request told", isJoinRequest(chat, "1004"))

	// slowRead starts a read whose answer (Dave's request alone) waits
	// for release; done is closed once it is through.
	slowRead := func() (release func(), done chan struct{}) {
		pushed, release := srv.UpdateBeforeAnswer("messages.getChatInviteImporters")
		done = make(chan struct{})
		go func() {
			defer close(done)
			s.tellJoinRequests(ctx, chat)
		}()
		<-pushed
		return release, done
	}

	// Gina asks while the slow read is out: her request is told, and
	// stays told.
	release, done := slowRead()
	from := h.count()
	srv.AskToJoin(680, gina.ID)
	h.wait(t, from, "gina's request told", isJoinRequest(chat, "1007"))
	release()
	<-done
	waitNoted(t, s, chat, "1007") // not dropped by the older read
	if err := s.Kick(ctx, sdk.Call{ChatID: chat}, &pb.Kick{UserId: "1007"}); err != nil {
		t.Fatalf("refusing gina: %v", err)
	}
	if c := srv.ChannelInfo(680); !slices.Equal(c.Requests, []int64{dave.ID}) {
		t.Errorf("requests %v after gina's refusal, want dave's alone", c.Requests)
	}

	// Dave's request refused on the phone while the slow read is out,
	// the update saying so handled: not told again, and forgotten.
	release, done = slowRead()
	srv.DismissJoinRequest(680, dave.ID)
	s.pendingJoinEvents(ctx, &tg.UpdatePendingJoinRequests{Peer: &tg.PeerChannel{ChannelID: 680}}) // as its update's handler
	release()
	<-done
	if n := countOf(h, start, isJoinRequest(chat, "1004")); n != 1 {
		t.Errorf("dave's request told %d times, want once", n)
	}
	if s.asks.Told(chat, "1004") {
		t.Error("dave's request, refused, still told")
	}
}
