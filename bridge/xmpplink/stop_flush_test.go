package xmpplink

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestCleanStopWritesWhatIsQueued: at a clean stop, the stanzas queued
// before it are written, not dropped, and reach their recipient through
// a real Prosody; every sender hears how its stanza went. Before, the
// writer returned at the stop with the queue as it was: those stanzas
// were lost and their done callbacks never ran (a logout's sendWritten
// and the rooms' goodbyes waited out their timeouts).
func TestCleanStopWritesWhatIsQueued(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	if err := srv.Register("u", "pw"); err != nil {
		t.Fatal(err)
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer ccancel()
	c, err := xmpptest.Dial(cctx, srv.C2SAddr(), jid.MustParse("u@localhost/r"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendPresence(cctx); err != nil {
		t.Fatal(err)
	}
	// The writer is held inside a batch (its too-large stanza's hook
	// runs on it) while the messages queue behind, and the stop comes.
	blocked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	logs := &syncbuf.Buffer{}
	l := New(Config{Addr: srv.ComponentAddr(), Domain: "gw.localhost", Secret: "s",
		PingInterval: time.Hour, PingTimeout: time.Second, ReconnectMax: time.Second,
		Log: slog.New(slog.NewTextHandler(logs, nil)), Handle: func(*wire.Stanza) {},
		OnTooLarge: func(string) {
			once.Do(func() { close(blocked) })
			<-release
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitUp(t, l)
	big := `<presence from="a@gw.localhost" to="u@localhost"><status>` + strings.Repeat("x", 2*DefaultMaxStanzaBytes) + `</status></presence>`
	if err := l.Send(ctx, []byte(big), nil); err != nil {
		t.Fatal(err)
	}
	<-blocked
	const n = 2000
	var mu sync.Mutex
	heard, written := 0, 0
	for i := range n {
		var w wire.Writer
		w.Start("message", "").Attr("from", "a@gw.localhost").Attr("to", "u@localhost/r").Attr("type", "chat").Leaf("body", "", "m"+itoa(i))
		if err := l.Send(ctx, w.Bytes(), func(err error) {
			mu.Lock()
			defer mu.Unlock()
			heard++
			if err == nil {
				written++
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	close(release)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the link did not stop")
	}
	mu.Lock()
	h, wr := heard, written
	mu.Unlock()
	if h != n || wr != n {
		t.Fatalf("at the stop, %d of %d queued stanzas heard of, %d written", h, n, wr)
	}
	for i := range n {
		st, err := c.Next(cctx, xmpptest.IsMessage)
		if err != nil {
			t.Fatalf("message %d of %d not received: %v", i, n, err)
		}
		if st.Body != "m"+itoa(i) {
			t.Fatalf("message %d is %q", i, st.Body)
		}
	}
}
