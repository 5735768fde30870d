package bridge

import (
	"cmp"
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
