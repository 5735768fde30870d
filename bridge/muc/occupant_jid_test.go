package muc

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestBadNickKeepsTheStreamUp: an occupant presence whose nick is empty
// or one the server refuses, written to a real Prosody, leaves the
// component's stream up (the server confirms what came after it on the
// same connection) and reaches the user from the fallback nick; the
// replacement is warned of once. Before, the empty nick made the
// presence's from room@host/, and Prosody closed the stream
// (invalid-from), cutting off every user of the transport; the nick with
// U+FFFD, which resourceprep prohibits, was bounced.
func TestBadNickKeepsTheStreamUp(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	if err := srv.Register("u", "pw"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := xmpptest.Dial(ctx, srv.C2SAddr(), jid.MustParse("u@localhost/r"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendPresence(ctx); err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	SetLog(slog.New(slog.NewTextHandler(logs, nil)))
	defer SetLog(nil)
	// The warning is once per process: a bad nick met before (another
	// test, -count=2) would have used it up.
	defer badNicks.Store(badNicks.Swap(0))
	l := xmpplink.New(xmpplink.Config{Addr: srv.ComponentAddr(), Domain: "gw.localhost", Secret: "s",
		PingInterval: time.Hour, PingTimeout: 10 * time.Second, ReconnectMax: time.Second,
		Log: slog.New(slog.DiscardHandler), Handle: func(*wire.Stanza) {}})
	lctx, lcancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { l.Run(lctx); close(done) }()
	defer func() { lcancel(); <-done }()
	if err := l.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
	const room = "room@gw.localhost"
	for _, nick := range []string{"", "a\uFFFDb"} {
		gen := l.Generation()
		p := Presence{Room: room, To: "u@localhost/r", Occupant: Occupant{Nick: nick, Affiliation: AffMember, Role: RoleParticipant}}.Bytes()
		confirmed := make(chan error, 1)
		if err := l.SendConfirmed(ctx, gen, p, func(err error) { confirmed <- err }); err != nil {
			t.Fatal(err)
		}
		if err := <-confirmed; err != nil {
			t.Fatalf("nick %q: the server closed the component stream on the presence %s: %v", nick, p, err)
		}
		want := room + "/" + CleanNick(nick, nick)
		st, err := c.Next(ctx, func(st xmpptest.Stanza) bool { return st.Name == "presence" && strings.HasPrefix(st.From, room) })
		if err != nil {
			t.Fatalf("nick %q: the presence never reached the user: %v", nick, err)
		}
		if st.From != want || st.Type == "error" {
			t.Errorf("nick %q: presence from %q (type %q), want from %q", nick, st.From, st.Type, want)
		}
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "fallback") {
		t.Errorf("the replaced nicks are warned of %d times, want once:\n%s", n, logs)
	}
}

// TestOccupantJID: a good nick is kept as it is; a bad one gets the same
// fallback each time, which is a good nick itself.
func TestOccupantJID(t *testing.T) {
	for _, nick := range []string{"Alice", "Zoë", "a b", "שלום"} {
		if got := OccupantJID("r@gw", nick); got != "r@gw/"+nick {
			t.Errorf("OccupantJID(%q) = %q, want it kept", nick, got)
		}
	}
	for _, nick := range []string{"", "a\uFFFDb", "\u200b", "\xff", "שלום abc"} {
		a, b := OccupantJID("r@gw", nick), OccupantJID("r@gw", nick)
		if a != b || a == "r@gw/" || !nickFits(strings.TrimPrefix(a, "r@gw/")) {
			t.Errorf("OccupantJID(%q) = %q then %q, want one good fallback", nick, a, b)
		}
	}
}
