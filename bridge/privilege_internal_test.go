package bridge

import (
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
)

// componentServer is the server's side of one XEP-0114 stream whose
// answers the test writes: the handshake is accepted unchecked, and each
// stanza the gateway writes comes out on stanzas.
type componentServer struct {
	conn    chan net.Conn
	stanzas chan *wire.Stanza
}

func startComponentServer(t *testing.T) (*componentServer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &componentServer{conn: make(chan net.Conn, 1), stanzas: make(chan *wire.Stanza, 16)}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		t.Cleanup(func() { c.Close() })
		d := xml.NewDecoder(c)
		for {
			tok, err := d.Token()
			if err != nil {
				return
			}
			start, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			switch start.Name.Local {
			case "stream":
				fmt.Fprintf(c, "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='gw.localhost'>")
			case "handshake":
				d.Skip()
				fmt.Fprintf(c, "<handshake/>")
				s.conn <- c
			default:
				st, err := wire.Decode(d, &start)
				if err != nil {
					return
				}
				s.stanzas <- st
			}
		}
	}()
	return s, ln.Addr().String()
}

// pingAfterHandshake returns the ping the gateway sends the server after
// its handshake, and the stream to answer on.
func (s *componentServer) pingAfterHandshake(t *testing.T) (net.Conn, *wire.Stanza) {
	t.Helper()
	c := <-s.conn
	select {
	case st := <-s.stanzas:
		if st.Kind() != "iq" || st.To() != "localhost" || st.Child(wire.NSPing, "ping") == nil {
			t.Fatalf("the gateway's first stanza is no ping to the server: %s %s to %s", st.Kind(), st.Type(), st.To())
		}
		return c, st
	case <-time.After(10 * time.Second):
		t.Fatal("no ping after the handshake")
	}
	return nil, nil
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

	srv, addr := startComponentServer(t)
	tr := privilegeTransport(t, addr)
	conn, ping := srv.pingAfterHandshake(t)
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
	srv, addr = startComponentServer(t)
	tr = privilegeTransport(t, addr)
	conn, ping = srv.pingAfterHandshake(t)
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
