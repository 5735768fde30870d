package bridge

import (
	"cmp"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
)

// TestEmptyMessageRefusal: which messages that ask the network for
// nothing are refused, and with what: a blank body or an element not
// bridged (a call, a file with no address to fetch, an attention
// request) is; a chat state, marker, receipt, XEP-0022 event, a
// call's end, an encrypted session's key exchange or marks alone are
// not, nor a headline or normal message (a PEP notification of the
// user's server); a message with words never is.
func TestEmptyMessageRefusal(t *testing.T) {
	for _, c := range []struct {
		xml  string
		cond wire.Condition
	}{
		{`<message><body> </body></message>`, wire.NotAcceptable},
		{`<message><body/><request xmlns='urn:xmpp:receipts'/></message>`, wire.NotAcceptable},
		{`<message><attention xmlns='urn:xmpp:attention:0'/></message>`, wire.FeatureNotImpl},
		{`<message><propose xmlns='urn:xmpp:jingle-message:0' id='c1'/><store xmlns='urn:xmpp:hints'/></message>`, wire.FeatureNotImpl},
		{`<message><reference xmlns='urn:xmpp:reference:0' type='data'><media-sharing xmlns='urn:xmpp:sims:1'><sources><reference xmlns='urn:xmpp:reference:0' uri='xmpp:j@example.com'/></sources></media-sharing></reference></message>`, wire.FeatureNotImpl},
		{`<message><body>hi</body><foo xmlns='urn:example'/></message>`, ""},
		{`<message><composing xmlns='http://jabber.org/protocol/chatstates'/><foo xmlns='urn:example'/></message>`, ""},
		{`<message><received xmlns='urn:xmpp:chat-markers:0' id='a'/></message>`, ""},
		{`<message><displayed xmlns='urn:xmpp:chat-markers:0' id='a'/></message>`, ""},
		{`<message><x xmlns='jabber:x:event'><composing/></x></message>`, ""},
		{`<message><finish xmlns='urn:xmpp:jingle-message:0' id='c1'/></message>`, ""},
		{`<message><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted></message>`, ""},
		{`<message><origin-id xmlns='urn:xmpp:sid:0' id='o'/><x xmlns='http://jabber.org/protocol/muc#user'/><thread>t</thread></message>`, ""},
		{`<message><subject>Hello</subject></message>`, ""},
		{`<message type='headline'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:avatar:metadata'/></event></message>`, ""},
		{`<message type='normal'><body> </body></message>`, ""},
		{`<message type='groupchat'><body> </body></message>`, wire.NotAcceptable},
		// What the gateway bridges without words is no empty message:
		// reactions (XEP-0444, none left too), retractions (XEP-0424 and
		// its form before 0.4), a correction to blank, a file shared
		// by its address alone (OOB, SIMS, XEP-0447), a receipt alone.
		{`<message><reactions xmlns='urn:xmpp:reactions:0' id='m1'><reaction>👍</reaction></reactions><store xmlns='urn:xmpp:hints'/></message>`, ""},
		{`<message type='groupchat'><reactions xmlns='urn:xmpp:reactions:0' id='m1'/></message>`, ""},
		{`<message><retract xmlns='urn:xmpp:message-retract:1' id='m1'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/></message>`, ""},
		{`<message><apply-to xmlns='urn:xmpp:fasten:0' id='m1'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to></message>`, ""},
		{`<message><body> </body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/></message>`, ""},
		{`<message><x xmlns='jabber:x:oob'><url>https://up.example/a.jpg</url></x></message>`, ""},
		{`<message><reference xmlns='urn:xmpp:reference:0' type='data'><media-sharing xmlns='urn:xmpp:sims:1'><file xmlns='urn:xmpp:jingle:apps:file-transfer:5'><name>a.jpg</name></file><sources><reference xmlns='urn:xmpp:reference:0' uri='https://up.example/a.jpg'/></sources></media-sharing></reference></message>`, ""},
		{`<message><file-sharing xmlns='urn:xmpp:sfs:0'><file xmlns='urn:xmpp:file:metadata:0'><name>a.jpg</name></file><sources><url-data xmlns='http://jabber.org/protocol/url-data' target='https://up.example/a.jpg'/></sources></file-sharing></message>`, ""},
		{`<message><received xmlns='urn:xmpp:receipts' id='m1'/></message>`, ""},
		{`<message><request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/></message>`, ""},
		{`<message><acknowledged xmlns='urn:xmpp:chat-markers:0' id='m1'/></message>`, ""},
		{`<message type='groupchat'><active xmlns='http://jabber.org/protocol/chatstates'/><occupant-id xmlns='urn:xmpp:occupant-id:0' id='x'/></message>`, ""},
		{`<message><encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'><keys jid='a@b'><key rid='2' kex='true'>AA==</key></keys></header></encrypted><encryption xmlns='urn:xmpp:eme:0' namespace='urn:xmpp:omemo:2'/></message>`, ""},
		{`<message><openpgp xmlns='urn:xmpp:openpgp:0'>AA==</openpgp></message>`, ""},
		// A direct invitation (XEP-0249) comes as a normal message.
		{`<message type='normal'><x xmlns='jabber:x:conference' jid='r@muc.example'/></message>`, ""},
	} {
		st, err := wire.Parse(c.xml)
		if err != nil {
			t.Fatal(err)
		}
		typ := cmp.Or(st.Type(), "chat")
		cond, text := parseUserMessage(st).refusal(typ, "Echo")
		if cond != c.cond {
			t.Errorf("%s: refused %q (%q), want %q", c.xml, cond, text, c.cond)
		}
	}
}

// TestReplyQuoteOnlyRefusal: a reply (XEP-0461) whose body is nothing
// but its quote, marked as the fallback, is refused saying so; a blank
// message still says white space, and a reply with words is sent.
// Before, the quote alone was refused as "white space only", which the
// user, seeing the quote sent, could not make sense of.
func TestReplyQuoteOnlyRefusal(t *testing.T) {
	const reply = `<reply xmlns='urn:xmpp:reply:0' to='bob@g' id='m1'/>` +
		`<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='9'/></fallback>`
	for _, c := range []struct{ xml, want string }{
		{`<message type='groupchat'><body>&gt; hello` + "\n" + ` </body>` + reply + `</message>`, "nothing but the quoted text"},
		{`<message type='chat'><body>&gt; hello` + "\n\n" + `</body>` + reply + `</message>`, "nothing but the quoted text"},
		{`<message type='chat'><body>&gt; hello` + "\n" + `hi</body>` + reply + `</message>`, ""},
		{`<message type='chat'><body> </body>` + reply + `</message>`, "white space only"},
		{`<message type='chat'><body>&gt; hello` + "\n" + `</body></message>`, ""},
		// XEP-0428 before 0.2 (Movim).
		{`<message type='chat'><body>&gt; hello` + "\n\n" + `</body><reply xmlns='urn:xmpp:reply:0' to='bob@g' id='m1'/>` +
			`<fallback xmlns='urn:xmpp:feature-fallback:0' for='urn:xmpp:reply:0'><body start='0' end='9'/></fallback></message>`, "nothing but the quoted text"},
	} {
		st, err := wire.Parse(c.xml)
		if err != nil {
			t.Fatal(err)
		}
		cond, text := parseUserMessage(st).refusal(st.Type(), "Echo")
		if c.want == "" {
			if cond != "" {
				t.Errorf("%s: refused (%s %q)", c.xml, cond, text)
			}
			continue
		}
		if cond != wire.NotAcceptable || !strings.Contains(text, c.want) || !strings.Contains(text, "nothing was sent to Echo") {
			t.Errorf("%s: refused %q (%q), want not-acceptable saying %q", c.xml, cond, text, c.want)
		}
	}
}
