package bridge

import (
	"testing"

	"passerelle.im/passerelle/bridge/wire"
)

// TestSharedFileURL: a file sent as XEP-0385 SIMS or XEP-0447 stateless
// file sharing, with no OOB, is sent by its first https source, else its
// first http one (fetched from loopback only: an https one after it
// goes, where the http one was refused); an OOB beside it names the file
// first; a source of another scheme (a Jingle one) is none the gateway
// fetches. In a room, a subject with
// such a file, or with a thread, is a message, not a topic change
// (XEP-0045 §8.1); a subject alone is one.
func TestSharedFileURL(t *testing.T) {
	const sims = `<reference xmlns='urn:xmpp:reference:0' type='data'><media-sharing xmlns='urn:xmpp:sims:1'><file xmlns='urn:xmpp:jingle:apps:file-transfer:5'><name>a.jpg</name></file>` +
		`<sources><reference xmlns='urn:xmpp:reference:0' type='data' uri='xmpp:juliet@example.com/res?jingle'/><reference xmlns='urn:xmpp:reference:0' type='data' uri=' https://up.example/a.jpg '/></sources></media-sharing></reference>`
	const sfs = `<file-sharing xmlns='urn:xmpp:sfs:0'><file xmlns='urn:xmpp:file:metadata:0'><name>b.png</name></file>` +
		`<sources><url-data xmlns='http://jabber.org/protocol/url-data' target='https://up.example/b.png'/></sources></file-sharing>`
	for _, c := range []struct {
		name, xml, url string
		topic          bool
	}{
		{"SIMS", `<message type='chat'>` + sims + `</message>`, "https://up.example/a.jpg", false},
		{"stateless file sharing", `<message type='chat'>` + sfs + `</message>`, "https://up.example/b.png", false},
		{"OOB first", `<message type='chat'>` + sfs + `<x xmlns='jabber:x:oob'><url>https://up.example/c.png</url></x></message>`, "https://up.example/c.png", false},
		{"https before plain http", `<message type='chat'><file-sharing xmlns='urn:xmpp:sfs:0'><sources><url-data xmlns='http://jabber.org/protocol/url-data' target='http://up.example/d.png'/><url-data xmlns='http://jabber.org/protocol/url-data' target='https://up.example/d.png'/></sources></file-sharing></message>`, "https://up.example/d.png", false},
		{"plain http alone", `<message type='chat'><file-sharing xmlns='urn:xmpp:sfs:0'><sources><url-data xmlns='http://jabber.org/protocol/url-data' target='http://127.0.0.1:5280/e.png'/></sources></file-sharing></message>`, "http://127.0.0.1:5280/e.png", false},
		{"a Jingle source alone", `<message type='chat'><reference xmlns='urn:xmpp:reference:0' type='data'><media-sharing xmlns='urn:xmpp:sims:1'><sources><reference xmlns='urn:xmpp:reference:0' uri='xmpp:j@example.com'/></sources></media-sharing></reference></message>`, "", false},
		{"a mention", `<message type='chat'><body>hi</body><reference xmlns='urn:xmpp:reference:0' type='mention' uri='xmpp:j@example.com' begin='0' end='2'/></message>`, "", false},
		{"room: subject and SIMS", `<message type='groupchat'><subject>Minutes</subject>` + sims + `</message>`, "https://up.example/a.jpg", false},
		{"room: subject and thread", `<message type='groupchat'><subject>Minutes</subject><thread>t1</thread></message>`, "", false},
		{"room: subject alone", `<message type='groupchat'><subject>Minutes</subject></message>`, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := wire.Parse(c.xml)
			if err != nil {
				t.Fatal(err)
			}
			m := parseUserMessage(st)
			if m.oobURL != c.url {
				t.Errorf("file %q, want %q", m.oobURL, c.url)
			}
			if got := roomTopicChange(st, m); got != c.topic {
				t.Errorf("topic change %v, want %v (body %q)", got, c.topic, m.body)
			}
		})
	}
}
