package whatsapp

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/sdk"
)

// eventWait bounds the tests' waits for what the plugin does (an event,
// a message sent, a history batch): CI runs every package at once, on 2
// cores, under -race. Only a failure waits it out.
const eventWait = 30 * time.Second

// setFor sets s to v for the rest of the test.
func setFor[T any](t *testing.T, s *setting[T], v T) {
	t.Helper()
	old := s.get()
	s.set(v)
	t.Cleanup(func() { s.set(old) })
}

// durableWrites has the writes through w (stateWriter, writeExposed) made
// durably as ever, and returns what lists the names of the files written
// under dir, in order: the test's own, not those background work of
// other tests' sessions writes meanwhile through the same setting.
func durableWrites(t *testing.T, w *setting[func(string, []byte) error], dir string) func() []string {
	t.Helper()
	var mu sync.Mutex
	var wrote []string
	setFor(t, w, func(path string, b []byte) error {
		if strings.HasPrefix(path, dir+string(filepath.Separator)) {
			mu.Lock()
			wrote = append(wrote, filepath.Base(path))
			mu.Unlock()
		}
		return sdk.WriteFileDurably(path, b)
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(wrote)
	}
}

// A test changing the package's settings while a session's background
// work runs (here a history sync's download, which reads the clock for
// a pin and writes the chats' oldest messages and pins through the
// state writer) is no data race: CI runs every test under -race, and an
// earlier test's session goes on working past its test. Before the
// settings were atomic, -race failed this test.
func TestSettingsChangedUnderBackgroundWork(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	stop, changed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(changed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			clock.set(time.Now)
			stateWriter.set(sdk.WriteFileDurably)
			time.Sleep(time.Millisecond)
		}
	}()
	defer func() { close(stop); <-changed }()
	now := time.Now().Truncate(time.Second)
	if _, err := fake.HistoryNotice(context.Background(), &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{
			historyMsg(alice, "SP2", now.Add(-time.Hour), pinAt(alice, "SP1", waE2E.PinInChatMessage_PIN_FOR_ALL, now.Add(-time.Hour), 0)),
			historyMsg(alice, "SP1", now.Add(-2*time.Hour), &waE2E.Message{Conversation: proto.String("pinned")}),
		}}}}); err != nil {
		t.Fatal(err)
	}
	if b := r.host.waitHistory(t, 1); len(b) != 1 || len(b[0].Events) == 0 {
		t.Fatalf("history: %v", b)
	}
}
