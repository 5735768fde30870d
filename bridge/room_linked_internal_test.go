package bridge

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/internal/xmpptest"
)

// linkedRoom is roomFixture with its link up to a fake server, so that
// what the room sends can be read: sent returns every stanza written
// from now until a marker it writes itself.
func linkedRoom(t *testing.T) (*transport, *session, *room, func() []*wire.Stanza) {
	t.Helper()
	tr, s, r := roomFixture(t)
	srv := xmpptest.NewComponentServer(t)
	tr.link = xmpplink.New(xmpplink.Config{Addr: srv.Addr(), Domain: tr.domain, Secret: "s",
		PingInterval: time.Minute, PingTimeout: time.Minute, ReconnectMax: time.Second,
		Log: tr.log, Handle: func(*wire.Stanza) {}})
	tr.unconfirmed = newUnconfirmed(tr.link, tr.delivered)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tr.link.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	conn := srv.Accept(t)
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := tr.link.WaitUp(wctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	sent := func() []*wire.Stanza {
		t.Helper()
		n++
		marker := "room-marker-" + string(rune('a'+n))
		tr.send(context.Background(), []byte(`<message to="marker@localhost" id="`+marker+`"/>`))
		var out []*wire.Stanza
		for {
			st := conn.Next(t)
			if st.ID() == marker {
				return out
			}
			if st.Kind() == "iq" && st.Child(wire.NSPing, "ping") != nil {
				continue // the link's own
			}
			out = append(out, st)
		}
	}
	sent() // drain what the link wrote at its start
	return tr, s, r, sent
}

// bodyIs reports whether st has the body want.
func bodyIs(st *wire.Stanza, want string) bool {
	b, ok := st.Body()
	return ok && b == want
}
