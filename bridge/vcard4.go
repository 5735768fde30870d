package bridge

import (
	"context"
	"fmt"

	"passerelle.im/passerelle/bridge/wire"
)

// XEP-0292 vCard4: clients that read a contact's profile from its PEP
// node urn:xmpp:vcard4 (Dino, Movim, Cheogram, Gajim) get what the
// vCard-temp answer says (contacts.go's vcard), as RFC 6351 XML: name,
// nickname, phone and the network's identifier. The picture stays
// XEP-0084's. It was item-not-found.

const (
	nsVCard4Node = "urn:xmpp:vcard4"
	nsVCard4     = "urn:ietf:params:xml:ns:vcard-4.0"
)

// vcard4Items answers user's items request on a contact's vCard4 node.
func (t *transport) vcard4Items(ctx context.Context, st *wire.Stanza, user, userID string) {
	s, c, fresh := t.vcardContact(ctx, st, user, userID)
	if s == nil {
		return
	}
	r := wire.Result(st)
	r.Start("pubsub", nsPubSub).Start("items", "").Attr("node", nsVCard4Node).Start("item", "").Attr("id", "current")
	r.Start("vcard", nsVCard4)
	text := func(prop, v string) { r.Start(prop, "").Leaf("text", "", v).End() }
	text("fn", contactName(c))
	if c.Nickname != "" {
		text("nickname", c.Nickname)
	}
	if c.Phone != "" {
		r.Start("tel", "").Leaf("uri", "", "tel:"+c.Phone).End()
	}
	text("note", fmt.Sprintf("%s ID: %s", t.displayName(), c.UserId))
	r.End().End().End().End()
	t.send(ctx, r.Bytes())
	if fresh { // the network's profile: its picture, or none
		s.avatarFetched(ctx, userID, c)
	}
}
