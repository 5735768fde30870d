package irc_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/plugintest"
)

// archived is a message of a room's archive: its body and when it was
// said (its delay stamp).
type archived struct {
	body string
	at   time.Time
}

// roomArchive is a room's archive, by MAM, oldest first; nil while the
// room is unknown.
func roomArchive(t *testing.T, c *xmpptest.Client, room string) []archived {
	t.Helper()
	results, ok := gatewaytest.RoomArchive(t, c, room)
	if !ok {
		return nil
	}
	var out []archived
	for _, st := range results {
		var m struct {
			Delay struct {
				Stamp string `xml:"stamp,attr"`
			} `xml:"result>forwarded>delay"`
			Body string `xml:"result>forwarded>message>body"`
		}
		if err := st.Unmarshal(&m); err != nil {
			t.Fatalf("MAM result %s: %v", st.XML, err)
		}
		at, err := time.Parse(time.RFC3339Nano, m.Delay.Stamp)
		if err != nil {
			t.Fatalf("MAM result without its time: %s", st.XML)
		}
		out = append(out, archived{m.Body, at})
	}
	return out
}

func bodies(as []archived) string {
	var b []string
	for _, a := range as {
		b = append(b, a.body)
	}
	return strings.Join(b, "|")
}

// waitArchive waits until a room's archive holds want (bodies joined
// by |) and returns it.
func waitArchive(t *testing.T, c *xmpptest.Client, room, want string) []archived {
	t.Helper()
	deadline := time.Now().Add(gatewaytest.Timeout)
	for {
		as := roomArchive(t, c, room)
		if bodies(as) == want {
			return as
		}
		if time.Now().After(deadline) {
			t.Fatalf("archive of %s: %q, want %q", room, bodies(as), want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// historyFetched counts the gateway's log lines that say a fetch of the
// chat's history ended.
func historyFetched(g *gatewaytest.Gateway, chat string) (all, none int) {
	for _, l := range strings.Split(g.Logs.String(), "\n") {
		if strings.Contains(l, "history fetched") && strings.Contains(l, "chat="+chat+" ") {
			all++
			if strings.Contains(l, " messages=0 ") {
				none++
			}
		}
	}
	return all, none
}

// sync waits until the server has handled the client's earlier lines:
// it answers in order.
func (c *client) sync(ch string) {
	c.t.Helper()
	c.join(ch)
}

// The whole way, against ergo: what was said in a channel before the
// user logged in is the room's history (its archive, by MAM), in order,
// with the times the server gave; a restart of the gateway (a second
// login of the plugin, which fetches the history again) adds nothing
// twice; a channel joined from XMPP brings its history too.
func TestEndToEndChatHistory(t *testing.T) {
	s := startErgo(t)
	dave := newClient(t, s, "dave")
	dave.join("#hist")
	said := time.Now()
	for _, line := range []string{"one", "two", "three"} {
		if err := dave.conn.Privmsg("#hist", line); err != nil {
			t.Fatal(err)
		}
	}
	dave.sync("#sync")
	before := time.Now()

	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: plugintest.BuildBinary(t, pluginPkg), Name: "irc", Backfill: 50,
		PluginConfig: `reconnect_min = "200ms"` + "\n" + `reconnect_max = "1s"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	ircLogin(t, g, alice, s.port, "#hist")
	room := g.JID("#hist")
	as := waitArchive(t, alice, room, "one|two|three")
	for i, a := range as {
		if a.at.Before(said.Add(-time.Second)) || a.at.After(before) || (i > 0 && a.at.Before(as[i-1].at)) {
			t.Errorf("archived %q at %v: want the server's time, between %v and %v, in order", a.body, a.at, said, before)
		}
	}
	for {
		if n, _ := historyFetched(g, "#hist"); n > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	fetched, fetchedNone := historyFetched(g, "#hist")

	// The gateway restarts: the plugin logs in again and fetches the
	// channel's history again, all of it known.
	g.Restart()
	g.WaitReady(alice)
	for m := dave.await("JOIN", ""); m.Nick() != "alice" || m.Params[0] != "#hist"; m = dave.await("JOIN", "") {
	}
	deadline := time.Now().Add(gatewaytest.Timeout)
	for {
		if n, _ := historyFetched(g, "#hist"); n > fetched {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the restart fetched no history of #hist")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := dave.conn.Privmsg("#hist", "four"); err != nil {
		t.Fatal(err)
	}
	waitArchive(t, alice, room, "one|two|three|four")
	if all, none := historyFetched(g, "#hist"); all-fetched != none-fetchedNone {
		t.Errorf("the restart's fetches stored messages again (%d fetches, %d of them stored nothing)", all-fetched, none-fetchedNone)
	}
	// The user's own line, then another restart: the history now holds
	// messages that came live (dave's "four", the user's), which the
	// gateway has already. The new plugin process does not know they came
	// live, and the gateway's store keeps a history copy of a live
	// message again (it dedups history against history only): the
	// archive must still hold each once.
	if ans := joinRoom(g, alice, room, "alice"); ans.Type == "error" {
		t.Fatalf("join of %s: %s", room, ans.XML)
	}
	sendGroupchat(g, alice, room, "mine")
	awaitIn(dave, "#hist", "mine")
	waitArchive(t, alice, room, "one|two|three|four|mine")
	fetched, _ = historyFetched(g, "#hist")
	g.Restart()
	g.WaitReady(alice)
	for m := dave.await("JOIN", ""); m.Nick() != "alice" || m.Params[0] != "#hist"; m = dave.await("JOIN", "") {
	}
	deadline = time.Now().Add(gatewaytest.Timeout)
	for {
		if n, _ := historyFetched(g, "#hist"); n > fetched {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second restart fetched no history of #hist")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := dave.conn.Privmsg("#hist", "five"); err != nil {
		t.Fatal(err)
	}
	waitArchive(t, alice, room, "one|two|three|four|mine|five")

	// A channel joined from XMPP: its history comes with it.
	dave.join("#later")
	if err := dave.conn.Privmsg("#later", "before you came"); err != nil {
		t.Fatal(err)
	}
	dave.sync("#sync2")
	later := g.JID("#later")
	if ans := joinRoom(g, alice, later, "alice"); ans.Type == "error" {
		t.Fatalf("join of %s: %s", later, ans.XML)
	}
	waitArchive(t, alice, later, "before you came")
	if got := bodies(roomArchive(t, alice, room)); got != "one|two|three|four|mine|five" {
		t.Errorf("archive of %s in the end: %q", room, got)
	}
}
