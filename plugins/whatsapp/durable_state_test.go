package whatsapp

import (
	"slices"
	"testing"
	"time"
)

// The chats' timers (disappearing.json) and their oldest messages
// (history-oldest.json) are written through sdk.WriteFileDurably, as
// pins.json and the LIDs shown are: both are written before whatsmeow
// acknowledges what said them (a timer's setting message, which
// WhatsApp never sends again), and a rename without sync may leave an
// empty file after a power cut, every chat's timer lost (the user's
// messages then go without it) and history on demand asking from
// nowhere. No test sees a missing fsync: this one sees the write's path.
func TestStateWrittenDurably(t *testing.T) {
	dir := t.TempDir()
	writes := durableWrites(t, stateWriter, dir)
	tm := newTimers(dir, nil)
	if _, err := tm.set("+33611111111", 604800, 1700000000); err != nil {
		t.Fatal(err)
	}
	h := newHistoryState(dir, nil, nil)
	if err := h.oldest.note(map[string]anchor{"+33611111111": {Chat: "33611111111@s.whatsapp.net", ID: "X", TimeMS: time.Now().UnixMilli()}}); err != nil {
		t.Fatal(err)
	}
	if wrote := writes(); !slices.Contains(wrote, timersFile) || !slices.Contains(wrote, oldestFile) {
		t.Errorf("durable writes %q, want %s and %s", wrote, timersFile, oldestFile)
	}
	if got, ok := newTimers(dir, nil).lookup("+33611111111"); !ok || got.Secs != 604800 {
		t.Errorf("timer read back: %+v, %v", got, ok)
	}
}
