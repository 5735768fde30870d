package bridge

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/syncbuf"
)

// A renamed bookmark keeps everything of the user's but its name: other
// attributes, the nick, the password, extensions in other namespaces.
func TestRenamedConference(t *testing.T) {
	st, err := wire.Parse(`<item id='r@gw'><conference xmlns='urn:xmpp:bookmarks:1' name='Old &amp; gone' autojoin='false'>` +
		`<nick>ali</nick><password>k</password><extensions><pin xmlns='urn:example:c' at='1'/></extensions></conference></item>`)
	if err != nil {
		t.Fatal(err)
	}
	got := string(renamedConference(st.Child(nsBookmarks, "conference"), "New <name>"))
	for _, want := range []string{`<conference xmlns="urn:xmpp:bookmarks:1" name="New &lt;name&gt;" autojoin="false">`,
		`>ali</nick>`, `>k</password>`, `<pin xmlns="urn:example:c" at="1"/>`} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %s: %s", want, got)
		}
	}
	if strings.Contains(got, "Old") || strings.Count(got, "name=") != 1 {
		t.Errorf("the old name is left: %s", got)
	}
}

// A renamed bookmark keeps the attributes a client put on it in its own
// namespace, and xml:lang; before, they were dropped (so were those of
// its extensions, by Writer.Element).
func TestRenamedConferenceKeepsNamespacedAttributes(t *testing.T) {
	st, err := wire.Parse(`<item id='r@gw'><conference xmlns='urn:xmpp:bookmarks:1' xmlns:c='urn:example:c' name='Old' c:pinned='1' xml:lang='fr'>` +
		`<extensions><pin xmlns='urn:example:c' c:at='2'/></extensions></conference></item>`)
	if err != nil {
		t.Fatal(err)
	}
	out := string(renamedConference(st.Child(nsBookmarks, "conference"), "New"))
	back, err := wire.Parse(out)
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	attr := func(e *wire.Element, space, local string) string {
		for _, a := range e.Attrs {
			if a.Name.Space == space && a.Name.Local == local {
				return a.Value
			}
		}
		return ""
	}
	if back.Attr("name") != "New" || attr(&back.Element, "urn:example:c", "pinned") != "1" ||
		attr(&back.Element, "http://www.w3.org/XML/1998/namespace", "lang") != "fr" {
		t.Errorf("conference's attributes lost: %s", out)
	}
	ext := back.Child(nsBookmarks, "extensions")
	if ext == nil || ext.Child("urn:example:c", "pin") == nil || attr(ext.Child("urn:example:c", "pin"), "urn:example:c", "at") != "2" {
		t.Errorf("extension's attribute lost: %s", out)
	}
}

// TestBookmarkFollowsKeptName: the name kept for a room decides what a
// room's first sight in a session is. A room the user was never told of
// gets no name kept; a record from before names were kept takes the
// name without a rename; a different name is a rename missed, and while
// the bookmark cannot be settled (the link down) the old name stays
// kept, so the next start tries again; so does a rename seen live
// without the permission. With the link up to a server that grants no
// permission, the rename is settled: the new name is kept.
func TestBookmarkFollowsKeptName(t *testing.T) {
	old := privilegesWait
	privilegesWait = 200 * time.Millisecond
	defer func() { privilegesWait = old }()
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	tr.link = xmpplink.New(xmpplink.Config{Addr: "127.0.0.1:1", Domain: tr.domain, Secret: "s"}) // never run: down
	var logs syncbuf.Buffer
	tr.log = slog.New(slog.NewTextHandler(&logs, nil))
	ctx := context.Background()
	const user = "alice@localhost"
	kept := func(tr *transport, room string) (string, bool) {
		t.Helper()
		n, told, err := tr.db.RoomAnnouncedName("echo", user, room)
		if err != nil {
			t.Fatal(err)
		}
		return n, told
	}
	missed := func() int { return strings.Count(logs.String(), "while the gateway did not see it") }

	tr.bookmarkFollows(ctx, user, "new@echo.localhost", "", "New")
	if n, told := kept(tr, "new@echo.localhost"); told || n != "" {
		t.Errorf("a room never announced: kept %q %v", n, told)
	}

	if _, err := tr.db.MarkRoomAnnounced(ctx, "echo", user, "old@echo.localhost", ""); err != nil {
		t.Fatal(err)
	}
	tr.bookmarkFollows(ctx, user, "old@echo.localhost", "", "Old")
	if n, _ := kept(tr, "old@echo.localhost"); n != "Old" || missed() != 0 {
		t.Errorf("a record without a name: kept %q, %d renames missed", n, missed())
	}
	tr.bookmarkFollows(ctx, user, "old@echo.localhost", "", "Old")
	if missed() != 0 {
		t.Error("the same name is a rename")
	}

	tr.bookmarkFollows(ctx, user, "old@echo.localhost", "", "Renamed")
	if n, _ := kept(tr, "old@echo.localhost"); n != "Old" || missed() != 1 {
		t.Errorf("a rename not settled: kept %q, %d renames missed", n, missed())
	}
	tr.bookmarkFollows(ctx, user, "old@echo.localhost", "Renamed", "Again")
	if n, _ := kept(tr, "old@echo.localhost"); n != "Old" || missed() != 1 {
		t.Errorf("a live rename not settled: kept %q, %d renames missed", n, missed())
	}

	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "echo.localhost", Secret: "s"}}})
	up, _ := linkedTransport(t, srv, filepath.Join(t.TempDir(), "p.db"))
	if _, err := up.db.MarkRoomAnnounced(ctx, "echo", user, "old@echo.localhost", "Old"); err != nil {
		t.Fatal(err)
	}
	up.bookmarkFollows(ctx, user, "old@echo.localhost", "", "Renamed")
	if n, _ := kept(up, "old@echo.localhost"); n != "Renamed" {
		t.Errorf("no permission granted: kept %q", n)
	}
}
