package bridge

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/store"
)

// linkedTransport is a test transport on the store at dbPath, its link
// up to srv as echo.localhost, alice's login set. It stops (link down,
// store closed) with the returned func, or at the test's end.
func linkedTransport(t *testing.T, srv *prosodytest.Server, dbPath string) (*transport, func()) {
	t.Helper()
	tr := newTestTransport(t)
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	tr.db, tr.domain = db, "echo.localhost"
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)})
	tr.link = xmpplink.New(xmpplink.Config{Addr: srv.ComponentAddr(), Domain: tr.domain, Secret: "s",
		PingInterval: time.Second, PingTimeout: 5 * time.Second, ReconnectMax: time.Second,
		Log: tr.log, Handle: func(*wire.Stanza) {}})
	tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "alice-echo"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tr.link.Run(ctx); close(done) }()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := tr.link.WaitUp(wctx); err != nil {
		t.Fatalf("link never came up: %v", err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		db.Close()
	}
	t.Cleanup(stop)
	return tr, stop
}

// nextInvitation waits for the next XEP-0249 invitation alice receives.
func nextInvitation(t *testing.T, c *xmpptest.Client) xmpptest.Stanza {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.XML, nsConference)
	})
	if err != nil {
		t.Fatalf("no invitation: %v", err)
	}
	return st
}

// TestAnnounceRoomOnce: a room is announced to its user with one XEP-0249
// invitation through a real Prosody to a real client; announcing it again,
// also after a restart on the same store, sends nothing; a user without a
// login gets nothing; an invitation the link could not take is not
// recorded, so the next announcement sends it.
func TestAnnounceRoomOnce(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "echo.localhost", Secret: "s"}}})
	if err := srv.Register("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	alice, err := xmpptest.Dial(ctx, srv.C2SAddr(), jid.MustParse("alice@localhost"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	if err := alice.SendPresence(ctx); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "p.db")

	tr, stop := linkedTransport(t, srv, dbPath)
	tr.announceRoom(ctx, "alice@localhost", "echo-room@echo.localhost", "Echo\x01 room", "")
	inv := nextInvitation(t, alice)
	if inv.From != "echo.localhost" || !strings.Contains(inv.XML, `jid="echo-room@echo.localhost"`) ||
		!strings.Contains(inv.XML, `reason="Your group Echo room on echo"`) {
		t.Errorf("invitation: %s", inv.XML)
	}
	tr.announceRoom(ctx, "alice@localhost", "echo-room@echo.localhost", "Echo room", "")
	tr.announceRoom(ctx, "mallory@localhost", "echo-room@echo.localhost", "Echo room", "") // no login
	// The next invitation is the next room's: none came in between.
	tr.announceRoom(ctx, "alice@localhost", "second@echo.localhost", "", "")
	if inv := nextInvitation(t, alice); !strings.Contains(inv.XML, `jid="second@echo.localhost"`) || !strings.Contains(inv.XML, `reason="Your group on echo"`) {
		t.Fatalf("want the second room's invitation, got %s", inv.XML)
	}
	if ok, err := tr.db.RoomAnnounced("echo", "mallory@localhost", "echo-room@echo.localhost"); ok || err != nil {
		t.Errorf("a user without a login is recorded as told: %v %v", ok, err)
	}
	stop()

	// A restart on the same store.
	tr, stop = linkedTransport(t, srv, dbPath)
	tr.announceRoom(ctx, "alice@localhost", "echo-room@echo.localhost", "Echo room", "")
	tr.announceRoom(ctx, "alice@localhost", "second@echo.localhost", "", "")
	tr.announceRoom(ctx, "alice@localhost", "third@echo.localhost", "", "")
	if inv := nextInvitation(t, alice); !strings.Contains(inv.XML, `jid="third@echo.localhost"`) {
		t.Fatalf("after a restart, want only the third room's invitation, got %s", inv.XML)
	}

	// The link down: not sent, not recorded; sent once it is back.
	down := newTestTransport(t)
	down.db, down.domain = tr.db, "echo.localhost"
	down.host = tr.host
	down.link = xmpplink.New(xmpplink.Config{Addr: "127.0.0.1:1", Domain: "echo.localhost", Secret: "s"})
	down.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "alice-echo"})
	down.announceRoom(ctx, "alice@localhost", "fourth@echo.localhost", "", "")
	if ok, err := tr.db.RoomAnnounced("echo", "alice@localhost", "fourth@echo.localhost"); ok || err != nil {
		t.Fatalf("an invitation never sent is recorded: %v %v", ok, err)
	}
	tr.announceRoom(ctx, "alice@localhost", "fourth@echo.localhost", "", "")
	if inv := nextInvitation(t, alice); !strings.Contains(inv.XML, `jid="fourth@echo.localhost"`) {
		t.Fatalf("want the fourth room's invitation once the link is up, got %s", inv.XML)
	}
	stop()
}

// TestBookmarkRefusedInvites: when the privileged publish of a bookmark
// fails (here a real Prosody without mod_privilege refuses it), the user
// gets the XEP-0249 invitation instead, once, and the reason is logged.
func TestBookmarkRefusedInvites(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "echo.localhost", Secret: "s"}}})
	if err := srv.Register("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	alice, err := xmpptest.Dial(ctx, srv.C2SAddr(), jid.MustParse("alice@localhost"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	if err := alice.SendPresence(ctx); err != nil {
		t.Fatal(err)
	}
	tr, _ := linkedTransport(t, srv, filepath.Join(t.TempDir(), "p.db"))
	var logs syncbuf.Buffer
	tr.log = slog.New(slog.NewTextHandler(&logs, nil))
	tr.perms = perms{iq: map[string]string{nsPubSub: "set"}} // claimed, not granted
	tr.announceRoom(ctx, "alice@localhost", "echo-room@echo.localhost", "Echo room", "Alice")
	if inv := nextInvitation(t, alice); !strings.Contains(inv.XML, `jid="echo-room@echo.localhost"`) {
		t.Fatalf("invitation: %s", inv.XML)
	}
	if !strings.Contains(logs.String(), `msg="room bookmark not published; inviting instead"`) || !strings.Contains(logs.String(), `err="privileged publish refused: service-unavailable`) {
		t.Errorf("the failed publish is not logged with its reason: %s", logs.String())
	}
	tr.announceRoom(ctx, "alice@localhost", "echo-room@echo.localhost", "Echo room", "Alice")
	if strings.Count(logs.String(), "privileged publish") != 1 {
		t.Errorf("a room announced twice: %s", logs.String())
	}
}

// TestPrivilegeIQPerms: the iq permissions as Debian's mod_privilege
// advertises them (each namespace nested in the previous one) are all
// read, with their types.
func TestPrivilegeIQPerms(t *testing.T) {
	st, err := wire.Parse(`<message from="localhost" to="echo.localhost"><privilege xmlns="urn:xmpp:privilege:2">` +
		`<perm access="roster" type="both"/><perm access="message" type="outgoing"/>` +
		`<perm access="iq"><namespace ns="urn:xmpp:http:upload:0" type="get"><namespace ns="http://jabber.org/protocol/pubsub" type="set"/></namespace></perm>` +
		`</privilege></message>`)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTestTransport(t)
	tr.onPrivilege(st.Child(nsPrivilege, "privilege"))
	p := tr.privileges()
	if !p.rosterWrite() || p.message != "outgoing" || !p.iqSet(nsPubSub) || p.iqSet("urn:xmpp:http:upload:0") || p.iq["urn:xmpp:http:upload:0"] != "get" {
		t.Errorf("perms: %+v", p)
	}
	tr.onPrivilege(&wire.Element{})
	if tr.privileges().iqSet(nsPubSub) {
		t.Error("a new advertisement without iq permission keeps the old one")
	}
}
