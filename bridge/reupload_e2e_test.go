package bridge_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestFileUploadOutlivesPluginRestart: the plugin dies after the user's
// file was streamed to it (UploadMedia) and before it answered the send
// naming the upload (the echo network's "slowsend-" files take 2 s to
// go). The host sends the command again to the next plugin process, which
// does not know the upload ID (NOT_FOUND, as WhatsApp's and Telegram's
// plugins answer); the gateway streams the file again from its URL and
// sends it again under the same txn: the file arrives once, intact, and
// the user reads no error.
func TestFileUploadOutlivesPluginRestart(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true})
	alice := registered(t, s, "alice")
	data := make([]byte, 200_000)
	rand.Read(data)
	url := uploadAsUser(t, s, alice, "slowsend-report.bin", "application/octet-stream", data)
	// Under an origin-id: the host sends again only a command with a txn.
	raw(t, alice, `<message type='chat' id='f1' to='bob@`+domain+`'><body>`+url+`</body><x xmlns='jabber:x:oob'><url>`+url+`</url></x><origin-id xmlns='urn:xmpp:sid:0' id='f1'/></message>`)
	s.logs.waitLog(t, `msg="echo: sending a slowsend- file"`, timeout)
	old := s.killPlugin()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fromBob := func(st xmpptest.Stanza) bool {
		return st.Name == "message" && bareJID(st.From) == "bob@"+domain && (st.Type == "error" || strings.Contains(st.XML, "jabber:x:oob"))
	}
	m, err := alice.Next(ctx, fromBob)
	if err != nil {
		t.Fatalf("the file was not echoed: %v", err)
	}
	if m.Type == "error" {
		t.Fatalf("the user got an error for the file they sent: %s", m.XML)
	}
	if s.pluginPID() == old {
		t.Fatalf("the plugin was not restarted")
	}
	var f fileShare
	if err := xml.Unmarshal([]byte(m.XML), &f); err != nil || f.URL == "" || f.URL == url {
		t.Fatalf("not a new file message (%v): %s", err, m.XML)
	}
	want := sha256.Sum256(data)
	if n, got := hashGET(t, f.URL); n != int64(len(data)) || !bytes.Equal(got, want[:]) {
		t.Fatalf("echoed file differs: %d bytes, sha-256 %x; sent %d, %x", n, got, len(data), want)
	}
	if n := s.logs.Count(`msg="the plugin restarted before sending a file it had received; sending it again"`); n != 1 {
		t.Errorf("the file was streamed again %d times, want once", n)
	}
	// Nothing more: no second copy, no late error. The second send
	// took SlowSend as well; wait as long again.
	time.Sleep(3 * time.Second)
	for _, st := range alice.Pending() {
		if fromBob(st) {
			t.Errorf("after the file, from bob: %s", st.XML)
		}
	}
}

// TestFileUploadOutlivesPluginRestartAndStop: as above, and the gateway
// stops while it fetches the file again for the restarted plugin: the
// file's stanza stays recorded, and the next start fetches it a third
// time and sends it, once, without an error to the user.
func TestFileUploadOutlivesPluginRestartAndStop(t *testing.T) {
	s, _ := fetchingStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	data := make([]byte, 200_000)
	rand.Read(data)
	// The fetch for the restarted plugin stalls halfway.
	base, gets, refetching := stallingFiles(t, data, 2)
	url := base + "/slowsend-report.bin"
	raw(t, alice, `<message type='chat' id='f2' to='bob@`+domain+`'><body>`+url+`</body><x xmlns='jabber:x:oob'><url>`+url+`</url></x><origin-id xmlns='urn:xmpp:sid:0' id='f2'/></message>`)
	s.logs.waitLog(t, `msg="echo: sending a slowsend- file"`, timeout)
	s.killPlugin()
	select {
	case <-refetching:
	case <-time.After(timeout):
		t.Fatal("the gateway did not fetch the file again for the restarted plugin")
	}
	restartForFile(t, s, alice, data, 3*time.Second) // a second copy would take SlowSend too
	if n := gets.Load(); n != 3 {
		t.Errorf("the file was fetched %d times, want 3", n)
	}
}
