package bridge_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/store"
)

// capsOf is the XEP-0115 caps of a presence.
func capsOf(t *testing.T, p xmpptest.Stanza) (node, ver string) {
	t.Helper()
	var c struct {
		C struct {
			Node string `xml:"node,attr"`
			Ver  string `xml:"ver,attr"`
		} `xml:"http://jabber.org/protocol/caps c"`
	}
	if err := p.Unmarshal(&c); err != nil {
		t.Fatal(err)
	}
	return c.C.Node, c.C.Ver
}

// TestLoginFeaturesCaps: a login that can do less than its transport
// (the echo network's "+lite" logins have no read markers, as a Telegram
// bot) has its contacts advertise only what it can do: their disco#info
// lacks chat markers and their presence's caps ver is that disco#info's,
// not a full login's (whose contacts still list them). A caps node#ver
// query with the transport's ver is still answered. Before, every
// contact advertised the transport's features to every user.
//
// And what a login said it can do survives a restart of the gateway:
// while the login has not connected again (here it cannot: its folder is
// broken), its user is still offered only that (the ad-hoc commands, a
// contact's disco#info). Before, the transport's features were offered
// until the login's next CONNECTED.
func TestLoginFeaturesCaps(t *testing.T) {
	const markers = "urn:xmpp:chat-markers:0"
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "alice+lite"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	carol := registered(t, s, "carol")
	echoID(t, alice, "a1", "hello from a lite login") // connected
	echoID(t, carol, "c1", "hello from a full login")

	lite, st := getDiscoInfo(t, alice, "echo-2@"+domain, "")
	if st.Type != "result" {
		t.Fatalf("disco#info: %s", st.XML)
	}
	full, st := getDiscoInfo(t, carol, "echo-2@"+domain, "")
	if st.Type != "result" {
		t.Fatalf("disco#info: %s", st.XML)
	}
	if slices.Contains(lite.features(), markers) {
		t.Errorf("a lite login's contact lists %s: %v", markers, lite.features())
	}
	if !slices.Contains(full.features(), markers) || !slices.Contains(lite.features(), "urn:xmpp:reactions:0") {
		t.Errorf("a full login's contact %v, a lite one's %v: want markers in the first, reactions in both", full.features(), lite.features())
	}
	if lite.ver() == full.ver() {
		t.Fatalf("lite and full logins' contacts have one ver %s", lite.ver())
	}

	// A presence of a contact: Echo Three mirrors the user's own.
	presenceVer := func(c *xmpptest.Client) (string, string) {
		t.Helper()
		raw(t, c, `<presence to='`+domain+`'><show>dnd</show></presence>`)
		p := nextPresence(t, c, "echo-3@"+domain, "", has("<show>dnd</show>"))
		return capsOf(t, p)
	}
	node, ver := presenceVer(alice)
	if ver != lite.ver() {
		t.Errorf("a lite login's contact's presence has ver %q, want its disco#info's %q", ver, lite.ver())
	}
	if _, fullVer := presenceVer(carol); fullVer != full.ver() {
		t.Errorf("a full login's contact's presence has ver %q, want %q", fullVer, full.ver())
	}
	// node#ver: the user's own, and the transport's (which another
	// user's client saw), each with its own features.
	for _, want := range []discoInfo{lite, full} {
		d, st := getDiscoInfo(t, alice, "echo-1@"+domain, node+"#"+want.ver())
		if st.Type != "result" || d.ver() != want.ver() {
			t.Errorf("node#ver %s asked by the lite login's user: %s", want.ver(), st.XML)
		}
	}

	// A restart, after which the lite login cannot load (its folder holds
	// a folder where the echo network writes its file): it never says
	// CONNECTED again.
	s.stop()
	db, err := store.Open(filepath.Join(s.dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := db.GetLogin("echo", "alice@localhost")
	db.Close()
	if err != nil || l.DataDir == "" || len(l.Features) == 0 {
		t.Fatalf("the lite login's record %+v, %v: want a folder and its features", l, err)
	}
	account := filepath.Join(s.dir, "data", "plugins", "echo", "logins", l.DataDir, echo.AccountFile)
	if err := os.Remove(account); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(account, 0o700); err != nil {
		t.Fatal(err)
	}
	failed := s.logs.Count(`msg="login did not connect" transport=echo user=alice@localhost`)
	s.start()
	s.waitGateway(alice)
	deadline := time.Now().Add(timeout)
	for s.logs.Count(`msg="login did not connect" transport=echo user=alice@localhost`) == failed {
		if time.Now().After(deadline) {
			t.Fatal("the lite login's connect after the restart never failed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	commands := func(c *xmpptest.Client) string {
		t.Helper()
		items, err := c.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
		if err != nil || items.Type != "result" {
			t.Fatalf("commands: %v %s", err, items.XML)
		}
		return items.XML
	}
	if c := commands(carol); !strings.Contains(c, `node="create-group"`) {
		t.Fatalf("after the restart a full login's commands lack create-group: %s", c)
	}
	if c := commands(alice); strings.Contains(c, `node="create-group"`) || strings.Contains(c, `node="find-group"`) {
		t.Errorf("after the restart a lite login that did not connect is offered what it cannot do: %s", c)
	}
	if d, st := getDiscoInfo(t, alice, "echo-2@"+domain, ""); st.Type != "result" || d.ver() != lite.ver() {
		t.Errorf("after the restart a lite login's contact's disco#info is %v, want %v", d.features(), lite.features())
	}
}
