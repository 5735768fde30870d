package bridge

import (
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestContactCapsReactionLimit: a contact of a network that keeps one
// reaction per person says so (XEP-0444 §2.1: max_reactions_per_user 1,
// in a form of its own), and its caps ver covers the form (XEP-0115
// §5.1 step 7); a network without the limit adds no form, its ver as
// before.
func TestContactCapsReactionLimit(t *testing.T) {
	ver := func(c *contactCaps, form string) string {
		s := "client/pc//<pubsub/pep//<" + strings.Join(c.features, "<") + "<" + form
		sum := sha1.Sum([]byte(s))
		return base64.StdEncoding.EncodeToString(sum[:])
	}
	info := func(c *contactCaps) string {
		var w wire.Writer
		c.writeInfo(&w, "")
		return w.String()
	}
	one := contactFeatures(&pb.Features{Reactions: true, SingleReaction: true})
	got := info(one)
	for _, want := range []string{
		`<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>urn:xmpp:reactions:0:restrictions</value></field>`,
		`<field var="max_reactions_per_user"><value>1</value></field>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("disco#info of a one-reaction network's contact lacks %s: %s", want, got)
		}
	}
	if w := ver(one, "urn:xmpp:reactions:0:restrictions<max_reactions_per_user<1<"); one.ver != w {
		t.Errorf("ver %s, want %s (with the form)", one.ver, w)
	}
	many := contactFeatures(&pb.Features{Reactions: true})
	if got := info(many); strings.Contains(got, "jabber:x:data") {
		t.Errorf("a form without a limit: %s", got)
	}
	if w := ver(many, ""); many.ver != w {
		t.Errorf("ver %s, want %s", many.ver, w)
	}
}

// TestContactCapsReceiptsOnReadsOnly: a network that tells reads but not
// deliveries (Telegram) lists XEP-0184 receipts too: the gateway answers
// a receipt request at the read, and Profanity and Psi request receipts
// only of a contact that lists them. Before, only delivery_receipts
// listed them, so these clients never asked and never heard.
func TestContactCapsReceiptsOnReadsOnly(t *testing.T) {
	c := contactFeatures(&pb.Features{ReadReceipts: true})
	if !slices.Contains(c.features, wire.NSReceipts) || !slices.Contains(c.features, nsMarkers) {
		t.Errorf("a reads-only network's contact lists %v", c.features)
	}
	if c := contactFeatures(&pb.Features{}); slices.Contains(c.features, wire.NSReceipts) {
		t.Errorf("a network without receipts lists them: %v", c.features)
	}
}
