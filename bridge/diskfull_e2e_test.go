package bridge_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge"
	"passerelle.im/passerelle/internal/xmpptest"
)

// mountSmall mounts a tmpfs of size at a new folder (root only).
func mountSmall(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small filesystem needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file into dir until its filesystem is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	for {
		if _, err := f.Write(buf[:512]); err != nil {
			break
		}
	}
	return path
}

// TestDiskFullLosesNothing: with the store's filesystem full, the
// messages a user sends still go and their echoes still come (kept in
// memory, the outbox's record of them failing), the log says why in
// plain words (no space left on device), and once space is back the
// gateway goes on: the first message then keeps its map entry. Nothing
// hangs. Each failure is logged once, not for
// every message, and the log says when storing works again (before, two
// lines came for every message while the disk was full).
func TestDiskFullLosesNothing(t *testing.T) {
	old := *bridge.StoreFailEvery
	*bridge.StoreFailEvery = time.Hour
	t.Cleanup(func() { *bridge.StoreFailEvery = old })
	dir := mountSmall(t, "64m")
	s := newStack(t, stackOptions{storePath: filepath.Join(dir, "passerelle.db")})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	filler := fill(t, dir)
	for i := range 40 {
		echoOK(t, alice, fmt.Sprintf("while full %d %s", i, strings.Repeat("x", 800)), timeout)
	}
	s.logs.waitLog(t, "no space left on device", timeout)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// The first message once space is back keeps its map entry: its
	// correction lands on it (the store refused writes until it
	// replaced its failed log, up to a second later, and the
	// correction was refused as of an unknown message).
	e := echoID(t, alice, "back", "after the space is back")
	raw(t, alice, `<message type='chat' id='back-fix' to='bob@`+domain+`'><body>after the space came back</body><replace xmlns='urn:xmpp:message-correct:0' id='back'/></message>`)
	c := next(t, alice, "correction", func(s xmpptest.Stanza) bool {
		return strings.Contains(s.XML, "urn:xmpp:message-correct:0") || s.Type == "error"
	})
	if !strings.Contains(c.XML, `id="`+e+`"`) || c.Body != "after the space came back" {
		t.Errorf("correction of the first message once space is back: %s", c.XML)
	}
	s.logs.waitLog(t, `msg="storing works again"`, timeout)
	for _, msg := range []string{"a message to the plugin is not recorded", "message map write failed"} {
		if n := strings.Count(s.logs.String(), msg); n > 1 {
			t.Errorf("%q logged %d times for 40 messages, want once while the disk is full:\n%s", msg, n, s.logs)
		}
	}
}
