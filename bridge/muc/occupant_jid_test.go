package muc

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
// U+FFFD, which resourceprep prohibits, was bounced; the fullwidth
// "Ｄａｎ" and the decomposed "e\u0301", which resourceprep maps, reached
// the user as "Dan" and "é", other members' JIDs. The fallbacks reach
// the user as written (two spaces kept).
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
	for _, nick := range []string{"", "a\uFFFDb", "Ｄａｎ", "e\u0301"} {
		gen := l.Generation()
		p := Presence{Room: room, To: "u@localhost/r", Occupant: Occupant{Nick: nick, Affiliation: AffMember, Role: RoleParticipant}}.Bytes()
		confirmed := make(chan error, 1)
		if err := l.SendConfirmed(ctx, gen, p, func(err error) { confirmed <- err }); err != nil {
			t.Fatal(err)
		}
		if err := <-confirmed; err != nil {
			t.Fatalf("nick %q: the server closed the component stream on the presence %s: %v", nick, p, err)
		}
		want := room + "/" + fallbackOf(nick)
		st, err := c.Next(ctx, func(st xmpptest.Stanza) bool { return st.Name == "presence" && strings.HasPrefix(st.From, room) })
		if err != nil {
			t.Fatalf("nick %q: the presence never reached the user: %v", nick, err)
		}
		if st.From != want || st.Type == "error" {
			t.Errorf("nick %q: presence from %q (type %q), want from %q", nick, st.From, st.Type, want)
		}
		// What the gateway wrote is what the user sees: the room's map
		// and the user's client name the occupant alike.
		if wrote := `from="` + want + `"`; !bytes.Contains(p, []byte(wrote)) {
			t.Errorf("nick %q: the gateway wrote %s, the server routed it from %q", nick, p, st.From)
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
	for _, nick := range []string{"", "a\uFFFDb", "\u200b", "\xff", "שלום abc", "e\u0301", "Ｄａｎ", "ab\uFE0F", "שָׁלוֹם\uFFFD"} {
		a, b := OccupantJID("r@gw", nick), OccupantJID("r@gw", nick)
		if a != b || a == "r@gw/" || !nickFits(strings.TrimPrefix(a, "r@gw/")) {
			t.Errorf("OccupantJID(%q) = %q then %q, want one good fallback", nick, a, b)
		}
	}
}

// TestFallbackNeverAMembersNick: the fallback of a bad nick is never a
// nick Nicks gives, even to a member whose name is what the bad nick
// cleans to, plain or suffixed, and two bad nicks that clean alike get
// two occupants. Before, "a\uFFFDb" fell back to "ab", the JID of the
// member named "ab": its presence and messages were that member's.
func TestFallbackNeverAMembersNick(t *testing.T) {
	bad := []string{"", "a\uFFFDb", "a\uFFFEb", "a\u200db", "Ｄａｎ", "e\u0301", "שלום\uFFFD", "x\uFFFD" + strings.Repeat("y", 80)}
	n := NewNicks()
	var given []string
	for i, name := range []string{"ab", "ab", "Dan", "é", "שלום", "", "user", "x" + strings.Repeat("y", 80)} {
		nick, _ := n.Assign(fmt.Sprintf("m%d", i), name)
		given = append(given, nick)
	}
	for i, name := range bad {
		given = append(given, n.Guest(fmt.Sprintf("g%d", i), name), CleanNick(name, name))
	}
	seen := map[string]string{}
	for _, nick := range bad {
		f := strings.TrimPrefix(OccupantJID("r@gw", nick), "r@gw/")
		if slices.Contains(given, f) {
			t.Errorf("the fallback of %q is %q, a nick Nicks gives (%q)", nick, f, given)
		}
		if other, ok := seen[f]; ok {
			t.Errorf("%q and %q fall back to one occupant %q", other, nick, f)
		}
		seen[f] = nick
		if !nickFits(f) || utf8.RuneCountInString(f) > MaxNick {
			t.Errorf("the fallback of %q is %q, not a good nick itself", nick, f)
		}
	}
}
