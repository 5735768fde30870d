package telegram

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// expiresIn checks that ev is a message Telegram deletes ttl after its
// date (its ttl_period), or never when ttl is 0.
func expiresIn(t *testing.T, what string, ev *pb.Event, ttl time.Duration) {
	t.Helper()
	want := int64(0)
	if ttl > 0 {
		want = ev.TimestampUnixMicro + ttl.Microseconds()
	}
	if got := ev.GetMessage().GetExpiresUnixMicro(); got != want || ev.TimestampUnixMicro == 0 {
		t.Errorf("%s: expires_unix_micro %d, want %d (date %d + %v): %v", what, got, want, ev.TimestampUnixMicro, ttl, ev)
	}
}

// Messages of a chat with an auto-delete timer carry their deadline,
// their date plus the ttl_period Telegram gave them: from a contact in a
// private chat, in a group, the user's own from another app, one with a
// period of its own; a message without one has none. The user's sends
// from XMPP (a text, a location: sendMessage and sendMedia) give it as
// the result's Expires, from the message Telegram made.
func TestExpiresLive(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	group := &tg.PeerChat{ChatID: 77}
	const day = 24 * time.Hour

	srv.SetTTL(bob.ID, alicePeer, 86400) // bob turned it on: the chat's, both sides
	from := h.count()
	srv.Send(bob.ID, alicePeer, "gone tomorrow")
	expiresIn(t, "bob's message", h.wait(t, from, "bob's message", isMessage("1002", "gone tomorrow")), day)

	from = h.count()
	srv.Send(alice.ID, bobPeer, "from my phone")
	ev := h.wait(t, from, "the user's own message", isMessage("1002", "from my phone"))
	if !ev.GetSender().GetIsFromMe() {
		t.Errorf("the user's own message: sender %v", ev.Sender)
	}
	expiresIn(t, "the user's own message", ev, day)

	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "ttl1"}, &pb.SendMessage{Text: "mine, timed"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Time.IsZero() || !res.Expires.Equal(res.Time.Add(day)) {
		t.Errorf("send into the chat with a 1-day timer: time %v, expires %v, want a day later", res.Time, res.Expires)
	}
	if box := srv.Messages(bob.ID); box[len(box)-1].Message != "mine, timed" || box[len(box)-1].TTLPeriod != 86400 {
		t.Errorf("bob's copy: %v", box[len(box)-1])
	}
	res, err = s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "ttl2"}, &pb.SendMessage{Text: "geo:48.8584,2.2945"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Time.IsZero() || !res.Expires.Equal(res.Time.Add(day)) {
		t.Errorf("location sent into the chat with a 1-day timer: time %v, expires %v, want a day later", res.Time, res.Expires)
	}

	srv.SetTTL(carol.ID, group, 7*86400)
	from = h.count()
	srv.Send(carol.ID, group, "a week in the group")
	expiresIn(t, "carol's message in the group", h.wait(t, from, "carol's message", isMessage("-77", "a week in the group")), 7*day)

	srv.SetTTL(alice.ID, bobPeer, 0) // off
	from = h.count()
	srv.Send(bob.ID, alicePeer, "here to stay")
	expiresIn(t, "a message after the timer is off", h.wait(t, from, "bob's message", isMessage("1002", "here to stay")), 0)
	from = h.count()
	srv.Send(bob.ID, alicePeer, "this one goes", tgfake.WithTTL(3600))
	expiresIn(t, "a message with its own period", h.wait(t, from, "bob's message", isMessage("1002", "this one goes")), time.Hour)

	res, err = s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "ttl3"}, &pb.SendMessage{Text: "mine, kept"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Expires.IsZero() {
		t.Errorf("send without a timer: expires %v, want never", res.Expires)
	}
}

// The history's messages carry their deadline too, one already past
// included (the gateway drops it); one without a period has none.
func TestExpiresHistory(t *testing.T) {
	srv := newFake(t)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	old := int(time.Now().Add(-48 * time.Hour).Unix())
	srv.Send(bob.ID, alicePeer, "long gone", tgfake.WithDate(old), tgfake.WithTTL(3600))
	srv.SetTTL(bob.ID, alicePeer, 86400)
	srv.Send(bob.ID, alicePeer, "timed")
	srv.SetTTL(bob.ID, alicePeer, 0)
	srv.Send(bob.ID, alicePeer, "plain")
	s, h, _, _ := connectAlice(t, srv)

	if err := s.Backfill(ctxT(t), sdk.BackfillRequest{ChatID: "1002", Limit: 5}); err != nil {
		t.Fatal(err)
	}
	b := h.waitHistory(t, 0)
	got := map[string]*pb.Event{}
	for _, ev := range b.Events {
		got[ev.GetMessage().GetText()] = ev
	}
	for _, c := range []struct {
		text string
		ttl  time.Duration
	}{{"long gone", time.Hour}, {"timed", 24 * time.Hour}, {"plain", 0}} {
		ev := got[c.text]
		if ev == nil {
			t.Fatalf("no %q in the history: %v", c.text, b.Events)
		}
		expiresIn(t, "history: "+c.text, ev, c.ttl)
	}
	if e := got["long gone"].GetMessage().GetExpiresUnixMicro(); e != (int64(old)+3600)*1e6 || e > time.Now().UnixMicro() {
		t.Errorf("the message past its deadline: expires %d, want %d, in the past", e, (int64(old)+3600)*1e6)
	}
}

// sendUpdates is an updates manager that takes every answer.
type sendUpdates struct{}

func (sendUpdates) Handle(context.Context, tg.UpdatesClass) error { return nil }

// A send answered with updateShortSentMessage (Telegram's answer in a
// private chat) gives its ttl_period as Expires; a service message of a
// chat with a timer (a call's end) carries its deadline as a message
// does.
func TestExpiresShortSentAndNotice(t *testing.T) {
	s, _ := unitSession(t)
	ctx := context.Background()
	c := sdk.Call{ChatID: "1002"}
	short := &tg.UpdateShortSentMessage{ID: 40, Date: 1700000000}
	short.SetTTLPeriod(300)
	res, err := s.sentResult(ctx, sendUpdates{}, c, 1, short)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(1700000300, 0); res.MessageID != "40" || !res.Expires.Equal(want) {
		t.Errorf("short answer with ttl_period 300: %+v, want expires %v", res, want)
	}
	res, err = s.sentResult(ctx, sendUpdates{}, c, 2, &tg.UpdateShortSentMessage{ID: 41, Date: 1700000000})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Expires.IsZero() {
		t.Errorf("short answer without ttl_period: expires %v, want never", res.Expires)
	}

	call := &tg.MessageService{ID: 42, PeerID: &tg.PeerUser{UserID: 1002}, Date: 1700000000,
		Action: &tg.MessageActionPhoneCall{CallID: 1, Reason: &tg.PhoneCallDiscardReasonMissed{}}}
	call.SetTTLPeriod(86400)
	ev, text := onlyMessage(t, "call notice", s.messageEvents(ctx, call, false))
	if !strings.Contains(text, "call") || ev.GetMessage().GetExpiresUnixMicro() != (1700000000+86400)*1e6 {
		t.Errorf("a call's end in a chat with a timer: %v", ev)
	}
}
