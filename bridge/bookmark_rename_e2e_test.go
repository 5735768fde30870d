package bridge_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomBookmarkUserNamed: a bookmark the user named themself keeps
// their name when the group is renamed on the network; one without a
// name follows the network's.
func TestRoomBookmarkUserNamed(t *testing.T) {
	s, alice := bookmarkedUser(t)
	publishOwnBookmark(t, alice, `<conference xmlns='urn:xmpp:bookmarks:1' name='Mine' autojoin='true'><nick>ali</nick></conference>`)

	renameGroup(t, alice, "Bridges")
	s.logs.waitLog(t, `msg="room bookmark not renamed: the user named it" transport=echo user=alice@localhost room=`+room, timeout)
	if got := bookmarksOf(t, alice); !strings.Contains(got, `name="Mine"`) || strings.Contains(got, "Bridges") {
		t.Errorf("the user's name was not kept: %s", got)
	}

	publishOwnBookmark(t, alice, `<conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'><nick>ali</nick></conference>`)
	renameGroup(t, alice, "Ponts")
	s.logs.waitLog(t, `msg="room bookmark renamed" transport=echo user=alice@localhost room=`+room, timeout)
	if got := bookmarksOf(t, alice); !strings.Contains(got, `name="Ponts"`) || !strings.Contains(got, `<nick>ali</nick>`) {
		t.Errorf("a bookmark without a name did not take the group's: %s", got)
	}
}

// TestRoomBookmarkRenamedWhileDown: a group renamed on the network while
// the gateway was stopped is renamed in the user's bookmark at the next
// start, when the chat list shows the new name; a bookmark the user
// named themself keeps their name then too. The first sync of the room
// renamed nothing.
func TestRoomBookmarkRenamedWhileDown(t *testing.T) {
	s, alice := bookmarkedUser(t)
	folder, ok := one(s.loginFolders())
	if !ok {
		t.Fatalf("login folders: %v", s.loginFolders())
	}
	renameWhileDown := func(name string) {
		t.Helper()
		s.stop()
		path := filepath.Join(s.dir, "data", "plugins", "echo", "logins", folder, echo.GroupNameFile)
		if err := os.WriteFile(path, []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
		s.start()
		s.waitGateway(alice)
	}
	if n := s.logs.Count(`msg="room bookmark renamed"`); n != 0 {
		t.Fatalf("the room's first sync renamed its bookmark (%d)", n)
	}

	renameWhileDown("Ponts")
	s.logs.waitLog(t, `msg="room bookmark renamed" transport=echo user=alice@localhost room=`+room, timeout)
	if got := bookmarksOf(t, alice); !strings.Contains(got, `name="Ponts"`) || strings.Contains(got, "Echo room") {
		t.Errorf("bookmark after a rename while down: %s", got)
	}
	if n := s.logs.Count(`msg="room renamed on the network while the gateway did not see it"`); n != 1 {
		t.Errorf("rename while down seen %d times, want 1", n)
	}

	publishOwnBookmark(t, alice, `<conference xmlns='urn:xmpp:bookmarks:1' name='Mine' autojoin='true'/>`)
	renameWhileDown("Quais")
	s.logs.waitLog(t, `msg="room bookmark not renamed: the user named it" transport=echo user=alice@localhost room=`+room, timeout)
	if got := bookmarksOf(t, alice); !strings.Contains(got, `name="Mine"`) || strings.Contains(got, "Quais") {
		t.Errorf("the user's name was not kept: %s", got)
	}
	if n := s.logs.Count(`msg="room bookmark renamed"`); n != 1 {
		t.Errorf("%d bookmark renames, want 1", n)
	}
}

// pepIQ sends body as c and wants a result.
func pepIQ(t *testing.T, c *xmpptest.Client, body string) xmpptest.Stanza {
	t.Helper()
	st, err := c.IQ(ctxT(t), body)
	if err != nil || st.Type != "result" {
		t.Fatalf("%s: %v %s", body, err, st.XML)
	}
	return st
}

// bookmarksOf is c's XEP-0402 bookmarks, as read from c's PEP.
func bookmarksOf(t *testing.T, c *xmpptest.Client) string {
	t.Helper()
	return pepIQ(t, c, `<iq type='get'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>`).XML
}

// publishOwnBookmark publishes conference as c's bookmark of the room,
// as c's client would.
func publishOwnBookmark(t *testing.T, c *xmpptest.Client, conference string) {
	t.Helper()
	pepIQ(t, c, `<iq type='set'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:bookmarks:1'><item id='`+room+`'>`+conference+`</item></publish>`+
		`<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>`+
		`<field var='pubsub#persist_items'><value>true</value></field><field var='pubsub#access_model'><value>whitelist</value></field>`+
		`<field var='pubsub#max_items'><value>max</value></field></x></publish-options></pubsub></iq>`)
}

// renameGroup renames the echo group on the network, through the room's
// configuration form.
func renameGroup(t *testing.T, c *xmpptest.Client, name string) {
	t.Helper()
	pepIQ(t, c, `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>`+
		`<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>`+
		`<field var='muc#roomconfig_roomname'><value>`+name+`</value></field></x></query></iq>`)
}
