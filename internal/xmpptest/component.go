package xmpptest

import (
	"encoding/xml"
	"fmt"
	"net"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
)

// componentWait bounds Accept and Next: a failure, not a passing test's
// pace, under CI's load (every package at once on 2 cores, -race).
const componentWait = 30 * time.Second

// ComponentServer is the server's side of XEP-0114 component streams, for
// tests that must decide when, and whether, the server answers: it takes
// any handshake, and hands the test each stream and, on it, each stanza
// the component writes.
type ComponentServer struct {
	ln    net.Listener
	conns chan *ComponentConn
}

// ComponentConn is one component stream: the test writes the server's
// stanzas to it and reads the component's with Next.
type ComponentConn struct {
	net.Conn
	stanzas chan *wire.Stanza
}

// NewComponentServer listens on a loopback port until the test ends.
func NewComponentServer(t testing.TB) *ComponentServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &ComponentServer{ln: ln, conns: make(chan *ComponentConn, 4)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			cc := &ComponentConn{Conn: c, stanzas: make(chan *wire.Stanza, 100)}
			t.Cleanup(func() { c.Close() })
			go cc.serve()
			s.conns <- cc
		}
	}()
	return s
}

// Addr is the server's address, for the component's configuration.
func (s *ComponentServer) Addr() string { return s.ln.Addr().String() }

// Accept returns the next stream a component opened.
func (s *ComponentServer) Accept(t testing.TB) *ComponentConn {
	t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(componentWait):
		t.Fatalf("no component connected within %v", componentWait)
	}
	return nil
}

// serve answers the stream's header and handshake, then passes on every
// stanza.
func (c *ComponentConn) serve() {
	defer close(c.stanzas)
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
		default:
			st, err := wire.Decode(d, &start)
			if err != nil {
				return
			}
			c.stanzas <- st
		}
	}
}

// Next returns the next stanza the component wrote.
func (c *ComponentConn) Next(t testing.TB) *wire.Stanza {
	t.Helper()
	select {
	case st, ok := <-c.stanzas:
		if !ok {
			t.Fatal("the component closed the stream")
		}
		return st
	case <-time.After(componentWait):
		t.Fatalf("no stanza from the component within %v", componentWait)
	}
	return nil
}
