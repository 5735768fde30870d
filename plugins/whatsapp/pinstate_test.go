package whatsapp

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// What the pins file keeps of a chat is bounded: a contact (or a busy
// group) unpinning thousands of messages, pinned or never, leaves the pins shown and the pinMarksKept newest marks,
// in a file of a few hundred bytes rewritten for each, not one growing
// without end; the order still holds (a pin delivered late, older than
// a mark forgotten, does not come back), an unpin older than what is
// kept writes nothing, and pins still count. Over all chats, marks are
// pinMarksAll at most. (Before: every unpin stayed 30 days, each write
// of the whole file slower than the last; the review's
// TestReviewPinStoreBounded: 2000 marks, 88 KB.)
func TestPinStoreBounded(t *testing.T) {
	const chat = "123@s.whatsapp.net"
	dir := t.TempDir()
	file := filepath.Join(dir, pinsFile)
	p := newPinStore(dir, nil)
	start := time.Now().Truncate(time.Millisecond)
	id := func(i int) string { return fmt.Sprintf("3EB0%016X", i) }
	note := func(target string, at time.Time, unpin bool) {
		t.Helper()
		if err := p.note(chat, target, at, 86400, unpin, start.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	marks := func() (kept, past int) {
		p.mu.Lock()
		defer p.mu.Unlock()
		pins := p.chats[chat]
		return len(pins), len(pastMarks(pins, start.Add(time.Hour)))
	}

	// A pin, 500 unpins (250 of messages never pinned, 250 of
	// messages pinned just before), two more pins.
	note(id(100000), start, false)
	const n = 500
	for i := range n {
		at := start.Add(time.Second + time.Duration(i)*time.Second)
		if i%2 == 1 {
			note(id(i), at.Add(-time.Millisecond), false)
		}
		note(id(i), at, true)
	}
	for i := 1; i < 3; i++ {
		note(id(100000+i), start.Add(time.Duration(n+i)*time.Second), false)
	}
	kept, past := marks()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d unpins noted: %d marks kept, %d of messages not pinned; file %d bytes", n, kept, past, fi.Size())
	if past != pinMarksKept || kept > pinsShown+pinMarksKept+1 {
		t.Errorf("%d marks kept, %d of messages not pinned; want %d of them at most, %d in all", kept, past, pinMarksKept, pinsShown+pinMarksKept+1)
	}
	if fi.Size() > 2048 {
		t.Errorf("pins file of %d bytes for one chat of %d marks at most", fi.Size(), pinsShown+pinMarksKept+1)
	}
	want := []string{id(100000), id(100001), id(100002)}
	if got := p.pinned(chat, start.Add(time.Hour)); !slices.Equal(got, want) {
		t.Errorf("pinned: %q, want %q", got, want)
	}

	// A pin delivered late, made before its unpin (forgotten since),
	// stays out; an unpin of a message never pinned, older than what is
	// kept, changes nothing and writes nothing.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	note(id(1), start.Add(2*time.Second-2*time.Millisecond), false)
	note(id(n+1), start.Add(2*time.Second), true)
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("pins file written for a change older than what is kept (%v)", err)
	}
	if got := p.pinned(chat, start.Add(time.Hour)); !slices.Equal(got, want) {
		t.Errorf("pinned after a late pin older than its unpin: %q, want %q", got, want)
	}

	// A new pin still counts, pushing out the oldest; and the file again
	// holds what is kept.
	note(id(n+2), start.Add(time.Duration(n+3)*time.Second), false)
	want = []string{id(100001), id(100002), id(n + 2)}
	if got := p.pinned(chat, start.Add(time.Hour)); !slices.Equal(got, want) {
		t.Errorf("pinned after a new pin: %q, want %q", got, want)
	}
	if got := newPinStore(dir, nil).pinned(chat, start.Add(time.Hour)); !slices.Equal(got, want) {
		t.Errorf("pinned as read back from the file: %q, want %q", got, want)
	}
	if kept, past := marks(); past != pinMarksKept || kept > pinsShown+pinMarksKept+1 {
		t.Errorf("after a new pin: %d marks kept, %d of messages not pinned", kept, past)
	}

	// Over many chats (in memory: nothing to write), marks of messages
	// not pinned are pinMarksAll at most, each chat's pins still shown.
	all := newPinStore("", nil)
	for c := range 2 * pinMarksAll / pinMarksKept {
		chat := fmt.Sprintf("1%011d@s.whatsapp.net", c)
		if err := all.note(chat, "PIN", start, 86400, false, start); err != nil {
			t.Fatal(err)
		}
		for i := range pinMarksKept + 2 {
			if err := all.note(chat, id(i), start.Add(time.Duration(i)*time.Second), 0, true, start.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
	}
	past, chats := 0, 0
	for _, pins := range all.chats {
		chats++
		for _, m := range pins {
			if m.Until <= start.Add(time.Hour).UnixMilli() {
				past++
			}
		}
		if live := livePins(pins, start.Add(time.Hour)); len(live) != 1 {
			t.Errorf("a chat's pins: %v, want its one pin", live)
		}
	}
	if past > pinMarksAll || chats != 2*pinMarksAll/pinMarksKept {
		t.Errorf("%d marks of messages not pinned kept over %d chats, want %d at most over %d", past, chats, pinMarksAll, 2*pinMarksAll/pinMarksKept)
	}
}
