package bridge

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/xmpptest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestChatQueriesReadOnlyRoom: "/timer" alone and "/pins" only ask about
// the chat, so a room where the user may not post (a channel, a group
// only its admins write in) still takes them; before, they were refused
// as posts ("only the group's admins post in ..."), though a channel is
// where pins matter most.
func TestChatQueriesReadOnlyRoom(t *testing.T) {
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
	tr, _ := linkedTransport(t, srv, filepath.Join(t.TempDir(), "p.db"))
	s := tr.session("alice@localhost")
	from := alice.JID()
	r, _ := s.rooms.add("news", func() *room {
		return &room{chatID: "news", jid: "news@echo.localhost", members: map[string]*pb.Member{}, names: map[string]string{},
			nicks: muc.NewNicks(), joined: map[string]bool{from.Resourcepart(): true}}
	})
	s.updateRoom(ctx, r, &pb.Chat{ChatId: "news", Type: pb.ChatType_CHAT_TYPE_CHANNEL, Name: "News",
		Members: []*pb.Member{{UserId: "alice-echo"}}}, false)
	for _, q := range []string{"/pins", "/timer"} {
		st, err := wire.Parse(`<message xmlns="jabber:component:accept" from="` + from.String() + `" to="news@echo.localhost" type="groupchat" id="q"><body>` + q + `</body></message>`)
		if err != nil {
			t.Fatal(err)
		}
		s.roomMessage(ctx, st, r, from)
		got, err := alice.Next(ctx, func(x xmpptest.Stanza) bool { return x.Name == "message" })
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got.XML, "forbidden") || strings.Contains(got.XML, "only the group's admins post") {
			t.Errorf("%s in a channel refused as a post: %s", q, got.XML)
		}
	}
	// With a file it is a post, refused (before, it passed the guard as
	// a query and went to the network as a file). A reaction passes the
	// guard alone only (room_in.go): with words or a file beside it, it
	// is a post too.
	for _, c := range []struct{ extra, body, want string }{
		{`<x xmlns="jabber:x:oob"><url>https://example.org/a.png</url></x>`, "/pins", "only the group&#39;s admins post"},
		{`<reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>👍</reaction></reactions>`, "words beside a reaction", "only the group&#39;s admins post"},
		{`<reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>👍</reaction></reactions><file-sharing xmlns="urn:xmpp:sfs:0"><sources><url-data xmlns="http://jabber.org/protocol/url-data" target="https://example.org/b.png"/></sources></file-sharing>`, "", "only the group&#39;s admins post"},
	} {
		body := "" // none: the file alone beside the reaction
		if c.body != "" {
			body = `<body>` + c.body + `</body>`
		}
		st, err := wire.Parse(`<message xmlns="jabber:component:accept" from="` + from.String() + `" to="news@echo.localhost" type="groupchat" id="q2">` + body + c.extra + `</message>`)
		if err != nil {
			t.Fatal(err)
		}
		s.roomMessage(ctx, st, r, from)
		got, err := alice.Next(ctx, func(x xmpptest.Stanza) bool { return x.Name == "message" })
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got.XML, c.want) {
			t.Errorf("%q %s in a channel: got %s, want %q", c.body, c.extra, got.XML, c.want)
		}
	}
}

// TestUserMessageCommand: a chat command is a new text alone whose first
// non-space (of any kind, as slashCommand reads it) is a slash; the room
// guard and the command dispatch read it alike.
func TestUserMessageCommand(t *testing.T) {
	for _, c := range []struct {
		xml  string
		want bool
	}{
		{"<body>/pins</body>", true},
		{"<body>\u00a0/pins</body>", true},
		{"<body>hello /pins</body>", false},
		{`<body>/pins</body><replace xmlns="urn:xmpp:message-correct:0" id="a"/>`, false},
		{`<body>/pins</body><x xmlns="jabber:x:oob"><url>https://example.org/a.png</url></x>`, false},
	} {
		st, err := wire.Parse(`<message xmlns="jabber:component:accept" from="a@localhost/r" to="news@echo.localhost" type="groupchat">` + c.xml + `</message>`)
		if err != nil {
			t.Fatal(err)
		}
		m := parseUserMessage(st)
		if got := m.command(); got != c.want {
			t.Errorf("%q: command %v, want %v", c.xml, got, c.want)
		}
		if c.want && !isChatQuery(m.body) {
			t.Errorf("%q: a command the query check reads otherwise", c.xml)
		}
	}
}
