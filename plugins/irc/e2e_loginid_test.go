package irc_test

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// startIRCGateway starts the gateway with the IRC plugin, reconnecting
// soon.
func startIRCGateway(t *testing.T) *gatewaytest.Gateway {
	t.Helper()
	return gatewaytest.Start(t, gatewaytest.Options{Plugin: plugintest.BuildBinary(t, pluginPkg), Name: "irc",
		PluginConfig: `reconnect_min = "200ms"` + "\n" + `reconnect_max = "1s"`})
}

// awaitJoin waits until c sees a JOIN of channel by a nick other than
// those of not, and returns that nick.
func awaitJoin(c *client, channel string, not ...string) string {
	c.t.Helper()
	for {
		m := c.await("JOIN", "")
		if strings.EqualFold(m.Params[0], channel) && !strings.Contains(strings.Join(not, " ")+" ", m.Nick()+" ") {
			return m.Nick()
		}
	}
}

// Two XMPP users of one gateway log in with one nick on one IRC server:
// the second is the server's fallback nick (sam_), and each gets their
// own private messages. Before, both logins were sam@server:port: the
// gateway refused the second ("already bridged for another XMPP user"),
// and a login the gateway took would have been the other's session in
// the plugin.
func TestEndToEndTwoUsersOneNick(t *testing.T) {
	s := startNgircd(t)
	dave := ircUser{newClient(t, s, "dave")}
	dave.join("#two")
	g := startIRCGateway(t)
	alice, bob := g.User("alice"), g.User("bob")
	g.WaitReady(alice)
	g.WaitReady(bob)

	ircLoginAs(t, g, alice, s.port, "sam", "#two")
	aliceNick := awaitJoin(dave.client, "#two")
	ircLoginAs(t, g, bob, s.port, "sam", "#two")
	bobNick := awaitJoin(dave.client, "#two", aliceNick)
	if !strings.EqualFold(aliceNick, "sam") || strings.EqualFold(bobNick, "sam") {
		t.Fatalf("alice is %s, bob %s on the server", aliceNick, bobNick)
	}

	daveJID := g.JID("dave")
	for _, pm := range [][2]string{{bobNick, "for " + bobNick}, {aliceNick, "for " + aliceNick}, {bobNick, "again for " + bobNick}} {
		if err := dave.conn.Privmsg(pm[0], pm[1]); err != nil {
			t.Fatal(err)
		}
	}
	if got := g.NextMessage(alice, daveJID); got.Body != "for "+aliceNick {
		t.Errorf("alice got %q from dave, want %q", got.Body, "for "+aliceNick)
	}
	for _, want := range []string{"for " + bobNick, "again for " + bobNick} {
		if got := g.NextMessage(bob, daveJID); got.Body != want {
			t.Errorf("bob got %q from dave, want %q", got.Body, want)
		}
	}
	g.SendChat(alice, daveJID, "from alice")
	if m := dave.await("PRIVMSG", "from alice"); m.Nick() != aliceNick {
		t.Errorf("alice's message came from %s", m.Nick())
	}
	g.SendChat(bob, daveJID, "from bob")
	if m := dave.await("PRIVMSG", "from bob"); m.Nick() != bobNick {
		t.Errorf("bob's message came from %s", m.Nick())
	}
}

// A login stored with an ID of before the user's part (nick@server:port)
// connects after a restart with it and chats both ways. Its credentials
// refused (a SASL account the server does not take), the user logs in
// again as the same nick, and the login keeps its ID: a new one would be
// another account to the gateway, which would replace the old login,
// dropping its chats and archives.
func TestEndToEndLegacyLoginID(t *testing.T) {
	s := startNgircd(t)
	dave := ircUser{newClient(t, s, "dave")}
	dave.join("#old")
	g := startIRCGateway(t)
	alice := g.User("alice")
	g.WaitReady(alice)
	ircLoginAs(t, g, alice, s.port, "alice", "#old")
	awaitJoin(dave.client, "#old")

	legacy := "alice@127.0.0.1:" + strconv.Itoa(s.port)
	g.Stop()
	rewriteLogin(t, g, "alice@localhost", func(l *store.Login) {
		if !strings.HasPrefix(l.LoginID, legacy+"/") {
			t.Fatalf("stored login ID %q", l.LoginID)
		}
		l.LoginID = legacy
	})
	g.Run()
	g.WaitReady(alice)
	awaitJoin(dave.client, "#old")
	daveJID := g.JID("dave")
	if err := dave.conn.Privmsg("alice", "old login?"); err != nil {
		t.Fatal(err)
	}
	if got := g.NextMessage(alice, daveJID); got.Body != "old login?" {
		t.Fatalf("message after the restart: %s", got.XML)
	}
	g.SendChat(alice, daveJID, "still here")
	dave.await("PRIVMSG", "still here")

	g.Stop()
	rewriteLogin(t, g, "alice@localhost", func(l *store.Login) {
		l.SavedState = editState(t, l.SavedState, func(acc map[string]any) {
			acc["sasl_user"], acc["sasl_password"] = "alice", "pw" // ngircd has no SASL
		})
	})
	g.Run()
	g.WaitReady(alice)
	g.Next(alice, "the login's refusal", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == g.Domain && strings.Contains(s.XML, "refused the connection")
	})
	ircLoginAs(t, g, alice, s.port, "alice", "#old")
	awaitJoin(dave.client, "#old")
	if err := dave.conn.Privmsg("alice", "back?"); err != nil {
		t.Fatal(err)
	}
	if got := g.NextMessage(alice, daveJID); got.Body != "back?" {
		t.Fatalf("message after logging in again: %s", got.XML)
	}
	g.Stop()
	rewriteLogin(t, g, "alice@localhost", func(l *store.Login) {
		if l.LoginID != legacy {
			t.Errorf("login ID after logging in again as alice: %q, want %q", l.LoginID, legacy)
		}
	})
}

// rewriteLogin changes user's stored IRC login with f, the gateway
// stopped. A stop can leave the plugin's last state saves in the
// gateway's outbox (stored when they are delivered, which the stop cut
// short): the next start stores them, over an edit of the login's state
// made here. They are stored first, as the start would, so that f's
// change is the last word.
func rewriteLogin(t *testing.T, g *gatewaytest.Gateway, user string, f func(*store.Login)) {
	t.Helper()
	db, err := store.Open(filepath.Join(g.Dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := db.GetLogin("irc", user)
	if err != nil {
		t.Fatal(err)
	}
	saves := pendingSaves(t, db, l.LoginID)
	for _, st := range saves {
		l.SavedState = st.state
	}
	f(&l)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := db.PutLogin(ctx, l); err != nil {
		t.Fatal(err)
	}
	var keys []uint64
	for _, st := range saves {
		keys = append(keys, st.key)
	}
	if err := db.OutboxDone(ctx, "irc", keys); err != nil {
		t.Fatal(err)
	}
}

// pendingSave is a state save of the plugin's left in the outbox.
type pendingSave struct {
	key   uint64
	state []byte
}

// pendingSaves are the state saves of login left in the gateway's
// outbox, oldest first. An entry is the XMPP id (a uvarint length, its
// bytes) then the event (bridge/outbox.go, encodeOutbox).
func pendingSaves(t *testing.T, db *store.DB, login string) []pendingSave {
	t.Helper()
	entries, err := db.Outbox("irc")
	if err != nil {
		t.Fatal(err)
	}
	var saves []pendingSave
	for _, e := range entries {
		if e.LoginID != login {
			continue
		}
		n, k := binary.Uvarint(e.Payload)
		if k <= 0 || uint64(len(e.Payload)-k) < n {
			t.Fatalf("outbox entry %d: bad XMPP id", e.Key)
		}
		var ev pb.Event
		if err := proto.Unmarshal(e.Payload[k+int(n):], &ev); err != nil {
			t.Fatalf("outbox entry %d: %v", e.Key, err)
		}
		if st := ev.GetSavedState(); st != nil {
			saves = append(saves, pendingSave{e.Key, st.SavedState})
		}
	}
	return saves
}
