package whatsapp

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Notices of what is lost, tried again: a notice the gateway showed but
// whose confirmation did not reach the plugin (the gateway gone before
// it answered, the plugin killed before its journal held it) is told
// again under its own ID, which the gateway shows once, never joined
// with what came since under another ID, which showed it again.

// unconfirmed has the host answer the first n notices whose ID begins
// with prefix as not taken; shown says which of them the gateway showed
// all the same (its confirmation lost). It returns the count of tries.
func unconfirmed(r *rig, prefix string, shown ...bool) *atomic.Int32 {
	var tries atomic.Int32
	r.host.mu.Lock()
	r.host.durable = func(ev *pb.Event) error {
		if !strings.HasPrefix(ev.EventId, prefix) {
			return nil
		}
		i := int(tries.Add(1)) - 1
		if i >= len(shown) {
			return nil
		}
		if shown[i] {
			r.host.Emit(ev)
		}
		return errors.New("the gateway went away before it confirmed")
	}
	r.host.mu.Unlock()
	return &tries
}

// waitTries waits until tries reached n.
func waitTries(t *testing.T, tries *atomic.Int32, n int32) {
	t.Helper()
	for deadline := time.Now().Add(eventWait); tries.Load() < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("notices tried %d times, want %d", tries.Load(), n)
		}
	}
}

// unreadCount is how many messages an unread notice's text counts.
func unreadCount(t *testing.T, text string) int {
	t.Helper()
	if strings.HasPrefix(text, "A message of") {
		return 1
	}
	n, err := strconv.Atoi(text[:strings.IndexByte(text, ' ')])
	if err != nil {
		t.Fatalf("notice %q counts no messages", text)
	}
	return n
}

// unreadSum is how many messages the unread notices told (by ID) count.
func unreadSum(t *testing.T, told map[string]string) int {
	t.Helper()
	sum := 0
	for _, text := range told {
		sum += unreadCount(t, text)
	}
	return sum
}

// A part of the history lost, its notice shown but not confirmed, then
// another part lost: the first is told again under its own ID, the
// second under its own. Before, both were told in one notice under a
// new ID ("2 parts"): the first part shown twice.
func TestLostNoticeRetriedUnderItsID(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	tries := unconfirmed(r, "history-lost-", true)
	from := r.host.count()
	a, err := fake.HistoryNoticeGone(context.Background(), waHistorySync.HistorySync_RECENT)
	if err != nil {
		t.Fatal(err)
	}
	waitTries(t, tries, 1)
	b, err := fake.HistoryNoticeGone(context.Background(), waHistorySync.HistorySync_RECENT)
	if err != nil {
		t.Fatal(err)
	}
	waitNoNotice(t, s)
	for deadline := time.Now().Add(eventWait); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(s.hist.dir, "..", lostFile)); os.IsNotExist(err) {
			break // both told and confirmed
		}
		if time.Now().After(deadline) {
			t.Fatal("the parts lost not dropped: not told")
		}
	}
	told := noticesByID(r.host.since(from), "history-lost-")
	_, okA := told["history-lost-"+string(a)]
	_, okB := told["history-lost-"+string(b)]
	if len(told) != 2 || !okA || !okB {
		t.Errorf("notices: %q; want history-lost-%s and history-lost-%s alone (each part shown once)", told, a, b)
	}
}

// A sync's messages not read, their notice shown but not confirmed; the
// next sync has one more: the first notice is told again under its ID,
// the new message in a notice of its own. Before, the count kept was
// joined with the next sync's under a new ID ("3 messages"): the first
// two shown twice.
func TestUnreadNoticeRetriedUnderItsID(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	unconfirmed(r, "history-unreadable-", true)
	now := time.Now().Truncate(time.Second)
	from := r.host.count()
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_FULL.Enum(), Progress: proto.Uint32(100),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: unreadableIn("U1", now.Add(-time.Hour))}, {Message: unreadableIn("U2", now.Add(-2*time.Hour))},
			{Message: readableIn("R1", now.Add(-3*time.Hour))},
		}}}}})
	_, end := r.host.next(t, from, isProgressEnd)
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_FULL.Enum(), Progress: proto.Uint32(100),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: unreadableIn("U3", now.Add(-4*time.Hour))}, {Message: readableIn("R2", now.Add(-5*time.Hour))},
		}}}}})
	r.host.next(t, end+1, isProgressEnd)
	told := noticesByID(r.host.since(from), "history-unreadable-")
	sum := unreadSum(t, told)
	if len(told) != 2 || sum != 3 {
		t.Errorf("notices: %q; want the first sync's 2 messages and the next one's 1, each message once", told)
	}
}

// An answer of history on demand come too late, during a sync, whose
// notice the gateway showed but did not confirm, then delivered again
// (its notice not taken): its messages are counted once, under its own
// notice, the sync's told apart. Before, the count kept was merged into
// the sync's, once per delivery: "5 messages" at the sync's end, after
// the answer's "2 messages".
func TestLateUnreadCountedOnce(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	tries := unconfirmed(r, "history-unreadable-", true, false)
	now := time.Now().Truncate(time.Second)
	from := r.host.count()
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(), Progress: proto.Uint32(10),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: unreadableIn("U0", now.Add(-time.Hour))}, {Message: readableIn("R0", now.Add(-2*time.Hour))},
		}}}}})
	late := &events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_ON_DEMAND.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: readableIn("R9", now.Add(-3*time.Hour))},
			{Message: unreadableIn("U1", now.Add(-4*time.Hour))}, {Message: unreadableIn("U2", now.Add(-5*time.Hour))},
		}}}}}
	fake.Emit(late)
	waitTries(t, tries, 1)
	fake.Emit(late) // delivered again
	waitTries(t, tries, 2)
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_FULL.Enum(), Progress: proto.Uint32(100),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: readableIn("R1", now.Add(-6*time.Hour))},
		}}}}})
	r.host.next(t, from, isProgressEnd)
	told := noticesByID(r.host.since(from), "history-unreadable-")
	sum := unreadSum(t, told)
	if len(told) != 2 || sum != 3 {
		t.Errorf("notices: %q; want the late answer's 2 messages and the sync's 1, each message once", told)
	}
}
