package bridge_test

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
)

// TestFileDuringReloadNotWaiting: a file the plugin sends, by reference,
// while the reload of the stored logins after its start is not done is
// fetched at once, not after the reload (eventClient): the login that
// sent it is loaded. testdata/reloadfile's other login loads only once
// the file was fetched, so a fetch that waits for the reload waits for
// itself, past the 5 s a call waits for a starting plugin, and the file
// failed ("the transport is starting").
func TestFileDuringReloadNotWaiting(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true, plugin: testPlugin(t, "reloadfile")})
	alice := registered(t, s, "alice")
	registered(t, s, "carol")
	if f, m := fileMessage(t, alice, timeout); f.URL == "" {
		t.Fatalf("the file before the restart: %s", m.XML)
	}

	s.killPlugin()
	f, m := fileMessage(t, alice, 2*timeout)
	if f.URL == "" || strings.Contains(m.Body, "could not be bridged") {
		t.Fatalf("the file sent during the reload: %s", m.XML)
	}
	sum := sha256.Sum256([]byte("reloadfile's file, sent during the reload\n"))
	if _, got := hashGET(t, f.URL); !bytes.Equal(got, sum[:]) {
		t.Errorf("the file's content is not the plugin's")
	}
}
