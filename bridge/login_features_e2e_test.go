package bridge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestLoginFeatures: a login that can do less than its transport (the
// echo network's "+lite" logins, as a Telegram bot's) says so when it
// connects, and its user is offered only what it can do: the ad-hoc
// commands for creating and finding groups and the profile picture are
// not listed (another user's are), nor the chat commands in the gateway
// chat's help; /timer LENGTH, /pins, /vote, /poll, /poll-close and /pin
// are refused as not implemented without reaching the plugin (which
// would do them), while /timer alone shows the network's timer; and no
// history is fetched for it (the other user's is).
func TestLoginFeatures(t *testing.T) {
	s := newStack(t, stackOptions{backfill: "5"})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "alice+lite"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	carol := registered(t, s, "carol")
	bob := "bob@" + domain
	// A round trip each: both logins connected.
	echoID(t, alice, "a1", "hello from a lite login")
	echoID(t, carol, "c1", "hello from a full login")

	commands := func(c *xmpptest.Client) string {
		t.Helper()
		items, err := c.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
		if err != nil || items.Type != "result" {
			t.Fatalf("commands: %v %s", err, items.XML)
		}
		return items.XML
	}
	full, lite := commands(carol), commands(alice)
	for _, node := range []string{"create-group", "find-group", "profile-picture"} {
		if !strings.Contains(full, `node="`+node+`"`) {
			t.Errorf("a full login's commands lack %s: %s", node, full)
		}
		if strings.Contains(lite, `node="`+node+`"`) {
			t.Errorf("a lite login's commands offer %s: %s", node, lite)
		}
	}
	if !strings.Contains(lite, `node="logout"`) {
		t.Errorf("a lite login's commands lack logout: %s", lite)
	}

	// The gateway chat's help lists the chat commands each login has.
	help := func(c *xmpptest.Client) string {
		t.Helper()
		raw(t, c, `<message type='chat' to='`+domain+`'><body>help</body></message>`)
		st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.From == domain && strings.Contains(s.Body, "Send one of") })
		if err != nil {
			t.Fatalf("no help: %v", err)
		}
		return st.Body
	}
	fullHelp, liteHelp := help(carol), help(alice)
	for _, cmd := range []string{"/timer 1d", "/poll QUESTION", "/vote 2", "/poll-close", "/pin ", "/pins"} {
		if !strings.Contains(fullHelp, cmd) {
			t.Errorf("a full login's help lacks %s: %s", cmd, fullHelp)
		}
		if strings.Contains(liteHelp, cmd) {
			t.Errorf("a lite login's help offers %s: %s", cmd, liteHelp)
		}
	}

	for _, body := range []string{"/timer 1d", "/pins", "/poll Lunch? Pizza / Sushi"} {
		id := alice.NewID()
		raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>`+body+`</body></message>`)
		st := next(t, alice, "an error", func(s xmpptest.Stanza) bool { return s.Type == "error" || s.Body != "" })
		if st.ID != id || st.Err == nil || st.Err.Condition != "feature-not-implemented" {
			t.Errorf("%s from a lite login: want feature-not-implemented, got %s", body, st.XML)
		}
	}
	// It may not set the chat's timer, but sees it: the network's.
	raw(t, alice, `<message type='chat' id='`+alice.NewID()+`' to='`+bob+`'><body>/timer</body></message>`)
	if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return bareJID(s.From) == bob && strings.Contains(s.Body, "Disappearing messages are off in this chat")
	}); err != nil {
		t.Errorf("/timer alone from a lite login: %v", err)
	}
	for _, body := range []string{"/vote 1", "/pin", "/poll-close"} {
		id := alice.NewID()
		raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>`+body+`</body><reply xmlns='urn:xmpp:reply:0' to='`+bob+`' id='a1'/></message>`)
		if st := next(t, alice, "an error", func(s xmpptest.Stanza) bool { return s.Type == "error" || s.Body != "" }); st.ID != id || st.Err == nil || st.Err.Condition != "feature-not-implemented" {
			t.Errorf("%s from a lite login: want feature-not-implemented, got %s", body, st.XML)
		}
	}

	// History: the full login's chats are fetched, the lite one's never.
	asked := func(login string) int {
		n := 0
		for line := range strings.Lines(s.logs.String()) {
			if strings.Contains(line, `msg="backfill requested"`) && strings.Contains(line, " login="+login+" ") {
				n++
			}
		}
		return n
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for asked("carol") == 0 && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	if asked("carol") == 0 {
		t.Errorf("no history fetched for the full login")
	}
	if n := asked("alice+lite"); n != 0 {
		t.Errorf("history fetched %d times for the lite login", n)
	}
}
