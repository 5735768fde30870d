package bridge_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/ejabberdtest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// ejabberdDailyConfig is what a self-hoster's ejabberd has beside the
// component: mod_mam archiving every one-to-one chat and mod_http_upload
// behind an ejabberd_http listener on httpPort, files in docroot. The
// upload access rule is the one docs/servers.md gives: local users and
// the gateway's components (ejabberd's default, local, refuses the
// components their slots).
func ejabberdDailyConfig(httpPort int, docroot string) string {
	return fmt.Sprintf(`
listen:
  -
    port: %[1]d
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /upload: mod_http_upload

acl:
  passerelle_components:
    server:
      - %[3]s

access_rules:
  upload:
    - allow: local
    - allow: passerelle_components

modules:
  mod_mam:
    default: always
  mod_http_upload:
    access: upload
    put_url: "http://127.0.0.1:%[1]d/upload"
    docroot: %[2]q
    max_size: 10000000
`, httpPort, docroot, domain)
}

// TestEjabberdDaily: what a user does every day through the gateway, on
// one ejabberd with mod_mam and mod_http_upload (no privileges: Debian
// 12's 23.01 has none the gateway takes), each as on Prosody: the room
// (MUC served by the component) joined, talked in, its history on a
// second join and its archive (the gateway's MAM, which ejabberd routes);
// receipts, markers and a correction in a one-to-one chat, which
// ejabberd's mod_mam archives for the user (the contact's messages too,
// though a component sent them); a carbon of what the user sent from
// another client and of the contact's answer; a file both ways through
// ejabberd's upload service (the gateway requests its slot as the
// component); the gateway's ad-hoc commands.
func TestEjabberdDaily(t *testing.T) {
	const secret = "ejabberd-s3cret"
	_, portText, _ := strings.Cut(freePort(t), ":")
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	s := newEjabberdStack(t, ejabberdtest.Options{
		Components:  []ejabberdtest.Component{{Domain: domain, Secret: secret}},
		ExtraConfig: ejabberdDailyConfig(port, t.TempDir()),
	}, secret)
	alice := s.user("alice")
	desk := s.login("alice")
	s.waitGateway(alice)
	for _, c := range []*xmpptest.Client{alice, desk} {
		if err := c.EnableCarbons(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	}
	if r := register(t, alice, "alice-echo"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	nextPresence(t, alice, "echo-1@"+domain, "subscribe", nil)

	t.Run("room", func(t *testing.T) {
		if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
			return st.Name == "message" && strings.Contains(st.XML, `jid="`+room+`"`)
		}); err != nil {
			t.Fatalf("room invitation: %v", err)
		}
		self := nick(join(t, alice, "alice", "").self.From)
		for _, body := range []string{"first in the room", "second in the room"} {
			gid := groupchat(t, alice, body)
			if own := roomMessage(t, alice, self, body); own.ID != gid {
				t.Fatalf("reflection without the client's id: %s", own.XML)
			}
			roomMessage(t, alice, "Echo One", body)
		}
		h := join(t, alice, "alice", `<history maxstanzas='20'/>`).history
		var bodies []string
		for _, st := range h {
			if st.Body != "" { // Echo Two's reactions
				bodies = append(bodies, st.Body)
			}
		}
		if got := strings.Join(bodies, "|"); !strings.Contains(got, "first in the room|first in the room|second in the room|second in the room") {
			t.Errorf("history on join: %q", got)
		}
		p := queryMAM(t, alice, room, mamForm()+rsmSet(`<max>10</max>`))
		if p.iq.Type != "result" {
			t.Fatalf("room MAM: %s", p.iq.XML)
		}
		var arch []string
		for _, m := range p.msgs {
			if b := m.Result.Forwarded.Message.Body; b != "" {
				arch = append(arch, b)
			}
		}
		if got := strings.Join(arch, "|"); !strings.Contains(got, "first in the room|first in the room|second in the room|second in the room") {
			t.Errorf("room archive: %q", got)
		}
	})

	t.Run("one-to-one", func(t *testing.T) {
		e := echoID(t, alice, "d1", "helo")
		next(t, alice, "delivery receipt", has(`<received xmlns="urn:xmpp:receipts" id="d1"/>`))
		next(t, alice, "displayed marker", has(`<displayed xmlns="urn:xmpp:chat-markers:0" id="d1"/>`))
		raw(t, alice, `<message type='chat' id='d1fix' to='bob@`+domain+`'><body>hello</body><replace xmlns='urn:xmpp:message-correct:0' id='d1'/><origin-id xmlns='urn:xmpp:sid:0' id='d1fix'/></message>`)
		c := next(t, alice, "correction", has("urn:xmpp:message-correct:0"))
		if c.Body != "hello" || !strings.Contains(c.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+e+`"/>`) {
			t.Fatalf("correction of the echo: %s", c.XML)
		}

		// The user's own archive, kept by ejabberd: both sides.
		p := queryMAM(t, alice, "alice@localhost", mamForm("with", "bob@"+domain))
		if p.iq.Type != "result" {
			t.Fatalf("the user's MAM: %s", p.iq.XML)
		}
		var arch []string
		for _, m := range p.msgs {
			msg := m.Result.Forwarded.Message
			arch = append(arch, bareJID(msg.From)+":"+msg.Body)
		}
		got := strings.Join(arch, "|")
		for _, want := range []string{"alice@localhost:helo", "bob@" + domain + ":helo", "alice@localhost:hello", "bob@" + domain + ":hello"} {
			if !strings.Contains(got, want) {
				t.Errorf("the user's archive lacks %s: %q", want, got)
			}
		}
	})

	t.Run("carbons", func(t *testing.T) {
		raw(t, alice, `<message type='chat' id='c1' to='bob@`+domain+`'><body>sent from the laptop</body></message>`)
		sent, err := desk.Next(ctxT(t), func(st xmpptest.Stanza) bool {
			return st.Name == "message" && strings.Contains(st.XML, `<sent xmlns="urn:xmpp:carbons:2"`) && strings.Contains(st.XML, "sent from the laptop")
		})
		if err != nil || !strings.Contains(sent.XML, `to="bob@`+domain+`"`) {
			t.Fatalf("no sent carbon on the other client: %v %s", err, sent.XML)
		}
		// The answer, to the bare JID, reaches both clients (ejabberd
		// gives a chat message to every resource of the top priority).
		for _, c := range []*xmpptest.Client{alice, desk} {
			if _, err := c.Next(ctxT(t), func(st xmpptest.Stanza) bool {
				return st.Name == "message" && bareJID(st.From) == "bob@"+domain && st.Body == "sent from the laptop"
			}); err != nil {
				t.Fatalf("%s: no answer of the contact: %v; pending %v", c.JID(), err, c.Pending())
			}
		}
	})

	t.Run("file", func(t *testing.T) {
		data := make([]byte, 100_000)
		rand.Read(data)
		slot, err := alice.Upload(ctxT(t), "upload.localhost", "holiday.jpg", "image/jpeg", data)
		if err != nil {
			t.Fatalf("the user's upload: %v", err)
		}
		sendFile(t, alice, slot.GetURL)
		got, back, _ := receiveFile(t, alice)
		if got == slot.GetURL || !strings.HasPrefix(got, fmt.Sprintf("http://127.0.0.1:%d/upload/", port)) || !strings.HasSuffix(got, "/holiday.jpg") {
			t.Errorf("echoed file not uploaded anew to ejabberd under its name: %s", got)
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("echoed file differs: %d bytes", len(back))
		}
	})

	t.Run("commands", func(t *testing.T) {
		items, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
		if err != nil || items.Type != "result" || !strings.Contains(items.XML, `node="status"`) {
			t.Fatalf("command list: %v %s", err, items.XML)
		}
		if r, st := command(t, alice, "status", "", "", nil); r.Command.Status != "completed" {
			t.Fatalf("status: %s", st.XML)
		}
	})
}
