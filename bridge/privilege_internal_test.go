package bridge

import (
	"context"
	"fmt"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/internal/xmpptest"
)

// pingAfterHandshake returns the stream of the gateway's first
// connection and the ping it sends the server after its handshake.
func pingAfterHandshake(t *testing.T, srv *xmpptest.ComponentServer) (*xmpptest.ComponentConn, *wire.Stanza) {
	t.Helper()
	c := srv.Accept(t)
	st := c.Next(t)
	if st.Kind() != "iq" || st.To() != "localhost" || st.Child(wire.NSPing, "ping") == nil {
		t.Fatalf("the gateway's first stanza is no ping to the server: %s %s to %s", st.Kind(), st.Type(), st.To())
	}
	return c, st
}

func privilegeTransport(t *testing.T, addr string) *transport {
	t.Helper()
	tr := newTestTransport(t)
	tr.domain, tr.privKnown = "gw.localhost", make(chan struct{})
	tr.in.handle, tr.in.max, tr.in.limit = func(context.Context, *wire.Stanza) {}, inboundQueue, inboundChats // what is not an advertisement
	tr.link = xmpplink.New(xmpplink.Config{Addr: addr, Domain: tr.domain, Secret: "s",
		PingInterval: time.Minute, PingTimeout: time.Minute, ReconnectMax: time.Second,
		Log: tr.log, Handle: tr.route, OnUp: tr.onLinkUp})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tr.link.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return tr
}

// Right after a start, the gateway's first work can come before the
// server's XEP-0356 advertisement (Prosody sends it after the handshake):
// the privileges wait until the server answered the ping the gateway
// sends after the handshake, behind which the advertisement was read. A
// server that grants nothing answers the ping alone, and nothing waits
// longer. Before, the privileges read then were none: a new contact
// asked to be added instead of being put in the roster.
func TestPrivilegesWaitForTheServer(t *testing.T) {
	old := privilegesWait
	privilegesWait = time.Minute // the answer, not the bound, must end the wait
	defer func() { privilegesWait = old }()

	srv := xmpptest.NewComponentServer(t)
	tr := privilegeTransport(t, srv.Addr())
	conn, ping := pingAfterHandshake(t, srv)
	got := make(chan perms, 1)
	go func() { got <- tr.privileges() }()
	select {
	case p := <-got:
		t.Fatalf("privileges read before the server answered: %+v", p)
	case <-time.After(200 * time.Millisecond):
	}
	fmt.Fprintf(conn, "<message from='localhost' to='gw.localhost'><privilege xmlns='urn:xmpp:privilege:2'>"+
		"<perm access='roster' type='both'/><perm access='message' type='outgoing'/></privilege></message>"+
		"<iq type='result' from='localhost' to='gw.localhost' id='%s'/>", ping.ID())
	select {
	case p := <-got:
		if !p.rosterWrite() || p.message != "outgoing" {
			t.Errorf("privileges after the answer: %+v, want the advertised ones", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("privileges still wait after the server answered")
	}

	// A server that grants nothing: the ping's answer alone ends the wait.
	srv = xmpptest.NewComponentServer(t)
	tr = privilegeTransport(t, srv.Addr())
	conn, ping = pingAfterHandshake(t, srv)
	fmt.Fprintf(conn, "<iq type='result' from='localhost' to='gw.localhost' id='%s'/>", ping.ID())
	start := time.Now()
	if p := tr.privileges(); p.rosterWrite() || p.message != "" {
		t.Errorf("privileges of a server that grants none: %+v", p)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("waited %s for a server that grants nothing", waited)
	}
	// An advertisement from anyone but the server is no grant.
	fmt.Fprintf(conn, "<message from='mallory@localhost' to='gw.localhost'><privilege xmlns='urn:xmpp:privilege:2'>"+
		"<perm access='roster' type='both'/></privilege></message>")
	time.Sleep(100 * time.Millisecond)
	if tr.privileges().rosterWrite() {
		t.Error("a user's forged advertisement granted roster access")
	}
}
