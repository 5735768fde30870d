package bridge

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/xmpplink"
)

// fakeLink stands for the component link: the test decides when a
// connection comes and goes and when the server confirms.
type fakeLink struct {
	mu      sync.Mutex
	gen     uint64
	up      bool
	upCh    chan struct{}
	written []string      // every stanza written, in order, with its connection
	pending []func(error) // confirmations of the current connection not given yet
}

func newFakeLink() *fakeLink { return &fakeLink{upCh: make(chan struct{})} }

func (f *fakeLink) WaitUp(ctx context.Context) error {
	f.mu.Lock()
	up, ch := f.up, f.upCh
	f.mu.Unlock()
	if up {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeLink) Generation() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.up {
		return 0
	}
	return f.gen
}

func (f *fakeLink) SendConfirmed(_ context.Context, gen uint64, data []byte, confirmed func(error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.up || gen != f.gen {
		return xmpplink.ErrDown
	}
	f.written = append(f.written, string(data)+"@"+string(rune('0'+gen)))
	if confirmed != nil {
		f.pending = append(f.pending, confirmed)
	}
	return nil
}

// connect starts a new connection.
func (f *fakeLink) connect() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	f.up = true
	close(f.upCh)
}

// drop ends the connection: what it did not confirm hears ErrDown, once
// the link is down (as xmpplink does).
func (f *fakeLink) drop() {
	f.mu.Lock()
	f.up = false
	f.upCh = make(chan struct{})
	cbs := f.pending
	f.pending = nil
	f.mu.Unlock()
	for _, cb := range cbs {
		cb(xmpplink.ErrDown)
	}
}

// answer is the server answering the barrier ping: everything written so
// far on the connection is confirmed.
func (f *fakeLink) answer() {
	f.mu.Lock()
	cbs := f.pending
	f.pending = nil
	f.mu.Unlock()
	for _, cb := range cbs {
		cb(nil)
	}
}

func (f *fakeLink) stanzas() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.written)
}

// TestUnconfirmedBarrier: a delivery is done only once the server
// confirmed it; what a connection left unconfirmed is written again on
// the next, first and in order, as the same stanzas; what was confirmed
// is not.
func TestUnconfirmedBarrier(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFakeLink()
	var mu sync.Mutex
	var done []uint64
	u := newUnconfirmed(f, func(_ context.Context, d delivery) {
		mu.Lock()
		defer mu.Unlock()
		done = append(done, d.key)
	})
	doneKeys := func() []uint64 {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(done)
	}
	send := func(key uint64, stanzas ...string) {
		t.Helper()
		var bs [][]byte
		for _, s := range stanzas {
			bs = append(bs, []byte(s))
		}
		if err := u.send(ctx, delivery{key: key}, bs); err != nil {
			t.Fatal(err)
		}
	}
	f.connect()
	send(1, "a")
	send(2, "b1", "b2") // two stanzas (a message and a file)
	if got := doneKeys(); len(got) != 0 {
		t.Fatalf("done before the server confirmed: %v", got)
	}
	f.answer()
	if got := doneKeys(); !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("done after the answer: %v, want [1 2]", got)
	}
	send(3, "c")
	send(4, "d")
	f.drop()
	if got := doneKeys(); !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("done after the connection dropped: %v, want still [1 2]", got)
	}
	select {
	case <-u.lost:
	default:
		t.Fatal("a connection ended with deliveries unconfirmed and nobody was told")
	}
	// A new delivery while down waits for the next connection, behind
	// the unconfirmed ones.
	sent := make(chan error, 1)
	go func() { sent <- u.send(ctx, delivery{key: 5}, [][]byte{[]byte("e")}) }()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-sent:
		t.Fatalf("send returned while the link was down: %v", err)
	default:
	}
	f.connect()
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	want := []string{"a@1", "b1@1", "b2@1", "c@1", "d@1", "c@2", "d@2", "e@2"}
	if got := f.stanzas(); !slices.Equal(got, want) {
		t.Fatalf("written %v\nwant    %v", got, want)
	}
	if n := u.pending(); n != 3 {
		t.Fatalf("%d unconfirmed, want 3", n)
	}
	f.answer()
	if got := doneKeys(); !slices.Equal(got, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("done %v, want [1 2 3 4 5]", got)
	}
	if n := u.pending(); n != 0 {
		t.Fatalf("%d unconfirmed after the answer, want 0", n)
	}
	// Nothing left: a lost signal now writes nothing again.
	f.drop()
	f.connect()
	if err := u.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.stanzas(); len(got) != len(want) {
		t.Fatalf("written again after everything was confirmed: %v", got[len(want):])
	}
}

// TestUnconfirmedLateConfirmation: a confirmation of the old connection
// that comes after the delivery went again on the new one still counts,
// once; the new connection's counts for nothing more.
func TestUnconfirmedLateConfirmation(t *testing.T) {
	ctx := context.Background()
	f := newFakeLink()
	var done []uint64
	var mu sync.Mutex
	u := newUnconfirmed(f, func(_ context.Context, d delivery) {
		mu.Lock()
		defer mu.Unlock()
		done = append(done, d.key)
	})
	f.connect()
	if err := u.send(ctx, delivery{key: 7}, [][]byte{[]byte("x")}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	old := f.pending
	f.pending = nil
	f.up = false
	f.upCh = make(chan struct{})
	f.mu.Unlock()
	f.connect()
	if err := u.flush(ctx); err != nil {
		t.Fatal(err)
	}
	old[0](nil) // the old connection's answer, late
	f.answer()  // and the new one's
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(done, []uint64{7}) {
		t.Fatalf("done %v, want [7] (once)", done)
	}
}
