package bridge

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/internal/xmpptest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestReflectionWrittenAgainAfterLinkDrop: the reflections of the user's
// own room messages go through the confirmed writes the network's
// messages take. One written just before the server dropped the
// connection (never confirmed) is written again on the next, and one
// whose result came while the link was down goes once it is back, after
// the earlier ones. Both were lost to live delivery (only MAM and a
// join's history had them): written straight to the link, the first
// was gone with the connection, the second refused by a link down.
func TestReflectionWrittenAgainAfterLinkDrop(t *testing.T) {
	tr, s, r := roomFixture(t)
	srv := xmpptest.NewComponentServer(t)
	// The server never answers the link's pings: nothing written is
	// confirmed, as with a server that stopped reading.
	tr.link = xmpplink.New(xmpplink.Config{Addr: srv.Addr(), Domain: tr.domain, Secret: "s",
		PingInterval: time.Minute, PingTimeout: time.Minute, ReconnectMax: 200 * time.Millisecond,
		Log: tr.log, Handle: func(*wire.Stanza) {}})
	tr.unconfirmed = newUnconfirmed(tr.link, tr.delivered)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { tr.link.Run(ctx); done <- struct{}{} }()
	go func() { tr.resendLoop(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	conn := srv.Accept(t)

	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := tr.link.WaitUp(wctx); err != nil {
		t.Fatal(err)
	}
	// copies reads the next n room messages the component writes.
	copies := func(c *xmpptest.ComponentConn, n int) []*wire.Stanza {
		t.Helper()
		var out []*wire.Stanza
		for len(out) < n {
			if st := c.Next(t); st.Kind() == "message" && st.Type() == "groupchat" {
				out = append(out, st)
			}
		}
		return out
	}
	own := func(id, body string) *wire.Stanza {
		st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='` + id + `' type='groupchat'><body>` + body + `</body></message>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	s.reflect(ctx, own("own-1", "one"), r, &pb.CommandResult{MessageId: "net-1"}, nil, nil)
	first := copies(conn, 2) // to the phone and the laptop
	conn.Close()             // the server goes down before it read them
	for tr.link.Up() {
		if wctx.Err() != nil {
			t.Fatal("the link never saw its connection end")
		}
		time.Sleep(10 * time.Millisecond)
	}

	reflected := make(chan struct{})
	go func() {
		s.reflect(ctx, own("own-2", "two"), r, &pb.CommandResult{MessageId: "net-2"}, nil, nil)
		close(reflected)
	}()
	select {
	case <-reflected:
	case <-time.After(10 * time.Second):
		t.Fatal("a reflection while the link is down held its goroutine")
	}

	again := copies(srv.Accept(t), 4)
	for i, st := range again {
		wantID, wantBody := "own-1", "one"
		if i >= 2 {
			wantID, wantBody = "own-2", "two"
		}
		if st.ID() != wantID || !bodyIs(st, wantBody) {
			b, _ := st.Body()
			t.Fatalf("copy %d on the new connection is %q (id %s), want %q (id %s): the first message's copies again, then the second's", i, b, st.ID(), wantBody, wantID)
		}
		if i < 2 && (st.To() != first[i].To() || stanzaIDOf(st) != stanzaIDOf(first[i])) {
			t.Errorf("copy %d written again to %s with stanza-id %q, first to %s with %q", i, st.To(), stanzaIDOf(st), first[i].To(), stanzaIDOf(first[i]))
		}
	}
}
