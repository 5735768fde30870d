package irc

import (
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

// TestRegistrationEndedByServer: a server that hangs up during
// registration is said to have closed the connection whether its close
// reached us as an end of stream or as a reset (it closed with our last
// line unread: a CI run met the reset, and the state said "failed").
func TestRegistrationEndedByServer(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	for name, err := range map[string]error{"end of stream": io.EOF, "reset": reset} {
		a := &attempt{conn: &watchedConn{readErr: err}, said: []string{"the nick ned is in use"}}
		want := "irc.example:6667 closed the connection during registration: the nick ned is in use"
		if got := registrationFailure("irc.example:6667", a); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	other := &attempt{conn: &watchedConn{readErr: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ETIMEDOUT)}}}
	if got := registrationFailure("irc.example:6667", other); got == "irc.example:6667 closed the connection during registration without a word" {
		t.Errorf("a timeout said as the server's close: %q", got)
	}
}
