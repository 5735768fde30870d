package main

import (
	"net"
	"strings"
	"testing"
)

// closedAddr is a loopback address where nothing listens: the XMPP
// server of a run that must fail before it matters.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestRunListenPortInUse: a [metrics] or [media] listen port another
// program holds (a gateway still running, another service) stops the
// start with exit status 1 and an error that names the key and the fix.
// It said only "metrics listener: listen tcp ...: bind: address already
// in use" (and "media server: ..."), which names neither.
func TestRunListenPortInUse(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()
	server := "[xmpp]\nserver = \"" + closedAddr(t) + "\"\n"
	for key, table := range map[string]string{
		"[metrics] listen": "[metrics]\nlisten = \"" + addr + "\"\n",
		"[media] listen":   "[media]\nlisten = \"" + addr + "\"\npublic_url = \"https://files.example.org\"\n",
	} {
		path := setup(t, server+table+valid)
		code, _, errs := call("run", "-c", path)
		if code != 1 || !strings.Contains(errs, addr) || !strings.Contains(errs, "another program listens there") ||
			!strings.Contains(errs, "set "+key+" to a free port") {
			t.Errorf("%s in use: exit %d, stderr %q; want 1 and the key and the fix named", key, code, errs)
		}
	}
}
