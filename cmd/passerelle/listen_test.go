package main

import (
	"fmt"
	"net"
	"os"
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

// TestCheckConfigListenPorts: check-config tries the [metrics] and
// [media] listen addresses that run opens. One another program holds is
// a warning naming the file, line and fix (the gateway checked before
// its restart holds its own), exit 0; one no interface here has is an
// error, exit 1, as run fails on it. check-config said nothing of
// either, and run then failed.
func TestCheckConfigListenPorts(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()
	server := "[xmpp]\nserver = \"" + closedAddr(t) + "\"\n"
	for key, table := range map[string]string{
		"[metrics] listen": "[metrics]\nlisten = \"%s\"\n",
		"[media] listen":   "[media]\nlisten = \"%s\"\npublic_url = \"https://files.example.org\"\n",
	} {
		name := strings.ReplaceAll(strings.Trim(key, "["), "] ", ".")
		path := setup(t, server+fmt.Sprintf(table, addr)+valid)
		code, out, errs := call("check-config", "-no-plugins", "-c", path)
		want := "warning:   " + path + ":4: " + name + ": \"" + addr + "\": listen tcp " + addr + ": bind: address already in use: another program listens there"
		if code != 0 || errs != "" || !strings.Contains(out, want) || !strings.Contains(out, "set "+key+" to a free port; run fails while it does") {
			t.Errorf("%s in use: exit %d, stderr %q, stdout:\n%s\nwant 0 and %q", key, code, errs, out, want)
		}
		// TEST-NET-1 (RFC 5737): no interface of a test machine has it.
		path = setup(t, server+fmt.Sprintf(table, "192.0.2.1:9464")+valid)
		code, _, errs = call("check-config", "-no-plugins", "-c", path)
		want = path + ":4: " + name + ": \"192.0.2.1:9464\": listen tcp 192.0.2.1:9464: bind: cannot assign requested address: no interface of this machine has that address"
		if code != 1 || !strings.Contains(errs, want) {
			t.Errorf("%s not here: exit %d, stderr %q; want 1 and %q", key, code, errs, want)
		}
	}
}

// TestCheckConfigPrivilegedPort: check-config run as root (as the unit's
// header has it) opens a port below 1024 that the service's user, without
// CAP_NET_BIND_SERVICE, cannot: a warning naming the line and the fix,
// exit 0. It said nothing, and run then failed with "permission denied".
func TestCheckConfigPrivilegedPort(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to open a port below 1024")
	}
	start := unprivilegedPortStart()
	port := 0
	for p := min(start, 1024) - 1; p > 0 && port == 0; p-- {
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			ln.Close()
			port = p
		}
	}
	if port == 0 {
		t.Skipf("every port below %d is in use or privileges are not needed", start)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	path := setup(t, "[xmpp]\nserver = \""+closedAddr(t)+"\"\n[metrics]\nlisten = \""+addr+"\"\n"+valid)
	code, out, errs := call("check-config", "-no-plugins", "-c", path)
	want := fmt.Sprintf("warning:   %s:4: metrics.listen: %q: port %d opens here only as root: a port below %d needs CAP_NET_BIND_SERVICE", path, addr, port, start)
	if code != 0 || errs != "" || !strings.Contains(out, want) || !strings.Contains(out, fmt.Sprintf("set [metrics] listen to a port above %d, or run fails", start-1)) {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant 0 and %q", code, errs, out, want)
	}
}
