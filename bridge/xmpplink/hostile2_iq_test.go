package xmpplink

import (
	"context"
	"fmt"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestIQAnswerFromElsewhere: an answer to one of the gateway's IQs from
// an address other than the one asked is not its answer. Any user can
// send the component an iq result with an id they guess (the server
// stamps only the from): before, the first answer with the id was taken,
// whoever sent it, so a user could answer another's upload slot request
// with URLs of their own and receive that user's files, or answer the
// barrier's ping and have stanzas taken as delivered that were not.
func TestIQAnswerFromElsewhere(t *testing.T) {
	srv := xmpptest.NewComponentServer(t)
	l := New(Config{Addr: srv.Addr(), Domain: "gw.localhost", Secret: "s",
		PingInterval: time.Hour, PingTimeout: time.Second, ReconnectMax: 100 * time.Millisecond,
		Handle: func(*wire.Stanza) {}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c := srv.Accept(t)
	waitUp(t, l)
	for _, tc := range []struct{ to, from string }{
		{"upload.localhost", "upload.localhost"},
		{"Bob@LocalHost/r", "bob@localhost/r"}, // as the server writes it
		{"bob@localhost/r", "bob@localhost"},   // the server, for an offline resource
		{"alice@localhost", "alice@localhost"}, // a privileged IQ to the user's account
		{"localhost", "localhost"},             // the server itself
	} {
		id := l.NewID()
		var w wire.Writer
		w.Start("iq", "").Attr("from", "gw.localhost").Attr("to", tc.to).Attr("id", id).Attr("type", "get").Leaf("query", "urn:example", "")
		got := make(chan *wire.Stanza, 1)
		go func() {
			ictx, icancel := context.WithTimeout(ctx, 10*time.Second)
			defer icancel()
			st, err := l.IQ(ictx, id, w.Bytes())
			if err != nil {
				t.Errorf("IQ to %s: %v", tc.to, err)
			}
			got <- st
		}()
		if req := c.Next(t); req.ID() != id {
			t.Fatalf("the server got %s, want the IQ %s", req.ID(), id)
		}
		for _, from := range []string{"mallory@localhost/x", "mallory@localhost", "upload.evil.example", "bob@evil.example/r", "localhost.evil"} {
			fmt.Fprintf(c, "<iq type='result' id='%s' from='%s' to='gw.localhost'><slot xmlns='urn:xmpp:http:upload:0'/></iq>", id, from)
		}
		fmt.Fprintf(c, "<iq type='result' id='%s' from='%s' to='gw.localhost'/>", id, tc.from)
		st := <-got
		if st == nil || st.From() != tc.from || st.Child("", "slot") != nil {
			t.Fatalf("IQ to %s: answered by %+v, want %s's answer", tc.to, st, tc.from)
		}
	}
}
