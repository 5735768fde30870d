package bridge_test

import (
	"context"
	"testing"
	"time"
)

// TestAdhocQRWaitOffShard: while the login command waits for a QR code
// to be scanned, the user's next requests to the gateway (here a
// disco#info, as well a cancel) are answered at once: the wait does not
// hold the shared worker. (It once did, for up to a minute.)
func TestAdhocQRWaitOffShard(t *testing.T) {
	s := newStack(t, stackOptions{})
	bob := s.user("bob")
	s.waitGateway(bob)
	r, _ := command(t, bob, "login", "", "", nil)
	sid := r.Command.SessionID
	r, _ = command(t, bob, "login", sid, "next", map[string]string{"username": "bob+qr"})
	if _, vals, ok := r.Field("code"); !ok || len(vals) != 1 {
		t.Fatalf("QR stage: %s", r.XML)
	}
	order := make(chan string, 2)
	go func() {
		// Waits until the code rotates (a second after the login began).
		command(t, bob, "login", sid, "next", map[string]string{})
		order <- "command"
	}()
	time.Sleep(50 * time.Millisecond) // the command goes first on the stream
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	st, err := bob.IQ(ctx, `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	took := time.Since(start)
	if err != nil || st.Type != "result" {
		t.Fatalf("disco#info: %v %s", err, st.XML)
	}
	select {
	case <-order:
		t.Fatalf("the disco#info was answered (in %v) only once the login's wait had ended", took)
	default:
	}
	if took > 500*time.Millisecond {
		t.Fatalf("the disco#info took %v behind the login's wait", took)
	}
	<-order
}
