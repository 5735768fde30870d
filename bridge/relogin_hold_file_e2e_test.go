package bridge_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// heldRelogin starts a relogin of c's login that the echo network holds
// (echo.HoldRelogin, sent before) until releaser sends
// echo.ReleaseRelogins, and waits until it is under way.
func heldRelogin(t *testing.T, s *stack, c *xmpptest.Client) {
	t.Helper()
	sendChat(t, c, domain, "relogin")
	s.logs.waitLog(t, "echo: connect held", timeout)
}

// releaseRelogin lets the held relogin go on, from another account, and
// waits for its end.
func releaseRelogin(t *testing.T, c, releaser *xmpptest.Client) {
	t.Helper()
	echoOK(t, releaser, echo.ReleaseRelogins, timeout)
	if _, err := c.Next(ctxT(t), func(st xmpptest.Stanza) bool { return st.From == domain && st.Body == "Reconnecting." }); err != nil {
		t.Fatalf("the relogin never ended: %v", err)
	}
}

// waitHeldOrRefused waits until the gateway logs that a message the
// plugin refused as the login went waits for the relogin, failing t if
// c got the error of message id instead.
func waitHeldOrRefused(t *testing.T, s *stack, c *xmpptest.Client, id string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for s.logs.Count("waits for the relogin") == 0 {
		for _, st := range c.Pending() {
			if st.ID == id && st.Type == "error" {
				t.Fatalf("%s, refused by the plugin as the login went for a relogin: %s", id, st.XML)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s neither waited for the relogin nor was refused", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFileDuringRelogin: a file (XEP-0066 URL) whose download ended as
// the login went for a relogin, so that the plugin refused it
// LOGIN_REQUIRED, waits for the login to be back, is fetched again and
// goes, as a text message does (TestMessagesDuringRelogin). Before, it
// was refused at once with "reconnecting ... send it again": the user
// had to send it again by hand.
func TestFileDuringRelogin(t *testing.T) {
	s, _ := fetchingStack(t)
	alice := registered(t, s, "alice")
	bob := registered(t, s, "bob") // alice's own messages wait for her relogin
	echoOK(t, alice, echo.HoldRelogin, timeout)
	data := []byte("a file sent as the login went\n")
	asked, release := make(chan struct{}, 8), make(chan struct{})
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write(data)
	}))
	defer src.Close()
	u := src.URL + "/late.txt"
	raw(t, alice, `<message type='chat' id='f1' to='bob@`+domain+`'><body>`+u+`</body><x xmlns='jabber:x:oob'><url>`+u+`</url></x><origin-id xmlns='urn:xmpp:sid:0' id='f1'/></message>`)
	select {
	case <-asked: // past the relogin wait, downloading
	case <-time.After(timeout):
		t.Fatal("the file was never fetched")
	}
	heldRelogin(t, s, alice)
	close(release) // the download ends; the plugin refuses the send
	waitHeldOrRefused(t, s, alice, "f1")
	releaseRelogin(t, alice, bob)
	m := next(t, alice, "file", func(st xmpptest.Stanza) bool { return st.ID == "f1" && st.Type == "error" || has("jabber:x:oob")(st) })
	if m.Type == "error" {
		t.Fatalf("the file sent during the relogin was refused: %s", m.XML)
	}
	var oob struct {
		URL string `xml:"x>url"`
	}
	if err := xml.Unmarshal([]byte(m.XML), &oob); err != nil || oob.URL == "" {
		t.Fatalf("file message: %v %s", err, m.XML)
	}
	resp, err := http.Get(oob.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if back, _ := io.ReadAll(resp.Body); !bytes.Equal(back, data) {
		t.Errorf("the file the network got: %q, want %q", back, data)
	}
}

// TestCorrectionDuringRelogin: a correction (XEP-0308) on its way to the
// network when the login went for a relogin, which the plugin then
// refused LOGIN_REQUIRED, waits for the login to be back and goes, as a
// text message does. Before, it was refused with resource-constraint
// ("reconnecting ... send it again"), though the user's text messages
// caught the same way went by themselves.
func TestCorrectionDuringRelogin(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := registered(t, s, "bob") // alice's own messages wait for her relogin
	id := sendChat(t, alice, "bob@"+domain, "helo")
	if m := nextMessage(t, alice, "bob@"+domain, timeout); m.Body != "helo" {
		t.Fatalf("echo: %s", m.XML)
	}
	echoOK(t, alice, echo.HoldRelogin, timeout)
	raw(t, alice, `<message type='chat' id='c1' to='bob@`+domain+`'><body>hello</body><replace xmlns='urn:xmpp:message-correct:0' id='`+id+`'/><origin-id xmlns='urn:xmpp:sid:0' id='c1'/></message>`)
	s.logs.waitLog(t, "echo: correction held until the relogin", timeout)
	heldRelogin(t, s, alice)
	waitHeldOrRefused(t, s, alice, "c1")
	releaseRelogin(t, alice, bob)
	m := next(t, alice, "correction", func(st xmpptest.Stanza) bool {
		return st.ID == "c1" && st.Type == "error" || has("urn:xmpp:message-correct:0")(st)
	})
	if m.Type == "error" || m.Body != "hello" {
		t.Fatalf("the correction on its way as the login went: %s, want its echo", m.XML)
	}
}
