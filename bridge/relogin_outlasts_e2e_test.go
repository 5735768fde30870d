package bridge_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge"
	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestReloginOutlastsTheWait: a relogin that takes longer than a message
// may wait for it (reloginWait, 35 s; shortened here, the relogin held
// by the echo network until released): each message held meanwhile, a
// text, a file (XEP-0066 URL) and a correction (XEP-0308), gets a
// resource-constraint error of type wait saying nothing was sent, and
// none of them reaches the network once the login is back: the user
// sends again what they mean to. So do a file and a correction that
// were on their way as the login went, which the plugin refused, once
// their wait for the relogin ends and the plugin refuses them again.
func TestReloginOutlastsTheWait(t *testing.T) {
	old := bridge.ReloginWait.Swap(int64(time.Second))
	t.Cleanup(func() { bridge.ReloginWait.Store(old) })
	s, _ := fetchingStack(t)
	alice := registered(t, s, "alice")
	bob := registered(t, s, "bob") // alice's own messages wait for her relogin
	id := sendChat(t, alice, "bob@"+domain, "helo")
	if m := nextMessage(t, alice, "bob@"+domain, timeout); m.Body != "helo" {
		t.Fatalf("echo: %s", m.XML)
	}
	asked, release := make(chan struct{}, 8), make(chan struct{})
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/slow.txt") {
			asked <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("a file\n"))
	}))
	defer src.Close()
	u, slow := src.URL+"/held.txt", src.URL+"/slow.txt"
	echoOK(t, alice, echo.HoldRelogin, timeout)
	// On their way as the login goes: a correction the network holds
	// (echo.HoldRelogin), a file still downloading.
	raw(t, alice, `<message type='chat' id='c0' to='bob@`+domain+`'><body>hallo</body><replace xmlns='urn:xmpp:message-correct:0' id='`+id+`'/><origin-id xmlns='urn:xmpp:sid:0' id='c0'/></message>`)
	s.logs.waitLog(t, "echo: correction held until the relogin", timeout)
	raw(t, alice, `<message type='chat' id='f0' to='bob@`+domain+`'><body>`+slow+`</body><x xmlns='jabber:x:oob'><url>`+slow+`</url></x><origin-id xmlns='urn:xmpp:sid:0' id='f0'/></message>`)
	select {
	case <-asked:
	case <-time.After(timeout):
		t.Fatal("the file was never fetched")
	}
	heldRelogin(t, s, alice)
	close(release)
	held := map[string]string{
		"c0": "",
		"f0": "",
		"t1": `<body>held text</body>`,
		"f1": `<body>` + u + `</body><x xmlns='jabber:x:oob'><url>` + u + `</url></x>`,
		"c1": `<body>hello</body><replace xmlns='urn:xmpp:message-correct:0' id='` + id + `'/>`,
	}
	for _, k := range []string{"t1", "f1", "c1"} { // read during the relogin
		raw(t, alice, `<message type='chat' id='`+k+`' to='bob@`+domain+`'>`+held[k]+`<origin-id xmlns='urn:xmpp:sid:0' id='`+k+`'/></message>`)
	}
	for k := range held {
		e, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool { return st.ID == k && st.Name == "message" })
		if err != nil {
			t.Fatalf("%s, waiting past the relogin wait, got no answer: %v", k, err)
		}
		if e.Type != "error" || e.Err == nil || e.Err.Condition != "resource-constraint" || e.Err.Type != "wait" || !strings.Contains(e.Err.Text, "nothing was sent") {
			t.Errorf("%s, waiting past the relogin wait: %s, want resource-constraint (wait) saying nothing was sent", k, e.XML)
		}
	}
	releaseRelogin(t, alice, bob)
	// Nothing of what was refused comes after: the next echo is this one.
	echoOK(t, alice, "after", timeout)
}
