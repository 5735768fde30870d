package xmpplink

import (
	"net"
	"testing"
	"time"
)

// silentServer accepts component connections on loopback, completes each
// handshake (any secret) and then reads everything and answers nothing,
// as a server that hangs with its sockets open. It counts connections.
func silentServer(t *testing.T) (addr string, conns <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan struct{}, 16)
	go serveHandshakes(t, ln, `<handshake/>`, ch)
	return ln.Addr().String(), ch
}

// TestPingWatchdog: a server that stops answering while its socket stays
// open (hung, or a dead NAT path TCP has not noticed) is found by the
// ping watchdog: the link says so and connects again.
func TestPingWatchdog(t *testing.T) {
	addr, conns := silentServer(t)
	_, logs := runLink(t, addr, "gw.localhost", "s")
	accepted := func(what string) {
		select {
		case <-conns:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no connection; log:\n%s", what, logs)
		}
	}
	accepted("first")
	logSays(t, logs, "component link up", "no answer in 1s")
	accepted("again after the silence")
}
