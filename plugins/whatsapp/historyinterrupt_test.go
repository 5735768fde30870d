package whatsapp

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/sdk"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A history sync interrupted by a lost connection: the quiet period
// passing while disconnected does not end it (WhatsApp could send
// nothing); its notice that came meanwhile, downloaded once connected
// again, goes on with it, and the sync ends once, with all its chats.
// Before, it ended "sent nothing more" while disconnected, and the rest
// came as a second sync, with a "Done" of its own.
func TestHistorySyncInterruptedByDisconnect(t *testing.T) {
	r := newRig(t, `{"history_days": 7}`)
	r.n.histQuiet = time.Hour // its passing is the test's call to syncQuiet
	s, fake := r.connected(t)
	alice, carol := types.NewJID("33611111111", types.DefaultUserServer), types.NewJID("33633333333", types.DefaultUserServer)
	from := r.host.count()
	fake.Emit(syncBlobOf(waHistorySync.HistorySync_RECENT, 50, alice, "I1", time.Now().Add(-time.Hour)))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetProgress() != nil })

	fake.Unreachable()
	if _, err := fake.HistoryNotice(context.Background(), syncBlobOf(waHistorySync.HistorySync_FULL, 100, carol, "I2", time.Now().Add(-2*time.Hour)).Data); err != nil {
		t.Fatal(err)
	}
	s.syncQuiet()                          // the quiet period passes, disconnected
	s.pushSpool(context.Background())      // what follows it, at once: the end, were it due
	if err := fake.Connect(); err != nil { // Connected: the notice downloaded
		t.Fatal(err)
	}
	ev, _ := r.host.next(t, from, isProgressEnd)
	if p := ev.GetProgress(); p.Done != 2 || p.Text != "history: 2 chats" {
		t.Errorf("the sync's end: %q (%d of %d); want history: 2 chats, once all came", p.Text, p.Done, p.Total)
	}
	waitNoNotice(t, s)
}

// A sync whose quiet period ran out while disconnected (its timer fired
// as the connection dropped), and that sends nothing more once connected
// again, ends after the period's floor counted from the reconnection.
func TestHistorySyncQuietAfterReconnect(t *testing.T) {
	r := newRig(t, `{"history_days": 7}`)
	r.n.histQuiet = time.Hour
	s, fake := r.connected(t)
	from := r.host.count()
	fake.Emit(syncBlobOf(waHistorySync.HistorySync_RECENT, 50, types.NewJID("33611111111", types.DefaultUserServer), "Q1", time.Now().Add(-time.Hour)))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetProgress() != nil })
	fake.Unreachable()
	s.syncQuiet() // the quiet period passes, disconnected
	r.n.histQuiet = 200 * time.Millisecond
	if err := fake.Connect(); err != nil {
		t.Fatal(err)
	}
	ev, _ := r.host.next(t, from, isProgressEnd)
	if p := ev.GetProgress(); p.Text != "history: 1 chat; WhatsApp sent nothing more for 200ms" {
		t.Errorf("the sync's end: %q", p.Text)
	}
}

// A request of history on demand in flight when the connection drops:
// its wait ends at once with an empty page, not done, from where it
// asked, and the phone is asked again when the host asks again once
// connected (the gateway does at its next backfill). Before, the
// request waited out onDemandWait (here an hour: the test's deadline
// failed) and then marked the phone silent, so a request right after
// the reconnection was not sent either.
func TestBackfillInterruptedByDisconnect(t *testing.T) {
	setFor(t, onDemandWait, time.Hour)
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	fake.SetPhoneHistory(alice, phoneMsgs(alice, 3, now)...)
	push := pushed(t, r, fake, now)
	fake.SetPhoneSilent(true)
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(eventWait); len(fake.OnDemandRequests()) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the phone not asked")
		}
	}
	from := r.host.count()
	fake.Unreachable()
	page := r.host.waitHistory(t, 2)[1]
	if len(page.Events) != 0 || page.Done || page.Cursor != push.Cursor {
		t.Fatalf("the page cut by the disconnect: %v; want empty, not done, from where it asked", page)
	}
	fake.SetPhoneSilent(false)
	if err := fake.Connect(); err != nil {
		t.Fatal(err)
	}
	r.host.next(t, from, isState(pb.LoginState_LOGIN_STATE_CONNECTED))
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: page.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if again := r.host.waitHistory(t, 3)[2]; len(again.Events) == 0 {
		t.Errorf("asked again once connected: %v; want the phone's messages", again)
	}
	if n := len(fake.OnDemandRequests()); n != 2 {
		t.Errorf("%d requests; want the phone asked again", n)
	}
}

// A connection that drops more often than the quiet period: only the
// connected time counts, what was left of the period goes on at each
// reconnection, and the sync ends with its "Done" once that time adds
// up. Each spell connected is a third of the period (the scenario, not
// a wait for an outcome: a longer spell on a loaded machine ends it
// sooner). Before, each reconnection started the period over and the
// sync never ended (the deadline failed).
func TestHistorySyncQuietAcrossDrops(t *testing.T) {
	const quiet = 900 * time.Millisecond // its floor: 225ms
	r := newRig(t, `{"history_days": 7}`)
	r.n.histQuiet = quiet
	_, fake := r.connected(t)
	from := r.host.count()
	fake.Emit(syncBlobOf(waHistorySync.HistorySync_RECENT, 50, types.NewJID("33611111111", types.DefaultUserServer), "D1", time.Now().Add(-time.Hour)))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetProgress() != nil })
	deadline := time.Now().Add(eventWait)
	for drops := 0; ; drops++ {
		if ev := r.host.endWithin(from, quiet/3); ev != nil {
			if p := ev.GetProgress(); p.Text != "history: 1 chat; WhatsApp sent nothing more for 900ms" {
				t.Errorf("the sync's end: %q", p.Text)
			}
			t.Logf("ended after %d drops", drops)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no end after %d drops, each after a third of the quiet period connected", drops)
		}
		at := r.host.count()
		fake.Unreachable()
		if err := fake.Connect(); err != nil {
			t.Fatal(err)
		}
		r.host.next(t, at, isState(pb.LoginState_LOGIN_STATE_CONNECTED))
	}
}

// endWithin is the progress's end after index from, if one comes
// within d; nil if none.
func (h *testHost) endWithin(from int, d time.Duration) *pb.Event {
	timeout := time.After(d)
	for {
		h.mu.Lock()
		for _, ev := range h.events[from:] {
			if isProgressEnd(ev) {
				h.mu.Unlock()
				return ev
			}
		}
		ch := h.changed
		h.mu.Unlock()
		select {
		case <-ch:
		case <-timeout:
			return nil
		}
	}
}
