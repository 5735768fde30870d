package bridge_test

import (
	"context"
	"fmt"
	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
	"strings"
	"testing"
	"time"
)

// Probes of what a careless or hostile network sends, through the echo
// network's net- commands (examples/echo/hostile.go): each
// must reach the user in a form the server takes, or be refused with a
// log line, and leave the transport working.

// noLinkDown fails the test when the component link went down.
func noLinkDown(t *testing.T, s *stack) {
	t.Helper()
	if n := s.logs.Count("component link down"); n != 0 {
		t.Fatalf("the component link went down %d times", n)
	}
}

// TestLongTextCut: a contact's message of 2 MB reaches the user as its
// first 64 KiB (an eighth of the server's stanza limit) ending with a mark
// saying how much is missing, logged; in a room, the same for a message
// and a topic. Before, the server closed the component's stream at that
// stanza, and again at each replay of the event: one long message
// wedged the transport for every user.
func TestLongTextCut(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	bob := "bob@" + domain
	const n = 2 << 20
	limit := (512 << 10) / 8
	check := func(what, got string) {
		t.Helper()
		head, mark, ok := strings.Cut(got, "… [")
		if !ok || len(got) > limit || !strings.HasPrefix(echo.LongText(n), head) ||
			mark != fmt.Sprintf("%d bytes more not shown]", n-len(head)) {
			t.Fatalf("%s: got %d bytes ending %q", what, len(got), got[max(0, len(got)-80):])
		}
	}
	sendChat(t, alice, bob, fmt.Sprintf("net-long %d", n))
	check("chat", nextMessage(t, alice, bob, timeout).Body)
	echoAfter(t, alice, "still here")

	join(t, alice, "a", "")
	groupchat(t, alice, fmt.Sprintf("net-long %d", n))
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == room && strings.HasPrefix(s.Body, "line 0 ")
	})
	if err != nil {
		t.Fatal(err)
	}
	check("room", st.Body)
	groupchat(t, alice, `net-event {"topic":{"topic":"@@2000000@@"}}`)
	st, err = alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == room && strings.Contains(s.XML, "<subject>xxx")
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.XML) > limit+1000 || !strings.Contains(st.XML, fmt.Sprintf("bytes more not shown]</subject>")) {
		t.Fatalf("subject of %d bytes: ...%s", len(st.XML), st.XML[max(0, len(st.XML)-200):])
	}
	groupchat(t, alice, "after")
	roomMessage(t, alice, "", "after")
	noLinkDown(t, s)
	if n := s.logs.Count("network text too long; cut"); n != 3 {
		t.Errorf("%d cuts logged, want 3", n)
	}
	if n := s.logs.Count("stanza too large"); n != 0 {
		t.Errorf("%d stanzas too large", n)
	}
}

// probe sends the echo network's "net-event JSON" command to bob, then
// checks that the transport still echoes and the link stayed up.
func probeChat(t *testing.T, s *stack, c *xmpptest.Client, name, json string) {
	t.Helper()
	sendChat(t, c, "bob@"+domain, "net-event "+json)
	echoAfter(t, c, "after "+name)
	if n := s.logs.Count("component link down"); n != 0 {
		t.Fatalf("%s: the component link went down %d times", name, n)
	}
}

func TestHostileNetworkChat(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	for _, p := range []struct{ name, json string }{
		{"target", `{"eventId":"m1","message":{"text":"target"}}`},
		{"spans out of range", `{"eventId":"m2","message":{"text":"hi","spans":[{"start":5,"end":900000,"style":"STYLE_LINK","url":"http://x"},{"start":1,"end":0,"style":"STYLE_BOLD"},{"start":0,"end":2,"style":"STYLE_MENTION","userId":"a\u0000b"}]}}`},
		{"span in a rune", `{"eventId":"m3","message":{"text":"été","spans":[{"start":1,"end":4,"style":"STYLE_BOLD"},{"start":0,"end":1,"style":"STYLE_MENTION","userId":"@@5000@@"}]}}`},
		{"reaction not emoji", `{"reaction":{"targetId":"m1","emojis":["not an emoji","\u0007"]}}`},
		{"reaction long", `{"reaction":{"targetId":"m1","emojis":["@@600000@@"]}}`},
		{"edit long", `{"edit":{"targetId":"m1","text":"@@2000000@@"}}`},
		{"reply to long", `{"eventId":"m4","message":{"text":"reply","replyToId":"@@600000@@"}}`},
		{"event id long", `{"eventId":"@@600000@@","message":{"text":"long id"}}`},
		{"contact name long", `{"contact":{"contact":{"userId":"bob","name":"@@600000@@"}}}`},
		{"contact name control", `{"contact":{"contact":{"userId":"bob","name":"Bob\u0007\u0000\uFFFE"}}}`},
		{"presence status long", `{"presence":{"presence":{"show":"PRESENCE_SHOW_AWAY","status":"@@600000@@"}}}`},
		{"presence status control", `{"presence":{"presence":{"show":"PRESENCE_SHOW_AWAY","status":"away\u0007"}}}`},
		{"file name", `{"eventId":"m5","message":{"text":"file","attachments":[{"name":"../../etc/pass\u0007wd/x","mimeType":"text/plain\u0000","size":-5,"data":"aGVsbG8="}]}}`},
		{"file caption long", `{"eventId":"m6","message":{"attachments":[{"name":"a.txt","caption":"@@600000@@","size":9223372036854775807,"data":"aGVsbG8="}]}}`},
		{"file url long", `{"eventId":"m7","message":{"attachments":[{"name":"a.txt","url":"http://127.0.0.1:1/@@600000@@"}]}}`},
		{"contact avatar id long", `{"contact":{"contact":{"userId":"bob","name":"Bob","avatarId":"@@600000@@"}}}`},
		// A deadline or a read timer whose sender the store refuses must
		// not hold the transport's events (they were retried for ever).
		{"deadline, sender long", `{"eventId":"m8","sender":{"userId":"@@5000@@"},"message":{"text":"vanishing","expiresUnixMicro":"4102444800000000"}}`},
		{"read timer, sender NUL", `{"eventId":"m9","sender":{"userId":"a\u0000b"},"message":{"text":"read me","expiresAfterReadSeconds":"60"}}`},
		{"deadline far", `{"eventId":"m10","message":{"text":"far","expiresUnixMicro":"9223372036854775807","expiresAfterReadSeconds":"-5"}}`},
	} {
		probeChat(t, s, alice, p.name, p.json)
	}
	// None held the store's writer in retries (events are delivered
	// before their commit, so an echo alone does not show it).
	if n := s.logs.Count("store failure; retrying"); n != 0 {
		t.Errorf("the store was retried %d times", n)
	}
	// Each was cut at intake: none reached the link's last guard.
	if n := s.logs.Count("stanza too large"); n != 0 {
		t.Errorf("%d stanzas too large for the server:\n%s", n, s.logs)
	}
}

// echoAfter sends body to bob and waits for its echo, passing over what
// came before it.
func echoAfter(t *testing.T, c *xmpptest.Client, body string) {
	t.Helper()
	sendChat(t, c, "bob@"+domain, body)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == "bob@"+domain && s.Body == body
	}); err != nil {
		t.Fatalf("no echo of %q: %v", body, err)
	}
}

func TestHostileNetworkRoom(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	after := func(name string) {
		t.Helper()
		body := "after " + name
		groupchat(t, alice, body)
		roomMessage(t, alice, "", body)
		// The reflection above comes with the send's result; the probe's
		// event comes through the network's event stream, which this
		// message follows in order: once it is shown, the probe was
		// handled (else the rejoin below could come before the members).
		groupchat(t, alice, `net-event {"sender":{"userId":"echo-1"},"message":{"text":"handled `+name+`"}}`)
		roomMessage(t, alice, "Echo One", "handled "+name)
		if n := s.logs.Count("component link down"); n != 0 {
			t.Fatalf("%s: the component link went down %d times", name, n)
		}
	}
	for _, p := range []struct{ name, json string }{
		{"topic long", `{"topic":{"topic":"@@600000@@"}}`},
		{"topic control", `{"topic":{"topic":"a\u0007b"}}`},
		{"text long", `{"eventId":"r1","message":{"text":"@@2000000@@"}}`},
		{"name long", `{"chat":{"chat":{"chatId":"echo-room","type":"CHAT_TYPE_GROUP","name":"@@600000@@"}}}`},
		{"nick long", `{"member":{"kind":"KIND_JOINED","member":{"userId":"m1","nick":"@@600000@@"}}}`},
		{"nick not resourceprep", `{"member":{"kind":"KIND_JOINED","member":{"userId":"m2","nick":"\ue000\ufffd\u05d0a\u200f"}}}`},
		{"nick empty id weird", `{"member":{"kind":"KIND_JOINED","member":{"userId":"@@3000@@","nick":""}}}`},
		{"rename long", `{"member":{"kind":"KIND_RENAMED","member":{"userId":"m2","nick":"@@600000@@"}}}`},
		{"kick reason long", `{"member":{"kind":"KIND_KICKED","member":{"userId":"m2"},"reason":"@@600000@@"}}`},
		{"member message", `{"eventId":"r2","sender":{"userId":"m1"},"message":{"text":"from m1"}}`},
		{"reaction long", `{"sender":{"userId":"m1"},"reaction":{"targetId":"r2","emojis":["@@600000@@"]}}`},
	} {
		groupchat(t, alice, "net-event "+p.json)
		after(p.name)
	}
	// A join after all of it: the occupant list, the subject.
	j := join(t, s.loginResource("alice", "second"), "a", "")
	if len(j.occupants) < 3 {
		var nicks []string
		for _, o := range j.occupants {
			n := nick(o.From)
			nicks = append(nicks, fmt.Sprintf("%.12q…%q (%d bytes)", n, n[max(0, len(n)-12):], len(n)))
		}
		t.Errorf("rejoined with %d occupants (%s), want the two and the long-nicked member", len(j.occupants), strings.Join(nicks, ", "))
	}
	if n := s.logs.Count("stanza too large"); n != 0 {
		t.Errorf("%d stanzas too large for the server:\n%s", n, s.logs)
	}
}

// TestHugeAvatar: a contact's avatar of 2 MB, more than the server takes
// in a stanza, is left out: its vCard comes with its name and no photo,
// its XEP-0084 data and metadata say it has none; logged, and the link
// stays up. Before, the vCard answer made the server close the link, at
// each client's request for it (clients ask for avatars by themselves).
func TestHugeAvatar(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	huge := echo.HugeAvatarContact + "@" + domain
	st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+huge+`'><vCard xmlns='vcard-temp'/></iq>`)
	if err != nil || st.Type != "result" || !strings.Contains(st.XML, echo.HugeAvatarContact) || strings.Contains(st.XML, "PHOTO") {
		t.Fatalf("vCard: want the name and no photo, got %v %.300s", err, st.XML)
	}
	st, err = alice.IQ(ctxT(t), `<iq type='get' to='`+huge+`'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:data'/></pubsub></iq>`)
	if err != nil || st.Type == "result" && strings.Contains(st.XML, "<data") {
		t.Fatalf("avatar data: want none, got %v %.300s", err, st.XML)
	}
	st, err = alice.IQ(ctxT(t), `<iq type='get' to='`+huge+`'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:metadata'/></pubsub></iq>`)
	if err != nil || strings.Contains(st.XML, "<info") {
		t.Fatalf("avatar metadata: want none, got %v %.300s", err, st.XML)
	}
	echoAfter(t, alice, "still here")
	noLinkDown(t, s)
	if n := s.logs.Count("network avatar too large for a stanza; left out"); n == 0 {
		t.Error("the avatar left out was not logged")
	}
	if n := s.logs.Count("stanza too large"); n != 0 {
		t.Errorf("%d stanzas too large for the server", n)
	}
}

// TestCrowd: 3000 members joining a group in one event reach a joining
// client as 3000 occupants more, and the transport goes on.
func TestCrowd(t *testing.T) {
	// 3002 presences keep Prosody busy for seconds on a loaded machine:
	// a ping unanswered for 2 s is no dead server here (it once failed
	// noLinkDown so).
	// Every member presented (room_join_occupants = 0): the flood is
	// what this test is about.
	s := newStack(t, stackOptions{pingTimeout: "10s", extra: "room_join_occupants = 0"})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	groupchat(t, alice, "net-crowd 3000")
	groupchat(t, alice, "after")
	roomMessage(t, alice, "", "after")
	// 3002 presences through the server: more than join's few seconds
	// on a loaded machine.
	if j := joinWithin(t, s.loginResource("alice", "second"), "b", "", 2*time.Minute); len(j.occupants) != 3002 {
		t.Errorf("%d occupants, want 3002", len(j.occupants))
	}
	noLinkDown(t, s)
}

// TestChatListLongNameAndTopic: a group whose name and topic of 600 KB
// the gateway learns from the chat list (at a relogin), not from an
// event, is listed with its name cut to 1 KiB, and joined with its topic
// cut to 64 KiB. Before, the room listing (disco#items), the room's
// disco#info and the join's subject were each more than the server takes
// in a stanza: the user could neither see nor join any room, and the
// server closed the link at each try.
func TestChatListLongNameAndTopic(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	groupchat(t, alice, "net-quiet 600000")
	echoAfter(t, alice, "renamed") // the rename is done by now
	if r, _ := command(t, alice, "relogin", "", "", nil); r.Command.Status != "completed" {
		t.Fatalf("relogin: %s", r.XML)
	}
	short := strings.Repeat("x", 1021) + "…"
	deadline := time.Now().Add(timeout)
	for {
		items, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
		if err == nil && strings.Contains(items.XML, `name="`+short+`"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the room never listed with its name cut: %v %.400s", err, items.XML)
		}
		time.Sleep(100 * time.Millisecond)
	}
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || info.Type != "result" || !strings.Contains(info.XML, `name="`+short+`"`) {
		t.Fatalf("disco#info: %v %.400s", err, info.XML)
	}
	j := join(t, s.loginResource("alice", "second"), "b", "")
	if !strings.HasSuffix(j.subject.XML, fmt.Sprintf("bytes more not shown]</subject></message>")) || len(j.subject.XML) > (512<<10)/8+1000 {
		t.Fatalf("subject of %d bytes ending %s", len(j.subject.XML), j.subject.XML[max(0, len(j.subject.XML)-200):])
	}
	echoAfter(t, alice, "still here")
	noLinkDown(t, s)
	if n := s.logs.Count("stanza too large"); n != 0 {
		t.Errorf("%d stanzas too large for the server", n)
	}
}

// TestRoomNickStringprep: members whose network names PRECIS takes and
// Prosody's stringprep refuses (a Hebrew name with a Latin word, an
// ideographic description character, U+FFFD) are in the room under
// nicks both take, and their messages reach the user. Before, the
// server bounced the presence and every message from their occupant
// JIDs: what they said was lost. Nicks are in the form the server
// writes (NFKC, no variation selectors: "Ｄａｎ" is "Dan"), the one
// clients see, so the room's map of nicks knows it.
func TestRoomNickStringprep(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	for i, c := range []struct{ name, nick string }{
		{"שלום abc", "שלום"}, {"x\u2ff0y", "xy"}, {"a\ufffdb", "ab"}, {"Dan 🙂", "Dan 🙂"},
		{"Ｄａｎ", "Dan"}, {"Lo ❤️", "Lo ❤"},
	} {
		id := fmt.Sprintf("sp%d", i)
		groupchat(t, alice, `net-event {"member":{"kind":"KIND_JOINED","member":{"userId":"`+id+`","nick":"`+c.name+`"}}}`)
		groupchat(t, alice, `net-event {"eventId":"`+id+`m","sender":{"userId":"`+id+`"},"message":{"text":"hello from `+id+`"}}`)
		roomMessage(t, alice, c.nick, "hello from "+id)
	}
	if n := s.logs.Count("kind=presence type=error") + s.logs.Count("kind=message type=error"); n != 0 {
		t.Errorf("the server bounced %d stanzas:\n%s", n, s.logs)
	}
}

// TestFileNamesAndTypes: files from the network whose name holds
// slashes, a control character or a bidi override, whose declared size
// is a lie, whose MIME type holds a NUL or is 3000 bytes of nonsense,
// reach the user uploaded under a safe name. Before, the NUL in the MIME
// type failed the upload (an invalid Content-Type header): the user got a
// notice and no file.
func TestFileNamesAndTypes(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	for i, c := range []struct{ attachment, name string }{
		{`{"name":"../../etc/pass\u0007wd","mimeType":"text/plain\u0000","size":-5,"data":"aGVsbG8="}`, "/passwd"},
		{`{"name":"a/b\\\\c\u202e.txt","size":9223372036854775807,"data":"aGVsbG8="}`, "/c.txt"},
		{`{"name":"x.txt","mimeType":"@@3000@@","data":"aGVsbG8="}`, "/x.txt"},
	} {
		sendChat(t, alice, bob, fmt.Sprintf(`net-event {"eventId":"f%d","message":{"text":"file %d","attachments":[%s]}}`, i, i, c.attachment))
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && bareJID(s.From) == bob && strings.Contains(s.XML, "jabber:x:oob")
		})
		if err != nil || !strings.Contains(st.XML, c.name+"</url>") || strings.Contains(st.XML, "could not be bridged") {
			t.Fatalf("file %d: want its file as %s, got %v %.600s", i, c.name, err, st.XML)
		}
	}
	echoAfter(t, alice, "still here")
	noLinkDown(t, s)
}

// TestLongSpanTargets: a message whose link span points at a URL of
// 600 KB, or whose spans' targets add up past the text's own limit,
// reaches the user with its text, the spans that fit kept. Before, its
// markup made the message too large for the server.
func TestLongSpanTargets(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	sendChat(t, alice, bob, `net-event {"eventId":"s1","message":{"text":"see here","spans":[{"start":0,"end":3,"style":"STYLE_LINK","url":"http://x/@@600000@@"},{"start":4,"end":8,"style":"STYLE_BOLD"}]}}`)
	st := nextMessage(t, alice, bob, timeout)
	if st.Body != "see *here*" || len(st.XML) > 10000 {
		t.Fatalf("got %d bytes: %.600s", len(st.XML), st.XML)
	}
	echoAfter(t, alice, "still here")
	noLinkDown(t, s)
	if n := s.logs.Count("stanza too large"); n != 0 {
		t.Errorf("%d stanzas too large for the server", n)
	}
}
