package xmpptest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// testTimeout bounds each scenario; a passing run takes well under a second.
const testTimeout = 30 * time.Second

func setup(t *testing.T, users ...string) (*prosodytest.Server, context.Context) {
	t.Helper()
	srv := prosodytest.Start(t, prosodytest.Options{})
	for _, u := range users {
		if err := srv.Register(u, u+"-password"); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return srv, ctx
}

func dial(t *testing.T, ctx context.Context, srv *prosodytest.Server, addr, password string) *xmpptest.Client {
	t.Helper()
	c, err := xmpptest.Dial(ctx, srv.C2SAddr(), jid.MustParse(addr), password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

func TestMessageBetweenUsers(t *testing.T) {
	srv, ctx := setup(t, "alice", "bob")
	alice := dial(t, ctx, srv, "alice@localhost/phone", "alice-password")
	bob := dial(t, ctx, srv, "bob@localhost", "bob-password")

	if got := alice.JID().String(); got != "alice@localhost/phone" {
		t.Errorf("alice bound %q, want the requested resource", got)
	}
	if bob.JID().Resourcepart() == "" || bob.JID().Bare().String() != "bob@localhost" {
		t.Errorf("bob bound %q, want bob@localhost/<server-chosen>", bob.JID())
	}

	// Bob goes online; his own presence comes back to him once the server
	// has processed it, so a message to his bare JID is routed to him.
	if err := bob.SendPresence(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == bob.JID().String()
	}); err != nil {
		t.Fatal(err)
	}

	err := alice.SendRaw(ctx, `<message to="bob@localhost" type="chat" id="m1"><body>fish &amp; chips</body></message>`)
	if err != nil {
		t.Fatal(err)
	}
	// Bob is online: the server may send him other stanzas first.
	m, err := bob.Next(ctx, func(s xmpptest.Stanza) bool { return xmpptest.IsMessage(s) && s.ID == "m1" })
	if err != nil {
		t.Fatal(err)
	}
	if m.Body != "fish & chips" || m.From != alice.JID().String() || m.Type != "chat" || m.ID != "m1" {
		t.Errorf("bob got %+v", m)
	}
	if !strings.Contains(m.XML, "<body>fish &amp; chips</body>") || !strings.HasPrefix(m.XML, "<message ") {
		t.Errorf("re-serialized XML: %s", m.XML)
	}
}

func TestNextKeepsUnmatchedStanzas(t *testing.T) {
	srv, ctx := setup(t, "alice", "bob")
	alice := dial(t, ctx, srv, "alice@localhost/a", "alice-password")
	bob := dial(t, ctx, srv, "bob@localhost/b", "bob-password")

	for _, body := range []string{"one", "two", "three"} {
		if err := alice.SendRaw(ctx, `<message to="bob@localhost/b"><body>`+body+`</body></message>`); err != nil {
			t.Fatal(err)
		}
	}
	body := func(want string) func(xmpptest.Stanza) bool {
		return func(s xmpptest.Stanza) bool { return s.Body == want }
	}
	if m, err := bob.Next(ctx, body("three")); err != nil || m.Body != "three" {
		t.Fatalf("Next(three) = %+v, %v", m, err)
	}
	// "one" and "two" arrived before "three" and were kept, in order.
	for _, want := range []string{"one", "two"} {
		m, err := bob.Next(ctx, xmpptest.IsMessage)
		if err != nil {
			t.Fatal(err)
		}
		if m.Body != want {
			t.Errorf("got %q, want %q", m.Body, want)
		}
	}
}

func TestIQ(t *testing.T) {
	srv, ctx := setup(t, "alice", "bob")
	alice := dial(t, ctx, srv, "alice@localhost/a", "alice-password")
	bob := dial(t, ctx, srv, "bob@localhost/b", "bob-password")

	// A result; no id given, so the client adds one.
	res, err := alice.IQ(ctx, `<iq type="get" to="localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	if res.Type != "result" || res.From != "localhost" || res.ID == "" || res.Err != nil {
		t.Errorf("disco#info reply: %+v", res)
	}
	if !strings.Contains(res.XML, `<query xmlns="http://jabber.org/protocol/disco#info">`) || !strings.Contains(res.XML, `<identity `) {
		t.Errorf("disco#info XML: %s", res.XML)
	}

	// An error reply is a Stanza, not a Go error.
	res, err = alice.IQ(ctx, `<iq type="get" id="nope-1" to="localhost"><query xmlns="urn:example:unknown"/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != "nope-1" || res.Type != "error" || res.Err == nil || res.Err.Condition != "service-unavailable" || res.Err.Type != "cancel" {
		t.Errorf("unknown namespace reply: %+v (err %+v)", res, res.Err)
	}

	// An IQ get from another entity is queued for the test to answer.
	type reply struct {
		s   xmpptest.Stanza
		err error
	}
	done := make(chan reply, 1)
	go func() {
		s, err := alice.IQ(ctx, `<iq type="get" id="v1" to="bob@localhost/b"><query xmlns="jabber:iq:version"/></iq>`)
		done <- reply{s, err}
	}()
	req, err := bob.Next(ctx, xmpptest.IsIQ)
	if err != nil {
		t.Fatal(err)
	}
	if req.Type != "get" || req.ID != "v1" || req.From != alice.JID().String() {
		t.Fatalf("bob got %+v", req)
	}
	err = bob.SendRaw(ctx, `<iq type="result" id="v1" to="`+req.From+`"><query xmlns="jabber:iq:version"><name>xmpptest</name></query></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.s.Type != "result" || !strings.Contains(r.s.XML, "<name>xmpptest</name>") {
		t.Errorf("alice got %+v", r.s)
	}
}

func TestWrongPassword(t *testing.T) {
	srv, ctx := setup(t, "alice")
	for _, tc := range []struct{ user, password string }{
		{"alice@localhost", "not-the-password"},
		{"nobody@localhost", "whatever"},
	} {
		c, err := xmpptest.Dial(ctx, srv.C2SAddr(), jid.MustParse(tc.user), tc.password)
		if err == nil {
			c.Close()
			t.Errorf("%s logged in with a wrong password", tc.user)
			continue
		}
		if !errors.Is(err, xmpptest.ErrAuth) {
			t.Errorf("%s: error %v does not wrap ErrAuth", tc.user, err)
		}
	}
}

func TestRegisterInBand(t *testing.T) {
	srv, ctx := setup(t)
	carol := jid.MustParse("carol@localhost")
	if err := xmpptest.Register(ctx, srv.C2SAddr(), carol, "secret"); err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, srv, "carol@localhost", "secret")
	if c.JID().Bare().String() != "carol@localhost" {
		t.Errorf("bound %s", c.JID())
	}
	err := xmpptest.Register(ctx, srv.C2SAddr(), carol, "other")
	var se *xmpptest.StanzaError
	if !errors.As(err, &se) || se.Condition != "conflict" {
		t.Errorf("registering carol twice: %v, want a conflict stanza error", err)
	}
}

func TestSendRawRejectsBrokenXML(t *testing.T) {
	srv, ctx := setup(t, "alice")
	alice := dial(t, ctx, srv, "alice@localhost", "alice-password")
	for _, bad := range []string{
		`<message><body>unclosed</message>`,
		`<message/><message/>`,
		`text<message/>`,
		``,
	} {
		if err := alice.SendRaw(ctx, bad); err == nil {
			t.Errorf("SendRaw(%q) accepted", bad)
		}
	}
	// The stream is intact.
	if _, err := alice.IQ(ctx, `<iq type="get" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`); err != nil {
		t.Fatal(err)
	}
}

func TestStreamEndWakesNext(t *testing.T) {
	srv, ctx := setup(t, "alice")
	alice := dial(t, ctx, srv, "alice@localhost", "alice-password")
	errc := make(chan error, 1)
	go func() {
		_, err := alice.Next(ctx, xmpptest.IsMessage)
		errc <- err
	}()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, xmpptest.ErrClosed) {
		t.Errorf("Next after server stop: %v, want ErrClosed", err)
	}
	if err := alice.SendRaw(ctx, `<presence/>`); !errors.Is(err, xmpptest.ErrClosed) {
		t.Errorf("SendRaw after server stop: %v, want ErrClosed", err)
	}
}

// TestLateReplyNotQueued: the reply to an IQ its caller gave up on (its
// context ended) is dropped when it comes, not queued for Next, where it
// would pass for a stanza the server sent unasked.
func TestLateReplyNotQueued(t *testing.T) {
	srv, ctx := setup(t, "alice", "bob")
	alice := dial(t, ctx, srv, "alice@localhost/a", "alice-password")
	bob := dial(t, ctx, srv, "bob@localhost/b", "bob-password")

	askCtx, giveUp := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := alice.IQ(askCtx, `<iq type="get" id="late-1" to="bob@localhost/b"><query xmlns="jabber:iq:version"/></iq>`)
		done <- err
	}()
	// Alice's ask itself, not another iq the server may send bob: a
	// reply to that would leave nothing late to drop.
	req, err := bob.Next(ctx, func(s xmpptest.Stanza) bool { return xmpptest.IsIQ(s) && s.ID == "late-1" })
	if err != nil {
		t.Fatal(err)
	}
	giveUp()
	if err := <-done; err == nil {
		t.Fatal("IQ returned no error after its context ended")
	}
	if err := bob.SendRaw(ctx, `<iq type="result" id="`+req.ID+`" to="`+req.From+`"/>`); err != nil {
		t.Fatal(err)
	}
	// Round trips that order the late reply before what follows: the
	// server has routed bob's reply to alice before it answers bob's
	// ping, and answers alice's ping after that.
	for _, c := range []*xmpptest.Client{bob, alice} {
		if _, err := c.IQ(ctx, `<iq type="get" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range alice.Pending() {
		if st.ID == "late-1" {
			t.Fatalf("the late reply was queued: %s", st.XML)
		}
	}
}
