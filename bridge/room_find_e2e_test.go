package bridge_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
)

// foundItem is one item of find-group's result form.
type foundItem struct{ room, name, members, description string }

// foundItems reads find-group's result form: its reported fields and
// its items.
func foundItems(t *testing.T, r cmdResponse) (reported []string, items []foundItem) {
	t.Helper()
	reported, rows := resultForm(t, r)
	for _, f := range rows {
		items = append(items, foundItem{room: f["room"], name: f["name"], members: f["members"], description: f["description"]})
	}
	return reported, items
}

// TestFindGroupByCommand: the find-group command is listed with the
// network's chat_search; its form asks for a query, and its answer is a
// result form of the groups found, the most populated first, each by the
// room address that joins it (the echo room's own, a channel's), with
// its name, members and description; joining a found channel by that
// address works. A query nothing matches says so; the network's refusal
// is told as an error; an empty or too long query is refused by the
// gateway, the plugin never asked.
func TestFindGroupByCommand(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	items, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
	if err != nil || !strings.Contains(items.XML, `node="find-group"`) {
		t.Fatalf("find-group not listed: %v %s", err, items.XML)
	}
	find := func(query string) cmdResponse {
		t.Helper()
		form, _ := command(t, alice, "find-group", "", "", nil)
		if typ, _, ok := form.Field("query"); !ok || typ != "text-single" || form.Command.Status != "executing" || !strings.Contains(form.XML, "<required") {
			t.Fatalf("find-group form: %s", form.XML)
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		r, _, err := alice.Command(ctx, domain, "find-group", form.Command.SessionID, "", map[string]string{"query": query})
		if err != nil {
			t.Fatal(err)
		}
		if r.Command.Status != "completed" {
			t.Fatalf("find-group %q: %s", query, r.XML)
		}
		return r
	}

	r := find("ECHO")
	if !strings.Contains(r.Notes(), "info: 3 groups found for “ECHO”.") {
		t.Errorf("find ECHO notes: %s", r.XML)
	}
	reported, found := foundItems(t, r)
	if strings.Join(reported, ",") != "room,name,members,description" {
		t.Errorf("reported fields %v", reported)
	}
	want := []foundItem{
		{channelRoom("echo-news"), "Echo news", "120", "Announcements of the echo network"},
		{channelRoom("echo-lounge"), "Echo lounge", "42", "Where every word comes back"},
		{room, "Echo room", "3", "Echo room"},
	}
	if len(found) != len(want) {
		t.Fatalf("found %+v, want %+v", found, want)
	}
	for i := range want {
		if found[i] != want[i] {
			t.Errorf("item %d: %+v, want %+v", i, found[i], want[i])
		}
	}
	j, e := joinChannel(t, alice, channelRoom("echo-lounge"), "ali", "")
	if e != nil || !strings.Contains(j.subject.XML, "Welcome to #echo-lounge") {
		t.Fatalf("joining a found channel: %+v %+v", e, j)
	}

	if r := find("no such group"); !strings.Contains(r.Notes(), "info: No group found for “no such group”.") || strings.Contains(r.XML, "<item") {
		t.Errorf("no match: %s", r.XML)
	}
	if r := find("directory down"); !strings.Contains(r.Notes(), "error: Finding groups on Echo failed: the network cannot search now (the echo directory is down). Try again later.") {
		t.Errorf("the network's refusal: %s", r.XML)
	}
	asked := s.logs.Count("finding groups")
	if asked != 3 {
		t.Errorf("%d searches sent to the plugin, want 3", asked)
	}
	if r := find("   "); !strings.Contains(r.Notes(), "error: Say what to look for") {
		t.Errorf("empty query: %s", r.XML)
	}
	if r := find(strings.Repeat("é", 101)); !strings.Contains(r.Notes(), "error: That search is too long: at most 100 characters.") {
		t.Errorf("long query: %s", r.XML)
	}
	if r := find(strings.Repeat("é", 100)); !strings.Contains(r.Notes(), "info: No group found for") {
		t.Errorf("a query of 100 characters: %s", r.XML)
	}
	if n := s.logs.Count("finding groups"); n != asked+1 {
		t.Errorf("%d searches sent to the plugin, want %d: refused queries reached it", n, asked+1)
	}
}

// TestFindGroupByChat: "find QUERY" in the gateway's chat, for clients
// without ad-hoc commands, lists the groups found with their room
// addresses; help names it; a query with no match and an empty one say
// so.
func TestFindGroupByChat(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	sendChat(t, alice, domain, "help")
	if st := nextMessage(t, alice, domain, timeout); !strings.Contains(st.Body, "find NAME") {
		t.Fatalf("help lacks find: %s", st.Body)
	}
	sendChat(t, alice, domain, "find echo")
	st := nextMessage(t, alice, domain, timeout)
	for _, want := range []string{
		"3 groups found for “echo”.",
		"\n  Echo news (channel): " + channelRoom("echo-news") + " (120 members)\n      Announcements of the echo network",
		"\n  Echo room: " + room + " (3 members)",
		"Join one by its room address.",
	} {
		if !strings.Contains(st.Body, want) {
			t.Errorf("find echo lacks %q:\n%s", want, st.Body)
		}
	}
	if strings.Contains(st.Body, "Tea") {
		t.Errorf("find echo found Tea:\n%s", st.Body)
	}
	sendChat(t, alice, domain, "find  tea ")
	if st := nextMessage(t, alice, domain, timeout); !strings.Contains(st.Body, "1 group found for “tea”.\n  Tea: "+channelRoom("tea")+" (5 members)") {
		t.Errorf("find tea:\n%s", st.Body)
	}
	sendChat(t, alice, domain, "find zzz")
	if st := nextMessage(t, alice, domain, timeout); st.Body != "No group found for “zzz”." {
		t.Errorf("find zzz: %s", st.Body)
	}
	sendChat(t, alice, domain, "find")
	if st := nextMessage(t, alice, domain, timeout); !strings.HasPrefix(st.Body, "Say what to look for") {
		t.Errorf("find without a query: %s", st.Body)
	}
}

// TestFindGroupOneAtATime: while the network still searches (the plugin
// held, SIGSTOP), a second search is refused at once, not queued behind
// the first: each may keep the plugin busy for seconds (an IRC server
// listing its channels). The first is answered once the plugin is back.
func TestFindGroupOneAtATime(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	// The echo directory is slow: the search waits for the file to go.
	// (Not a plugin held by SIGSTOP: past the host's health check, 5 to
	// 10 s under load, the plugin was restarted and the search failed.)
	hold := filepath.Join(s.dir, "data", "plugins", "echo", echo.SearchHold)
	if err := os.WriteFile(hold, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	sendChat(t, alice, domain, "find echo")
	s.logs.waitLog(t, `msg="finding groups"`, timeout)
	sendChat(t, alice, domain, "find tea")
	if st := nextMessage(t, alice, domain, timeout); st.Body != "A search is already under way: wait for its answer." {
		t.Errorf("a second search meanwhile: %s", st.Body)
	}
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	if st := nextMessage(t, alice, domain, timeout); !strings.HasPrefix(st.Body, "3 groups found for “echo”.") {
		t.Errorf("the first search's answer: %s", st.Body)
	}
	sendChat(t, alice, domain, "find tea")
	if st := nextMessage(t, alice, domain, timeout); !strings.HasPrefix(st.Body, "1 group found for “tea”.") {
		t.Errorf("a search after the first was answered: %s", st.Body)
	}
}

// TestFindGroupWithoutFeature: a network that finds no groups does not
// list the command nor name it in help, and refuses it when asked all
// the same, without asking the plugin.
func TestFindGroupWithoutFeature(t *testing.T) {
	s := newStack(t, stackOptions{plugin: minimalBin(t)})
	alice := registered(t, s, "alice")
	items, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
	if err != nil || strings.Contains(items.XML, `node="find-group"`) || !strings.Contains(items.XML, `node="status"`) {
		t.Fatalf("commands without chat_search: %v %s", err, items.XML)
	}
	r, _ := command(t, alice, "find-group", "", "", nil)
	if !strings.Contains(r.Notes(), "error: ") || !strings.Contains(r.Notes(), "does not let the gateway find groups") {
		t.Fatalf("find-group without the feature: %s", r.XML)
	}
	sendChat(t, alice, domain, "help")
	if st := nextMessage(t, alice, domain, timeout); strings.Contains(st.Body, "find NAME") {
		t.Errorf("help names find without the feature: %s", st.Body)
	}
	sendChat(t, alice, domain, "find echo")
	if st := nextMessage(t, alice, domain, timeout); !strings.Contains(st.Body, "does not let the gateway find groups") {
		t.Errorf("find by chat without the feature: %s", st.Body)
	}
	if n := s.logs.Count("finding groups"); n != 0 {
		t.Errorf("%d searches sent to a plugin without the feature", n)
	}
}
